"""A throwaway, migrated database for one benchmark run, on the local PostGIS that
`make test` set up; dropped afterwards."""
from __future__ import annotations

import os
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask import Flask  # noqa: E402

from agritrace import create_app  # noqa: E402
from agritrace.operations import localdb  # noqa: E402
from agritrace.db import EXTENSION  # noqa: E402


@contextmanager
def bench_app(purpose: str) -> Iterator[tuple[Flask, str]]:
    """An app bound to a fresh database `agritrace_bench_<purpose>_<pid>`, and its URL."""
    import flask_migrate
    localdb.up()
    name = f"agritrace_bench_{purpose}_{os.getpid()}"
    base = localdb.server_url()
    localdb.drop_database(name, base)
    localdb.ensure_database(name, base)
    url = base.rsplit("/", 1)[0] + f"/{name}"
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "CLI_LOCALE": "en"})
    try:
        with app.app_context():
            flask_migrate.upgrade()
        yield app, url
    finally:
        app.extensions[EXTENSION].kw["bind"].dispose()
        localdb.drop_database(name, base)


def world(app: Flask) -> tuple[int, int]:
    """An approved cooperative and an official in Tây Ninh, with its code template;
    returns (organization id, official's user id)."""
    from agritrace.db import transaction
    from agritrace.models import (CodeKind, CodeTemplate, OrgKind, Organization, OrgStatus,
                                  Role)
    from agritrace.services import accounts
    with app.app_context():
        with transaction() as s:
            org = Organization(kind=OrgKind.COOPERATIVE, name="HTX Bench",
                               tax_code="9999999999", address="", province_code=80,
                               status=OrgStatus.APPROVED)
            s.add(org)
            s.add(CodeTemplate(province_code=80, kind=CodeKind.GROWING_AREA, prov="TN",
                               kind_letters="OR"))
            s.flush()
            user = accounts.create_user(None, email="bench@agritrace.test",
                                        password="bench-password-42", full_name="Bench",
                                        role=Role.OFFICIAL, province_code=80, system=True)
            return org.id, user.id
