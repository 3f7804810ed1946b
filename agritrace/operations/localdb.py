"""The project-local PostGIS cluster under `.data/` used by `make run` and `make test`.

It never touches the system cluster: its own data directory, its own port
(5544, or a free one if another server holds it, unless
AGRITRACE_PGPORT says otherwise), loopback only, a generated
password. When DATABASE_URL is set, no local cluster is started and that
database is prepared instead.

Usage: python -m agritrace.operations.localdb up|stop|url
"""
from __future__ import annotations

import glob
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DATA = Path(os.environ.get("AGRITRACE_DATA_DIR", ROOT / ".data"))
PGDATA = DATA / "pg"
PASSWORD_FILE = DATA / "pg-password"
LOG_FILE = DATA / "pg.log"
PORT_FILE = DATA / "pg-port"
DEFAULT_PORT = 5544
USER = "agritrace"
DATABASE = "agritrace"


def _bindir() -> Path:
    """The newest installed PostgreSQL server binaries (Debian keeps them off PATH)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                   key=lambda p: int(Path(p).parent.parent.name))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).parent
    sys.exit("PostgreSQL server binaries not found: install postgresql-15 and postgresql-15-postgis-3")


def _as_owner() -> list[str]:
    """PostgreSQL refuses to run as root, so root runs it as the `postgres` user."""
    return ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []


def _pg(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run([*_as_owner(), str(_bindir() / args[0]), *args[1:]],
                          check=check, capture_output=True, text=True)


def password() -> str:
    return PASSWORD_FILE.read_text().strip()


def port() -> int:
    """The cluster's port: AGRITRACE_PGPORT, else the one chosen at initialisation."""
    if os.environ.get("AGRITRACE_PGPORT"):
        return int(os.environ["AGRITRACE_PGPORT"])
    return int(PORT_FILE.read_text()) if PORT_FILE.exists() else DEFAULT_PORT


def _port_free(number: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", number)) != 0


def _choose_port() -> int:
    """5544 unless another server (another checkout's cluster, say) holds it."""
    if os.environ.get("AGRITRACE_PGPORT") or _port_free(DEFAULT_PORT):
        return port()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def local_url(database: str = DATABASE) -> str | None:
    """The URL of the local cluster, or None when it was never initialised."""
    if not PASSWORD_FILE.exists():
        return None
    return f"postgresql+psycopg://{USER}:{password()}@127.0.0.1:{port()}/{database}"


def server_url(database: str = DATABASE) -> str:
    """DATABASE_URL when set, else the local cluster's URL."""
    url = os.environ.get("DATABASE_URL") or local_url(database)
    if not url:
        sys.exit("No database: set DATABASE_URL or run "
                 "`python -m agritrace.operations.localdb up`.")
    return url


def _init() -> None:
    DATA.mkdir(parents=True, exist_ok=True)
    if (PGDATA / "PG_VERSION").exists():
        return
    if not PASSWORD_FILE.exists():
        PASSWORD_FILE.write_text(secrets.token_urlsafe(24) + "\n")
        PASSWORD_FILE.chmod(0o600)
    PGDATA.mkdir(mode=0o700, exist_ok=True)
    pwfile = DATA / "pg-initpw"
    pwfile.write_text(password() + "\n")
    if os.geteuid() == 0:
        pg = pwd.getpwnam("postgres")
        for path in (PGDATA, pwfile):
            os.chown(path, pg.pw_uid, pg.pw_gid)
        # postgres must be able to reach .data/ to open its own directory.
        DATA.chmod(0o711)
        if subprocess.run(["runuser", "-u", "postgres", "--", "test", "-x", str(DATA)]
                          ).returncode != 0:
            sys.exit(f"The postgres user cannot reach {DATA}: put the project where every "
                     "user may pass through its parent folders, or set DATABASE_URL.")
    try:
        _pg("initdb", "-D", str(PGDATA), "-U", USER, f"--pwfile={pwfile}", "-E", "UTF8",
            "--locale=C.UTF-8", "--auth-local=scram-sha-256", "--auth-host=scram-sha-256")
    finally:
        pwfile.unlink()
    chosen = _choose_port()
    PORT_FILE.write_text(f"{chosen}\n")
    with open(PGDATA / "postgresql.auto.conf", "a") as conf:
        conf.write(f"port = {chosen}\nlisten_addresses = '127.0.0.1'\n"
                   "unix_socket_directories = ''\n"
                   "max_connections = 200\nshared_buffers = '256MB'\n")


def _running() -> bool:
    return _pg("pg_ctl", "status", "-D", str(PGDATA), check=False).returncode == 0


def _start() -> None:
    if _running():
        return
    if os.geteuid() == 0 and not LOG_FILE.exists():
        LOG_FILE.touch()
        pg = pwd.getpwnam("postgres")
        os.chown(LOG_FILE, pg.pw_uid, pg.pw_gid)
    if not _port_free(port()):
        sys.exit(f"Port {port()} is taken by another server, so the local PostGIS cannot "
                 f"start: stop that server, or set AGRITRACE_PGPORT to a free port.")
    result = _pg("pg_ctl", "start", "-w", "-t", "60", "-D", str(PGDATA), "-l", str(LOG_FILE),
                 "-o", f"-p {port()}", check=False)
    if result.returncode != 0:
        tail = LOG_FILE.read_text()[-2000:] if LOG_FILE.exists() else ""
        sys.exit(f"PostgreSQL did not start:\n{result.stdout}{result.stderr}\n{tail}")


def _connect(url: str, **kwargs):
    import psycopg  # only the prepared virtualenv has it
    return psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), **kwargs)


def ensure_database(name: str, template_url: str) -> None:
    """Create database `name` on the server of `template_url` if missing, with PostGIS."""
    admin_url = template_url.rsplit("/", 1)[0] + "/postgres"
    for attempt in range(30):
        try:
            with _connect(admin_url, autocommit=True) as conn:
                exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s",
                                      (name,)).fetchone()
                if not exists:
                    conn.execute(f'CREATE DATABASE "{name}"')
            break
        except Exception as exc:  # the server may still be coming up
            if attempt == 29:
                raise SystemExit(f"Cannot reach PostgreSQL: {exc}")
            time.sleep(1)
    with _connect(template_url.rsplit("/", 1)[0] + f"/{name}", autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")


def drop_database(name: str, template_url: str) -> None:
    admin_url = template_url.rsplit("/", 1)[0] + "/postgres"
    with _connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def up() -> str:
    """Make the application database ready and return its URL."""
    if os.environ.get("DATABASE_URL"):
        url = os.environ["DATABASE_URL"]
        with _connect(url, autocommit=True) as conn:
            conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")
        return url
    _init()
    _start()
    url = local_url()
    ensure_database(DATABASE, url)
    return url


def stop() -> None:
    if (PGDATA / "PG_VERSION").exists() and _running():
        _pg("pg_ctl", "stop", "-m", "fast", "-D", str(PGDATA))
        print("Local PostGIS stopped.")
    else:
        print("Local PostGIS is not running.")


def main(argv: list[str]) -> None:
    command = argv[1] if len(argv) > 1 else "up"
    if command == "up":
        up()
        where = "DATABASE_URL" if os.environ.get("DATABASE_URL") else f"127.0.0.1:{port()}"
        print(f"PostGIS ready ({where}).")
    elif command == "stop":
        stop()
    elif command == "url":
        print(server_url())
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
