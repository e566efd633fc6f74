"""The offices' pages (names agreed for issue 8: the navigation finds them by these names)."""

from django.urls import path

from . import views

urlpatterns = [
    path("offices/", views.office_list, name="offices"),
    path("offices/nominate/", views.office_nominate, name="office-nominate"),
    path("offices/<int:pk>/", views.office_detail, name="office-detail"),
]
