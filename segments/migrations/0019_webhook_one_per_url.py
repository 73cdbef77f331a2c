"""One webhook per URL: two would post every alert there twice."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("segments", "0018_webhook_merge_shared_urls"),
    ]

    operations = [
        migrations.AddConstraint(
            model_name="webhookendpoint",
            constraint=models.UniqueConstraint(fields=("url",), name="segments_webhook_one_per_url"),
        ),
    ]
