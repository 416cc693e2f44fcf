"""Protocols: what a run of grasps measures, one module each, and the run folder they share.

A protocol (:class:`~simgrasp.protocols.base.RunProtocol`) gives a run's jobs, runs one
job into rows (on a :class:`~simgrasp.protocols.worker.Worker`, through any executor of
:mod:`simgrasp.executors`), turns the rows into ``results.json`` and builds its tables:

- ``trial`` (:mod:`simgrasp.protocols.trial`): one lift-move-place grasp per scene;
- ``clear`` (:mod:`simgrasp.protocols.clear`): grasps on one scene until it is clear;
- ``robust`` (:mod:`simgrasp.protocols.robust`): one decision per scene, executed under
  nominal and perturbed physics and calibration.

``--protocol NAME`` resolves through :data:`PROTOCOLS`; a protocol's module is imported
only when it is used, so the run folder (:mod:`simgrasp.protocols.folder`), which the
dataset generator shares, loads light."""

from __future__ import annotations

from simgrasp.registry import Registry, import_attr

#: ``--protocol NAME`` -> where its protocol object lives (imported on first use).
PROTOCOLS: Registry[str] = Registry("protocol")
PROTOCOLS.register("trial")("simgrasp.protocols.trial:TRIAL")
PROTOCOLS.register("clear")("simgrasp.protocols.clear:CLEAR")
PROTOCOLS.register("robust")("simgrasp.protocols.robust:ROBUST")


def get_protocol(name: str):  # -> RunProtocol (not imported here: it would load the policies)
    """The protocol registered as ``name``; KeyError listing the known ones."""
    return import_attr(PROTOCOLS.get(name))


__all__ = ["PROTOCOLS", "get_protocol"]
