"""A standalone emulator of the audience platform's Segment API and List & Segment API."""

from .server import SandboxServer

__all__ = ["SandboxServer"]
