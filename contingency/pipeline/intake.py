"""What the checks learn about one request on its way through (each check reads what the earlier ones found)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from portal.models import UserID

from ..duis.requests import DuisRequest
from ..models import Device, ServiceRequest


@dataclass
class Intake:
    service: str  # "T", "S" or "D": the endpoint the request came to
    body: bytes
    now: dt.datetime
    request: DuisRequest | None = None  # once the verified header is read (after check 4)
    signer_eui: str = ""
    sender: UserID | None = None
    roles: tuple[str, ...] = ()  # the sender's DUIS User Role codes
    device: Device | None = None
    gbcs_originator: str = ""  # whose name the GBCS command carries (DESIGN §2 step 4)
    solr: bool = False  # the sender holds the SoLR Contingency role
    activation_id: int | None = None
    transformed: ServiceRequest | None = None  # CV 5-7: the row of the Pre-Command it answers
    precommand: bytes | None = None  # CV 4: the Pre-Command built at check 10
    # A SMETS1 SRV 1.6 (no Pre-Command, DESIGN §2): the command the DCC builds for the SMETS1 service provider.
    smets1_command: bytes | None = None
    adt_outcome: str = ""
    notes: dict = field(default_factory=dict)

    @property
    def request_id(self) -> str:
        return str(self.request.request_id) if self.request else ""
