"""``python -m simgrasp.evaluate``: score grasp policies by lift-move-place trials.

Examples::

    python -m simgrasp.evaluate                                # scorer (or heuristic) on held-out objects
    python -m simgrasp.evaluate --policy scorer,primary,heuristic --trials 200 --workers 2
    python -m simgrasp.evaluate --backend fanuc --robot-config cell.toml --policy scorer --trials 20
    python -m simgrasp.evaluate --resume --out runs/NAME       # finish an interrupted run (its protocol too)
    python -m simgrasp.evaluate --resume --out runs/NAME --policy A,B,NEW  # add a policy on the same seeds
    python -m simgrasp.evaluate --protocol clear --scene pile:5 --trials 10 --workers 2  # clearing episodes
    python -m simgrasp.evaluate --suite evaluations/smoke.toml --check
    python -m simgrasp.evaluate --compare runs/sim runs/real   # side by side, no trials run
    python -m simgrasp.evaluate --executor ray --address auto --trials 5000  # on a Ray cluster

Each run folder holds ``trials.jsonl`` (one row per grasp, written as each job finishes),
``results.json`` (derived from the rows) and ``report.html``. Exit status: 0 done, 1 a
suite bound failed, 2 bad input (nothing run), 3 the backend or the cluster stopped the run,
130 interrupted.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import tomllib
from dataclasses import replace
from pathlib import Path
from typing import Any

from simgrasp.executors import EXECUTORS
from simgrasp.protocols import PROTOCOLS
from simgrasp.sim import HELD_OUT_OBJECTS

DEFAULT_OBJECTS = {"sim": HELD_OUT_OBJECTS}  # other backends bring their own objects
DEFAULT_TRIALS = 100


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(
        prog="python -m simgrasp.evaluate",
        description=__doc__.split("\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split("\n", 2)[2],
    )
    ap.add_argument(
        "--policy",
        help="policy names (cards in policies/, registered names, card paths or package.module:attr), comma-separated",
    )
    ap.add_argument("--backend", help="backend name (sim, fanuc) or package.module:attr; default sim")
    ap.add_argument("--objects", help=f"object spec for the backend; default {HELD_OUT_OBJECTS} on sim")
    ap.add_argument("--trials", type=int, help=f"trials per policy; default {DEFAULT_TRIALS}")
    ap.add_argument("--seed", type=int, help="seed of trial 0 (trial i uses seed+i); default 0")
    ap.add_argument("--workers", type=int, help="worker processes (1: in this process); default 1")
    ap.add_argument(
        "--executor", help=f"where trials run: {' or '.join(EXECUTORS.names())} (local processes or Ray tasks); default local"
    )
    ap.add_argument(
        "--address", help="with --executor ray: the cluster (auto: the running one; default: start a local one)"
    )
    ap.add_argument(
        "--connect-timeout", type=float, help="with --address: seconds to wait for the cluster to answer; default 20"
    )
    ap.add_argument("--out", help="run folder; default runs/<time>-<policies>")
    ap.add_argument("--resume", action="store_true", help="finish the run in --out, skipping trials already saved")
    ap.add_argument("--record", action="store_true", help="save each trial's image with its grasp drawn")
    ap.add_argument(
        "--protocol", choices=PROTOCOLS.names(), default=None,
        help="trial: one grasp per scene (default, or the suite's, or on --resume the run's); clear: grasps on one "
        "scene until it is clear (--trials episodes)",
    )
    ap.add_argument(
        "--scene", help="scene kind of the sim backend: single, pile:N or packed:N (the backend option scene)"
    )
    ap.add_argument("--robot-config", help="robot cell config (TOML), passed to the backend as robot_config")
    ap.add_argument("--dry-run", action="store_true", help="passed to the backend: plan and check, move nothing")
    ap.add_argument("--confirm", action="store_true", help="passed to the backend: ask before each motion")
    ap.add_argument(
        "--backend-option",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="extra backend keyword argument (VALUE read as TOML when it parses, else text); repeatable",
    )
    ap.add_argument("--suite", help="run a suite file (evaluations/NAME.toml); flags override its fields")
    ap.add_argument("--check", action="store_true", help="with --suite: exit 1 when a bound fails")
    ap.add_argument(
        "--compare",
        nargs="+",
        metavar="RUN",
        help="compare finished run folders (RUN, or RUN:POLICY for one policy of it); no trials run",
    )
    ap.add_argument(
        "--paired",
        action="store_true",
        help="with --compare: the runs faced the same scenes (one suite on the simulator); pair them by seed",
    )
    ap.add_argument("--list", action="store_true", help="list the known policies and exit")
    ap.add_argument("--no-progress", action="store_true", help="no progress bar")
    return ap.parse_args(argv)


class UsageError(Exception):
    pass


def _option_value(text: str) -> Any:
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def backend_options(args: argparse.Namespace, base: dict[str, Any]) -> dict[str, Any]:
    """The backend's keyword arguments: suite or resumed run first, then flags."""
    opts = dict(base)
    for item in args.backend_option:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"expected --backend-option KEY=VALUE, got {item!r}")
        opts[key.strip()] = _option_value(value.strip())
    if args.scene:
        opts["scene"] = args.scene
    if args.robot_config:
        opts["robot_config"] = str(Path(args.robot_config).expanduser().resolve())
    if args.dry_run:
        opts["dry_run"] = True
    if args.confirm:
        opts["confirm"] = True
    return opts


