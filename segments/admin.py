"""Read-only admin for the mirror: it is written by syncs and remote writes only."""

from django import forms
from django.contrib import admin
from django.contrib.admin.views.main import ERROR_FLAG
from django.http import HttpResponseRedirect

from segments.models import Account, Audience, Segment, SegmentCountSnapshot, SyncState


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Audience)
class AudienceAdmin(ReadOnlyAdmin):
    list_display = ("id", "name", "type", "last_updated", "last_refreshed", "is_deleted")
    list_filter = ("type", "is_deleted")
    search_fields = ("name", "=id")


@admin.register(Account)
class AccountAdmin(ReadOnlyAdmin):
    list_display = ("id", "name", "platform_display_name", "agency_name", "updated")
    list_filter = ("platform_display_name", "agency_name")
    search_fields = ("name", "=id")


class DateDrillDownForm(forms.Form):
    """The admin's date drill-down values, bounded so that the next year, month
    or day (which the admin computes) is still a date."""

    year = forms.IntegerField(required=False, min_value=1, max_value=9998)
    month = forms.IntegerField(required=False, min_value=1, max_value=12)
    day = forms.IntegerField(required=False, min_value=1, max_value=31)


class BoundedDateHierarchy:
    """A drill-down to an impossible date is the admin's "invalid filter" page, not a 500."""

    def changelist_view(self, request, extra_context=None):
        field = self.date_hierarchy
        values = {part: request.GET.get(f"{field}__{part}") for part in ("year", "month", "day")}
        if not DateDrillDownForm(values).is_valid():
            return HttpResponseRedirect(f"{request.path}?{ERROR_FLAG}=1")
        return super().changelist_view(request, extra_context)


@admin.register(Segment)
class SegmentAdmin(BoundedDateHierarchy, ReadOnlyAdmin):
    list_display = (
        "segment_id",
        "name",
        "audience",
        "account",
        "status",
        "end_date",
        "total_log_count",
        "updated",
    )
    list_filter = ("status", "active", "auto_extend", "is_recurring", "platform_id", "is_deleted")
    list_select_related = ("audience", "account")
    search_fields = ("name", "=segment_id", "=segment_ref_id")
    date_hierarchy = "end_date"


@admin.register(SegmentCountSnapshot)
class SegmentCountSnapshotAdmin(ReadOnlyAdmin):
    list_display = ("segment", "taken_at", "total_segment_upload_count", "total_failed_count")
    list_select_related = ("segment",)


@admin.register(SyncState)
class SyncStateAdmin(ReadOnlyAdmin):
    list_display = ("source", "last_success_at", "last_error_at", "running_since")
