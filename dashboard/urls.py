from django.contrib import admin
from django.urls import include, path

from segments.health import healthz

urlpatterns = [
    path("admin/", admin.site.urls),
    path("healthz/", healthz, name="healthz"),
    path("alerts/", include("segments.alerts.urls")),
    path("", include("segments.urls")),
]
