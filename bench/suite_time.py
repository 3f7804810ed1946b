"""Wall time of the whole test suite (the foundation's figure: under 5 minutes on a
2-core machine). Runs pytest exactly as `make test` does, after its set-up."""
from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOAL_S = 300


def main() -> int:
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
                            cwd=ROOT, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    summary = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else "no output"
    print(f"pytest: {summary}")
    verdict = "met" if elapsed < GOAL_S and result.returncode == 0 else "missed"
    print(f"test suite wall time: {elapsed:.0f} s ({elapsed / GOAL_S:.0%} of the 5-minute "
          f"budget) — goal < {GOAL_S} s: {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
