"""Backups on a real PostGIS: the demo data and a product photo (kept in the database),
with photos left on disk from before uploads moved there, are backed up, restored into
fresh databases and compared row for row; damaged backups are refused and leave the
target as it was."""
import io
import json
import os
import shutil

import psycopg
import pytest
from PIL import Image
from sqlalchemy import select

from agritrace import create_app
from agritrace.operations import archive, backup, restore
from agritrace.services import stored_files
from agritrace.db import EXTENSION
from support import drop, make_database


def _libpq(url):
    return url.replace("postgresql+psycopg://", "postgresql://")


def fingerprint(url) -> dict:
    """Everything a restore must bring back: per table the row count and a checksum of
    its rows in a fixed order (geometries included, as hex EWKB), each geometry
    column's checksum and validity, the sequences' positions, the indexes and
    constraints, and the answer of a query that goes through a GiST index."""
    with psycopg.connect(_libpq(url)) as conn:
        tables = {}
        for name in archive.table_names(conn):
            tables[name] = conn.execute(
                f'SELECT count(*), md5(coalesce(string_agg(t::text, \'\' ORDER BY t::text),'
                f' \'\')) FROM public."{name}" t').fetchone()
        geometries = {}
        for table, column, srid, kind in conn.execute(
                "SELECT f_table_name, f_geometry_column, srid, type FROM geometry_columns "
                "WHERE f_table_schema = 'public' ORDER BY 1, 2").fetchall():
            geometries[f"{table}.{column}"] = (srid, kind) + conn.execute(
                f'SELECT count("{column}"), count(*) FILTER (WHERE ST_IsValid("{column}")),'
                f' md5(coalesce(string_agg(ST_AsEWKB("{column}")::text, \'\' ORDER BY'
                f' ST_AsEWKB("{column}")::text), \'\')), round(sum(ST_Area("{column}"::'
                f'geography))) FROM public."{table}"').fetchone()
        sequences = conn.execute("SELECT sequencename, last_value FROM pg_sequences "
                                 "WHERE schemaname = 'public' ORDER BY 1").fetchall()
        # Structure, not definitions' text: PostgreSQL words an `IN (…)` predicate
        # differently once it has gone through a dump, meaning the same.
        indexes = conn.execute(
            "SELECT c.relname, i.indrelid::regclass::text, am.amname, i.indisunique,"
            " i.indkey::text, i.indpred IS NOT NULL FROM pg_index i"
            " JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am am ON am.oid = c.relam"
            " WHERE c.relnamespace = 'public'::regnamespace ORDER BY 1").fetchall()
        constraints = conn.execute(
            "SELECT conrelid::regclass::text, conname, contype, conkey::text,"
            " confrelid::regclass::text, confkey::text FROM pg_constraint"
            " WHERE connamespace = 'public'::regnamespace ORDER BY 1, 2").fetchall()
        conn.execute("SET enable_seqscan = off")
        near_tay_ninh = conn.execute(
            "SELECT array_agg(id ORDER BY id) FROM growing_areas WHERE geom && "
            "ST_MakeEnvelope(105.8, 10.9, 106.5, 11.8, 4326)").fetchone()[0]
    return {"tables": tables, "geometries": geometries, "sequences": sequences,
            "indexes": indexes, "constraints": constraints, "near_tay_ninh": near_tay_ninh}


def files(folder) -> dict:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def photo() -> bytes:
    image = Image.new("RGB", (800, 600), (30, 140, 60))
    image.paste((230, 40, 90), (0, 0, 400, 300))
    out = io.BytesIO()
    image.save(out, "JPEG")
    return out.getvalue()


def close(app):
    app.extensions[EXTENSION].kw["bind"].dispose()


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    """A database with the demo data and a product photo, and a backup of both."""
    from agritrace.models import Product, User
    from agritrace.seed import demo
    from agritrace.services import product_photos
    root = tmp_path_factory.mktemp("backup")
    url = make_database("bk_src")
    uploads = root / "uploads"
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "test", "UPLOAD_DIR": str(uploads)})
    with app.app_context():
        assert demo.load()
        from agritrace.db import session
        producer = session().scalar(select(User).where(User.email == demo.LOGINS[2][0]))
        product = session().scalar(select(Product).where(
            Product.organization_id == producer.organization_id))
        product_photos.set_product_photo(producer, product.id, photo(), "farm.jpg")
        stored = {name: stored_files.read(session(), name)
                  for name in stored_files.listed(session(), "products/")}
        # A photo still on the disk from before uploads moved into the database (until
        # `flask files import` loads it), which the backup must keep too.
        (uploads / "products").mkdir(parents=True)
        for name in ("L" * 32 + ".jpg", "L" * 32 + "-thumb.jpg"):
            (uploads / "products" / name).write_bytes(photo())
        folder = backup.make_backup(root / "backups")
    close(app)
    assert len(stored) == 2, "the photo and its thumbnail should be stored in the database"
    assert len(files(uploads)) == 2, "the older photo's files should be on the disk"
    yield {"url": url, "uploads": uploads, "backup": folder, "root": root, "stored": stored,
           "fingerprint": fingerprint(url)}
    drop(url)


