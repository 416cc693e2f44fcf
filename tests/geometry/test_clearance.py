import numpy as np
import pytest

from simgrasp.geometry import GraspRect, Intrinsics, PinholeCamera, WorldGrasp, look_down_pose
from simgrasp.geometry.clearance import JawSpec, footprint_pixels, jaw_clearance, plate_footprints

CAM_HEIGHT_M = 0.7
BOX_HALF_M = 0.02  # a 4 cm square box
BOX_TOP_M = 0.05


def make_camera() -> PinholeCamera:
    return PinholeCamera(Intrinsics.from_fov(320, 320, 40.0), look_down_pose(0.0, 0.0, CAM_HEIGHT_M))


def box_depth(cam: PinholeCamera, half_m: float = BOX_HALF_M, top_m: float = BOX_TOP_M) -> np.ndarray:
    """The depth image of a table (z = 0) with a box of side ``2 half_m`` and height
    ``top_m`` centred at the world origin (the camera looks straight down)."""
    v, u = np.mgrid[0 : cam.height, 0 : cam.width].astype(np.float64)
    table = np.full(u.shape, CAM_HEIGHT_M)
    # Where the ray through each pixel meets the box top plane.
    k = cam.intrinsics
    x = (u - k.cx) / k.fx * (CAM_HEIGHT_M - top_m)
    y = -(v - k.cy) / k.fy * (CAM_HEIGHT_M - top_m)
    on_box = (np.abs(x) <= half_m) & (np.abs(y) <= half_m)
    return np.where(on_box, CAM_HEIGHT_M - top_m, table).astype(np.float32)


def grasp_across_box(cam: PinholeCamera, opening_m: float, depth: np.ndarray) -> GraspRect:
    """An image grasp across the box along world x, ``opening_m`` wide at the grasp height."""
    z = BOX_TOP_M - cam.grasp_depth_m
    return cam.world_to_image(WorldGrasp(0.0, 0.0, z, 0.0, opening_m, 0.02))


def test_plates_outside_the_box_are_clear_and_plates_on_it_are_blocked():
    cam = make_camera()
    depth = box_depth(cam)
    wide = jaw_clearance(cam, depth, grasp_across_box(cam, 0.05, depth))
    assert wide.clear and wide.blocked_frac == 0.0 and wide.rise_m == 0.0
    # The plates open to 1 cm (+ 2 cm margin = 3 cm): they come down on the box's edges,
    # half of each (grown) footprint on the box.
    narrow = jaw_clearance(cam, depth, grasp_across_box(cam, 0.01, depth))
    assert not narrow.clear and narrow.blocked_frac == pytest.approx(0.5, abs=0.1)
    # The box top stands grasp_depth + tip_below above the tips.
    assert narrow.rise_m == pytest.approx(cam.grasp_depth_m + JawSpec().tip_below_m, abs=1e-4)


def test_the_opening_margin_and_inflation_decide_near_the_edge():
    cam = make_camera()
    depth = box_depth(cam)
    # 3.6 cm requested: the plates' inner faces at 2.8 cm from the centre, 8 mm beyond the box.
    g = grasp_across_box(cam, 0.036, depth)
    assert jaw_clearance(cam, depth, g, JawSpec()).clear
    # Without the opening margin, the inner faces stand on the box.
    assert not jaw_clearance(cam, depth, g, JawSpec(opening_margin_m=0.0)).clear
    # Grown by 1 cm on each side, the footprints reach over the box's edge.
    assert not jaw_clearance(cam, depth, g, JawSpec(inflate_m=0.01)).clear
    # The pre-grasp opening is clipped to the gripper's largest: then the margin is gone.
    assert not jaw_clearance(cam, depth, g, JawSpec(max_opening_m=0.036)).clear


