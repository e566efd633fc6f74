"""The portal endpoints of the people's API, mounted under /api/v1/ by portal/urls.py."""

from django.urls import include, path
from rest_framework.routers import SimpleRouter

from portal.api.user_ids import UserIDViewSet
from portal.offices.api import OfficeViewSet

router = SimpleRouter()
# basename "api-office": the pages already use the names "offices" and "office-detail".
router.register("offices", OfficeViewSet, basename="api-office")
router.register("user-ids", UserIDViewSet, basename="api-user-id")  # docs/user-ids.md (issue 9 point 8)

urlpatterns: list = [
    *router.urls,
    path("", include("portal.accounts.api_urls")),  # GET /api/v1/account/ (docs/accounts.md)
]