def default_policy(notify: Any) -> str:
    """``scorer`` when its weights exist, else ``heuristic`` with a notice saying why."""
    from simgrasp.policies import PolicyError, resolve_policy

    try:
        spec = resolve_policy("scorer")
        return spec.label
    except PolicyError as e:
        notify(f"notice: evaluating 'heuristic' because the default policy 'scorer' is not available ({e})")
        return "heuristic"


def build_config(args: argparse.Namespace, notify: Any) -> tuple[Any, Path, Any]:
    """The run's config, its folder and the suite (or None), from flags, a suite file or
    the run being resumed, in increasing order of precedence: defaults, file, flags. A
    resume takes what the run measures (its identity: policies, backend and its options,
    objects, seed, protocol) from the folder's run.json and refuses a flag, or a suite,
    that says otherwise; only its policies may be extended (the run's, in their order, then
    new ones, which run on the same seeds)."""
    from simgrasp.evaluation.runner import IDENTITY_DEFAULTS, RUN_FILE, RunConfig
    from simgrasp.evaluation.suite import load_suite
    from simgrasp.protocols.folder import RunFolder

    suite = load_suite(args.suite) if args.suite else None
    base: dict[str, Any] = {}
    if suite is not None:
        base = dict(
            policies=suite.policies,
            backend=suite.backend,
            objects=suite.objects,
            trials=suite.trials,
            seed=suite.seed,
            backend_options=suite.backend_options,
            protocol=suite.protocol,
        )
        if suite.workers is not None:
            base["workers"] = suite.workers
    flags = {
        "policies": tuple(p.strip() for p in args.policy.split(",")) if args.policy is not None else None,
        "backend": args.backend,
        "objects": args.objects,
        "trials": args.trials,
        "seed": args.seed,
        "workers": args.workers,
        "executor": args.executor,
        "address": args.address,
        "connect_timeout_s": args.connect_timeout,
        "protocol": args.protocol,
    }
    if args.resume:
        if not args.out:
            raise UsageError("--resume needs --out RUN_FOLDER (the run to finish)")
        run = RunFolder(Path(args.out)).read_run()
        if run is None or "config" not in run:
            raise UsageError(f"cannot resume {args.out}: no {RUN_FILE} there")
        saved = {k: tuple(v) if k == "policies" else v for k, v in run["config"].items() if k != "record"}
        saved["protocol"] = {**IDENTITY_DEFAULTS, **(run.get("identity") or {})}["protocol"]
        refuse_contradictions(args, suite, flags, saved)
        extended = flags["policies"] or (suite.policies if suite is not None else None)
        base.update(saved)
        if extended is not None:
            base["policies"] = tuple(extended)
        base["record"] = run["config"].get("record", False)
    cfg_values = {**base, **{k: v for k, v in flags.items() if v is not None}}
    if args.record:
        cfg_values["record"] = True
    if args.executor is not None and args.address is None:
        cfg_values.pop("address", None)  # a resumed run's cluster goes with its executor, not a new one
    cfg_values["backend_options"] = backend_options(args, base.get("backend_options", {}))
    cfg_values.setdefault("backend", "sim")
    cfg_values.setdefault("trials", DEFAULT_TRIALS)
    if "objects" not in cfg_values:
        cfg_values["objects"] = DEFAULT_OBJECTS.get(cfg_values["backend"])
    if "policies" not in cfg_values:
        cfg_values["policies"] = (default_policy(notify),)
    cfg = replace(RunConfig(), **cfg_values)
    if args.out:
        out = Path(args.out)
    else:
        stamp = time.strftime("%Y%m%d-%H%M%S")
        name = (
            f"suite-{suite.name}"
            if suite
            else "-".join(p.replace(":", "_").replace("/", "_") for p in cfg.policies)[:60]
        )
        out = Path("runs") / f"{stamp}-{name}"
    return cfg, out, suite


IDENTITY_FLAGS = {"policies": "--policy", "backend": "--backend", "objects": "--objects", "seed": "--seed",
                  "protocol": "--protocol"}  # run config field -> the flag that sets it
