"""The portal endpoints of the people's API, mounted under /api/v1/ by portal/urls.py."""

from rest_framework.routers import SimpleRouter

from portal.offices.api import OfficeViewSet

router = SimpleRouter()
# basename "api-office": the pages already use the names "offices" and "office-detail".
router.register("offices", OfficeViewSet, basename="api-office")

urlpatterns: list = [*router.urls]
