"""The account endpoints of the people's API, mounted under /api/v1/ by portal/api/urls.py."""

from django.urls import path

from .api import AccountView

urlpatterns = [
    path("account/", AccountView.as_view(), name="api-account"),
]
