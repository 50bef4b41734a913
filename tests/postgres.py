"""A real, throwaway PostgreSQL server for the tests (a pytest plugin).

Debian's ``postgresql`` package (``system-packages.txt``) provides the binaries under
``/usr/lib/postgresql/<version>/bin``. The session fixture initialises a cluster in a fresh
folder under ``/tmp``, starts it on a free port on 127.0.0.1 and stops and removes it at the
end; under pytest-xdist every worker starts its own. The server refuses to run as root, so
as root its commands run as the ``postgres`` user that the package creates.

Missing binaries fail the tests that need the server: they are never skipped, so that CI
cannot pass without running them.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

#: Where Debian installs the server binaries: ``<version>/bin`` under it.
DEBIAN_ROOT = Path("/usr/lib/postgresql")
#: The unprivileged account the server runs as when the tests run as root.
OS_USER = "postgres"
#: The database superuser ``initdb`` creates (trusted: the server only listens locally).
DB_USER = "postgres"
HOST = "127.0.0.1"
#: The cluster: UTF-8, C locale (the same on every machine), the superuser trusted, and no
#: flushing to disk (a throwaway cluster need not survive a crash).
INITDB_OPTIONS = ("-U", DB_USER, "--auth=trust", "-E", "UTF8", "--no-locale", "--no-sync")
#: Seconds ``pg_ctl`` waits for the server to start or stop.
PG_CTL_TIMEOUT = 120
#: Free ports tried before giving up (another process may take a port between the
#: check and the server's bind).
START_ATTEMPTS = 3


@dataclass(frozen=True)
class PostgresServer:
    """A running server: its port on :data:`HOST`, and fresh databases on demand."""

    port: int
    data_dir: Path
    user: str = DB_USER
    host: str = HOST

    def url(self, database: str) -> str:
        """The SQLAlchemy URL of ``database``: ``postgresql+psycopg://user@host:port/name``."""
        return f"postgresql+psycopg://{self.user}@{self.host}:{self.port}/{database}"

    def create_database(self, name: str | None = None) -> str:
        """Create an empty database (a unique name unless ``name``) and return its URL."""
        name = name or f"test_{uuid.uuid4().hex[:16]}"
        with psycopg.connect(
            host=self.host, port=self.port, user=self.user, dbname="postgres", autocommit=True
        ) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return self.url(name)


def find_binaries() -> tuple[Path, Path]:
    """``initdb`` and ``pg_ctl`` of the newest installed server version; fails the test
    with what to install when there is none."""
    found = [
        folder
        for folder in DEBIAN_ROOT.glob("*/bin")
        if (folder / "initdb").is_file() and (folder / "pg_ctl").is_file()
    ]
    if not found:
        pytest.fail(
            f"PostgreSQL server binaries not found ({DEBIAN_ROOT}/*/bin/initdb and pg_ctl): "
            "install Debian's 'postgresql' package (listed in system-packages.txt; "
            "scripts/bootstrap.sh installs it)",
            pytrace=False,
        )
    newest = max(found, key=lambda p: _version_key(p.parent.name))
    return newest / "initdb", newest / "pg_ctl"


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split(".") if part.isdigit())


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


Command = Sequence[str | Path | int]


def _run(command: Command, *, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run ``command``, as the unprivileged user when we are root (PostgreSQL refuses
    root), from ``cwd`` (the server user may not be allowed into the caller's folder)."""
    args = [str(c) for c in command]
    if os.geteuid() == 0:
        args = ["runuser", "-u", OS_USER, "--", *args]
    return subprocess.run(
        args, cwd=cwd, capture_output=True, text=True, timeout=PG_CTL_TIMEOUT + 60, check=False
    )


def _check(result: subprocess.CompletedProcess[str], what: str, log: Path | None = None) -> None:
    """Fail the test with the command's output and the server log if ``result`` failed."""
    if result.returncode == 0:
        return
    server_log = log.read_text(errors="replace") if log and log.is_file() else ""
    pytest.fail(
        f"PostgreSQL: {what} failed (exit {result.returncode})\n"
        f"command: {' '.join(result.args)}\n{result.stdout}{result.stderr}{server_log}",
        pytrace=False,
    )


def _make_base_dir() -> Path:
    """A fresh folder the server user owns. Not under pytest's tmp_path: its parents are
    private to root."""
    base = Path(tempfile.mkdtemp(prefix="recsys-pg-", dir="/tmp"))
    if os.geteuid() == 0:
        shutil.chown(base, user=OS_USER, group=OS_USER)
    return base


def _start(pg_ctl: Path, data: Path, base: Path, log: Path) -> int:
    """Start the cluster in ``data`` on a free port and return the port."""
    for attempt in range(1, START_ATTEMPTS + 1):
        port = _free_port()
        options = (
            f"-p {port} -k {base} -c listen_addresses={HOST} "
            # a throwaway cluster: durability buys nothing and costs seconds
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        result = _run(
            [pg_ctl, "-D", data, "-l", log, "-o", options, "-w", "-t", PG_CTL_TIMEOUT, "start"],
            cwd=base,
        )
        if result.returncode == 0:
            return port
        if attempt == START_ATTEMPTS:
            _check(result, f"pg_ctl start ({attempt} attempts, last on port {port})", log)
    raise AssertionError("unreachable")


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A PostgreSQL server of this test process (each xdist worker starts its own)."""
    initdb, pg_ctl = find_binaries()
    base = _make_base_dir()
    data, log = base / "data", base / "server.log"
    started = False
    try:
        _check(_run([initdb, "-D", data, *INITDB_OPTIONS], cwd=base), "initdb")
        port = _start(pg_ctl, data, base, log)
        started = True
        yield PostgresServer(port=port, data_dir=data)
    finally:
        if started:
            stopped = _run(
                [pg_ctl, "-D", data, "-m", "fast", "-w", "-t", PG_CTL_TIMEOUT, "stop"], cwd=base
            )
            _check(stopped, "pg_ctl stop", log)
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def postgres_database(postgres_server: PostgresServer) -> str:
    """The SQLAlchemy URL (``postgresql+psycopg://...``) of a fresh, empty database."""
    return postgres_server.create_database()
