"""Drop the foreign keys' own indexes that a composite index already leads with.

Each index is one more write per segment a sync stores. The state change is an
``AlterField``; the database change is a plain ``DROP INDEX``, because on SQLite
an ``AlterField`` remakes the table, which would drop the name search's FTS5
triggers (migration 0006).
"""

import django.db.models.deletion
from django.db import migrations, models

INDEXES = (
    "segments_segment_account_id_ef94402b",
    "segments_segment_audience_id_92b44c07",
    "segments_segmentcountsnapshot_segment_id_fed6621c",
)


def _foreign_key(to, related_name, *, null):
    return models.ForeignKey(
        db_constraint=False,
        db_index=False,
        null=null,
        on_delete=django.db.models.deletion.DO_NOTHING,
        related_name=related_name,
        to=to,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("segments", "0010_merge_assignment_policy_alerts_sort_indexes"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    [f"DROP INDEX IF EXISTS {name}" for name in INDEXES],
                    reverse_sql=[
                        'CREATE INDEX segments_segment_account_id_ef94402b ON "segments_segment" ("account_id")',
                        'CREATE INDEX segments_segment_audience_id_92b44c07 ON "segments_segment" ("audience_id")',
                        "CREATE INDEX segments_segmentcountsnapshot_segment_id_fed6621c "
                        'ON "segments_segmentcountsnapshot" ("segment_id")',
                    ],
                )
            ],
            state_operations=[
                migrations.AlterField(
                    model_name="segment",
                    name="account",
                    field=_foreign_key("segments.account", "segments", null=True),
                ),
                migrations.AlterField(
                    model_name="segment",
                    name="audience",
                    field=_foreign_key("segments.audience", "segments", null=True),
                ),
                migrations.AlterField(
                    model_name="segmentcountsnapshot",
                    name="segment",
                    field=_foreign_key("segments.segment", "snapshots", null=False),
                ),
            ],
        ),
    ]
