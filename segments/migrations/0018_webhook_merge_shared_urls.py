"""Webhooks made before the service refused a second one to the same URL are merged
(0019 then makes one per URL the database's rule): the oldest keeps its name, secret and
deliveries, takes the others' conditions and deliveries, and is active if any was."""

from django.db import migrations
from django.db.models import Count


def merge_duplicates(apps, schema_editor):
    endpoints = apps.get_model("segments", "WebhookEndpoint")
    deliveries = apps.get_model("segments", "WebhookDelivery")
    shared = (
        endpoints.objects.values("url").annotate(n=Count("id")).filter(n__gt=1).values("url")
    )
    for url in [row["url"] for row in shared]:
        kept, *others = endpoints.objects.filter(url=url).order_by("created_at", "id")
        for other in others:
            kept.conditions = [*kept.conditions, *(c for c in other.conditions if c not in kept.conditions)]
            kept.active = kept.active or other.active
        deliveries.objects.filter(endpoint__in=others).update(endpoint=kept)
        endpoints.objects.filter(pk__in=[other.pk for other in others]).delete()
        kept.save(update_fields=["conditions", "active"])


class Migration(migrations.Migration):
    dependencies = [
        ("segments", "0017_saved_view_preferences_related_name"),
    ]

    # A migration of its own: PostgreSQL cannot alter the table in the transaction
    # whose deletes left foreign-key checks pending.
    operations = [migrations.RunPython(merge_duplicates, migrations.RunPython.noop)]
