"""Status scopes saved before the policy form matched a status case-insensitively
(say "active") matched no segment: a policy compares the platform's spelling
exactly. Each is rewritten as the mirror's segments spell it ("Active"); one no
segment has in any case is left as it is (its dry run says that no segment is in its scope)."""

from django.db import migrations


def spell_as_the_platform(apps, schema_editor):
    policies = apps.get_model("segments", "ExpiryPolicy")
    segments = apps.get_model("segments", "Segment")
    spelled = {}
    for status in segments.objects.values_list("status", flat=True).distinct().order_by("status"):
        spelled.setdefault(status.casefold(), status)
    for policy in policies.objects.filter(scope="status"):
        status = spelled.get(policy.scope_value.strip().casefold())
        if status is not None and status != policy.scope_value:
            policy.scope_value = status
            policy.save(update_fields=["scope_value"])


class Migration(migrations.Migration):
    dependencies = [
        ("segments", "0019_webhook_one_per_url"),
    ]

    operations = [migrations.RunPython(spell_as_the_platform, migrations.RunPython.noop)]
