from django.apps import AppConfig


class ContingencyConfig(AppConfig):
    name = "contingency"
    verbose_name = "SoLR contingency"

    def ready(self) -> None:
        from portal.audit_hooks import track

        from . import conf
        from .models import Device

        conf.validate()  # contingency's settings, at start-up: ImproperlyConfigured names a bad one
        track(Device)
