from django.contrib import admin
from django.urls import include, path

from segments.health import healthz

urlpatterns = [
    path("admin/", admin.site.urls),
    path("healthz/", healthz, name="healthz"),
    path("alerts/", include("segments.alerts.urls")),
    path("", include("segments.urls")),
    path("", include("segments.policy_urls")),
    path("", include("segments.saved_view_urls")),
    path("", include("segments.delete_urls")),
]

handler404 = "segments.responses.page_not_found"
