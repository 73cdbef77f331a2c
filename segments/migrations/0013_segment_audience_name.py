"""The audience's name on each segment, for the table's sort by audience.

The column is added with plain SQL: on SQLite Django's ``AddField`` of a NOT
NULL column remakes the table, which would drop the name search's FTS5
triggers (migration 0006). Existing segments take their audience's name.
"""

from django.db import migrations, models

ADD_COLUMN = (
    "ALTER TABLE segments_segment ADD COLUMN audience_name varchar(500) DEFAULT '' NOT NULL"
)
FILL = (
    "UPDATE segments_segment SET audience_name = COALESCE("
    "(SELECT a.name FROM segments_audience a WHERE a.id = segments_segment.audience_id), '')"
)


class Migration(migrations.Migration):
    dependencies = [
        ("segments", "0012_deferred_index"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    ADD_COLUMN, reverse_sql="ALTER TABLE segments_segment DROP COLUMN audience_name"
                ),
            ],
            state_operations=[
                migrations.AddField(
                    model_name="segment",
                    name="audience_name",
                    field=models.CharField(blank=True, db_default="", max_length=500),
                ),
            ],
        ),
        migrations.RunSQL(FILL, reverse_sql=migrations.RunSQL.noop),
        migrations.AddIndex(
            model_name="segment",
            index=models.Index(
                fields=["is_deleted", "audience_name", "segment_id"],
                name="segments_se_is_dele_cb0bc2_idx",
            ),
        ),
    ]
