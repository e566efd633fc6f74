"""The SoLR business's models, one module per subject (docs/architecture.md). Meters, ADT files, SoLR events
(instructions and activations); DUIS requests and delivery come with their issues, each in a module of its own
here."""

from .adt import AdtFile, AdtFileQuerySet, AdtFileState, AdtThreshold, AdtThresholdQuerySet  # noqa: F401
from .devices import Device, DeviceQuerySet  # noqa: F401 - Django finds the app's models here
from .events import (  # noqa: F401
    Activation,
    ActivationState,
    ActivationTransition,
    Instruction,
    LicenceRevocation,
    ScopeKind,
)
from .service_matrix import COMMAND_VARIANTS, ServicePermission, ServicePermissionQuerySet  # noqa: F401

__all__ = ["AdtFile", "AdtFileQuerySet", "AdtFileState", "AdtThreshold", "AdtThresholdQuerySet", "Device",
           "DeviceQuerySet", "Activation", "ActivationState", "ActivationTransition", "Instruction",
           "LicenceRevocation", "ScopeKind", "COMMAND_VARIANTS", "ServicePermission", "ServicePermissionQuerySet"]
