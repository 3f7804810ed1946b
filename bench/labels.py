"""Label PDFs on both cores: 10,000 labels split into two halves, each half written
by its own process as its own PDF (`labels.sheets.write_pdf`, a4-3x8, the app's default
template), the way a run's print file is made: a record per stamp built as it is read
(grouped code, GS1 Digital Link with GTIN, lot, serial and expiry from `stamp_url`,
a Vietnamese product name), QR symbols as vectors. The clock runs from starting the
two processes to both PDFs written (to temporary files). Median of RUNS.
Goal: ≥ 1,000 labels/s.

Also: peak RSS (getrusage of this process and of its children) writing 100,000 labels
the same way, each half a ZIP of PDF parts (`write_pdf_zip`: 50,000 labels are past
one PDF's page cap); and zxing-cpp's C++ encoder (`create_barcode`, level M) encoding
the same URLs on both cores, symbols only, no PDF — the practical limit — beside
our own encoder alone (`labels.qr.qr_matrices`), and where one core's time goes.
"""
from __future__ import annotations

import multiprocessing
import os
import resource
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Callable, Iterator

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from labels.codes import format_code, new_stamp_ids  # noqa: E402
from labels.digital_link import stamp_url  # noqa: E402
from labels.fonts import label_fonts  # noqa: E402
from labels.qr import qr_matrices, qr_paths  # noqa: E402
from labels.sheets import LabelRecord, write_pdf, write_pdf_zip  # noqa: E402
from labels.templates import get_template  # noqa: E402

LABELS = 10_000
BIG = 100_000
RUNS = 3
WORKERS = 2
GOAL = 1_000
TEMPLATE = "a4-3x8"
BASE = "https://trace.example.vn"
GTIN = "9520123456788"
LOT = "TL-2024/07"
EXPIRY = date(2025, 3, 31)
PRODUCT = "Thanh long ruột đỏ Bình Thuận"


def records(ids: list[int]) -> Iterator[LabelRecord]:
    """As agritrace.services.stamp_prints.label_records makes them."""
    for stamp_id in ids:
        yield LabelRecord(code=format_code(stamp_id),
                          url=stamp_url(BASE, stamp_id, gtin=GTIN, lot=LOT, expiry=EXPIRY),
                          product=PRODUCT, lot=LOT)


def mb(kib: int) -> float:
    return kib / 1024   # ru_maxrss is in KiB on Linux


def write_part(ids: list[int], path: str, zipped: bool) -> dict:
    with open(path, "wb") as out:
        if zipped:
            pages = write_pdf_zip(records(ids), out, TEMPLATE).pages
        else:
            pages = write_pdf(records(ids), out, TEMPLATE)
        size = out.tell()
    with open(path, "rb") as done:
        assert done.read(4) == (b"PK\x03\x04" if zipped else b"%PDF"), path
    return {"labels": len(ids), "pages": pages, "bytes": size}


def zxing_part(urls: list[str], _path: str, _zipped: bool) -> dict:
    import zxingcpp
    qr = zxingcpp.BarcodeFormat.QRCode
    for url in urls:
        zxingcpp.create_barcode(url, qr, ec_level="M")
    return {"labels": len(urls)}


def ours_encoding_part(urls: list[str], _path: str, _zipped: bool) -> dict:
    qr_matrices(urls)
    return {"labels": len(urls)}


