"""A standalone emulator of the audience platform's Segment API and List & Segment API."""

from .server import SandboxAddress, SandboxServer, SandboxUrls

__all__ = ["SandboxAddress", "SandboxServer", "SandboxUrls"]
