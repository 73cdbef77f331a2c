"""``python manage.py rundemo`` (what ``make run`` calls): start the sandbox,
migrate, create the demo users, sync, then serve the dashboard with gunicorn
next to one task worker and the scheduler, all on loopback.

Every child runs in its own process group; Ctrl-C or SIGTERM stops them all.
gunicorn rather than runserver: the demo then runs what production runs
(several web processes, so a shared database and nothing per-process)."""

import os
import signal
import time
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from sandbox import SandboxAddress
from segments import processes


class Command(BaseCommand):
    help = "Run the dashboard, a worker and the scheduler against a local sandbox."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--sandbox-port", type=int, default=8001)
        parser.add_argument("--seed", type=int, default=42)
        parser.add_argument("--size", type=int, default=400)

    def handle(self, *args, port: int, sandbox_port: int, seed: int, size: int, **options):
        for wanted in (sandbox_port, port):
            if processes.port_in_use(wanted):
                raise CommandError(
                    f"port {wanted} is in use: stop what uses it, or choose another with "
                    "make run DASHBOARD_PORT=… SANDBOX_PORT=…"
                )
        address = SandboxAddress(f"http://127.0.0.1:{sandbox_port}")
        # Links in alert mails and webhooks point at this demo unless SITE_URL says otherwise.
        settings.SITE_URL = os.environ.get("SITE_URL") or f"http://127.0.0.1:{port}"
        remote_env = {
            "SEGMENT_API_URL": address.segment_api_url,
            "LIST_API_URL": address.list_api_url,
            "SITE_URL": settings.SITE_URL,
        }
        settings.REMOTE.update(
            SEGMENT_API_URL=address.segment_api_url, LIST_API_URL=address.list_api_url
        )
        log_dir = Path(settings.BASE_DIR) / ".run"
        log_dir.mkdir(exist_ok=True)
        signal.signal(signal.SIGTERM, _interrupt)
        children: dict[str, object] = {}
        try:
            children["sandbox"] = processes.start(
                processes.sandbox_command(port=sandbox_port, seed=seed, size=size),
                env={},
                log=self._fresh(log_dir / "sandbox.log"),
            )
            self._ready("sandbox", f"{address.control_url}/health", children["sandbox"])
            call_command("migrate", verbosity=0)
            self.stdout.write("Syncing the mirror from the sandbox…")
            call_command("sync", full=True)
            self.stdout.write("Demo users:")
            call_command("demo_users")
            children["web"] = processes.start(
                processes.web_command(port=port),
                # No debug pages (routes, tracebacks) unless asked for: DJANGO_DEBUG=1.
                env={**remote_env, "DJANGO_DEBUG": os.environ.get("DJANGO_DEBUG", "0")},
                log=self._fresh(log_dir / "web.log"),
            )
            children["worker"] = processes.start(
                processes.worker_command(),
                env=remote_env,
                log=self._fresh(log_dir / "worker.log"),
            )
            children["scheduler"] = processes.start(
                processes.scheduler_command(),
                env=remote_env,
                log=self._fresh(log_dir / "scheduler.log"),
            )
            self._ready("dashboard", f"http://127.0.0.1:{port}/healthz/", children["web"])
            self.stdout.write(
                f"Sandbox: {address.url} (faults can be set with POST {address.control_url}"
                "/faults)\nLogs: .run/sandbox.log, web.log, worker.log, scheduler.log"
            )
            mailer = settings.MAILERS["default"]
            if mailer["BACKEND"].endswith("filebased.EmailBackend"):
                where = mailer["OPTIONS"]["file_path"]
                self.stdout.write(f"Mail: written to files in {where} (set EMAIL_URL to send it)")
            self.stdout.write(
                self.style.SUCCESS(f"\nSegment Desk: http://127.0.0.1:{port}/  (Ctrl-C to stop)\n")
            )
            while True:
                time.sleep(1)
                for name, child in children.items():
                    if child.poll() is not None:
                        raise CommandError(
                            f"The {name} exited with code {child.returncode}; see .run/{name}.log"
                        )
        except KeyboardInterrupt:
            self.stdout.write("Stopping…")
        finally:
            # A second Ctrl-C or SIGTERM must not cut the stopping short.
            for signum in (signal.SIGINT, signal.SIGTERM):
                signal.signal(signum, signal.SIG_IGN)
            for child in reversed(children.values()):
                processes.stop(child)
            self.stdout.write("Stopped.")

    @staticmethod
    def _fresh(log: Path) -> Path:
        log.write_bytes(b"")
        return log

    def _ready(self, name: str, url: str, child) -> None:
        try:
            processes.wait_for_http(url, child, timeout=60)
        except RuntimeError as exc:
            raise CommandError(f"The {name} did not start ({exc}); see .run/{name}.log") from None


def _interrupt(signum, frame):
    """SIGTERM unwinds like Ctrl-C, so that every child is stopped."""
    raise KeyboardInterrupt
