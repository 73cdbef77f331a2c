"""The local mirror of the remote platform: audiences, accounts, segments, their counts.

The remote is the source of truth: mirror rows are written only from what the
remote confirmed (a sync, or a write's read-back). ``accessToken`` has no
column anywhere.
"""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import ObjectDoesNotExist
from django.db import models
from django.db.models.functions import Lower
from django.db.models.query import ModelIterable
from django.utils import timezone

from segments.models.sort_walk import sort_walk_keys


class Audience(models.Model):
    """A catalogue entry of the List & Segment API."""

    class Type(models.TextChoices):
        LIST = "list", "List"
        SEGMENT = "segment", "Segment"

    id = models.BigIntegerField(primary_key=True, verbose_name="audience id")
    type = models.CharField(max_length=10, choices=Type.choices)
    name = models.CharField(max_length=500)
    last_updated = models.DateTimeField(null=True, blank=True)
    last_refreshed = models.DateTimeField(null=True, blank=True)
    synced_at = models.DateTimeField(default=timezone.now)
    segments_synced_at = models.DateTimeField(null=True, blank=True)
    segments_dirty = models.BooleanField(
        default=True, help_text="Its segments must be fetched again (it changed since)."
    )
    is_deleted = models.BooleanField(default=False)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["type", "id"]),
            models.Index(fields=["last_updated"]),
            models.Index(fields=["last_refreshed"]),
            models.Index(fields=["name"]),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.id})"


class Account(models.Model):
    """A platform account. The remote's access token is never stored."""

    id = models.BigIntegerField(primary_key=True, verbose_name="account id")
    name = models.CharField(max_length=500)
    platform_id = models.IntegerField()
    platform_name = models.CharField(max_length=200)
    platform_display_name = models.CharField(max_length=200)
    agency_id = models.IntegerField()
    agency_name = models.CharField(max_length=200)
    account_type_id = models.IntegerField(null=True, blank=True)
    account_type_name = models.CharField(max_length=200, null=True, blank=True)
    advertiser_id = models.CharField(max_length=200, null=True, blank=True)
    client_id = models.CharField(max_length=200)
    default_segment_pricing_category_id = models.IntegerField(null=True, blank=True)
    created = models.DateTimeField()
    updated = models.DateTimeField()
    synced_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["agency_name", "name"]

    def __str__(self) -> str:
        return f"{self.name} · {self.platform_display_name}"


class UpcomingFirst(models.Case):
    """0 for an end from ``now`` on, 1 for no end date, 2 for an end already past."""

    def __init__(self, now):
        super().__init__(
            models.When(end_date__gte=now, then=models.Value(0)),
            models.When(end_date__isnull=True, then=models.Value(1)),
            default=models.Value(2),
        )
        self.now = now


UPCOMING_TAIL = ("end_date", "segment_id")


class SegmentQuerySet(models.QuerySet):
    def visible(self) -> SegmentQuerySet:
        return self.filter(is_deleted=False)

    def upcoming_first(self, *, now) -> SegmentQuerySet:
        """Ends from ``now`` on, soonest first; then no end date; then the expired, in
        end-date order. A ``PagedByKeysQuerySet`` reads a page of it by index ranges."""
        return self.order_by(UpcomingFirst(now), *UPCOMING_TAIL)

    def with_problems(self) -> SegmentQuerySet:
        return self.filter(has_problems=True)

    def paged_by_keys(self) -> SegmentQuerySet:
        """This queryset, sliced as ``PagedByKeysQuerySet`` does: for deep table pages."""
        clone = self._chain()
        clone.__class__ = PagedByKeysQuerySet
        return clone


