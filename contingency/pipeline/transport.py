"""Check 1 (DESIGN §4): transport. POST, ``application/xml``, the body within the limit (checked on the declared
length before the body is read), and — once the signed header is read — the web service fits the Command Variant.

DUIS (the DCC Boxed URLs): ``serviceT`` takes the Transform (CV 4); ``serviceS`` the on-demand requests and Signed
Pre-Commands (CV 1, 3, 5, 7); ``serviceD`` the future-dated and non-device ones (CV 2, 6, 8). A request at the wrong
URL is answered E13. The URL check runs after the signature (check 4): the Command Variant is inside the signed
document, and an E13 answer names the request, which only a verified header can be trusted for.
"""

from __future__ import annotations

from pki import safexml

from .refusal import Refused

#: Endpoint → the Command Variants it takes.
SERVICES: dict[str, frozenset[int]] = {
    "T": frozenset({4}),
    "S": frozenset({1, 3, 5, 7}),
    "D": frozenset({2, 6, 8}),
}
MEDIA_TYPES = frozenset({"application/xml"})
MAX_BYTES = safexml.DEFAULT_MAX_BYTES


def check_transport(method: str, content_type: str, content_length: int | None) -> None:
    if method != "POST":
        raise Refused("method-not-allowed", f"{method} is not allowed: send the request with POST")
    media_type = (content_type or "").split(";", 1)[0].strip().lower()
    if media_type not in MEDIA_TYPES:
        raise Refused("unsupported-media-type", f"{media_type or 'no content type'} is not application/xml")
    if content_length is not None and content_length > MAX_BYTES:
        raise Refused("too-large", f"a body of {content_length} bytes is larger than {MAX_BYTES}")


def check_url(service: str, command_variant: int) -> None:
    if command_variant not in SERVICES[service]:
        right = next((f"service{name}" for name, cvs in SERVICES.items() if command_variant in cvs), "none")
        raise Refused("wrong-url", f"Command Variant {command_variant} is sent to {right}, not service{service}")
