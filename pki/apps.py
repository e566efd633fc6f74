from django.apps import AppConfig


class PkiConfig(AppConfig):
    name = "pki"
    verbose_name = "SMKI"

    def ready(self) -> None:
        from portal.audit_hooks import track
        from portal.rules import register_role_check

        from . import (
            checks,  # noqa: F401 - registers the SMKI system checks
            conf,
        )
        from .dcc_identity import connect as connect_identity_cache
        from .models import IssuancePolicy
        from .signals import refuse_solr_role_with_other_certificates
        from .signers import connect as connect_signer_cache

        conf.validate()  # every SMKI_* setting, at start-up: ImproperlyConfigured names a bad one

        # CAs, certificates, orders and CRLs are audited by the services that change them (pki.ca,
        # pki.issuance, pki.revocation, pki.crl, pki.importer; read-only in the admin). The issuance
        # policy is data edited in the admin, so every change to it is recorded.
        track(IssuancePolicy)
        # MP134B BR2: no SoLR Contingency role for a User ID that still holds other certificates.
        # Registered as a registry role check, so the admin's form validation shows it too.
        register_role_check(refuse_solr_role_with_other_certificates)
        # The DUIS verifier's signer cache forgets a certificate as soon as it is saved or deleted here.
        connect_signer_cache()
        connect_identity_cache()  # and the DCC's own signing identity (pki.dcc_identity.signing_identity)
        # The home page's "certificates about to expire" panel (portal may not import pki: it is registered).
        from portal.home import register_panel

        from .home_panels import PANELS
        for panel in PANELS:
            register_panel(panel)
