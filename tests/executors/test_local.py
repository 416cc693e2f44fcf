"""The executor contract on this machine: one registry, checked options, one row per job."""

from __future__ import annotations

import os

import pytest

from simgrasp.executors import EXECUTORS, ExecutorError, ExecutorOptions, WorkUnit, check_executor, open_executor
from simgrasp.executors.local import InProcessExecutor, ProcessPoolExecutor

RELEASED: list[str] = []


def square(setup: int, job: int) -> dict:
    """A work unit: the row of ``job`` under ``setup``, with the process that ran it."""
    return {"job": job, "value": setup * job * job, "pid": os.getpid()}


def job_id(job: int) -> int:
    return job


def release() -> None:
    RELEASED.append("released")


UNIT = WorkUnit(square, job_id, release)


def test_the_registry_lists_both_executors_and_refuses_others():
    assert EXECUTORS.names() == ["local", "ray"]
    with pytest.raises(ExecutorError, match="unknown executor 'dask'; known: local, ray"):
        check_executor("dask", ExecutorOptions())


@pytest.mark.parametrize(
    "options, message",
    [
        (ExecutorOptions(address="auto"), "--address is for --executor ray"),
        (ExecutorOptions(workers=0), "at least one worker"),
        (ExecutorOptions(threads=0), "at least one thread"),
        (ExecutorOptions(connect_timeout_s=0.0), "positive connect timeout"),
    ],
)
def test_bad_options_fail_before_any_work(options, message):
    with pytest.raises(ExecutorError, match=message):
        open_executor("local", UNIT, options)


def test_in_process_runs_each_job_once_and_releases_on_close():
    RELEASED.clear()
    executor = open_executor("local", UNIT, ExecutorOptions(workers=1))
    assert isinstance(executor, InProcessExecutor)
    rows = list(executor.run(3, [1, 2, 1, 4]))
    assert [(r["job"], r["value"]) for r in rows] == [(1, 3), (2, 12), (4, 48)]
    assert {r["pid"] for r in rows} == {os.getpid()}
    executor.close()
    assert RELEASED == ["released"]


def test_a_pool_gives_the_same_rows_from_other_processes():
    executor = open_executor("local", UNIT, ExecutorOptions(workers=2))
    assert isinstance(executor, ProcessPoolExecutor)
    try:
        rows = list(executor.run(3, [1, 2, 1, 4]))
        assert list(executor.run(3, [])) == []
    finally:
        executor.close()
    assert sorted((r["job"], r["value"]) for r in rows) == [(1, 3), (2, 12), (4, 48)]
    assert os.getpid() not in {r["pid"] for r in rows}


def numpy_loaded(setup: int, job: int) -> dict:
    """A work unit: whether numpy was imported in this process before the job ran."""
    import sys

    return {"job": job, "numpy": "numpy" in sys.modules}


def test_pool_processes_start_with_the_parent_s_libraries_imported():
    """Forked from a server that imported what the parent had loaded: a worker does not
    import torch (or numpy here) again."""
    import multiprocessing.forkserver

    import numpy  # noqa: F401  # loaded in the parent, as validating a run loads its libraries

    from simgrasp.executors.local import loaded_modules

    assert "numpy" in loaded_modules() and "simgrasp.executors.local" in loaded_modules()
    multiprocessing.forkserver._forkserver._stop()  # a server started by an earlier test read an older list
    executor = ProcessPoolExecutor(WorkUnit(numpy_loaded, job_id), workers=2)
    try:
        rows = list(executor.run(0, [1, 2]))
    finally:
        executor.close()
    assert [r["numpy"] for r in rows] == [True, True]
