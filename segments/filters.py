"""The tables' filters as django-filter ``FilterSet``s, used inside the selectors
(``SegmentFilter(data, queryset).qs``); their forms are the pages' filter forms.

Every value comes from the URL, so every value is validated: an invalid one is
reported on the form ("Some filters were ignored") and left out of the query,
while the valid ones still apply. Dates are days in the operator's zone.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

import django_filters
from django import forms
from django.db.models import QuerySet
from django.utils import timezone

from segments.fields import BoundedDateField, BoundedDateTimeField, IdField, IdsField
from segments.models import Audience, AuditEvent, Review, Segment
from segments.search import segment_search
from segments.widgets import DateInput, DateTimeLocalInput

PER_PAGE_CHOICES = [(25, "25"), (50, "50"), (100, "100")]
DEFAULT_PER_PAGE = 25
EXPIRING_DAYS = 7
WITHIN_DAYS_MAX = 3650
TRI_STATE = [("", "Any"), ("yes", "Yes"), ("no", "No")]
CONDITIONS = [("", "Any time"), ("gt", "after"), ("lt", "before"), ("eq", "on"), ("bt", "between")]
RANGE_ORDER_ERROR = "The end of the range must not be before its start."


def day_start(day, tz) -> datetime:
    return datetime.combine(day, time.min, tzinfo=tz)


class IdFilter(django_filters.Filter):
    field_class = IdField


class BoundedDateFilter(django_filters.DateFilter):
    field_class = BoundedDateField


class CheckboxFilter(django_filters.Filter):
    field_class = forms.BooleanField


class TriStateFilter(django_filters.TypedChoiceFilter):
    """Any / yes / no over a boolean column."""

    def __init__(self, **kwargs):
        super().__init__(choices=TRI_STATE, coerce=lambda v: v == "yes", empty_value=None, **kwargs)


class TableFilterForm(forms.Form):
    """A filter form that also carries the table's page size (not a filter)."""

    per_page = forms.TypedChoiceField(
        choices=PER_PAGE_CHOICES,
        coerce=int,
        empty_value=DEFAULT_PER_PAGE,
        required=False,
        label="Rows",
        error_messages={
            "invalid_choice": "“%(value)s” rows a page is not offered: choose "
            + ", ".join(label for _, label in PER_PAGE_CHOICES[:-1])
            + f" or {PER_PAGE_CHOICES[-1][1]}."
        },
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Django's "Select a valid choice. X is not one of the available choices." reads
        # oddly after a field's name in the "Some filters were ignored" summary.
        stock = str(forms.ChoiceField.default_error_messages["invalid_choice"])
        for field in self.fields.values():
            if str(field.error_messages.get("invalid_choice", "")) == stock:
                field.error_messages["invalid_choice"] = "“%(value)s” is not one of its choices."

    def valid_values(self) -> dict[str, Any]:
        """The cleaned values of the valid fields only."""
        self.is_valid()
        return self.cleaned_data

    @property
    def page_size(self) -> int:
        """The valid ``per_page``, else the default."""
        return self.valid_values().get("per_page") or DEFAULT_PER_PAGE

    @property
    def active_count(self) -> int:
        return sum(
            1
            for name, value in self.valid_values().items()
            if name != "per_page" and value not in (None, "", False)
        )


class TableFilterSet(django_filters.FilterSet):
    """Applies each valid filter; the form's other fields (page size, the parts of a
    date range) are read by the filter methods that need them."""

    class Meta:
        form = TableFilterForm

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        cleaned = self.form.cleaned_data
        for name, filter_ in self.filters.items():
            if name in cleaned:
                queryset = filter_.filter(queryset, cleaned[name])
        return queryset

    def value(self, name: str):
        return self.form.cleaned_data.get(name)


# --- segments -------------------------------------------------------------------


class SegmentFilterForm(TableFilterForm):
    within_days = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=WITHIN_DAYS_MAX,
        label="N days",
        error_messages={
            key: f"Enter a whole number of days from 1 to {WITHIN_DAYS_MAX:,}."
            for key in ("invalid", "min_value", "max_value")
        },
    )
    end_from = BoundedDateField(required=False, label="From", widget=DateInput)
    end_to = BoundedDateField(required=False, label="To", widget=DateInput)

    def clean(self):
        data = super().clean()
        start, end = data.get("end_from"), data.get("end_to")
        if start and end and start > end:
            self.add_error("end_to", RANGE_ORDER_ERROR)
        if data.get("ends") == "between" and not (start or end):
            data["ends"] = ""  # "between" with neither (valid) day filters nothing
        return data


