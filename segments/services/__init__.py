"""Business logic that writes: syncing the mirror, and operator actions."""
