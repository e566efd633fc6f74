"""The contingency app's Celery tasks, where the worker's autodiscovery looks (``<app>.tasks``); each room keeps
its own tasks module and is imported here."""

from .alerts.tasks import reroute_unroutable  # noqa: F401
from .delivery.gateway.tasks import execute_due  # noqa: F401
from .delivery.tasks import deliver_push, sweep_pushes  # noqa: F401
from .events.tasks import apply_licence_revocations, expire_activations  # noqa: F401
