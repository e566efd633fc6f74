"""The contingency app's Celery tasks, where the worker's autodiscovery looks (``<app>.tasks``); each room keeps
its own tasks module and is imported here."""

from .events.tasks import apply_licence_revocations, expire_activations  # noqa: F401
