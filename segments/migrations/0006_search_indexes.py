"""Name search through a text index on both databases (``segments.search``).

PostgreSQL: ``pg_trgm`` and a GIN trigram index on ``UPPER(name)``, the
expression Django's ``icontains`` compares. SQLite: an FTS5 table with the
trigram tokenizer over the names (external content: it stores only the index),
kept equal to ``segments_segment`` by triggers.
"""

from django.db import migrations

SQLITE_FORWARD = [
    "CREATE VIRTUAL TABLE segments_segment_name_fts USING fts5("
    "name, content='segments_segment', content_rowid='segment_id', tokenize='trigram')",
    "CREATE TRIGGER segments_segment_name_fts_insert AFTER INSERT ON segments_segment BEGIN "
    "INSERT INTO segments_segment_name_fts(rowid, name) VALUES (new.segment_id, new.name); END",
    "CREATE TRIGGER segments_segment_name_fts_delete AFTER DELETE ON segments_segment BEGIN "
    "INSERT INTO segments_segment_name_fts(segments_segment_name_fts, rowid, name) "
    "VALUES ('delete', old.segment_id, old.name); END",
    "CREATE TRIGGER segments_segment_name_fts_update AFTER UPDATE OF name ON segments_segment "
    "WHEN old.name IS NOT new.name BEGIN "
    "INSERT INTO segments_segment_name_fts(segments_segment_name_fts, rowid, name) "
    "VALUES ('delete', old.segment_id, old.name); "
    "INSERT INTO segments_segment_name_fts(rowid, name) VALUES (new.segment_id, new.name); END",
    "INSERT INTO segments_segment_name_fts(segments_segment_name_fts) VALUES ('rebuild')",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS segments_segment_name_fts_insert",
    "DROP TRIGGER IF EXISTS segments_segment_name_fts_delete",
    "DROP TRIGGER IF EXISTS segments_segment_name_fts_update",
    "DROP TABLE IF EXISTS segments_segment_name_fts",
]
POSTGRES_FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS segments_segment_name_trgm "
    "ON segments_segment USING gin ((UPPER(name::text)) gin_trgm_ops)",
]
POSTGRES_BACKWARD = [
    "DROP INDEX IF EXISTS segments_segment_name_trgm",
]


def _run(statements):
    def run(apps, schema_editor):
        vendor = schema_editor.connection.vendor
        for sql in statements.get(vendor, []):
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("segments", "0005_leases")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE_FORWARD, "postgresql": POSTGRES_FORWARD}),
            _run({"sqlite": SQLITE_BACKWARD, "postgresql": POSTGRES_BACKWARD}),
        ),
    ]
