"""Business logic that reads: querysets and data for the views, one module per subject."""

from segments.selectors.activity import activity_filter, activity_list
from segments.selectors.audiences import (
    account_choices,
    account_list,
    audience_filter,
    audience_get,
    audience_list,
)
from segments.selectors.bulk import (
    bulk_run_get,
    bulk_run_list_url,
    bulk_run_report,
    bulk_run_sample,
)
from segments.selectors.overview import (
    attention_queue,
    expiring_segments,
    overview,
    overview_figures,
    problem_segments,
)
from segments.selectors.segments import (
    segment_count_history,
    segment_filter,
    segment_filter_choices,
    segment_get,
    segment_ids_matching,
    segment_ids_visible,
    segment_list,
)
from segments.selectors.sync import sync_banner, sync_states
from segments.selectors.team import (
    assignable_users,
    assigned_count,
    assignees_of,
    team_context,
)

__all__ = [
    "account_choices",
    "account_list",
    "activity_filter",
    "activity_list",
    "assignable_users",
    "assigned_count",
    "assignees_of",
    "attention_queue",
    "audience_filter",
    "audience_get",
    "audience_list",
    "bulk_run_get",
    "bulk_run_list_url",
    "bulk_run_report",
    "bulk_run_sample",
    "expiring_segments",
    "overview",
    "overview_figures",
    "problem_segments",
    "segment_count_history",
    "segment_filter",
    "segment_filter_choices",
    "segment_get",
    "segment_ids_matching",
    "segment_ids_visible",
    "segment_list",
    "sync_banner",
    "sync_states",
    "team_context",
]
