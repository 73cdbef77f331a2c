from django.urls import path

from segments import delete_views

urlpatterns = [
    path(
        "deletes/<int:scheduled_id>/undo/",
        delete_views.scheduled_delete_undo,
        name="scheduled-delete-undo",
    ),
    path("bulk/<int:run_id>/undo/", delete_views.bulk_deletes_undo, name="bulk-deletes-undo"),
]