@pytest.fixture
def fresh():
    """An empty, migrated database, dropped afterwards."""
    url = make_database("bk_fresh")
    yield url
    drop(url)


def test_the_backup_folder_holds_a_dump_the_uploads_and_a_manifest(source):
    folder = source["backup"]
    assert folder.parent == source["root"] / "backups"
    assert folder.name.startswith("agritrace-")
    assert sorted(p.name for p in folder.iterdir()) == \
        ["database.dump", "manifest.json", "uploads.tar"]
    assert all(oct(p.stat().st_mode)[-3:] == "600" for p in folder.iterdir())
    assert not list(folder.parent.glob(".partial-*"))
    manifest = json.loads((folder / "manifest.json").read_text())
    counts = {name: count for name, (count, _md5) in source["fingerprint"]["tables"].items()}
    assert manifest["row_counts"] == counts
    assert manifest["row_counts"]["growing_areas"] == 33
    assert "spatial_ref_sys" not in manifest["row_counts"]
    assert len(manifest["revision"]) > 0 and manifest["created_at"]
    assert set(manifest["uploads"]) == set(files(source["uploads"]))
    assert set(manifest["stored_files"]) == set(source["stored"])
    assert (folder / "database.dump").read_bytes()[:5] == b"PGDMP"


def test_a_restore_into_an_empty_database_gives_back_every_row_geometry_and_file(
        source, fresh, tmp_path):
    restored_uploads = tmp_path / "restored-uploads"
    said = []
    restore.restore_backup(source["backup"], fresh, upload_dir=restored_uploads,
                          echo=said.append)

    assert fingerprint(fresh) == source["fingerprint"]
    assert files(restored_uploads) == files(source["uploads"])
    assert any("Verified" in line for line in said)
    app = create_app({"DATABASE_URL": fresh, "SECRET_KEY": "test"})
    try:
        with app.app_context():
            from agritrace.db import session
            assert {name: stored_files.read(session(), name)
                    for name in source["stored"]} == source["stored"]
    finally:
        close(app)


def test_a_stored_file_cut_short_after_the_backup_fails_the_check(source, fresh, tmp_path):
    restore.restore_backup(source["backup"], fresh, upload_dir=tmp_path / "u")
    with psycopg.connect(_libpq(fresh), autocommit=True) as conn:
        conn.execute("DELETE FROM stored_file_chunks WHERE file_id = "
                     "(SELECT min(id) FROM stored_files)")
        conn.execute("INSERT INTO stored_file_chunks (file_id, seq, data) "
                     "SELECT min(id), 0, '\\x00'::bytea FROM stored_files")
    with pytest.raises(archive.BackupError, match="stored file products/.* differs"):
        archive.verify(source["backup"], fresh)


def test_make_restore_into_a_new_database_through_the_cli(source, tmp_path):
    name = f"agritrace_test_{os.getpid()}_bk_into"
    target = source["url"].rsplit("/", 1)[0] + f"/{name}"
    restored_uploads = tmp_path / "uploads"
    app = create_app({"DATABASE_URL": source["url"], "SECRET_KEY": "test",
                      "UPLOAD_DIR": str(restored_uploads)})
    try:
        result = app.test_cli_runner().invoke(
            args=["backup", "restore", str(source["backup"]), "--into", name])
        assert result.exit_code == 0, result.output
        assert f"Database {name} restored" in result.output
        assert fingerprint(target) == source["fingerprint"]
        assert files(restored_uploads) == files(source["uploads"])

        again = app.test_cli_runner().invoke(
            args=["backup", "restore", str(source["backup"]), "--into", name])
        assert again.exit_code != 0
        assert f"Database {name} already exists" in again.output
        assert fingerprint(target) == source["fingerprint"]
    finally:
        close(app)
        drop(target)


def test_the_cli_writes_a_backup_into_the_folder_asked_for(source, tmp_path):
    app = create_app({"DATABASE_URL": source["url"], "SECRET_KEY": "test",
                      "UPLOAD_DIR": str(source["uploads"])})
    try:
        result = app.test_cli_runner().invoke(
            args=["backup", "create", "--dest", str(tmp_path / "nightly")])
    finally:
        close(app)
    assert result.exit_code == 0, result.output
    [folder] = (tmp_path / "nightly").iterdir()
    assert f"Backup written to {folder}" in result.output
    assert archive.verify(folder, source["url"], source["uploads"])["row_counts"] == \
        json.loads((source["backup"] / "manifest.json").read_text())["row_counts"]


