"""``python manage.py demo_users``: one demo user per role, credentials printed."""

from django.contrib.auth.models import Group, User
from django.core.management.base import BaseCommand

DEMO_USERS = (
    ("viewer", "Viewer", "viewer-demo-pass"),
    ("operator", "Operator", "operator-demo-pass"),
    ("admin", "Admin", "admin-demo-pass"),
)


class Command(BaseCommand):
    help = "Create (or reset) the demo users viewer, operator and admin. For demos only."

    def handle(self, *args, **options):
        for username, role, password in DEMO_USERS:
            user, _ = User.objects.get_or_create(username=username)
            user.set_password(password)
            user.email = f"{username}@example.test"  # alert mails land in .run/mail/
            user.is_staff = role == "Admin"
            user.is_superuser = role == "Admin"
            user.save()
            user.groups.set([Group.objects.get(name=role)])
            self.stdout.write(f"  {role:<9} user {username!r:<11} password {password!r}")
