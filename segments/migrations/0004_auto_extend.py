from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("segments", "0003_expiry_policies_undo_saved_views"),
    ]

    operations = [
        migrations.RenameField(
            model_name="segment",
            old_name="extend",
            new_name="auto_extend",
        ),
        migrations.AlterField(
            model_name="segment",
            name="auto_extend",
            field=models.BooleanField(
                help_text="The platform extends the end date by itself.",
                verbose_name="auto-extend",
            ),
        ),
        migrations.AlterField(
            model_name="bulkrun",
            name="params",
            field=models.JSONField(
                default=dict,
                help_text="Days to add or the new end date, and each segment's `updated` as seen.",
            ),
        ),
    ]