OPTION_FLAGS = {"scene": "--scene", "robot_config": "--robot-config", "dry_run": "--dry-run", "confirm": "--confirm"}


def _shown(value: Any) -> str:
    return ",".join(map(str, value)) if isinstance(value, (list, tuple)) else str(value)


def refuse_contradictions(args: argparse.Namespace, suite: Any, flags: dict[str, Any], saved: dict[str, Any]) -> None:
    """UsageError naming the first flag (or the suite) that contradicts what the run in
    ``args.out`` measures (``saved``: its run.json config), its value and the folder's."""

    def refuse(flag: str, given: Any, field: str, had: Any) -> None:
        raise UsageError(f"cannot resume {args.out}: {flag} {_shown(given)} contradicts its run.json "
                         f"({field} {_shown(had)})")

    def differs(field: str, given: Any, had: Any) -> bool:
        given, had = _listed(given), _listed(had)
        if field == "policies":  # a resume may add policies after the run's own
            return given[: len(had)] != had
        return given != had

    for field, flag in IDENTITY_FLAGS.items():
        given, had = flags[field], saved.get(field)
        if given is not None and differs(field, given, had):
            refuse(flag, given, field, had)
        if suite is not None and differs(field, getattr(suite, field), had):
            refuse(f"--suite {args.suite}", getattr(suite, field), field, had)
    had_options = saved.get("backend_options", {})
    for key, value in backend_options(args, {}).items():
        if had_options.get(key) != value:
            flag = OPTION_FLAGS.get(key, f"--backend-option {key}=")
            refuse(flag, value, f"backend option {key}", had_options.get(key, "unset"))


def _listed(value: Any) -> tuple[Any, ...]:
    return tuple(value) if isinstance(value, (list, tuple)) else (value,)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    notify = lambda msg: print(msg, file=sys.stderr, flush=True)  # noqa: E731
    from simgrasp.evaluation.compare import CompareError, compare_runs, comparison_text, write_comparison_report
    from simgrasp.evaluation.runner import RunError, run_evaluation
    from simgrasp.evaluation.suite import SuiteError, check_bounds
    from simgrasp.executors import ClusterError
    from simgrasp.protocols import get_protocol

    try:
        if args.list:
            from simgrasp.policies import known_policies

            print("\n".join(known_policies()))
            return 0
        if args.compare:
            cmp = compare_runs(args.compare, paired=args.paired)
            print(comparison_text(cmp))
            out = Path(args.out or Path("runs") / f"{time.strftime('%Y%m%d-%H%M%S')}-compare")
            write_comparison_report(out / "report.html", cmp)
            (out / "comparison.json").write_text(json.dumps(cmp, indent=2))
            print(f"\nreport: {out / 'report.html'}")
            return 0
        if args.paired and not args.compare:
            raise UsageError("--paired goes with --compare RUN RUN ...")
        if args.check and not args.suite:
            raise UsageError("--check needs --suite FILE (the bounds to check)")
        cfg, out, suite = build_config(args, notify)
        outcome = run_evaluation(cfg, out, resume=args.resume, progress=not args.no_progress, notify=notify)
        table = get_protocol(cfg.protocol).text(outcome.results)
    except (UsageError, RunError, SuiteError, CompareError, OSError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except ClusterError as e:
        where = locals().get("out")
        hint = f"; finish it with: python -m simgrasp.evaluate --resume --out {where}" if where else ""
        print(f"error: {e}; every finished trial (or episode) is saved{hint}", file=sys.stderr)
        return 3
    except KeyboardInterrupt:
        where = locals().get("out")
        hint = f"; finish it with: python -m simgrasp.evaluate --resume --out {where}" if where else ""
        print(f"\ninterrupted: every finished trial (or episode) is saved{hint}", file=sys.stderr)
        return 130
    print(table)
    print(f"\nreport: {outcome.out_dir / 'report.html'}  (rows in trials.jsonl, figures in results.json)")
    status = 0
    if outcome.stopped:
        print(f"error: {outcome.stopped}; finish with --resume --out {outcome.out_dir}", file=sys.stderr)
        status = 3
    if suite is not None and suite.bounds:
        checks = check_bounds(suite.bounds, outcome.results)
        print(f"\nsuite {suite.name}:")
        for c in checks:
            print(f"  {c.message}")
        failed = [c for c in checks if not c.passed]
        if failed and args.check:
            print(
                f"error: suite {suite.name}: {len(failed)} bound(s) failed: "
                + "; ".join(c.bound.describe() for c in failed),
                file=sys.stderr,
            )
            status = status or 1
    return status


if __name__ == "__main__":
    sys.exit(main())