class PagedByKeysQuerySet(SegmentQuerySet):
    """A slice reads the page's primary keys first, then only those rows.

    ``OFFSET 50000`` over full rows with their joins reads every skipped row;
    over the keys alone it walks an index (page 2,000 of 100,000 segments went
    from about 100 ms to a few ms in bench/). When the paginator found that many
    rows match (``matches_many``), SQLite reads the keys along the sort's index
    (``sort_walk``).
    """

    matches_many = False

    def __getitem__(self, k):
        if not isinstance(k, slice) or self._result_cache is not None:
            return super().__getitem__(k)
        if self._iterable_class is not ModelIterable:
            return super().__getitem__(k)
        now = self._upcoming_now()
        plain = k.step is None and k.stop is not None
        if now is not None and plain:
            keys = self._upcoming_keys(now, k.start or 0, k.stop)
        elif not (
            plain
            and self.matches_many
            and (keys := sort_walk_keys(self, k.start or 0, k.stop)) is not None
        ):
            keys = list(self.values_list("pk", flat=True)[k])
        rows = {row.pk: row for row in self.order_by().filter(pk__in=keys)}
        return [rows[key] for key in keys if key in rows]

    def _upcoming_now(self):
        """``now`` of an ``upcoming_first`` order, if that is this queryset's order."""
        order = self.query.order_by
        if order and isinstance(order[0], UpcomingFirst) and order[1:3] == UPCOMING_TAIL:
            return order[0].now
        return None

    def _upcoming_keys(self, now, start: int, stop: int) -> list:
        """Keys ``start:stop`` of the ``upcoming_first`` order, read part by part (each
        an index range in end-date order) rather than by sorting on the CASE."""
        parts = (
            self.filter(end_date__gte=now),
            self.filter(end_date__isnull=True),
            self.filter(end_date__lt=now),
        )
        keys, offset = [], start
        for part in parts:
            wanted = stop - start - len(keys)
            if wanted <= 0:
                break
            part_keys = part.order_by(*UPCOMING_TAIL).values_list("pk", flat=True)
            found = list(part_keys[offset : offset + wanted])
            # Past this part's end: the next part starts where this one's rows run out.
            offset = 0 if found else offset - part_keys.count()
            keys += found
        return keys


class Segment(models.Model):
    """A platform segment: every field of the contract, plus mirror bookkeeping."""

    segment_id = models.BigIntegerField(primary_key=True, verbose_name="segment id")
    record_id = models.BigIntegerField(verbose_name="record id")
    segment_ref_id = models.CharField(max_length=200, null=True, blank=True)
    category_id = models.IntegerField(null=True, blank=True)
    name = models.CharField(max_length=500)
    description = models.TextField(null=True, blank=True)
    # No index of their own: the (audience, is_deleted) and (account, is_deleted)
    # indexes below lead with them, and every index is a write per synced segment.
    audience = models.ForeignKey(
        Audience,
        null=True,
        db_index=False,
        db_constraint=False,
        on_delete=models.DO_NOTHING,
        related_name="segments",
    )
    account = models.ForeignKey(
        Account,
        null=True,
        db_index=False,
        db_constraint=False,
        on_delete=models.DO_NOTHING,
        related_name="segments",
    )
    # The audience's name, copied by the sync (``services.mirror_store``), so that
    # the table's sort by audience walks an index instead of joining and sorting
    # every visible segment (74 ms at 100,000 on PostgreSQL, bench/).
    audience_name = models.CharField(max_length=500, blank=True, db_default="")
    platform_id = models.IntegerField()
    auto_extend = models.BooleanField(
        verbose_name="auto-extend", help_text="The platform extends the end date by itself."
    )
    active = models.BooleanField()
    is_recurring = models.BooleanField(verbose_name="recurring")
    is_system_generated = models.BooleanField(verbose_name="system generated")
    country = models.IntegerField()
    start_date = models.DateTimeField()
    end_date = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=100)
    status_id = models.IntegerField()
    user_name = models.CharField(max_length=200, null=True, blank=True)
    user_id = models.CharField(max_length=200, null=True, blank=True)
    total_log_count = models.BigIntegerField()
    total_ready_count = models.BigIntegerField(null=True, blank=True)
    total_processing_count = models.BigIntegerField(null=True, blank=True)
    total_pending_count = models.BigIntegerField()
    total_upload_count = models.BigIntegerField()
    total_failed_count = models.BigIntegerField(null=True, blank=True)
    total_no_data_count = models.BigIntegerField(null=True, blank=True)
    total_segment_upload_count = models.BigIntegerField()
    created = models.DateTimeField()
    updated = models.DateTimeField()

    # When this row was last written from the platform's answer (a sync skips a
    # segment whose values did not change: see ``confirmed_at``).
    synced_at = models.DateTimeField(default=timezone.now)
    is_deleted = models.BooleanField(default=False)
    deleted_at = models.DateTimeField(null=True, blank=True)
    # Stored so that "has failed or no-data items" is one indexed column, not an OR.
    has_problems = models.GeneratedField(
        expression=models.ExpressionWrapper(
            models.Q(total_failed_count__gt=0) | models.Q(total_no_data_count__gt=0),
            output_field=models.BooleanField(),
        ),
        output_field=models.BooleanField(null=True),
        db_persist=True,
    )

    objects = SegmentQuerySet.as_manager()

    class Meta:
        ordering = ["end_date", "segment_id"]
        permissions = [
            ("operate_segment", "Can extend, delete, create and activate segments"),
        ]
        # Visible rows are filtered on is_deleted, so it leads every index that
        # serves a filter or a sort of the segments table.
        indexes = [
            models.Index(fields=["is_deleted", "end_date", "segment_id"]),
            # Sorts end on the key, which SQLite's index entries carry only when it is a
            # column: then a deep page walks the index alone (page 2,000 by name at 1M).
            models.Index(fields=["is_deleted", "name", "segment_id"]),
            models.Index(fields=["is_deleted", "status", "end_date"]),
            models.Index(fields=["is_deleted", "updated", "segment_id"]),
            # segment_id last: with the table's tie-break on the key, SQLite sorted every
            # row for a log-count sort (9 s at 1M) instead of walking this index.
            models.Index(fields=["is_deleted", "total_log_count", "segment_id"]),
            models.Index(fields=["is_deleted", "platform_id"]),
            # Status and platform, sorted by log events: the bench's slowest
            # combination on SQLite (segments/search.py has the name indexes).
            models.Index(fields=["is_deleted", "status", "platform_id", "total_log_count"]),
            # The search's ref-id lookup (segments/search.py).
            models.Index(Lower("segment_ref_id"), name="segment_ref_id_lower"),
            models.Index(fields=["is_deleted", "country", "end_date"]),
            models.Index(fields=["is_deleted", "has_problems", "end_date"]),
            models.Index(fields=["is_deleted", "audience_name", "segment_id"]),
            models.Index(fields=["audience", "is_deleted"]),
            models.Index(fields=["account", "is_deleted"]),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.segment_id})"

    PIPELINE = (
        ("ready", "total_ready_count"),
        ("processing", "total_processing_count"),
        ("pending", "total_pending_count"),
        ("failed", "total_failed_count"),
        ("no data", "total_no_data_count"),
        ("uploaded", "total_upload_count"),
    )

    @property
    def confirmed_at(self) -> datetime | None:
        """When the platform last confirmed this segment as the mirror has it: its
        row's last write, or its audience's last fetch if later (an unchanged
        segment is not written again)."""
        try:
            fetched = self.audience.segments_synced_at if self.audience_id else None
        except ObjectDoesNotExist:  # the audience is not (or no longer) in the mirror
            fetched = None
        return max(filter(None, (self.synced_at, fetched)), default=None)

    @property
    def pipeline(self) -> list[tuple[str, int | None]]:
        return [(label, getattr(self, field)) for label, field in self.PIPELINE]

    def days_left(self, now=None) -> int | None:
        if self.end_date is None:
            return None
        return (self.end_date - (now or timezone.now())).days


