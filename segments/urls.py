from django.contrib.auth import views as auth_views
from django.urls import path

from segments import action_views, team_views, views

urlpatterns = [
    path("", views.overview, name="overview"),
    path("segments/", views.segment_list, name="segment-list"),
    path("segments/export.csv", views.segment_export, name="segment-export"),
    path("segments/columns/", views.column_chooser, name="column-chooser"),
    path("segments/<int:segment_id>/", views.segment_detail, name="segment-detail"),
    path("segments/<int:segment_id>/extend/", action_views.segment_extend, name="segment-extend"),
    path("segments/<int:segment_id>/delete/", action_views.segment_delete, name="segment-delete"),
    path("segments/<int:segment_id>/review/", team_views.segment_review, name="segment-review"),
    path("segments/<int:segment_id>/assign/", team_views.segment_assign, name="segment-assign"),
    path("segments/<int:segment_id>/notes/", team_views.segment_note, name="segment-note"),
    path(
        "segments/<int:segment_id>/notes/<int:note_id>/edit/",
        team_views.note_edit,
        name="note-edit",
    ),
    path(
        "segments/<int:segment_id>/notes/<int:note_id>/delete/",
        team_views.note_delete,
        name="note-delete",
    ),
    path("segments/bulk/", action_views.bulk_prepare, name="bulk-prepare"),
    path("queue/review/", team_views.queue_review, name="queue-review"),
    path("queue/assign/", team_views.queue_assign, name="queue-assign"),
    path("bulk/<int:run_id>/", action_views.bulk_run, name="bulk-run"),
    path("bulk/<int:run_id>/confirm/", action_views.bulk_confirm, name="bulk-confirm"),
    path("bulk/<int:run_id>/retry/", action_views.bulk_retry, name="bulk-retry"),
    path("audiences/", views.audience_list, name="audience-list"),
    path("audiences/new/", action_views.audience_create, name="audience-create"),
    path("audiences/<int:audience_id>/", views.audience_detail, name="audience-detail"),
    path(
        "audiences/<int:audience_id>/activate/",
        action_views.audience_activate,
        name="audience-activate",
    ),
    path("accounts/", views.account_list, name="account-list"),
    path("activity/", action_views.activity, name="activity"),
    path("refresh/", views.refresh, name="refresh"),
    path("refresh/status/", views.sync_status, name="sync-status"),
    path("refresh/banner/", views.sync_banner, name="sync-banner"),
    path(
        "login/",
        auth_views.LoginView.as_view(
            template_name="registration/login.html", redirect_authenticated_user=True
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
]