def test_pixels_without_depth_are_not_counted():
    cam = make_camera()
    depth = box_depth(cam)
    g = grasp_across_box(cam, 0.01, depth)
    assert not jaw_clearance(cam, depth, g).clear
    holes = depth.copy()
    world = cam.image_to_world(g, depth)
    for plate in plate_footprints(world, JawSpec(), world.z_m - JawSpec().tip_below_m):
        u, v = footprint_pixels(cam.world_to_image(plate), cam.width, cam.height)
        holes[v, u] = np.where(np.arange(u.size) % 2 == 0, 0.0, np.nan)
    c = jaw_clearance(cam, holes, g)
    assert c.clear and c.rise_m == 0.0


def test_noise_below_the_tolerance_and_a_blocked_share_under_the_limit_pass():
    cam = make_camera()
    # A 5 mm flat box: the jaws go to their lowest, the tips 2 mm above the table.
    depth = box_depth(cam, top_m=0.005)
    world = WorldGrasp(0.0, 0.0, cam.table_height_m + cam.min_clearance_m, 0.0, 0.05, 0.02)
    g = cam.world_to_image(world)
    assert cam.image_to_world(g, depth).z_m == pytest.approx(world.z_m)
    rng = np.random.default_rng(0)
    noisy = depth + rng.uniform(-0.003, 0.003, depth.shape).astype(np.float32)
    assert jaw_clearance(cam, noisy, g).clear  # the table 2 mm below the tips, 3 mm of noise: 1 mm above at worst
    assert not jaw_clearance(cam, noisy, g, JawSpec(tolerance_m=0.0)).clear
    # One tall spike under a plate blocks it, unless a share of pixels is allowed.
    tips = world.z_m - JawSpec().tip_below_m
    u, v = footprint_pixels(cam.world_to_image(plate_footprints(world, JawSpec(), tips)[0]), cam.width, cam.height)
    spiked = depth.copy()
    spiked[v[0], u[0]] = CAM_HEIGHT_M - 0.1
    assert not jaw_clearance(cam, spiked, g).clear
    assert jaw_clearance(cam, spiked, g, JawSpec(max_blocked_frac=0.05)).clear


def test_footprints_partly_outside_the_image_keep_their_inside_pixels():
    u, v = footprint_pixels(GraspRect(0.0, 10.0, 0.0, 10.0, 4.0), 64, 48)
    assert u.min() == 0 and u.max() == 5 and set(v.tolist()) == {8, 9, 10, 11, 12}
    u, v = footprint_pixels(GraspRect(-50.0, -50.0, 0.0, 10.0, 4.0), 64, 48)
    assert u.size == 0 and v.size == 0


def test_bad_specs_and_depth_sizes_are_refused():
    with pytest.raises(ValueError, match="finger_m must be a positive"):
        JawSpec(finger_m=0.0)
    with pytest.raises(ValueError, match="tolerance_m must be >= 0"):
        JawSpec(tolerance_m=-1e-3)
    with pytest.raises(ValueError, match=r"max_blocked_frac must be in \[0, 1\)"):
        JawSpec(max_blocked_frac=1.0)
    cam = make_camera()
    with pytest.raises(ValueError, match=r"depth image must be \(320, 320\)"):
        jaw_clearance(cam, np.ones((10, 10)), GraspRect(160, 160, 0, 40, 20))


def _random_grasps(rng: np.random.Generator, n: int, width: int, height: int) -> np.ndarray:
    """(n, 5) image grasps over the whole image (some partly outside it), any angle and size."""
    return np.stack([rng.uniform(-10, width + 10, n), rng.uniform(-10, height + 10, n), rng.uniform(-90, 90, n),
                     rng.uniform(5, 160, n), rng.uniform(5, 50, n)], -1)


def _cluttered_depth(cam: PinholeCamera, rng: np.random.Generator) -> np.ndarray:
    """The box scene with noise, holes (0 and NaN) and a few posts: every branch of the check."""
    depth = box_depth(cam).astype(np.float64)
    depth += rng.normal(0.0, 0.002, depth.shape)
    for _ in range(6):
        u, v = rng.integers(0, cam.width - 20), rng.integers(0, cam.height - 20)
        depth[v : v + 15, u : u + 15] = CAM_HEIGHT_M - rng.uniform(0.01, 0.12)
    depth[rng.random(depth.shape) < 0.02] = 0.0
    depth[rng.random(depth.shape) < 0.01] = np.nan
    return depth.astype(np.float32)