class SegmentFilter(TableFilterSet):
    """Filters of the segments table. ``choices`` (from the mirror) lists the
    accounts, platforms, statuses and countries there are to choose from; ``user``
    is who "assigned to me" means (without one, it matches nothing)."""

    q = django_filters.CharFilter(
        method="search",
        label="Search",
        max_length=200,
        widget=forms.TextInput(
            attrs={"placeholder": "Name, segment id or ref id", "type": "search"}
        ),
    )
    audience = IdFilter(field_name="audience_id", label="Audience id")
    account = django_filters.TypedChoiceFilter(
        field_name="account_id", coerce=int, empty_value=None, label="Account"
    )
    platform = django_filters.TypedChoiceFilter(
        field_name="platform_id", coerce=int, empty_value=None, label="Platform"
    )
    status = django_filters.TypedChoiceFilter(label="Status")
    country = django_filters.TypedChoiceFilter(coerce=int, empty_value=None, label="Country")
    active = TriStateFilter(label="Active")
    is_recurring = TriStateFilter(label="Recurring")
    extend = TriStateFilter(field_name="auto_extend", label="Auto-extend")
    is_system_generated = TriStateFilter(label="System generated")
    ends = django_filters.TypedChoiceFilter(
        method="filter_ends",
        label="End date",
        choices=[
            ("", "Any"),
            ("expired", "Past its end date"),  # not the status "Expired": any status
            ("within", "Ends within N days"),
            ("between", "Ends between"),
        ],
    )
    problems = CheckboxFilter(method="filter_problems", label="Has failed or no-data items")
    anomalies = CheckboxFilter(method="filter_anomalies", label="Anomalies")
    review = django_filters.TypedChoiceFilter(
        method="filter_review",
        label="Review",
        choices=[("", "Any review state"), ("none", "Not reviewed"), *Review.State.choices],
    )
    assigned = django_filters.TypedChoiceFilter(
        method="filter_assigned",
        label="Assigned",
        choices=[
            ("", "Assigned or not"),
            ("me", "Assigned to me"),
            ("anyone", "Assigned to someone"),
            ("nobody", "Assigned to nobody"),
        ],
    )

    class Meta:
        model = Segment
        fields = ()
        form = SegmentFilterForm

    def __init__(self, data=None, queryset=None, *, choices: dict, user=None, **kwargs):
        super().__init__(data, queryset, **kwargs)
        self.user = user
        for name, anything in (
            ("account", "Any account"),
            ("platform", "Any platform"),
            ("status", "Any status"),
            ("country", "Any country"),
        ):
            self.filters[name].extra["choices"] = [("", anything), *choices[name]]

    def search(self, queryset, name, value):
        return segment_search(queryset, value)

    def filter_ends(self, queryset, name, value):
        now = timezone.now()
        if value == "expired":
            return queryset.filter(end_date__lt=now)
        if value == "within":
            days = self.value("within_days") or EXPIRING_DAYS
            return queryset.filter(end_date__gte=now, end_date__lte=now + timedelta(days=days))
        tz = timezone.get_current_timezone()
        if start := self.value("end_from"):
            queryset = queryset.filter(end_date__gte=day_start(start, tz))
        if end := self.value("end_to"):
            queryset = queryset.filter(end_date__lt=day_start(end + timedelta(days=1), tz))
        return queryset

    def filter_problems(self, queryset, name, value):
        return queryset.with_problems() if value else queryset

    def filter_anomalies(self, queryset, name, value):
        # has_anomaly is annotated by selectors.segment_list (alerts.selectors.anomaly_flag)
        return queryset.filter(has_anomaly=True) if value else queryset

    def filter_review(self, queryset, name, value):
        if value == "none":
            return queryset.filter(review__isnull=True)
        return queryset.filter(review__state=value)

    def filter_assigned(self, queryset, name, value):
        if value == "anyone":
            return queryset.filter(assignment__isnull=False)
        if value == "nobody":
            return queryset.filter(assignment__isnull=True)
        if self.user is None or not self.user.is_authenticated:
            return queryset.none()
        return queryset.filter(assignment__assignee=self.user)


# --- audiences ------------------------------------------------------------------


class AudienceIdsFilter(django_filters.Filter):
    field_class = IdsField


