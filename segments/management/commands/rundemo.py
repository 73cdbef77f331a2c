"""``python manage.py rundemo`` (what ``make run`` calls): start the sandbox,
migrate, create the demo users, sync, and serve the dashboard on loopback."""

import os
import subprocess
import sys
import time
import urllib.request

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from sandbox import SandboxAddress


class Command(BaseCommand):
    help = "Run the dashboard against a local sandbox with demo data."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--sandbox-port", type=int, default=8001)
        parser.add_argument("--seed", type=int, default=42)
        parser.add_argument("--size", type=int, default=400)

    def handle(self, *args, port: int, sandbox_port: int, seed: int, size: int, **options):
        address = SandboxAddress(f"http://127.0.0.1:{sandbox_port}")
        settings.REMOTE.update(
            SEGMENT_API_URL=address.segment_api_url, LIST_API_URL=address.list_api_url
        )
        log_dir = settings.BASE_DIR / ".run"
        log_dir.mkdir(exist_ok=True)
        sandbox_log = (log_dir / "sandbox.log").open("w")
        sandbox = subprocess.Popen(  # noqa: S603 - fixed argument list
            [
                sys.executable,
                "-m",
                "sandbox",
                "--port",
                str(sandbox_port),
                "--seed",
                str(seed),
                "--size",
                str(size),
            ],
            env={**os.environ, "PYTHONPATH": str(settings.BASE_DIR)},
            stdout=sandbox_log,
            stderr=subprocess.STDOUT,
        )
        try:
            self._wait_for(f"{address.control_url}/health", sandbox)
            call_command("migrate", verbosity=0)
            self.stdout.write("Syncing the mirror from the sandbox…")
            call_command("sync", full=True)
            self.stdout.write("Demo users:")
            call_command("demo_users")
            self.stdout.write(
                f"Sandbox: {address.url} (requests logged to .run/sandbox.log; faults can be "
                f"set with POST {address.control_url}/faults)"
            )
            self.stdout.write(
                self.style.SUCCESS(f"\nSegment Desk: http://127.0.0.1:{port}/  (Ctrl-C to stop)\n")
            )
            call_command("runserver", f"127.0.0.1:{port}", use_reloader=False)
        finally:
            sandbox.terminate()
            sandbox.wait(timeout=10)
            sandbox_log.close()

    def _wait_for(self, url: str, process: subprocess.Popen) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise CommandError(f"The sandbox exited with code {process.returncode}.")
            try:
                with urllib.request.urlopen(url, timeout=1):  # noqa: S310 - loopback URL
                    return
            except OSError:
                time.sleep(0.2)
        raise CommandError(f"The sandbox did not answer on {url} within 30 s.")
