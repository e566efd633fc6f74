"""The SoLR business's models, one module per subject (docs/architecture.md). Meters now; instructions and
activations, ADT, DUIS requests and delivery come with their issues, each in a module of its own here."""

from .devices import Device, DeviceQuerySet  # noqa: F401 - Django finds the app's models here

__all__ = ["Device", "DeviceQuerySet"]
