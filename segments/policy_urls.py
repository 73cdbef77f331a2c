from django.urls import path

from segments import policy_views

urlpatterns = [
    path("policies/", policy_views.policies, name="policy-list"),
    path("policies/new/", policy_views.policy_create, name="policy-create"),
    path("policies/<int:policy_id>/", policy_views.policy_detail, name="policy-detail"),
    path("policies/<int:policy_id>/edit/", policy_views.policy_edit, name="policy-edit"),
    path("policies/<int:policy_id>/pause/", policy_views.policy_pause, name="policy-pause"),
    path("policies/<int:policy_id>/delete/", policy_views.policy_delete, name="policy-delete"),
]
