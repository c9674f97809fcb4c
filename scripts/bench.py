#!/usr/bin/env python3
"""Wall-time benchmark of what users wait for: `cdk synth` beside a floor app, `podnet plan`, `podnet max-pods`.

Run through `make bench` (it sets PATH to the pinned Node 24 and CDK CLI). The default app and the floor app
(scripts/floor_app.py: a bare aws_eks_v2 cluster with a VPC and the kubectl layer) are synthesized in turn in the
same run, so machine load hits them alike; the ratio of each pair is what to compare across changes. The floor runs
twice: as written (a plain exit) and ending as app.py does (podnet/stacks/synth_exit.py), so the part of podnet's
speed that any app could get from the same exit is visible. CPU time (user + system, every process of the synth) is
shown too: it moves less than wall time on a shared machine.
Speed is measured here, never asserted in tests, where machine load would make timings flaky.
"""

import argparse
import ctypes
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = ROOT / ".venv" / "bin"
PR_SET_CHILD_SUBREAPER = 36  # <linux/prctl.h>
SYNTH = ["cdk", "synth", "--quiet", "--no-notices", "--no-version-reporting"]


@dataclass
class Timings:
    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)

    def line(self, name: str) -> str:
        return (
            f"{name:34} median {statistics.median(self.wall):6.2f} s  min {min(self.wall):6.2f} s"
            f"  cpu median {statistics.median(self.cpu):6.2f} s  ({len(self.wall)} runs)"
        )


def _adopt_orphans() -> bool:
    """Make this process the reaper of its orphaned descendants (Linux ``PR_SET_CHILD_SUBREAPER``): a synth that
    exits without waiting for Node.js (podnet/stacks/synth_exit.py) leaves it to end alone, and its CPU time counts
    only once something waits for it. False where the system has no such call (the CPU figures then miss it)."""
    prctl = getattr(ctypes.CDLL(None, use_errno=True), "prctl", None)
    return prctl is not None and prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0


def _reap_orphans() -> None:
    """Wait for every adopted descendant, so its CPU time is in RUSAGE_CHILDREN."""
    while True:
        try:
            os.wait()
        except ChildProcessError:
            return


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run(command: list[str], timings: Timings) -> None:
    """Run ``command`` once (output discarded, failure raises) and record its wall seconds (until ``command`` exits)
    and CPU seconds (of every process it started, also those that end after it)."""
    cpu, start = _children_cpu(), time.perf_counter()
    subprocess.run(command, cwd=ROOT, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    timings.wall.append(time.perf_counter() - start)
    _reap_orphans()
    timings.cpu.append(_children_cpu() - cpu)


def _floor_synth(output: str, *options: str) -> list[str]:
    app = " ".join([sys.executable, str(ROOT / "scripts" / "floor_app.py"), *options])
    return [*SYNTH, "--app", app, "--output", output]


def _ratio_line(name: str, default: Timings, floor: Timings) -> str:
    wall_ratios = [d / f for d, f in zip(default.wall, floor.wall, strict=True)]
    cpu_ratios = [d / f for d, f in zip(default.cpu, floor.cpu, strict=True)]
    return (
        f"{name:34} median {statistics.median(wall_ratios):6.2f}x wall"
        f"  (ratio of medians {statistics.median(default.wall) / statistics.median(floor.wall):.2f}x)"
        f"  cpu median {statistics.median(cpu_ratios):6.2f}x"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=5, help="runs per command (default 5)")
    runs = parser.parse_args().runs
    if not _adopt_orphans():
        print("bench: no subreaper here: CPU figures miss Node.js after a fast exit", file=sys.stderr)
    with tempfile.TemporaryDirectory(prefix="podnet-bench-") as scratch:
        synths = {
            "cdk synth (default app)": [*SYNTH, "--output", f"{scratch}/default"],
            "cdk synth (floor app)": _floor_synth(f"{scratch}/floor"),
            "cdk synth (floor, podnet's exit)": _floor_synth(f"{scratch}/floor-exit", "--exit-like-podnet"),
        }
        timings = {name: Timings() for name in synths}
        for index in range(runs):
            # Rotate which goes first, so none always runs on a warmer (or busier) machine.
            order = list(synths)[index % len(synths) :] + list(synths)[: index % len(synths)]
            for name in order:
                run(synths[name], timings[name])
    default, floor, floor_exit = timings.values()
    for name, timing in timings.items():
        print(timing.line(name))
    print(_ratio_line("default / floor", default, floor))
    print(_ratio_line("default / floor (same exit)", default, floor_exit))
    for name, command in {
        "podnet plan": [str(VENV_BIN / "podnet"), "plan"],
        "podnet max-pods m5.large": [str(VENV_BIN / "podnet"), "max-pods", "m5.large"],
    }.items():
        timing = Timings()
        for _ in range(runs):
            run(command, timing)
        print(timing.line(name))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
