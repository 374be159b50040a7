"""The database a benchmark builds for itself and removes afterwards.

SQLite: a file under var/bench/ (the settings' options: WAL, IMMEDIATE, busy timeout);
PostgreSQL: a database of its own, dropped and created by name (never postgres/template*).
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent


def admin_url(url: str) -> tuple[str, str]:
    """The maintenance database's URL on the same server, and the bench database's name."""
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if not name or name in ("postgres", "template0", "template1"):
        raise SystemExit(f"refusing to use {name!r} as the bench database")
    return urlunsplit(parts._replace(path="/postgres")), name


def pg_recreate(url: str, *, create: bool) -> None:
    """Drop the database of ``url`` (closing its sessions) and, with ``create``, make it anew."""
    import psycopg
    from psycopg import sql

    admin, name = admin_url(url)
    with psycopg.connect(admin, autocommit=True, connect_timeout=10) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
            sql.Identifier(name)))
        if create:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def sqlite_path(label: str) -> Path:
    bench_dir = ROOT / "var" / "bench"
    bench_dir.mkdir(parents=True, exist_ok=True)
    return bench_dir / f"{label}-{os.getpid()}.sqlite3"


def sqlite_remove(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


@contextlib.contextmanager
def database_url(db: str, *, label: str, pg_url: str) -> Iterator[str]:
    """A fresh, empty database for ``db`` ("sqlite" or "postgres"), removed on leaving."""
    path = None
    if db == "sqlite":
        path = sqlite_path(label)
        sqlite_remove(path)
        url = f"sqlite:///{path}"
    else:
        pg_recreate(pg_url, create=True)
        url = pg_url
    try:
        yield url
    finally:
        if path is not None:
            sqlite_remove(path)
        else:
            pg_recreate(pg_url, create=False)


@contextlib.contextmanager
def django_database(db: str, *, label: str, pg_url: str) -> Iterator[None]:
    """Set Django up in this process on a fresh, migrated database; close and remove it after.
    DEBUG is off, so no query log grows in memory while timing."""
    with database_url(db, label=label, pg_url=pg_url) as url:
        os.environ["DJANGO_SETTINGS_MODULE"] = "voronka.settings"
        os.environ["DEBUG"] = "0"
        os.environ["DATABASE_URL"] = url
        if str(ROOT) not in sys.path:
            sys.path.insert(0, str(ROOT))
        try:
            import django

            django.setup()
            from django.core.management import call_command

            call_command("migrate", verbosity=0, interactive=False)
            yield
        finally:
            try:
                from django.db import connections

                connections.close_all()
            except Exception:  # noqa: BLE001 - the database is removed whatever failed above
                pass
