"""The pki endpoints of the people's API, mounted under /api/v1/ by portal/urls.py."""

urlpatterns: list = []
