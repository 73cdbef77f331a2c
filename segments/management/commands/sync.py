"""``python manage.py sync [--full]``: fill the mirror from the remote, with progress,
under the same lock as the schedule and the UI's Refresh."""

import sys
import time

from django.core.management.base import BaseCommand, CommandError

from segments.services.sync_lock import sync_exclusive, sync_running
from segments.tasks import sync_aftermath


class Command(BaseCommand):
    help = "Sync the local mirror from the remote audience platform."

    def add_arguments(self, parser):
        parser.add_argument(
            "--full",
            action="store_true",
            help="Fetch everything and retire what the remote no longer has.",
        )

    def handle(self, *args, full: bool, **options):
        started = time.monotonic()
        interactive = sys.stdout.isatty()
        last = {"at": 0.0}

        def progress(stage: str, done: int, total: int) -> None:
            now = time.monotonic()
            if not interactive and now - last["at"] < 5 and done != total:
                return
            last["at"] = now
            of = f"/{total}" if total else ""
            line = f"{stage}: {done}{of}"
            self.stdout.write(f"\r{line:<40}" if interactive else line, ending="")
            if not interactive:
                self.stdout.write("")

        report = sync_exclusive(full=full, progress=progress)
        if report is None:
            running = sync_running()
            raise CommandError(f"{running or 'Another sync is running.'} Nothing was started.")
        self.stdout.write("")
        elapsed = time.monotonic() - started
        self.stdout.write(
            f"{'Full' if full else 'Incremental'} sync in {elapsed:.1f} s: "
            f"{report.accounts} accounts, {report.audiences_seen} audiences seen, "
            f"{report.audiences_refreshed} refreshed, {report.segments_written} segments "
            f"written, {report.segments_retired} retired, {report.snapshots} count snapshots."
        )
        # As after a scheduled sync: right after `make run`, the inbox had stayed empty
        # until the scheduler's first sync, minutes later.
        alerts = sync_aftermath(report=report)
        if alerts is not None:
            self.stdout.write(
                f"Alerts: {alerts['raised']} raised, {alerts['cleared']} cleared, "
                f"{alerts['notifications']} notifications."
            )
        if not report.ok:
            raise CommandError("Sync failed: " + "; ".join(report.errors))
