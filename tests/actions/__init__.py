"""Operator actions through the views, against the sandbox over HTTP, with
every failure produced by the sandbox's fault injection."""
