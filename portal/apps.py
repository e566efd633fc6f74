from django.apps import AppConfig
from django.core.exceptions import ImproperlyConfigured


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = "Registry"

    def ready(self) -> None:
        from django.conf import settings

        # audit_hooks connects the audit signal handlers; checks and audit_checks register the deployment checks.
        from . import audit_checks, audit_hooks, checks, datadir  # noqa: F401
        from .eui import InvalidEUI64, parse_eui64

        # Settings that need more than their type to be right are checked here, at start-up of every process.
        try:
            parse_eui64(settings.DCC_USER_ID)
        except InvalidEUI64 as exc:
            raise ImproperlyConfigured(f"SOLR_DCC_USER_ID={settings.DCC_USER_ID!r}: not an EUI-64 ({exc})") from None
        # Folders are made by the code that needs them, at start-up, private (not when settings are imported).
        datadir.prepare(settings)
