"""Reports (phản ánh) from consumers about a stamp or a product, and the queue in
which the officials of the batch's province handle them."""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import func, select

from labels import codes

from .. import permissions
from ..db import session, transaction
from ..errors import Conflict
from ..models import (Batch, Organization, Product, Report, ReportStatus, Role, Scan, Stamp,
                      StampRun, User)
from ..models.scans import ReportReason
from . import audit, previews
from .scans import Client, hit

FIELDS = ("status", "resolution", "handled_by")
HISTORY_LIMIT = 100  # scans shown with a report; the total is counted


def submit_report(who: Client, *, reason: ReportReason, message: str,
                  contact: str | None = None, stamp_id: int | None = None,
                  gtin: str | None = None, lot: str | None = None) -> Report:
    """File a consumer's report. It goes to the province of the stamp's batch, or of
    the product whose GTIN the link carried when the code is unknown (a counterfeit
    of that producer's goods); with neither, to the administrators. Rate-limited per
    client; the client is kept only as its daily hash."""
    with transaction() as s:
        refused = hit(s, "report", who.hash)
        if refused is None:
            batch_id, province = _target(s, stamp_id, gtin, lot)
            known = stamp_id is not None and s.get(Stamp, stamp_id) is not None
            report = Report(stamp_id=stamp_id if known else None,
                            stamp_code=codes.format_code(stamp_id) if stamp_id else None,
                            batch_id=batch_id, province_code=province, reason=reason,
                            message=message, contact=contact or None, client_hash=who.hash,
                            status=ReportStatus.NEW)
            s.add(report)
            s.flush()
    if refused is not None:
        raise refused
    return report


def _target(s, stamp_id: int | None, gtin: str | None, lot: str | None):
    """(batch id, province code) a report is about, as far as they can be known."""
    if stamp_id is not None:
        found = s.execute(
            select(Batch.id, Organization.province_code)
            .join(StampRun, StampRun.batch_id == Batch.id)
            .join(Stamp, Stamp.run_id == StampRun.id)
            .join(Organization, Organization.id == Batch.organization_id)
            .where(Stamp.id == stamp_id)).first()
        if found is not None:
            return tuple(found)
    if gtin:
        product = s.execute(select(Product.id, Organization.province_code)
                            .join(Organization, Organization.id == Product.organization_id)
                            .where(Product.gtin == gtin)).first()
        if product is not None:
            batch_id = s.scalar(select(Batch.id).where(Batch.product_id == product.id,
                                                       Batch.lot_code == lot)) if lot else None
            return batch_id, product.province_code
    return None, None


def _officials_only(actor: User | None) -> User:
    return permissions.require_role(actor, Role.OFFICIAL, Role.ADMIN)


def list_reports(actor: User | None, *, status: ReportStatus | None = None, offset: int = 0,
                 limit: int = 20) -> tuple[list[Report], int]:
    """The reports of the official's province (an admin's: all, and those that reached
    no province), newest first."""
    user = _officials_only(actor)
    where = []
    if user.role == Role.OFFICIAL:
        where.append(Report.province_code == user.province_code)
    if status is not None:
        where.append(Report.status == status)
    s = session()
    total = s.scalar(select(func.count()).select_from(Report).where(*where))
    rows = s.scalars(select(Report).where(*where).order_by(Report.id.desc())
                     .offset(offset).limit(limit))
    return list(rows), total


@dataclass(frozen=True)
class ReportFile:
    """A report with what the official needs to judge it."""
    report: Report
    stamp: Stamp | None
    run: StampRun | None
    batch: Batch | None
    scans: list[Scan]
    scan_total: int
    # Link previews and other robots' visits of the stamp's page, counted apart.
    previews: previews.Previews | None = None


def get_report(actor: User | None, report_id: int) -> ReportFile:
    s = session()
    report = permissions.fetch(s, _officials_only(actor), Report, report_id, "report")
    stamp = s.get(Stamp, report.stamp_id) if report.stamp_id else None
    run = s.get(StampRun, stamp.run_id) if stamp else None
    batch = s.get(Batch, report.batch_id) if report.batch_id else None
    scans, total = [], 0
    if stamp is not None:
        total = s.scalar(select(func.count()).select_from(Scan)
                         .where(Scan.stamp_id == stamp.id))
        scans = list(s.scalars(select(Scan).where(Scan.stamp_id == stamp.id)
                               .order_by(Scan.scanned_at.desc(), Scan.id.desc())
                               .limit(HISTORY_LIMIT)))
    seen_by_robots = previews.of_stamp(s, stamp.id) if stamp is not None else None
    return ReportFile(report, stamp, run, batch, scans, total, seen_by_robots)


def set_report_status(actor: User | None, report_id: int, status: ReportStatus,
                      resolution: str | None = None) -> Report:
    """Move a report to in review, resolved or dismissed (audited)."""
    user = _officials_only(actor)
    if status == ReportStatus.NEW:
        raise Conflict(_("A report cannot be made new again."))
    with transaction() as s:
        report = permissions.fetch(s, user, Report, report_id, "report", write=True,
                                   lock=True)
        if report.status == status and (resolution or None) == report.resolution:
            raise Conflict(_("Nothing to change: the report already has this status."))
        before = audit.snapshot(report, FIELDS)
        report.status, report.handled_by = status, user.id
        if resolution is not None:
            report.resolution = resolution or None
        s.flush()
        audit.record(s, user, "report", report.id, status.value, before,
                     audit.snapshot(report, FIELDS))
    return report
