"""Checks 6 and 7 (DESIGN §4): the sender's User ID and role, then the role → SRV table.

6. The RequestID's originator is a registered User ID holding a DUIS User Role (else E1 ``user-unknown``), and
   it is active (else E3 ``user-not-active``).
7. ``contingency.service_matrix.decide``: some role of the sender may send this SRV (else E2 ``srv-not-permitted``)
   with this Command Variant (else E12 ``command-variant-not-permitted``). The table is editable by DCC operators
   (docs/service-matrix.md); for SoLR Contingency it starts with SRV 1.6 alone (MP134B requirement 3).
"""

from __future__ import annotations

from portal.models import UserIDStatus

from ..service_matrix.services import Decision, decide
from .intake import Intake
from .refusal import Refused


def check_user(intake: Intake) -> None:
    sender = intake.sender
    if sender is None or not intake.roles:
        raise Refused("user-unknown", f"{intake.request.request_id.originator} is not a registered User ID with a role")
    if sender.status != UserIDStatus.ACTIVE:
        raise Refused("user-not-active", f"User ID {sender.eui} is {sender.status}")


def check_role(intake: Intake) -> None:
    request = intake.request
    decision = decide(intake.roles, request.service_reference_variant, request.command_variant)
    if decision is Decision.SRV_NOT_PERMITTED:
        raise Refused("srv-not-permitted", f"no role of {intake.sender.eui} may send SRV "
                                           f"{request.service_reference_variant}")
    if decision is Decision.CV_NOT_PERMITTED:
        raise Refused("command-variant-not-permitted", f"SRV {request.service_reference_variant} may not be sent "
                                                       f"with Command Variant {request.command_variant}")
