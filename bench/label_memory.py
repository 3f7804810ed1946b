"""Peak memory and time to print a run of 1,000,000 stamps as a4-5x13 label sheets
(a ZIP of PDFs of 250 pages each, `labels.sheets.write_pdf_zip`), into a temporary
file. Records are made as the writer asks for them, as the app streams them: random
ids, grouped codes, GS1 Digital Link URLs with a GTIN and a lot holding characters
that need escaping, a Vietnamese product name. Goal: peak RSS ≤ 500 MB.

    .venv/bin/python bench/label_memory.py [--labels N] [--template NAME]
"""
from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Iterator

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from labels.codes import format_code, new_stamp_ids  # noqa: E402
from labels.digital_link import stamp_url  # noqa: E402
from labels.sheets import LabelRecord, write_pdf_zip  # noqa: E402

GOAL_MB = 500
BASE = "https://trace.example.vn"
GTIN = "9520123456788"
LOT = "TL-2024/07"
PRODUCT = "Thanh long ruột đỏ Bình Thuận"
REPORT_EVERY = 100_000


def rss_mb() -> float | None:
    """Resident memory now, where /proc tells it."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def peak_rss_mb() -> float:
    # ru_maxrss is in KiB on Linux, bytes on macOS.
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def records(n: int, started: float) -> Iterator[LabelRecord]:
    for i, stamp_id in enumerate(new_stamp_ids(n), 1):
        yield LabelRecord(code=format_code(stamp_id),
                          url=stamp_url(BASE, stamp_id, gtin=GTIN, lot=LOT),
                          product=PRODUCT, lot=LOT)
        if i % REPORT_EVERY == 0:
            now = rss_mb()
            memory = f", RSS {now:.0f} MB" if now is not None else ""
            print(f"  {i:>9,} labels read: {time.perf_counter() - started:6.0f} s{memory}",
                  flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--labels", type=int, default=1_000_000)
    parser.add_argument("--template", default="a4-5x13")
    args = parser.parse_args()
    print(f"before: peak RSS {peak_rss_mb():.0f} MB (interpreter and libraries)")
    started = time.perf_counter()
    with tempfile.TemporaryFile() as out:
        summary = write_pdf_zip(records(args.labels, started), out, args.template)
        size = out.tell()
    elapsed = time.perf_counter() - started
    peak = peak_rss_mb()
    print(f"wrote {len(summary.files)} PDF files, {summary.pages:,} pages, "
          f"{size / 1e6:,.0f} MB ({size / max(summary.labels, 1):.0f} bytes a label)")
    verdict = "met" if peak <= GOAL_MB else "missed"
    print(f"label PDF, {summary.labels:,} labels: peak RSS {peak:.0f} MB in {elapsed:.0f} s "
          f"({summary.labels / elapsed:,.0f} labels/s) — goal ≤ {GOAL_MB} MB: {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
