"""The app's models, one module per concern; import them from ``segments.models``."""

from segments.models.alerts import (
    Alert,
    AlertProfile,
    AlertSubscription,
    Condition,
    Notification,
    WebhookDelivery,
    WebhookEndpoint,
)
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
from segments.models.sync import DeferredIndex, SyncState
from segments.models.team import Assignment, Note, Review
from segments.models.tokens import SubmissionToken

__all__ = [
    "COUNT_FIELDS",
    "COUNT_NAMES",
    "Account",
    "Alert",
    "AlertProfile",
    "AlertSubscription",
    "Assignment",
    "Audience",
    "AuditEvent",
    "BulkItem",
    "BulkRun",
    "Condition",
    "DeferredIndex",
    "ExpiryPolicy",
    "ExpiryPolicyEdit",
    "Lease",
    "Note",
    "Notification",
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
    "WebhookDelivery",
    "WebhookEndpoint",
    "WorkerBeat",
]
