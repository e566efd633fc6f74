from django.apps import AppConfig


class PkiConfig(AppConfig):
    name = "pki"
    verbose_name = "SMKI"

    def ready(self) -> None:
        from portal.audit_hooks import track

        from .models import CertificateAuthority, IssuancePolicy

        # Certificates, orders and CRLs are audited by the services that change them (pki.issuance,
        # pki.revocation); the policy and the CAs can change in the admin, so every change is recorded.
        track(IssuancePolicy)
        track(CertificateAuthority, exclude=("der",))
