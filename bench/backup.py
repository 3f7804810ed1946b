"""`make backup` and `make restore` at the size of a province: the demo data, 100,000
issued growing areas (bench/tiles.py's field), a run of 1,000,000 stamps and ten
product photos, backed up with `agritrace.operations.backup.make_backup` (pg_dump custom
format, uploads tar, manifest) and restored with `restore.restore_backup` into a new
database and an empty upload folder, as `make restore RESTORE_DB=…` does.

Every table of the restored database is then compared with the original by its row
count and a hash over its rows' text, and every photo (kept in the database since
migration 0013) by its SHA-256.
Goal: every row and file found, and the restore within 60 s (a province's office
back at work within minutes of deciding to restore).
"""
from __future__ import annotations

import hashlib
import io
import shutil
import sys
import tempfile
import time
from pathlib import Path

import psycopg
from PIL import Image

from benchdb import bench_app
from agritrace.operations import archive, backup, localdb, restore  # noqa: E402

STAMPS = 1_000_000
PHOTOS = 10
GOAL_S = 60.0


def plain(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


def fill(app) -> None:
    """Demo data, the 100,000-area field beside it, a 1,000,000-stamp run, photos."""
    from sqlalchemy import select

    import tiles
    from agritrace.db import session
    from agritrace.models import Batch, BatchStatus, Organization, Product, Role, User
    from agritrace.seed import demo
    from agritrace.services import product_photos, stamp_worker, stamps
    with app.app_context():
        demo.load()
        s = session()
        org_id = s.scalar(select(Organization.id).order_by(Organization.id))
        batch_id = s.scalar(select(Batch.id).where(Batch.status == BatchStatus.OPEN)
                            .order_by(Batch.id))
        product_ids = s.scalars(select(Product.id).order_by(Product.id)).all()
        admin_id = s.scalar(select(User.id).where(User.role == Role.ADMIN))
    tiles.fill(app, org_id)
    with app.app_context():
        order = stamps.order_stamps(None, batch_id, STAMPS, defer=True, system=True)
        stamp_worker.claim_order(order.id)
        stamp_worker.run_order(order.id)
        admin = session().get(User, admin_id)
        for i in range(PHOTOS):
            out = io.BytesIO()
            Image.new("RGB", (1600, 1200), (20 * i, 120, 60)).save(out, "JPEG")
            product_photos.set_product_photo(admin, product_ids[i % len(product_ids)],
                                             out.getvalue(), f"photo-{i}.jpg")


def fingerprint(url: str) -> dict:
    """Every table's row count and a hash over its rows' text."""
    with psycopg.connect(plain(url)) as c:
        tables = [r[0] for r in c.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' "
            "AND table_type = 'BASE TABLE' ORDER BY table_name")]
        return {t: c.execute(f'SELECT count(*), coalesce(sum(hashtext(x::text)::bigint), 0) '
                             f'FROM "{t}" x').fetchone() for t in tables}


def files(folder: Path) -> dict:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def stored(url: str) -> dict:
    """The photos kept in the database (stored_files), by name: SHA-256 of their bytes."""
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        return archive.stored_files(conn)


def main() -> int:
    work = Path(tempfile.mkdtemp(prefix="agritrace-backup-bench-"))
    uploads, restored_uploads = work / "uploads", work / "restored-uploads"
    restored_url = None
    try:
        with bench_app("backup") as (app, url):
            app.config["UPLOAD_DIR"] = str(uploads)
            started = time.perf_counter()
            fill(app)
            print(f"filled in {time.perf_counter() - started:.1f} s")
            original = fingerprint(url)
            rows = sum(n for n, _ in original.values())

            started = time.perf_counter()
            folder = backup.make_backup(work / "backups", database_url=url, upload_dir=uploads)
            backup_s = time.perf_counter() - started
            size_mb = sum(p.stat().st_size for p in folder.iterdir()) / 1e6

            name = f"agritrace_bench_restored_{folder.name[-16:].lower()}"
            restored_url = restore.create_database(name, localdb.server_url())
            started = time.perf_counter()
            restore.restore_backup(folder, restored_url, upload_dir=restored_uploads)
            restore_s = time.perf_counter() - started

            restored = fingerprint(restored_url)
            missing = [t for t in original if restored.get(t) != original[t]]
            photos_ok = stored(url) == stored(restored_url) and stored(url) \
                and files(uploads) == files(restored_uploads)
    finally:
        if restored_url:
            restore.drop_database(restored_url)
        shutil.rmtree(work, ignore_errors=True)

    print(f"{rows:,} rows in {len(original)} tables ({original['stamps'][0]:,} stamps, "
          f"{original['growing_areas'][0]:,} growing areas), {PHOTOS} photos")
    print(f"backup: {backup_s:.1f} s, {size_mb:,.1f} MB (dump, uploads tar, manifest); "
          f"restore into a new database, with its checks: {restore_s:.1f} s")
    print("tables differing after the restore: " + (", ".join(missing) or "none")
          + f"; photos {'identical' if photos_ok else 'DIFFERENT'}")
    met = not missing and photos_ok and restore_s <= GOAL_S
    print(f"restore of a province-sized backup: {restore_s:.1f} s for {rows:,} rows, every "
          f"row {'found' if not missing else 'NOT found'} ({backup_s:.1f} s to back up) — "
          f"goal every row and file back, ≤ {GOAL_S:g} s: {'met' if met else 'missed'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
