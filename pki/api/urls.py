"""The pki endpoints of the people's API, mounted under /api/v1/ by portal/urls.py."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from .views import CertificateOrderView, CertificateViewSet, RevocationRequestViewSet

router = SimpleRouter()
router.register("certificates", CertificateViewSet, basename="api-certificate")
router.register("revocation-requests", RevocationRequestViewSet, basename="api-revocation-request")

urlpatterns = [
    path("certificate-orders/", CertificateOrderView.as_view(), name="api-certificate-orders"),
    *router.urls,
]