def test_a_database_with_data_is_not_overwritten_without_force(source, fresh, tmp_path):
    restore.restore_backup(source["backup"], fresh, upload_dir=tmp_path / "a")
    with psycopg.connect(_libpq(fresh), autocommit=True) as conn:
        conn.execute("DELETE FROM scans")  # nothing to lose there; make the target differ
        conn.execute("UPDATE products SET name = name || ' (changed)'")
    before = fingerprint(fresh)

    with pytest.raises(archive.BackupError, match="already has data .* FORCE=1"):
        restore.restore_backup(source["backup"], fresh, upload_dir=tmp_path / "b")
    assert fingerprint(fresh) == before
    assert not (tmp_path / "b").exists()

    restore.restore_backup(source["backup"], fresh, upload_dir=tmp_path / "b", force=True)
    assert fingerprint(fresh) == source["fingerprint"]


def test_an_upload_with_other_bytes_under_the_same_name_is_not_replaced(source, fresh,
                                                                          tmp_path):
    uploads = tmp_path / "uploads"
    shutil.copytree(source["uploads"], uploads)
    [name] = [n for n in files(uploads) if n.endswith("-thumb.jpg")]
    (uploads / name).write_bytes(b"another picture")

    with pytest.raises(archive.BackupError, match="differ from the backup's"):
        restore.restore_backup(source["backup"], fresh, upload_dir=uploads)
    assert (uploads / name).read_bytes() == b"another picture"
    assert all(count == 0 for table, (count, _md5) in fingerprint(fresh)["tables"].items()
               if table not in restore.BOOKKEEPING)


def damaged_copy(source, tmp_path, keep_bytes, update_manifest):
    """A copy of the backup whose dump keeps only its first keep_bytes (or loses the
    last -keep_bytes); with update_manifest the manifest agrees with the damaged
    file, so only pg_restore can notice."""
    folder = tmp_path / "damaged"
    shutil.copytree(source["backup"], folder)
    dump = folder / "database.dump"
    data = dump.read_bytes()
    dump.write_bytes(data[:keep_bytes])
    if update_manifest:
        manifest = json.loads((folder / "manifest.json").read_text())
        manifest["files"]["database.dump"] = archive.sha256(dump)
        (folder / "manifest.json").write_text(json.dumps(manifest))
    return folder


@pytest.fixture
def target(source, fresh, tmp_path):
    """A database holding the demo data, to see whether a failed restore touches it."""
    restore.restore_backup(source["backup"], fresh, upload_dir=tmp_path / "target-uploads")
    with psycopg.connect(_libpq(fresh), autocommit=True) as conn:
        conn.execute("UPDATE organizations SET name = name || ' (newer)'")
    return fresh


def test_a_truncated_dump_is_refused_by_its_checksum(source, target, tmp_path):
    before = fingerprint(target)
    folder = damaged_copy(source, tmp_path, -1000, update_manifest=False)
    with pytest.raises(archive.BackupError,
                       match="database.dump does not match the checksum"):
        restore.restore_backup(folder, target, upload_dir=tmp_path / "u", force=True)
    assert fingerprint(target) == before
    assert not (tmp_path / "u").exists()


# The table of contents (all the DDL) comes first and the rows last: a dump short of
# its last kilobyte still lists, and fails only while the rows are loaded.
@pytest.mark.parametrize("keep_bytes, refusal", [
    (-1000, "The restore failed and was rolled back; database .* is unchanged"),
    (60, "The dump cannot be read"),
])
def test_a_dump_damaged_before_its_checksum_was_taken_is_rolled_back(source, target,
                                                                     tmp_path, keep_bytes,
                                                                     refusal):
    before = fingerprint(target)
    folder = damaged_copy(source, tmp_path, keep_bytes, update_manifest=True)
    with pytest.raises(archive.BackupError, match=refusal):
        restore.restore_backup(folder, target, upload_dir=tmp_path / "u", force=True)
    assert fingerprint(target) == before
    assert not (tmp_path / "u").exists()


def test_a_folder_without_manifest_is_not_a_backup(source, fresh, tmp_path):
    folder = tmp_path / "not-a-backup"
    folder.mkdir()
    shutil.copy(source["backup"] / "database.dump", folder)
    with pytest.raises(archive.BackupError, match="is not a backup: it has no manifest.json"):
        restore.restore_backup(folder, fresh, upload_dir=tmp_path / "u")