# The upload pipeline's counts, each with the short name pages and totals use.
# The one list of them: the sync, the snapshots' comparison, the overview's
# totals and the export all read it (SegmentCountSnapshot declares the same columns).
COUNT_NAMES = {
    "total_log_count": "log",
    "total_ready_count": "ready",
    "total_processing_count": "processing",
    "total_pending_count": "pending",
    "total_upload_count": "uploaded",
    "total_failed_count": "failed",
    "total_no_data_count": "no_data",
    "total_segment_upload_count": "segment_uploads",
}
COUNT_FIELDS = tuple(COUNT_NAMES)


class SegmentCountSnapshot(models.Model):
    """A segment's pipeline counts, recorded whenever a sync sees them change."""

    # Indexed by (segment, taken_at) below, which leads with it.
    segment = models.ForeignKey(
        Segment,
        db_index=False,
        db_constraint=False,
        on_delete=models.DO_NOTHING,
        related_name="snapshots",
    )
    taken_at = models.DateTimeField(default=timezone.now)
    total_log_count = models.BigIntegerField()
    total_ready_count = models.BigIntegerField(null=True)
    total_processing_count = models.BigIntegerField(null=True)
    total_pending_count = models.BigIntegerField()
    total_upload_count = models.BigIntegerField()
    total_failed_count = models.BigIntegerField(null=True)
    total_no_data_count = models.BigIntegerField(null=True)
    total_segment_upload_count = models.BigIntegerField()

    class Meta:
        ordering = ["segment", "taken_at"]
        indexes = [models.Index(fields=["segment", "taken_at"])]

    def __str__(self) -> str:
        return f"counts of segment {self.segment_id} at {self.taken_at:%Y-%m-%d %H:%M}"
