"""Moving the test database to a migration and back, for tests of data migrations
(which must be transactional tests: a migration runs in transactions of its own)."""

from __future__ import annotations

from django.db import connection
from django.db.migrations.executor import MigrationExecutor


def migrate(targets: list[tuple[str, str]]) -> MigrationExecutor:
    """Apply or unapply migrations until ``targets``; returns the executor."""
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return executor


def migrate_to_latest() -> None:
    migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
