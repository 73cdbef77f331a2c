# Joins the migrations that issues 7, 8, 10, 11 and 12 added side by side.

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("segments", "0006_alerts"),
        ("segments", "0006_audit_delete_actions"),
        ("segments", "0006_bulk_run_confirmation_and_items"),
        ("segments", "0006_segment_write_lock"),
        ("segments", "0007_segment_search_indexes"),
    ]

    operations = []
