from __future__ import annotations

import numpy as np
import pytest

from simgrasp.data.io import DatasetFormatError
from simgrasp.data.tried import HEADER, NOT_A_LABEL, format_tried_lines, parse_tried_lines, tried_grasps

ROWS = [
    (np.array([10.0, 20.0, 45.0, 30.0, 8.0]), 1, "success", "antipodal"),
    (np.array([11.5, 19.25, -89.5, 12.0, 8.0]), 0, "approach_collision", "jitter"),
    (np.array([40.0, 41.0, 0.0, 50.0, 8.0]), NOT_A_LABEL, "sim_error", "random"),
    (np.array([12.0, 21.0, 30.0, 40.0, 8.0]), 0, "dropped_during_carry", "random"),
]


def test_sidecar_round_trip() -> None:
    text = format_tried_lines(tried_grasps(ROWS))
    assert text.startswith("#") and text.splitlines()[0] + "\n" == HEADER
    assert text.splitlines()[2] == "11.50;19.25;-89.50;12.00;8.00;0;approach_collision;jitter"
    back = parse_tried_lines(text, "mem")
    # Angles come back as written (the Jacquard convention is the grasps file's: no conversion).
    np.testing.assert_allclose(back.grasps, [r[0] for r in ROWS], atol=0.005)
    assert back.success.tolist() == [1, 0, -1, 0]
    assert back.reasons == ("success", "approach_collision", "sim_error", "dropped_during_carry")
    assert back.sources == ("antipodal", "jitter", "random", "random")


def test_labelled_drops_simulation_faults() -> None:
    grasps, ok = tried_grasps(ROWS).labelled()
    assert grasps.dtype == np.float32 and grasps.shape == (3, 5) and ok.dtype == bool
    np.testing.assert_allclose(grasps[:, 0], [10.0, 11.5, 12.0])
    assert ok.tolist() == [True, False, False]


@pytest.mark.parametrize(
    "line, message",
    [
        ("1;2;3;4;5;1;success", "expected 8 ';'-separated fields"),
        ("1;2;3;4;5;1;success;antipodal;extra", "expected 8 ';'-separated fields"),
        ("1;2;x;4;5;0;missed;random", "expected 5 ';'-separated numbers"),
        ("1;2;3;0;5;0;missed;random", "w > 0 and h > 0"),
        ("1;2;nan;4;5;0;missed;random", "expected finite numbers"),
        ("1;2;3;4;5;yes;success;random", "success 1, 0 or -1"),
        ("1;2;3;4;5;0;;random", "non-empty reason"),
        ("1;2;3;4;5;1;missed;random", "contradicts"),
        ("1;2;3;4;5;0;success;random", "contradicts"),
    ],
)
def test_malformed_lines_name_file_and_line(line: str, message: str) -> None:
    text = HEADER + "1;2;3;4;5;1;success;antipodal\n\n" + line + "\n"
    with pytest.raises(DatasetFormatError, match=r"^scene_candidates\.txt:4: ") as e:
        parse_tried_lines(text, "scene_candidates.txt")
    assert message in str(e.value) and line in str(e.value)


def test_mismatched_lengths_are_refused() -> None:
    t = tried_grasps(ROWS)
    with pytest.raises(ValueError, match="3 reasons"):
        type(t)(t.grasps, t.success, t.reasons[:3], t.sources)
