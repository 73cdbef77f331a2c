from django.urls import path

from segments.alerts import views

urlpatterns = [
    path("", views.inbox, name="alert-inbox"),
    path("read-all/", views.notifications_read_all, name="alert-read-all"),
    path("<int:notification_id>/read/", views.notification_read, name="alert-read"),
    path("acknowledge/<int:alert_id>/", views.alert_acknowledge, name="alert-acknowledge"),
    path("subscriptions/", views.subscriptions, name="alert-subscriptions"),
    path(
        "subscriptions/<int:subscription_id>/delete/",
        views.subscription_delete,
        name="alert-subscription-delete",
    ),
    path("webhooks/", views.webhooks, name="alert-webhooks"),
    path("webhooks/<int:endpoint_id>/active/", views.webhook_toggle, name="alert-webhook-toggle"),
    path("webhooks/<int:endpoint_id>/delete/", views.webhook_delete, name="alert-webhook-delete"),
]
