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
        # The home page's "ADT files to approve" panel (portal may not import contingency: it is registered).
        from portal.home import register_panel

        from .home_panels import PANELS
        for panel in PANELS:
            register_panel(panel)
