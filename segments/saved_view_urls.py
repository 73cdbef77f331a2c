from django.urls import path

from segments import saved_view_views as views

urlpatterns = [
    path("views/", views.saved_views, name="saved-views"),
    path("views/save/", views.saved_view_save, name="saved-view-save"),
    path("views/default/", views.saved_view_default, name="saved-view-default"),
    path("views/<int:view_id>/", views.saved_view_open, name="saved-view-open"),
    path("views/<int:view_id>/share/", views.saved_view_share, name="saved-view-share"),
    path("views/<int:view_id>/edit/", views.saved_view_edit, name="saved-view-edit"),
    path("views/<int:view_id>/delete/", views.saved_view_remove, name="saved-view-remove"),
]
