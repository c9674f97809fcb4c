#!/usr/bin/env python3
"""Wall-time benchmark of what users wait for: `cdk synth`, `podnet plan`, `podnet max-pods`.

Run through `make bench` (it sets PATH to the pinned Node 24 and CDK CLI). Speed is measured here, never
asserted in tests, where machine load would make timings flaky.
"""

import argparse
import statistics
import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = ROOT / ".venv" / "bin"


def timed(command: list[str], runs: int) -> list[float]:
    """Seconds per run of ``command`` (output discarded, failure raises)."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, cwd=ROOT, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=3, help="runs per command (default 3)")
    runs = parser.parse_args().runs
    commands = {
        "cdk synth (default app)": ["cdk", "synth", "--quiet", "--no-notices", "--no-version-reporting"],
        "podnet plan": [str(VENV_BIN / "podnet"), "plan"],
        "podnet max-pods m5.large": [str(VENV_BIN / "podnet"), "max-pods", "m5.large"],
    }
    for name, command in commands.items():
        times = timed(command, runs)
        print(f"{name:28} median {statistics.median(times):6.2f} s  min {min(times):6.2f} s  ({runs} runs)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
