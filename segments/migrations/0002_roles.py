"""The three roles: Viewer reads, Operator also changes segments, Admin does all."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

VIEW = [
    "segments.view_audience",
    "segments.view_account",
    "segments.view_segment",
    "segments.view_segmentcountsnapshot",
    "segments.view_syncstate",
    "segments.view_auditevent",
    "segments.view_review",
    "segments.view_note",
    "segments.view_bulkrun",
]
ROLES = {
    "Viewer": VIEW,
    "Operator": [*VIEW, "segments.operate_segment"],
    "Admin": [
        *VIEW,
        "segments.operate_segment",
        "auth.add_user",
        "auth.change_user",
        "auth.delete_user",
        "auth.view_user",
        "auth.view_group",
        "auth.change_group",
    ],
}


def create_roles(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, perms in ROLES.items():
        group, _ = Group.objects.get_or_create(name=role)
        for perm in perms:
            app_label, codename = perm.split(".")
            group.permissions.add(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
            )


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLES).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("segments", "0001_mirror"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]
    operations = [migrations.RunPython(create_roles, remove_roles)]
