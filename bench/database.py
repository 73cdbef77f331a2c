"""The bench's own database: a fresh SQLite file, or a fresh PostgreSQL database.

SQLite: ``bench.sqlite3`` in the bench's temporary directory. PostgreSQL: a
database ``bench_<pid>`` created on the server of ``BENCH_DATABASE_URL``
(default: the local server, ``postgres://postgres@127.0.0.1:5432/postgres``;
the database named in the URL is only used to create and drop the bench's) and
dropped at the end unless kept. The developer's ``DATABASE_URL`` is never used.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

DEFAULT_SERVER = "postgres://postgres@127.0.0.1:5432/postgres"
CHOICES = ("sqlite", "postgres")


@dataclass(frozen=True)
class BenchDatabase:
    kind: str  # "sqlite" or "postgres"
    url: str  # what DATABASE_URL is set to for Django
    description: str


def server_url() -> str:
    return os.environ.get("BENCH_DATABASE_URL") or DEFAULT_SERVER


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def _redacted(url: str) -> str:
    """The URL without its password, to print."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":…@")
    return urlunsplit(parts._replace(netloc=netloc))


def _name(url: str) -> str:
    return urlsplit(url).path.lstrip("/")


@contextlib.contextmanager
def bench_database(kind: str, *, workdir: Path, keep: bool = False) -> Iterator[BenchDatabase]:
    """Make the database, point ``DATABASE_URL`` at it, remove it afterwards."""
    if kind == "sqlite":
        path = workdir / "bench.sqlite3"
        database = BenchDatabase(kind, f"sqlite:///{path}", f"SQLite, fresh file {path}")
        os.environ["DATABASE_URL"] = database.url
        yield database
        return
    if kind != "postgres":
        raise ValueError(f"--db must be one of {', '.join(CHOICES)}, not {kind!r}")
    server = server_url()
    url = _with_database(server, f"bench_{os.getpid()}")
    _create(server, _name(url))
    database = BenchDatabase(
        kind, url, f"PostgreSQL, fresh database {_name(url)} on {_redacted(server)}"
    )
    os.environ["DATABASE_URL"] = url
    try:
        yield database
    finally:
        if not keep:
            _drop(server, _name(url))


def _create(server: str, name: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(server, autocommit=True, connect_timeout=10) as connection:
        connection.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def _drop(server: str, name: str) -> None:
    """Drop the bench's database; ``FORCE`` ends the bench's own open connections."""
    import psycopg
    from psycopg import sql

    with psycopg.connect(server, autocommit=True, connect_timeout=10) as connection:
        connection.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


def settle() -> str | None:
    """Before the table is timed: on PostgreSQL a ``CHECKPOINT``, so that the load's
    dirty pages are not being written out meanwhile (a server is in that state
    minutes after a full load). One PostgreSQL 1M run had a partial p95 of 73 ms,
    the next of 36 ms with the same code; this takes one cause of that out.
    Returns a note if it could not be done."""
    from django.db import DatabaseError, connection

    if connection.vendor != "postgresql":
        return None
    try:
        with connection.cursor() as cursor:
            cursor.execute("CHECKPOINT")
    except DatabaseError as exc:  # not a superuser (nor pg_checkpoint) on BENCH_DATABASE_URL
        return f"no CHECKPOINT before timing the table: {exc}".strip()
    return None
