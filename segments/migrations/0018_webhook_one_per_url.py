"""One webhook per URL, as the database's rule: two would post every alert there twice.

Webhooks made before the service refused a second one to a URL are merged first.
The one kept is the oldest active one (its secret is the one the receiver has
been checking), else the oldest; it takes the other active ones' conditions and
every delivery. A paused copy's conditions were not being posted, and stay so.

Not atomic as a whole: the merge is a transaction of its own, committed before the
constraint is added (PostgreSQL cannot alter a table in the transaction whose
deletes left foreign-key checks pending). If the constraint then fails on a copy
made meanwhile, running the migration again merges it too."""

from django.db import migrations, models
from django.db.models import Count


def merge_duplicates(apps, schema_editor):
    endpoints = apps.get_model("segments", "WebhookEndpoint")
    deliveries = apps.get_model("segments", "WebhookDelivery")
    shared = endpoints.objects.values("url").annotate(n=Count("id")).filter(n__gt=1)
    for url in [row["url"] for row in shared]:
        copies = list(endpoints.objects.filter(url=url).order_by("created_at", "id"))
        active = [copy for copy in copies if copy.active]
        kept = (active or copies)[0]
        others = [copy for copy in copies if copy.pk != kept.pk]
        for other in active:
            kept.conditions += [c for c in other.conditions if c not in kept.conditions]
        deliveries.objects.filter(endpoint__in=others).update(endpoint=kept)
        endpoints.objects.filter(pk__in=[other.pk for other in others]).delete()
        kept.save(update_fields=["conditions"])


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("segments", "0017_saved_view_preferences_related_name"),
    ]

    operations = [
        migrations.RunPython(merge_duplicates, migrations.RunPython.noop, atomic=True),
        migrations.AddConstraint(
            model_name="webhookendpoint",
            constraint=models.UniqueConstraint(fields=("url",), name="segments_webhook_one_per_url"),
        ),
    ]