def tilted_camera() -> PinholeCamera:
    """make_camera's, turned 4 degrees about x and 3 about y (every term of the surface height counts)."""
    a, b = np.deg2rad(4.0), np.deg2rad(3.0)
    rx = np.array([[1, 0, 0], [0, np.cos(a), -np.sin(a)], [0, np.sin(a), np.cos(a)]])
    ry = np.array([[np.cos(b), 0, np.sin(b)], [0, 1, 0], [-np.sin(b), 0, np.cos(b)]])
    T = look_down_pose(0.01, -0.02, CAM_HEIGHT_M)
    T[:3, :3] = T[:3, :3] @ rx @ ry
    return PinholeCamera(Intrinsics.from_fov(320, 320, 40.0), T)


@pytest.mark.parametrize("spec", [JawSpec(), JawSpec(max_blocked_frac=0.2, inflate_m=0.0), JawSpec(max_opening_m=None)])
@pytest.mark.parametrize("camera", [make_camera, tilted_camera])
def test_the_vectorised_plate_check_equals_the_one_candidate_check(spec, camera):
    from simgrasp.geometry.clearance import jaw_clearance_batch

    rng = np.random.default_rng(7)
    cam = camera()
    depth = _cluttered_depth(cam, rng)
    grasps = _random_grasps(rng, 400, cam.width, cam.height)
    worlds = cam.image_to_world_batch(grasps, depth)
    one = [cam.image_to_world(GraspRect.from_array(g), depth) for g in grasps]
    assert np.abs(worlds - np.array([list(w.to_dict().values()) for w in one])).max() <= 1e-9
    clear, frac, rise = jaw_clearance_batch(cam, depth, grasps, spec)
    each = [jaw_clearance(cam, depth, GraspRect.from_array(g), spec) for g in grasps]
    assert clear.tolist() == [c.clear for c in each]
    assert 0 < clear.sum() < len(clear)  # both answers occur
    assert np.abs(frac - [c.blocked_frac for c in each]).max() <= 1e-9
    assert np.abs(rise - [c.rise_m for c in each]).max() <= 1e-9
    assert jaw_clearance_batch(cam, depth, np.zeros((0, 5)), spec)[0].shape == (0,)


def _walk_one_at_a_time(order, grasps, cam, depth, max_opening_m, spec, keep):
    """executable_grasps as it was written first: one candidate at a time."""
    kept, wide, blocked = [], 0, 0
    for j in order:
        rect = GraspRect.from_array(grasps[j])
        world = cam.image_to_world(rect, depth)
        if max_opening_m is not None and world.opening_m > max_opening_m:
            wide += 1
            continue
        if spec is not None and not jaw_clearance(cam, depth, rect, spec, world).clear:
            blocked += 1
            continue
        kept.append(int(j))
        if keep is not None and len(kept) == keep:
            break
    return kept, wide, blocked


@pytest.mark.parametrize("keep", [1, 5, 60, None])
def test_executable_grasps_keeps_what_the_one_at_a_time_walk_keeps(keep):
    from simgrasp.geometry.clearance import executable_grasps

    rng = np.random.default_rng(3)
    cam = make_camera()
    depth = _cluttered_depth(cam, rng)
    grasps = _random_grasps(rng, 300, cam.width, cam.height)
    order = rng.permutation(len(grasps))
    for limit, spec in ((0.06, JawSpec()), (None, JawSpec()), (0.06, None)):
        kept, wide, blocked = executable_grasps(order, grasps, cam, depth, limit, spec, keep)
        want = _walk_one_at_a_time(order, grasps, cam, depth, limit, spec, keep)
        assert (kept.tolist(), wide, blocked if spec is not None else 0) == want
        assert blocked is None if spec is None else isinstance(blocked, int)
