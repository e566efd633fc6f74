"""Rules pki adds to other apps' models (registered in pki/apps.py). portal never imports pki: the rule lives here.

MP134B business requirement 2: a User ID holding the SoLR Contingency role may hold XML signing certificates
only. Issuance and import enforce it (pki.issuance.check_policy); this receiver closes the other door: giving
the role to a User ID that already holds a Digital Signing or Key Agreement certificate.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError


def usable_non_xml_certificates(user_id):
    """Digital Signing / Key Agreement certificates of ``user_id`` that are neither revoked nor expired now
    (``CertificateQuerySet.not_ended``: a not-yet-valid one counts, it will become usable): linked to it, or
    (imported before it was registered) carrying its EUI."""
    from .models import Certificate, CertificateKind

    others = [kind for kind in CertificateKind.values if kind != CertificateKind.XML_SIGNING]
    return Certificate.objects.held_by(user_id).filter(kind__in=others).not_ended().order_by("pk")


def refuse_solr_role_with_other_certificates(holder, role: str) -> None:
    """A registry role check (portal.rules.register_role_check): refuse the SoLR Contingency role while the
    holder has any unrevoked Digital Signing or Key Agreement certificate (MP134B business requirement 2)."""
    from portal.models import solr_role_code

    if role != solr_role_code() or holder.pk is None:
        return
    certs = list(usable_non_xml_certificates(holder)[:20])
    if certs:
        listed = ", ".join(f"serial {c.serial} ({c.get_kind_display()}, issuer {c.issuer_name})" for c in certs)
        raise ValidationError(
            f"User ID {holder.eui} cannot take the SoLR Contingency role ({role}) while it holds "
            f"certificates other than XML signing ones: {listed}. A SoLR Contingency User ID may hold XML "
            f"signing certificates only (MP134B business requirement 2): revoke these certificates first.",
            code="mp134b-br2",
        )
