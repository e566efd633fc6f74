"""Check 11 (DESIGN §4): ADT counting and quarantine, done by ``contingency.adt.counting.check_and_count``
(the adt-quarantine room owns the counting, the warning alert and the quarantine rules).

A CV 4 and the CV 5-7 that completes it count as one Service Request (issue 10 point 9): the Transform is not
counted; the Signed Pre-Command, and any request accepted at once (CV 1-3, 8), are. The verdict's ``outcome``:
``ok``; ``warning`` (over the warning level: the request goes on, flagged ``adt_warning``); ``quarantine`` (over
the quarantine level: stored ``quarantined``, not delivered); ``no-adt`` (no active ADT: refused ``adt-missing``).
"""

from __future__ import annotations

from .intake import Intake
from .refusal import Refused

TRANSFORM = 4


def check_adt(intake: Intake) -> None:
    if intake.request.command_variant == TRANSFORM:
        return
    from ..adt import counting  # the adt-quarantine room's module (issue 10 point 9)

    supplier = intake.device.registered_supplier if intake.device is not None else None
    verdict = counting.check_and_count(intake.sender, intake.request.service_reference_variant, supplier,
                                       intake.request)
    if verdict.outcome == "no-adt":
        raise Refused("adt-missing", f"no active ADT for {intake.sender.eui}, SRV "
                                     f"{intake.request.service_reference_variant} and this device's Supplier")
    intake.adt_outcome = verdict.outcome
