from django.contrib.auth import views as auth_views
from django.urls import path

from segments import views

urlpatterns = [
    path("", views.overview, name="overview"),
    path("segments/", views.segment_list, name="segment-list"),
    path("segments/export.csv", views.segment_export, name="segment-export"),
    path("segments/<int:segment_id>/", views.segment_detail, name="segment-detail"),
    path("audiences/", views.audience_list, name="audience-list"),
    path("audiences/<int:audience_id>/", views.audience_detail, name="audience-detail"),
    path("accounts/", views.account_list, name="account-list"),
    path("refresh/", views.refresh, name="refresh"),
    path("refresh/status/", views.sync_status, name="sync-status"),
    path(
        "login/",
        auth_views.LoginView.as_view(
            template_name="registration/login.html", redirect_authenticated_user=True
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
]