class AudienceFilterForm(TableFilterForm):
    """The catalogue's date conditions: after, before, on (a day), between (inclusive)."""

    updated_value = BoundedDateTimeField(required=False, label="Date", widget=DateTimeLocalInput)
    updated_from = BoundedDateTimeField(required=False, label="From", widget=DateTimeLocalInput)
    updated_to = BoundedDateTimeField(required=False, label="To", widget=DateTimeLocalInput)
    refreshed_value = BoundedDateTimeField(required=False, label="Date", widget=DateTimeLocalInput)
    refreshed_from = BoundedDateTimeField(required=False, label="From", widget=DateTimeLocalInput)
    refreshed_to = BoundedDateTimeField(required=False, label="To", widget=DateTimeLocalInput)

    def clean(self):
        data = super().clean()
        # A condition chosen before its dates is not an error yet: it filters nothing.
        for prefix in ("updated", "refreshed"):
            if data.get(f"{prefix}_condition") != "bt":
                continue
            lower, upper = data.get(f"{prefix}_from"), data.get(f"{prefix}_to")
            if bool(lower) != bool(upper):
                missing = f"{prefix}_to" if lower else f"{prefix}_from"
                self.add_error(missing, "“Between” needs both dates.")
            if lower and upper and lower > upper:
                self.add_error(f"{prefix}_to", RANGE_ORDER_ERROR)
        return data


class AudienceFilter(TableFilterSet):
    """Filters of the catalogue, with the List API's meanings (``bt`` inclusive,
    ``eq`` the same day)."""

    q = django_filters.CharFilter(
        field_name="name",
        lookup_expr="icontains",
        label="Name",
        max_length=200,
        widget=forms.TextInput(attrs={"placeholder": "Name contains", "type": "search"}),
    )
    type = django_filters.TypedChoiceFilter(
        label="Type",
        choices=[("", "Lists and segments"), ("list", "Lists"), ("segment", "Segments")],
    )
    ids = AudienceIdsFilter(
        what="audience id",
        field_name="id",
        lookup_expr="in",
        label="Audience ids",
        max_length=2000,
        widget=forms.TextInput(attrs={"placeholder": "e.g. 1001, 1002"}),
    )
    updated_condition = django_filters.TypedChoiceFilter(
        method="filter_date_condition", choices=CONDITIONS, label="Last updated"
    )
    refreshed_condition = django_filters.TypedChoiceFilter(
        method="filter_date_condition", choices=CONDITIONS, label="Last refreshed"
    )

    class Meta:
        model = Audience
        fields = ()
        form = AudienceFilterForm

    COLUMNS = {"updated_condition": "last_updated", "refreshed_condition": "last_refreshed"}

    def filter_date_condition(self, queryset, name, condition):
        column = self.COLUMNS[name]
        prefix = name.removesuffix("_condition")
        value, lower, upper = (self.value(f"{prefix}_{k}") for k in ("value", "from", "to"))
        if condition == "gt" and value:
            return queryset.filter(**{f"{column}__gt": value})
        if condition == "lt" and value:
            return queryset.filter(**{f"{column}__lt": value})
        if condition == "eq" and value:
            tz = timezone.get_current_timezone()
            start = value.astimezone(tz).date()
            return queryset.filter(
                **{
                    f"{column}__gte": day_start(start, tz),
                    f"{column}__lt": day_start(start + timedelta(days=1), tz),
                }
            )
        if condition == "bt" and lower and upper:
            return queryset.filter(**{f"{column}__gte": lower, f"{column}__lte": upper})
        return queryset


# --- activity -------------------------------------------------------------------


class ActivityFilter(TableFilterSet):
    user = django_filters.CharFilter(
        field_name="username", lookup_expr="iexact", max_length=150, label="User"
    )
    action = django_filters.TypedChoiceFilter(
        label="Action", choices=[("", "Any action"), *AuditEvent.Action.choices]
    )
    outcome = django_filters.TypedChoiceFilter(
        label="Outcome", choices=[("", "Any outcome"), *AuditEvent.Outcome.choices]
    )
    segment = IdFilter(field_name="segment_id", label="Segment id")
    account = django_filters.TypedChoiceFilter(
        method="filter_account", coerce=int, empty_value=None, label="Account"
    )
    bulk_run = IdFilter(field_name="bulk_run_id", label="Bulk run")
    date_from = BoundedDateFilter(method="filter_from", label="From", widget=DateInput)
    date_to = BoundedDateFilter(method="filter_to", label="To", widget=DateInput)

    class Meta:
        model = AuditEvent
        fields = ()
        form = TableFilterForm

    def __init__(self, data=None, queryset=None, *, accounts: list, **kwargs):
        super().__init__(data, queryset, **kwargs)
        self.filters["account"].extra["choices"] = [("", "Any account"), *accounts]

    def filter_account(self, queryset, name, value):
        # Events name segments, not accounts: the account's segments, deleted ones too.
        return queryset.filter(
            segment_id__in=Segment.objects.filter(account_id=value).values("segment_id")
        )

    def filter_from(self, queryset, name, value):
        return queryset.filter(at__gte=day_start(value, timezone.get_current_timezone()))

    def filter_to(self, queryset, name, value):
        tz = timezone.get_current_timezone()
        return queryset.filter(at__lt=day_start(value + timedelta(days=1), tz))
