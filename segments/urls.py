from django.urls import path

from segments import views

urlpatterns = [
    path("", views.overview, name="overview"),
]
