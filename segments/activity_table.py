"""The activity table: every audited write attempt, newest first."""

from __future__ import annotations

import django_tables2 as tables
from django.urls import reverse
from django.utils.html import format_html

from segments import presentation
from segments.models import AuditEvent
from segments.tables import DeskTable


class AuditTable(DeskTable):
    at = tables.Column(verbose_name="When")
    username = tables.Column(verbose_name="Who")
    ip = tables.Column(verbose_name="From")
    action = tables.Column()
    segment_id = tables.Column(verbose_name="Segment")
    outcome = tables.Column()
    change = tables.Column(
        accessor="after", verbose_name="Change", orderable=False, empty_values=()
    )
    message = tables.Column(orderable=False, empty_values=())
    remote = tables.Column(
        accessor="remote_status", verbose_name="Platform", orderable=False, empty_values=()
    )

    class Meta:
        model = AuditEvent
        fields = ()
        sequence = (
            "at",
            "username",
            "ip",
            "action",
            "segment_id",
            "outcome",
            "change",
            "message",
            "remote",
        )
        order_by = ("-at",)
        attrs = {"class": "data-table", "id": "activity-table"}
        empty_text = "No activity matches these filters."

    def render_at(self, value):
        return presentation.when(value, "%d %b %Y %H:%M:%S")

    def render_action(self, record):
        return record.get_action_display()

    def render_outcome(self, value, record):
        return presentation.outcome_badge(value, record.get_outcome_display())

    def render_segment_id(self, value, record):
        url = reverse("segment-detail", args=[value])
        if not record.segment_name:
            return format_html('<a href="{}">{}</a>', url, value)
        return format_html(
            '<a href="{}">{}</a><span class="sub">ID {}</span>', url, record.segment_name, value
        )

    def render_change(self, record):
        return presentation.change_summary(record.before, record.after)

    def render_message(self, value, record):
        if not record.bulk_run_id:
            return presentation.local_times(value) if value else "—"
        url = reverse("bulk-run", args=[record.bulk_run_id])
        return format_html(
            '{} <span class="sub">Part of <a href="{}">bulk run {}</a></span>',
            presentation.local_times(value),
            url,
            record.bulk_run_id,
        )

    def render_remote(self, record):
        if record.remote_status is None and not record.remote_request_id:
            return "—"
        return format_html(
            '{} <span class="muted">{}</span>',
            f"HTTP {record.remote_status}" if record.remote_status else "",
            record.remote_request_id,
        )
