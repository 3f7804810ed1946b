"""Print files of a stamp run: PDF label sheets (and the PIN sheet), the print shop's
CSV and a ZIP of SVGs. Written to a temporary file as the stamps stream out of the
database, so a run of a million needs no more memory than a run of a hundred."""
from __future__ import annotations

import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO

from flask import current_app
from flask_babel import gettext as _

from labels import codes, printshop, sheets
from labels.digital_link import stamp_url
from labels.templates import TEMPLATES

from ..db import session, transaction
from ..errors import Conflict, Invalid
from ..models import RunStatus, Stamp, StampRun, User
from . import audit, stamps

FORMATS = ("pdf", "pins-pdf", "csv", "svg-zip")
# Files past this size go to disk; a 1,000,000-label PDF is a few hundred MB.
SPOOL_BYTES = 16 * 1024 * 1024


@dataclass
class PrintFile:
    file: IO[bytes]
    filename: str
    mimetype: str


def template_names() -> list[str]:
    return sorted(TEMPLATES)


def label_records(run: StampRun, *, fetch=None) -> Iterator[sheets.LabelRecord]:
    """The run's labels, in stamp id order, streamed from the database."""
    batch, product = run.batch, run.batch.product
    base = current_app.config["PUBLIC_BASE_URL"]
    fetch = fetch or _stamp_ids
    for stamp_id in fetch(run.id):
        yield sheets.LabelRecord(
            code=codes.format_code(stamp_id),
            url=stamp_url(base, stamp_id, gtin=product.gtin, lot=batch.lot_code,
                          expiry=batch.expiry_date),
            product=product.name, lot=batch.lot_code,
            pin=codes.pin_for(run.pin_key, stamp_id) if run.pin_enabled else None)


def _stamp_ids(run_id: int) -> Iterator[int]:
    from sqlalchemy import select
    result = session().execute(select(Stamp.id).where(Stamp.run_id == run_id)
                               .order_by(Stamp.id).execution_options(yield_per=20_000))
    for (stamp_id,) in result:
        yield stamp_id


def print_file(actor: User | None, run_id: int, fmt: str, template: str = "a4-3x8") -> PrintFile:
    """A print file of the run, for its own organisation or its province's officials.

    Printing is recorded (which format, by whom) on the run and in the audit log."""
    if fmt not in FORMATS:
        raise Invalid(_("Unknown print format %(fmt)s.", fmt=fmt),
                      {"format": [_("One of: %(list)s.", list=", ".join(FORMATS))]})
    if template not in TEMPLATES:
        raise Invalid(_("Unknown label template %(name)s.", name=template),
                      {"template": [_("One of: %(list)s.", list=", ".join(template_names()))]})
    with transaction() as s:
        run = stamps._fetch_run(s, actor, run_id, write=True, lock=True)
        if run.status == RunStatus.VOID:
            raise Conflict(_("This run is void; its stamps must not be printed."))
        if fmt == "pins-pdf" and not run.pin_enabled:
            raise Conflict(_("This run has no scratch-off PINs."))
        name = f"{fmt}:{template}" if fmt in ("pdf", "pins-pdf") else fmt
        if name not in run.print_formats:
            run.print_formats = [*run.print_formats, name]
        audit.record(s, actor, "stamp_run", run.id, "print", after={"format": name})
    out = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)
    records = label_records(run)
    stem = f"stamps-run-{run.id}-{run.batch.lot_code}".replace("/", "-")
    if fmt == "csv":
        printshop.write_csv(records, out)
        result = PrintFile(out, f"{stem}.csv", "text/csv")
    elif fmt == "svg-zip":
        printshop.write_svg_zip(records, out)
        result = PrintFile(out, f"{stem}-svg.zip", "application/zip")
    elif _fits_one_pdf(run, template):
        sheets.write_pdf(records, out, template, pins=fmt == "pins-pdf")
        kind = "pins" if fmt == "pins-pdf" else "labels"
        result = PrintFile(out, f"{stem}-{kind}-{template}.pdf", "application/pdf")
    else:
        # Past a few hundred pages one PDF is unwieldy for a print shop's RIP: parts of
        # PDFs in a ZIP, the PIN sheets beside their labels.
        sheets.write_pdf_zip(records, out, template)
        result = PrintFile(out, f"{stem}-{template}-pdf.zip", "application/zip")
    out.seek(0)
    return result


def _fits_one_pdf(run: StampRun, template: str) -> bool:
    return run.quantity <= sheets.MAX_PAGES * TEMPLATES[template].per_page
