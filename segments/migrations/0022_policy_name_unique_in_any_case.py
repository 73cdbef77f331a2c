"""One policy name in any case, as a constraint: the form refused "keep ahead" beside
"Keep ahead", but two creates at the same moment could both pass it. Any such pair
already saved keeps its oldest policy's name; each later one gets a number after its
name (" (2)", " (3)"…), and its edit history says so."""

import django.db.models.functions.text
from django.db import migrations, models
from django.utils import timezone

EDITOR = "Segment Desk (one name in any case)"


def number_the_twins(apps, schema_editor):
    policies = apps.get_model("segments", "ExpiryPolicy")
    edits = apps.get_model("segments", "ExpiryPolicyEdit")
    taken = set()
    for policy in policies.objects.order_by("created_at", "pk"):
        name = policy.name
        n = 1
        while name.casefold() in taken:
            n += 1
            name = f"{policy.name[:90]} ({n})"
        taken.add(name.casefold())
        if name != policy.name:
            edits.objects.create(
                policy=policy,
                at=timezone.now(),
                username=EDITOR,
                changes={"name": [policy.name, name]},
            )
            policy.name = name
            policy.save(update_fields=["name"])


class Migration(migrations.Migration):
    dependencies = [
        ("segments", "0021_audit_webhook_actions"),
    ]

    operations = [
        migrations.RunPython(number_the_twins, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="expirypolicy",
            constraint=models.UniqueConstraint(
                django.db.models.functions.text.Lower("name"),
                name="expiry_policy_name_any_case",
                violation_error_message="A policy of this name exists already.",
            ),
        ),
    ]
