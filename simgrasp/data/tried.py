"""The tried-grasps sidecar ``<i>_<objid>_candidates.txt``: every grasp the generator tried
on a scene, with its simulated outcome.

Format: a first header line starting with ``#``, then one line per tried grasp::

    x;y;theta;w;h;success;reason;source

``x;y;theta;w;h`` as in ``*_grasps.txt`` (pixels, degrees, the Jacquard angle convention
of :mod:`simgrasp.data.jacquard`, two decimals: the values exactly as tried); ``success``
``1`` (the full lift-move-place trial succeeded), ``0`` (it failed, or the lift-only
screen did: ``reason`` then names the failing stage, e.g. ``approach_collision``,
``missed``, ``slipped_during_lift``, ``dropped_during_carry``) or ``-1`` (not a label: the
simulation itself failed, ``reason`` ``sim_error``; readers drop these from training
labels); ``source`` the proposal that produced it (``antipodal``, ``jitter``, ``random``).
Lines starting with ``#`` and blank lines are ignored.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from simgrasp.data.io import DatasetFormatError, read_text, rect_values

HEADER = "# x;y;theta;w;h;success;reason;source (px, deg; success 1, 0, or -1 = simulation fault, not a label)\n"
NOT_A_LABEL = -1  # the success value of a grasp whose trial the simulator could not run
FIELDS = 8
SUCCESS_REASON = "success"  # the reason of every row with success 1


@dataclass(frozen=True)
class TriedGrasps:
    """The grasps tried on one scene: ``grasps`` (M, 5) float32 ``[x, y, theta_deg, w, h]``
    in the scene's pixels, ``success`` (M,) int8 of 1, 0 or -1 (:data:`NOT_A_LABEL`), and
    per grasp its outcome ``reasons`` and proposal ``sources``."""

    grasps: np.ndarray
    success: np.ndarray
    reasons: tuple[str, ...]
    sources: tuple[str, ...]

    def __post_init__(self) -> None:
        m = len(self.grasps)
        if np.shape(self.grasps) != (m, 5) or not (len(self.success) == len(self.reasons) == len(self.sources) == m):
            raise ValueError(
                f"expected (M, 5) grasps and M outcomes, got grasps {np.shape(self.grasps)}, {len(self.success)} "
                f"success values, {len(self.reasons)} reasons, {len(self.sources)} sources"
            )

    def __len__(self) -> int:
        return len(self.grasps)

    def labelled(self) -> tuple[np.ndarray, np.ndarray]:
        """The grasps that are labels, (K, 5) float32, and their success, (K,) bool: rows
        marked :data:`NOT_A_LABEL` are dropped."""
        keep = self.success != NOT_A_LABEL
        return self.grasps[keep].astype(np.float32), self.success[keep] == 1


def tried_grasps(rows: list[tuple[np.ndarray, int, str, str]]) -> TriedGrasps:
    """Build from ``(grasp (5,), success, reason, source)`` rows, in order."""
    grasps = np.asarray([r[0] for r in rows], np.float32).reshape(-1, 5)
    return TriedGrasps(
        grasps, np.asarray([r[1] for r in rows], np.int8), tuple(r[2] for r in rows), tuple(r[3] for r in rows)
    )


def format_tried_lines(tried: TriedGrasps) -> str:
    """The text of a sidecar: the header, then one line per tried grasp (two decimals)."""
    lines = [HEADER]
    for g, ok, reason, source in zip(tried.grasps.astype(np.float64), tried.success, tried.reasons, tried.sources):
        lines.append(";".join(f"{v:.2f}" for v in g) + f";{int(ok)};{reason};{source}\n")
    return "".join(lines)


def parse_tried_lines(text: str, path: Path | str) -> TriedGrasps:
    """Parse the text of a sidecar. A line that is not ``x;y;theta;w;h;success;reason;source``
    with finite numbers (``w``, ``h`` > 0), ``success`` one of 1, 0, -1, a reason and a source
    (``success`` 1 exactly when the reason is ``success``) raises :class:`DatasetFormatError`
    naming file and line."""
    rows: list[tuple[np.ndarray, int, str, str]] = []
    for lineno, line in enumerate(text.splitlines(), start=1):
        s = line.strip()
        if not s or s.startswith("#"):
            continue
        parts = s.split(";")
        if len(parts) != FIELDS:
            raise DatasetFormatError(
                f"{path}:{lineno}: expected {FIELDS} ';'-separated fields x;y;theta;w;h;success;reason;source, "
                f"got {s!r}"
            )
        values = rect_values(parts[:5], path, lineno, s)
        if values is None:
            raise DatasetFormatError(f"{path}:{lineno}: expected finite numbers, got {s!r}")
        success, reason, source = parts[5].strip(), parts[6].strip(), parts[7].strip()
        if success not in ("1", "0", "-1") or not reason or not source:
            raise DatasetFormatError(
                f"{path}:{lineno}: expected success 1, 0 or -1 and a non-empty reason and source, got {s!r}"
            )
        if (success == "1") != (reason == SUCCESS_REASON):
            raise DatasetFormatError(f"{path}:{lineno}: success {success} contradicts reason {reason!r} in {s!r}")
        rows.append((np.asarray(values), int(success), reason, source))
    return tried_grasps(rows)


def read_tried_file(path: Path) -> TriedGrasps:
    """Read and parse one ``*_candidates.txt`` (see :func:`parse_tried_lines`)."""
    return parse_tried_lines(read_text(path), path)
