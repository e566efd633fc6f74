"""The contingency endpoints of the people's API, mounted under /api/v1/ by portal/urls.py."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from . import duis
from .devices import DeviceViewSet
from .events.views import ActivationViewSet, EventViewSet, InstructionViewSet, LicenceRevocationViewSet
from .quarantine import AdtNoticeViewSet, QuarantineDecisionViewSet, QuarantinedRequestViewSet
from .responses import ResponseViewSet
from .views import AdtFileViewSet

router = SimpleRouter()
router.register("adt-files", AdtFileViewSet, basename="api-adt-file")
# SoLR events (issue 9 point 10). basenames "api-…": the pages' URL names live in the "events" namespace.
router.register("licence-revocations", LicenceRevocationViewSet, basename="api-licence-revocation")
router.register("instructions", InstructionViewSet, basename="api-instruction")
router.register("events", EventViewSet, basename="api-event")
router.register("activations", ActivationViewSet, basename="api-activation")
# The quarantine console (issue 10 point 9; docs/quarantine.md). DCC operators only.
router.register("quarantined-requests", QuarantinedRequestViewSet, basename="api-quarantined-request")
router.register("quarantine-decisions", QuarantineDecisionViewSet, basename="api-quarantine-decision")
router.register("adt-notices", AdtNoticeViewSet, basename="api-adt-notice")

# The meters, for the DCC service desk (issue 11 point 4; docs/devices-api.md). basename "api-device".
router.register("devices", DeviceViewSet, basename="api-device")

# Service Responses by polling, for a User ID whose endpoint is down (issue 11 point 3; docs/delivery.md).
router.register("responses", ResponseViewSet, basename="api-response")

# The DUIS endpoints (issue 10; DCC Boxed URLs, no trailing slash): signed XML, not the people's API.
urlpatterns = [
    path("serviceT", duis.service_t, name="duis-service-t"),
    path("serviceS", duis.service_s, name="duis-service-s"),
    path("serviceD", duis.service_d, name="duis-service-d"),
    *router.urls,
]
