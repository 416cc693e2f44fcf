"""Ways to run many independent jobs (evaluation trials, dataset scenes): one contract
(:mod:`simgrasp.executors.base`) and one registry, :data:`EXECUTORS`, behind the
``--executor`` flag of ``python -m simgrasp.evaluate`` and ``python -m simgrasp.dataset
generate``.

- ``local`` (:mod:`simgrasp.executors.local`): in this process, or a pool of processes;
- ``ray`` (:mod:`simgrasp.executors.ray`): Ray tasks on a cluster; Ray is imported only
  when this executor is used (``pip install 'simgrasp[ray]'``).

The work units stay plain picklable functions that cache their simulator and network per
process; an executor only decides where they run."""

from simgrasp.executors.base import (
    EXECUTORS,
    Executor,
    ExecutorError,
    ExecutorKind,
    ExecutorOptions,
    ProcessCache,
    WorkUnit,
    check_executor,
    open_executor,
)
from simgrasp.executors.local import check_local, local_executor
from simgrasp.executors.ray import ClusterError, check_ray, ray_executor

EXECUTORS.register("local")(ExecutorKind(local_executor, check_local))
EXECUTORS.register("ray")(ExecutorKind(ray_executor, check_ray))

__all__ = [
    "EXECUTORS",
    "ClusterError",
    "Executor",
    "ExecutorError",
    "ExecutorKind",
    "ExecutorOptions",
    "ProcessCache",
    "WorkUnit",
    "check_executor",
    "open_executor",
]
