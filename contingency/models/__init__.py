"""The SoLR business's models, one module per subject (docs/architecture.md). Meters, ADT files, SoLR events
(instructions and activations), alerts and outbound pushes, the role → SRV table, DUIS Service Requests."""

from .adt import (  # noqa: F401
    AdtCount,
    AdtCountedRequest,
    AdtFile,
    AdtFileQuerySet,
    AdtFileState,
    AdtNotice,
    AdtNoticeKind,
    AdtThreshold,
    AdtThresholdQuerySet,
    AdtVerdictOutcome,
)
from .alerts import Alert, AlertKind, Push, PushAttempt, PushState, RouteKind  # noqa: F401
from .devices import Device, DeviceQuerySet  # noqa: F401 - Django finds the app's models here
from .events import (  # noqa: F401
    Activation,
    ActivationState,
    ActivationTransition,
    Instruction,
    LicenceRevocation,
    ScopeKind,
)
from .gateway import MeterBehaviour, ScheduledChange, ScheduledState, SimulatedMeter  # noqa: F401
from .requests import (  # noqa: F401
    DeviceCounter,
    QuarantineDecision,
    QuarantineDecisionState,
    RejectedRequest,
    RequestState,
    ServiceRequest,
    ServiceRequestQuerySet,
)
from .service_matrix import COMMAND_VARIANTS, ServicePermission, ServicePermissionQuerySet  # noqa: F401

__all__ = ["AdtCount", "AdtCountedRequest", "AdtNotice", "AdtNoticeKind", "AdtVerdictOutcome",
           "AdtFile", "AdtFileQuerySet", "AdtFileState", "AdtThreshold", "AdtThresholdQuerySet", "Device",
           "DeviceQuerySet", "Activation", "ActivationState", "ActivationTransition", "Instruction",
           "LicenceRevocation", "ScopeKind", "Alert", "AlertKind", "Push", "PushAttempt", "PushState", "RouteKind",
           "COMMAND_VARIANTS", "ServicePermission", "ServicePermissionQuerySet", "DeviceCounter", "QuarantineDecision",
           "QuarantineDecisionState", "RejectedRequest", "RequestState", "ServiceRequest", "ServiceRequestQuerySet",
           "MeterBehaviour", "ScheduledChange", "ScheduledState", "SimulatedMeter"]
