"""The site's URLs plus two views that fail, so that tests can see the 400 and 500 pages as users would."""

from django.core.exceptions import SuspiciousOperation
from django.urls import path

from portal.urls import urlpatterns as site_urlpatterns


def fails(request):
    raise RuntimeError("a bug in a view")


def suspicious(request):
    raise SuspiciousOperation("a request the service cannot read")


urlpatterns = [
    path("test-errors/500", fails),
    path("test-errors/400", suspicious),
    *site_urlpatterns,
]
