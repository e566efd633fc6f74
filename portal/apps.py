from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = "Registry"

    def ready(self) -> None:
        from . import audit_hooks  # noqa: F401  (connects the audit signal handlers)
