"""Run the sandbox: ``python -m sandbox [--port 8001] [--seed 42] [--size 400] ...``."""

import argparse
import logging
import os
import signal
import threading

from .faults import ENDPOINTS, KINDS
from .server import SandboxServer


def _fault(text: str) -> tuple[str, int | None, str]:
    """Parse ``ENDPOINT=STATUS[:KIND]``; STATUS 0 means the kind's default."""
    endpoint, _, rest = text.partition("=")
    status, _, kind = rest.partition(":")
    if endpoint not in (*ENDPOINTS, "*") or not status.isdigit() or kind not in ("", *KINDS):
        raise argparse.ArgumentTypeError(
            f"{text!r}: expected ENDPOINT=STATUS[:KIND], ENDPOINT one of {', '.join(ENDPOINTS)} "
            f"or '*', KIND one of {', '.join(KINDS)}"
        )
    return endpoint, int(status) or None, kind or "json"


def main() -> None:
    env = os.environ
    parser = argparse.ArgumentParser(prog="python -m sandbox", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=int(env.get("SANDBOX_PORT") or 8001))
    parser.add_argument("--seed", type=int, default=int(env.get("SANDBOX_SEED") or 42))
    parser.add_argument("--size", type=int, default=int(env.get("SANDBOX_SIZE") or 400))
    parser.add_argument("--latency-ms", type=float, default=0)
    parser.add_argument("--error-rate", type=float, default=0.0)
    parser.add_argument(
        "--fault", type=_fault, action="append", default=[], metavar="ENDPOINT=STATUS[:KIND]"
    )
    parser.add_argument("--api-key", default="sandbox-api-key")
    parser.add_argument("--username", default="sandbox")
    parser.add_argument("--password", default="sandbox-password")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")

    server = SandboxServer(
        seed=args.seed,
        size=args.size,
        host=args.host,
        port=args.port,
        api_key=args.api_key,
        username=args.username,
        password=args.password,
        latency_ms=args.latency_ms,
        error_rate=args.error_rate,
    )
    for endpoint, status, kind in args.fault:
        try:
            server.faults.set(endpoint, status=status, kind=kind)
        except ValueError as exc:
            parser.error(f"--fault {endpoint}: {exc}")
    stopping = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stopping.set())
    server.start()
    print(f"Segment API:          {server.segment_api_url}", flush=True)
    print(f"List & Segment API:   {server.list_api_url}", flush=True)
    print(f"Control API:          {server.control_url}", flush=True)
    print(f"seed={args.seed} size={args.size}; Ctrl-C to stop", flush=True)
    stopping.wait()
    server.stop()


if __name__ == "__main__":
    main()
