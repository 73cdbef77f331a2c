"""Browser tests: real Chromium through Playwright against the live dashboard."""
