"""The contingency endpoints of the people's API, mounted under /api/v1/ by portal/urls.py."""

from rest_framework.routers import SimpleRouter

from .views import AdtFileViewSet

router = SimpleRouter()
router.register("adt-files", AdtFileViewSet, basename="api-adt-file")

urlpatterns = router.urls
