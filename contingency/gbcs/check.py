"""The Signed Pre-Command check of the DUIS front door (Command Variant 5; DESIGN §4 row 10, issue 10 point 6).

:func:`check_signed_precommand` takes the bytes the sender returned and the Pre-Command the DCC issued for the
same RequestID, and says whether the DCC may send it to the meter. The checks, in order, each failure its own
code (docs/gbcs.md):

1. it decodes strictly as an SRV 1.6 command (:func:`.decode.decode`; its codes);
2. from a SoLR Contingency sender it sets Credit (ECS02 / GCS02), read from the message code and the payload
   (MP134B requirement 5) — ``gbcs-not-credit``;
3. it carries a signature — ``gbcs-signature-missing``;
4. up to the signature it is byte for byte the Pre-Command the DCC issued — ``gbcs-originator-mismatch``,
   ``gbcs-device-mismatch``, ``gbcs-counter-mismatch`` when those header fields differ, otherwise
   ``gbcs-precommand-mismatch``;
5. its GBCS signature verifies with one of the registered Supplier's Digital Signing keys (the caller picks
   which certificates count: valid, or revoked while ``may_act`` allows) — ``gbcs-no-signing-key`` when there is
   none, ``gbcs-signature-invalid`` when none verifies.

Plain values in, a :class:`.decode.Decoded` out: the pipeline owns the look-ups and the transaction.
"""

from __future__ import annotations

from collections.abc import Iterable

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from .decode import Decoded, decode
from .errors import GbcsRefused
from .frame import parse_frame
from .signature import is_signed_by


def check_signed_precommand(signed: bytes, issued: bytes, *,
                            supplier_public_keys: Iterable[ec.EllipticCurvePublicKey | x509.Certificate],
                            require_credit: bool) -> Decoded:
    got = decode(signed)
    if require_credit and not got.is_credit:
        raise GbcsRefused("gbcs-not-credit", f"{got.use_case} changes the payment mode to Prepayment; "
                                             "a SoLR Contingency sender may only change it to Credit")
    if not got.is_signed:
        raise GbcsRefused("gbcs-signature-missing", "a Signed Pre-Command must carry the Supplier's signature")
    # The issued bytes are the DCC's own, stored when it answered CV 4: framing them is enough (no payload decode)
    want = parse_frame(issued)
    if got.unsigned != want.unsigned:
        for field, code in (("originator", "gbcs-originator-mismatch"), ("recipient", "gbcs-device-mismatch"),
                            ("counter", "gbcs-counter-mismatch")):
            if getattr(got.frame, field) != getattr(want, field):
                raise GbcsRefused(code, f"its {field} is not the issued Pre-Command's")
        raise GbcsRefused("gbcs-precommand-mismatch", "it is not the Pre-Command the DCC issued for this request")
    keys = list(supplier_public_keys)
    if not keys:
        raise GbcsRefused("gbcs-no-signing-key", "no Digital Signing certificate of the Supplier to verify with")
    if not any(is_signed_by(got.frame, key) for key in keys):
        raise GbcsRefused("gbcs-signature-invalid", "the GBCS signature verifies with none of the Supplier's keys")
    return got
