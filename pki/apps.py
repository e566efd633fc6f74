from django.apps import AppConfig


class PkiConfig(AppConfig):
    name = "pki"
    verbose_name = "SMKI"

    def ready(self) -> None:
        from portal.audit_hooks import track

        from .models import IssuancePolicy

        # CAs, certificates, orders and CRLs are audited by the services that change them (pki.ca,
        # pki.issuance, pki.revocation, pki.crl, pki.importer; read-only in the admin). The issuance
        # policy is data edited in the admin, so every change to it is recorded.
        track(IssuancePolicy)
