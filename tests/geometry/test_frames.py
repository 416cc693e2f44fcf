import numpy as np
import pytest

from simgrasp.geometry.frames import matrix_wpr, rotation_from_rotvec, wpr_matrix


def test_wpr_matrix_is_fixed_axis_xyz_in_mm_and_degrees():
    T = wpr_matrix(100.0, -20.0, 5.0, 180.0, 0.0, 90.0)
    assert T[:3, 3] == pytest.approx([0.1, -0.02, 0.005])
    # Rz(90) Rx(180): x -> +y, y -> +x, z -> -z
    assert T[:3, :3] @ [1, 0, 0] == pytest.approx([0, 1, 0], abs=1e-12)
    assert T[:3, :3] @ [0, 0, 1] == pytest.approx([0, 0, -1], abs=1e-12)


@pytest.mark.parametrize("pose", [(12.0, -3.5, 560.0, 177.5, 3.0, -4.0), (0.0, 0.0, 0.0, 10.0, -80.0, 170.0)])
def test_matrix_wpr_inverts_wpr_matrix(pose):
    assert matrix_wpr(wpr_matrix(*pose)) == pytest.approx(pose, abs=1e-9)


def test_a_rotation_vector_turns_about_its_axis_by_its_length():
    R = rotation_from_rotvec(np.array([0.0, 0.0, np.pi / 2]))
    assert R @ [1, 0, 0] == pytest.approx([0, 1, 0], abs=1e-12)
    assert rotation_from_rotvec(np.zeros(3)) == pytest.approx(np.eye(3))
    R = rotation_from_rotvec(np.array([0.3, -1.2, 2.0]))
    assert R @ R.T == pytest.approx(np.eye(3), abs=1e-12) and np.linalg.det(R) == pytest.approx(1.0)