def _child(queue, job: Callable, items: list, path: str, zipped: bool) -> None:
    try:
        result = job(items, path, zipped)
        result["peak_mb"] = mb(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
        queue.put(result)
    except BaseException as exc:  # reported by the parent
        queue.put({"error": repr(exc)})
        raise


def on_both_cores(job: Callable, items: list, folder: str, zipped: bool = False,
                  ) -> tuple[float, list[dict]]:
    """Seconds from starting WORKERS processes (forked: the libraries, fonts and QR
    tables are already loaded, as in a running app) to all of them done, each doing
    `job` on its share of `items`; and what each reported."""
    context = multiprocessing.get_context("fork")
    queue = context.SimpleQueue()
    share = -(-len(items) // WORKERS)
    started = time.perf_counter()
    processes = [context.Process(target=_child, args=(
        queue, job, items[i * share:(i + 1) * share],
        os.path.join(folder, f"part-{i + 1}.{'zip' if zipped else 'pdf'}"), zipped))
        for i in range(WORKERS)]
    for process in processes:
        process.start()
    results = [queue.get() for _ in processes]
    for process in processes:
        process.join()
    elapsed = time.perf_counter() - started
    errors = [r["error"] for r in results if "error" in r]
    assert not errors and all(p.exitcode == 0 for p in processes), errors
    assert sum(r["labels"] for r in results) == len(items)
    return elapsed, results


def one_core_breakdown(ids: list[int], folder: str) -> dict[str, float]:
    """Where one process's time goes on its half: building the records, encoding the
    QR symbols as PDF path data page by page (as write_pdf does), and the whole PDF."""
    out = {}
    started = time.perf_counter()
    built = list(records(ids))
    out["records"] = time.perf_counter() - started
    per_page = get_template(TEMPLATE).per_page
    started = time.perf_counter()
    for start in range(0, len(built), per_page):
        qr_paths([r.url for r in built[start:start + per_page]])
    out["QR symbols as paths"] = time.perf_counter() - started
    started = time.perf_counter()
    with open(os.path.join(folder, "one-core.pdf"), "wb") as handle:
        write_pdf(records(ids), handle, TEMPLATE)
    out["whole PDF"] = time.perf_counter() - started
    return out


def main() -> int:
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as folder:
        # Warm up as a running app is: fonts loaded, QR tables of the versions built.
        label_fonts(None)
        with open(os.path.join(folder, "warm.pdf"), "wb") as handle:
            write_pdf(records(list(new_stamp_ids(200))), handle, TEMPLATE)

        # 100,000 labels first, so that the children's peak is theirs alone.
        big_ids = list(new_stamp_ids(BIG))
        big_s, big = on_both_cores(write_part, big_ids, folder, zipped=True)
        self_peak = mb(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
        child_peak = mb(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
        print(f"{BIG:,} labels ({TEMPLATE}, two processes, each a ZIP of PDFs of "
              f"{BIG // WORKERS:,} labels): {big_s:.1f} s, {BIG / big_s:,.0f} labels/s, "
              f"{sum(r['pages'] for r in big):,} pages, "
              f"{sum(r['bytes'] for r in big) / 1e6:.0f} MB")
        print(f"  peak RSS: this process {self_peak:.0f} MB, largest child "
                f"{child_peak:.0f} MB (children "
              + ", ".join(f"{r['peak_mb']:.0f} MB" for r in big)
              + f"); together at most {self_peak + sum(r['peak_mb'] for r in big):.0f} MB "
              "(forked children share pages with the parent)")
        del big_ids

        ids = list(new_stamp_ids(LABELS))
        urls = [stamp_url(BASE, i, gtin=GTIN, lot=LOT, expiry=EXPIRY) for i in ids]
        ours, zx, enc = [], [], []
        for run in range(RUNS):
            seconds, parts = on_both_cores(write_part, ids, folder)
            ours.append(seconds)
            zx.append(on_both_cores(zxing_part, urls, folder)[0])
            enc.append(on_both_cores(ours_encoding_part, urls, folder)[0])
            print(f"run {run + 1}: {LABELS:,} labels in {seconds:.2f} s "
                  f"({LABELS / seconds:,.0f} labels/s; "
                  + " + ".join(f"{r['pages']} pages, {r['bytes'] / 1e6:.1f} MB" for r in parts)
                  + f"); zxing-cpp encodes them in {zx[-1]:.2f} s, our encoder alone in "
                    f"{enc[-1]:.2f} s", flush=True)
        breakdown = one_core_breakdown(ids[:LABELS // WORKERS], folder)

    rate = LABELS / statistics.median(ours)
    zx_rate = LABELS / statistics.median(zx)
    enc_rate = LABELS / statistics.median(enc)
    print(f"zxing-cpp {_zxing_version()} create_barcode(…, QRCode, ec_level='M'), encoding "
          f"only, two processes: {zx_rate:,.0f} symbols/s; our encoder alone "
          f"(qr_matrices): {enc_rate:,.0f} symbols/s")
    print(f"ours / zxing: {rate / zx_rate:.2f} (whole labels as PDF against bare symbols)")
    print(f"one core, {LABELS // WORKERS:,} labels: " +
          ", ".join(f"{k} {v:.2f} s" for k, v in breakdown.items()) +
          " (the whole PDF includes the records and the symbols; the rest is drawing, "
          "compressing and writing)")
    print(f"load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after (2 cores)")
    verdict = "met" if rate >= GOAL else "missed"
    print(f"{LABELS:,}-label PDF on 2 cores: {rate:,.0f} labels/s ({rate / GOAL:.1f} × the "
          f"goal; two processes, one {TEMPLATE} PDF of {LABELS // WORKERS:,} each; median "
          f"of {RUNS}) — goal ≥ {GOAL:,} labels/s: {verdict}")
    return 0


def _zxing_version() -> str:
    from importlib.metadata import version
    return version("zxing-cpp")


if __name__ == "__main__":
    raise SystemExit(main())
