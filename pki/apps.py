from django.apps import AppConfig
from django.db.models.signals import pre_save


class PkiConfig(AppConfig):
    name = "pki"
    verbose_name = "SMKI"

    def ready(self) -> None:
        from portal.audit_hooks import track
        from portal.models import UserRole

        from . import checks  # noqa: F401 - registers the SMKI system checks
        from .models import IssuancePolicy
        from .signals import refuse_solr_role_with_other_certificates

        # CAs, certificates, orders and CRLs are audited by the services that change them (pki.ca,
        # pki.issuance, pki.revocation, pki.crl, pki.importer; read-only in the admin). The issuance
        # policy is data edited in the admin, so every change to it is recorded.
        track(IssuancePolicy)
        # MP134B BR2: no SoLR Contingency role for a User ID that still holds other certificates.
        pre_save.connect(refuse_solr_role_with_other_certificates, sender=UserRole,
                         dispatch_uid="pki.refuse_solr_role_with_other_certificates")
