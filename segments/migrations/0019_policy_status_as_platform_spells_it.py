"""Status scopes saved before the policy form matched a status case-insensitively
(say "active") matched no segment: a policy compares the platform's spelling
exactly. Each is rewritten as the mirror's visible segments spell it most often
("Active"), and the policy's edit history says so; a policy that was not paused
starts to extend those segments at its next run. A status no segment has in any
case is left as it is (its dry run says that no segment is in its scope)."""

from django.db import migrations
from django.db.models import Count
from django.utils import timezone

EDITOR = "Segment Desk (status spelled as the platform does)"


def spell_as_the_platform(apps, schema_editor):
    policies = apps.get_model("segments", "ExpiryPolicy")
    edits = apps.get_model("segments", "ExpiryPolicyEdit")
    segments = apps.get_model("segments", "Segment")
    scoped = list(policies.objects.filter(scope="status"))
    if not scoped:
        return
    spelled = {}
    counted = (
        segments.objects.filter(is_deleted=False)
        .values("status")
        .annotate(n=Count("segment_id"))
        .order_by("-n", "status")
    )
    for row in counted:
        spelled.setdefault(row["status"].casefold(), row["status"])
    for policy in scoped:
        status = spelled.get(policy.scope_value.strip().casefold())
        if status is None or status == policy.scope_value:
            continue
        edits.objects.create(
            policy=policy,
            at=timezone.now(),
            username=EDITOR,
            changes={"scope value": [policy.scope_value, status]},
        )
        policy.scope_value = status
        policy.save(update_fields=["scope_value"])


class Migration(migrations.Migration):
    dependencies = [
        ("segments", "0018_webhook_one_per_url"),
    ]

    operations = [migrations.RunPython(spell_as_the_platform, migrations.RunPython.noop)]
