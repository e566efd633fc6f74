"""The registry's vocabulary: kinds of Party, licence states, DUIS User Roles, offices.

Plain choices, apart from the models, so that the rules (portal.rules) can speak these words without
importing a model: the models import the rules, never the other way round.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class PartyKind(models.TextChoices):
    SUPPLIER = "supplier", "Supplier"
    SRP = "srp", "Shared Resource Provider"
    DCC = "dcc", "DCC"
    AUTHORITY = "authority", "Authority"
    NETWORK_OPERATOR = "network_operator", "Network Operator"
    OTHER = "other", "Other"


class LicenceStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    REVOKED = "revoked", "Revoked"


class DuisRole(models.TextChoices):
    """DUIS User Roles (DUIS 'Eligible User Roles'). The SoLR Contingency code is a setting."""

    IS = "IS", "Import Supplier"
    ES = "ES", "Export Supplier"
    GS = "GS", "Gas Supplier"
    RSA = "RSA", "Registered Supplier Agent"
    ED = "ED", "Electricity Distributor"
    GT = "GT", "Gas Transporter"
    OU = "OU", "Other User"


def solr_role_code() -> str:
    """The DUIS code of the SoLR Contingency User Role (MP134B business requirement 1)."""
    return settings.SOLR_CONTINGENCY_ROLE_CODE


def role_choices() -> list[tuple[str, str]]:
    return [*DuisRole.choices, (solr_role_code(), "SoLR Contingency")]


class UserIDStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    SUSPENDED = "suspended", "Suspended"
    WITHDRAWN = "withdrawn", "Withdrawn"


class OfficeKind(models.TextChoices):
    SRO = "sro", "Senior Responsible Officer"
    ARO = "aro", "Authorised Responsible Officer"
    DCC_OPERATOR = "dcc_operator", "DCC operator"
    AUTHORITY_OFFICER = "authority_officer", "Authority officer"


class OfficeStatus(models.TextChoices):
    """An office's life (SEC Section L, the SMKI RAPP): an SRO nominates an ARO, a DCC operator verifies or
    rejects the nomination, the SRO may remove the ARO. Rejected and removed offices stay as history."""

    NOMINATED = "nominated", "Nominated"
    VERIFIED = "verified", "Verified"
    REJECTED = "rejected", "Rejected"
    REMOVED = "removed", "Removed"
