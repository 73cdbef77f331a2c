"""Business logic that writes: the sync of the mirror, operator writes to the
platform, the team's review and notes, bulk runs; each module one concern."""
