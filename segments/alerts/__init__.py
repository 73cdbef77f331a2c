"""Alerts: the conditions a segment can meet (count anomalies among them) and the
channels that tell people (in-app, email, webhook)."""
