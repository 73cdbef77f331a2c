"""The app's models, one module per concern; import them from ``segments.models``."""

from segments.models.audit import AuditEvent
from segments.models.bulk import BulkRun
from segments.models.bulk_items import BulkItem
from segments.models.deletes import ScheduledDelete
from segments.models.leases import Lease, WorkerBeat
from segments.models.locks import SegmentWriteLock
from segments.models.mirror import (
    COUNT_FIELDS,
    COUNT_NAMES,
    Account,
    Audience,
    PagedByKeysQuerySet,
    Segment,
    SegmentCountSnapshot,
    SegmentQuerySet,
)
from segments.models.policies import ExpiryPolicy, ExpiryPolicyEdit, PolicyRun, PolicyRunItem
from segments.models.saved_views import SavedView, ViewPreference
from segments.models.sync import SyncState
from segments.models.team import Note, Review
from segments.models.tokens import SubmissionToken

__all__ = [
    "COUNT_FIELDS",
    "COUNT_NAMES",
    "Account",
    "Audience",
    "AuditEvent",
    "BulkItem",
    "BulkRun",
    "ExpiryPolicy",
    "ExpiryPolicyEdit",
    "Lease",
    "Note",
    "PagedByKeysQuerySet",
    "PolicyRun",
    "PolicyRunItem",
    "Review",
    "SavedView",
    "ScheduledDelete",
    "Segment",
    "SegmentCountSnapshot",
    "SegmentQuerySet",
    "SegmentWriteLock",
    "SubmissionToken",
    "SyncState",
    "ViewPreference",
    "WorkerBeat",
]
