"""Wall time of `make test` (the goal: under 5 minutes on a 2-core machine): its
set-up checks, the import contracts and the whole suite on every core. With
`--serial`, the same tests also run in one process (`pytest -p no:xdist`) to compare.
The machine's load average is printed before and after: on shared cores it moves
the figure more than anything in the suite."""
from __future__ import annotations

import argparse
import os
import re
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOAL_S = 300
# The outcomes pytest's closing line counts as tests ("147 subtests passed" is not one).
OUTCOME = re.compile(r"(\d+) (passed|failed|errors?|skipped|xfailed|xpassed)\b")


def cpu_of_children() -> float:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def timed(command: list[str]) -> tuple[float, float, int, str]:
    """Run `command` in the project; (wall seconds, CPU seconds of its processes,
    PostgreSQL's not included; exit code; what it printed)."""
    cpu, started = cpu_of_children(), time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          stdin=subprocess.DEVNULL, text=True)
    return (time.perf_counter() - started, cpu_of_children() - cpu, done.returncode,
            done.stdout)


def summary(output: str) -> tuple[str, int]:
    """pytest's closing line and the number of tests it counts (0 when none)."""
    for line in reversed(output.splitlines()):
        if OUTCOME.search(line) and re.search(r" in [\d.]+s", line):
            return line.strip("= "), sum(int(n) for n, _ in OUTCOME.findall(line))
    return "no pytest summary", 0


def failures(output: str) -> str:
    """pytest's short summary of what failed, or the end of the output when it has none
    (a set-up step or lint-imports failed)."""
    lines = [line for line in output.splitlines() if line.startswith(("FAILED", "ERROR"))]
    return "\n".join(lines) if lines else output[-3000:]


def load() -> str:
    return "/".join(f"{x:.1f}" for x in os.getloadavg())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--serial", action="store_true",
                        help="also run the same tests in one process, for comparison")
    args = parser.parse_args()

    print(f"load average before (1/5/15 min): {load()}", flush=True)
    elapsed, cpu, code, output = timed(["make", "test"])
    line, tests = summary(output)
    print(f"make test (exit {code}): {line}; {cpu:.0f} CPU-seconds in its processes")
    if code != 0:
        print(failures(output))
    comparison = ""
    if args.serial:
        serial, serial_cpu, serial_code, serial_output = timed(
            [str(ROOT / ".venv/bin/pytest"), "-p", "no:xdist", "-p", "no:cacheprovider"])
        serial_line, _ = summary(serial_output)
        print(f"serial pytest (exit {serial_code}): {serial_line}; "
              f"{serial_cpu:.0f} CPU-seconds")
        if serial_code != 0:
            print(failures(serial_output))
        comparison = f", serial pytest {serial:.0f} s: {elapsed / serial:.2f} ×"
    print(f"load average after: {load()}")
    verdict = "met" if elapsed < GOAL_S and code == 0 and tests > 0 else "missed"
    print(f"make test wall time: {elapsed:.0f} s ({tests:,} tests{comparison}) — "
          f"goal < {GOAL_S} s: {verdict}")
    return 0 if code == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
