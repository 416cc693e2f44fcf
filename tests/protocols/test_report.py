"""report.html: the gallery reads the rows once and holds only the cards it shows."""

from __future__ import annotations

import re

import numpy as np

from simgrasp.protocols.base import Job
from simgrasp.protocols.drawing import save_trial_image
from simgrasp.protocols.report import gallery


def test_the_gallery_takes_rows_once_failures_first_and_counts_the_rest(tmp_path):
    rows = []
    for seed in range(6):
        image = save_trial_image(tmp_path, Job("p", seed, seed), np.zeros((8, 8, 3), np.uint8), None)
        rows.append({"policy": "p", "seed": seed, "success": seed % 2 == 0, "reason": "r", "image": image})
    rows.append({"policy": "p", "seed": 9, "success": False, "reason": "r", "image": None})  # not recorded
    html = gallery(iter(rows), tmp_path, limit=4)  # a generator: read once
    assert re.findall(r"</b> seed (\d+)", html) == ["1", "3", "5", "0"]  # failures by seed, then successes
    assert "2 more images in <code>images/</code>" in html
    assert "No trial images" in gallery(iter(rows[-1:]), tmp_path)
