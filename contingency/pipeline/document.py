"""Checks 2-4 (DESIGN §4): safe parse, the DUIS schema, the XML signature; then the verified header is read.

2. ``pki.safexml``: no DTD, no entities, no network, no huge trees (its codes).
3. ``contingency.duis.structure.check_request``: the official DUIS 5.4 XSD when ``DUIS_SCHEMA_DIR`` names it, the
   project's own structural check otherwise.
4. ``pki.signers.verify``: the DCC Boxed profile, the signer found by issuer + serial in the repository, valid now,
   not revoked, an XML-signing certificate. Only the verified tree (parsed again from the signed octets) is read
   further: ``contingency.duis.requests.parse`` (its codes are check 5's "header cannot be read"), then the
   signing certificate's EUI must be the RequestID's originator (``signer-not-originator``).
"""

from __future__ import annotations

from pki import safexml, signers, xmldsig

from .. import conf
from ..duis import requests, structure
from ..duis.refusals import MessageRefused
from .intake import Intake
from .refusal import Refused, refused_from


def check_parse(intake: Intake):
    """Check 2: the body is acceptable XML; returns the tree (for the schema check only)."""
    try:
        return safexml.parse(intake.body)
    except safexml.XMLRejected as exc:
        raise refused_from(exc) from None


def check_schema(intake: Intake, tree) -> None:
    """Check 3: the official XSD (``DUIS_SCHEMA_DIR``) or the own structural check."""
    try:
        structure.check_request(tree, conf.get("DUIS_SCHEMA_DIR") or None)
    except MessageRefused as exc:
        raise refused_from(exc) from None


def check_signature(intake: Intake) -> None:
    """Check 4: the signature verifies through the repository; the verified header is read; signer = originator."""
    try:
        verified = signers.verify(intake.body, at=intake.now)
    except xmldsig.SignatureRejected as exc:
        refused = refused_from(exc)
        if exc.signer_code:  # unknown, expired, revoked, wrong-kind certificate …: the repository's reason
            refused.details = {"signer_code": exc.signer_code}
        raise refused from None
    try:
        intake.request = requests.parse(verified.root)
    except MessageRefused as exc:
        subject = exc if exc.request_id is not None else None
        raise refused_from(exc, subject=subject) from None
    intake.signer_eui = verified.signer.subject_eui
    if intake.signer_eui != intake.request.request_id.originator:
        raise Refused("signer-not-originator", f"signed by {intake.signer_eui}, but the RequestID's originator is "
                                               f"{intake.request.request_id.originator}")
