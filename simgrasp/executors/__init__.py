"""Ways to run many independent work units (trials, dataset scenes) beyond one machine.

The work units themselves stay plain picklable functions ``work(setup, job) -> row``
(:func:`simgrasp.evaluation.trial.run_trial`, :func:`simgrasp.data.runner.annotate_task`),
each caching its simulator and network per process; an executor here only decides where
they run. :mod:`simgrasp.executors.ray` runs them as Ray tasks and imports Ray only when
it is used (``pip install 'simgrasp[ray]'``)."""
