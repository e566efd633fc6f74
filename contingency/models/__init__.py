"""The SoLR business's models, one module per subject (docs/architecture.md). Meters and ADT files now;
instructions and activations, DUIS requests and delivery come with their issues, each in a module of its own
here."""

from .adt import AdtFile, AdtFileQuerySet, AdtFileState, AdtThreshold, AdtThresholdQuerySet  # noqa: F401
from .devices import Device, DeviceQuerySet  # noqa: F401 - Django finds the app's models here

__all__ = ["AdtFile", "AdtFileQuerySet", "AdtFileState", "AdtThreshold", "AdtThresholdQuerySet", "Device",
           "DeviceQuerySet"]
