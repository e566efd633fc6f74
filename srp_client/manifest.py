"""Credentials from the demo manifest (``seed_demo --out DIR``, docs/manifest.md) — for the demo and the SoLR drill
(issue 11 point 7: "keys and User IDs from the demo manifest of the data directory by default").

For a failed Supplier (its ``short_name``): the SRP's SoLR Contingency User ID named by the Supplier's SoLR event
(else the SRP Party's User ID with the SoLR Contingency role) and its XML signing key and certificate; the Digital
Signing key of each of the Supplier's User IDs; the DCC's XML signing certificate. Only the manifest's stable
names are read (``parties``, ``events``, ``certificates``, ``solr_role_code``). The demo keys are unencrypted and
for a demo only (their file names say so).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509

from .errors import ClientError
from .keys import SupplierKey, XmlSigner, load_certificate, supplier_key, xml_signer

__all__ = ["ManifestCredentials", "credentials"]


@dataclass(frozen=True)
class ManifestCredentials:
    signer: XmlSigner
    suppliers: list[SupplierKey]
    dcc_certificate: x509.Certificate
    supplier_user_ids: list[str]


def _refuse(message: str) -> ClientError:
    return ClientError("manifest-invalid", message)


def credentials(path: str | os.PathLike, supplier: str) -> ManifestCredentials:
    try:
        manifest = json.loads(Path(path).read_text())
    except OSError as exc:
        raise ClientError("manifest-unreadable", f"{path}: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise _refuse(f"{path}: not JSON ({exc})") from None
    try:
        parties = {p["short_name"]: p for p in manifest["parties"]}
        certificates = {(c["user_id"], c["kind"]): c for c in manifest["certificates"]}
        events = [e for e in manifest.get("events", []) if e.get("supplier") == supplier]
        role = manifest.get("solr_role_code", "SC")
    except (KeyError, TypeError) as exc:
        raise _refuse(f"{path}: no {exc} in parties / certificates") from None
    party = parties.get(supplier)
    if party is None or party.get("kind") != "supplier":
        raise ClientError("supplier-unknown", f"{supplier!r} is not a Supplier of {path}")
    supplier_ids = sorted(u["eui"] for u in party["user_ids"])
    if events:
        srp_id = events[0]["contingency_user_id"]
    else:
        srp_ids = [u["eui"] for p in parties.values() if p.get("kind") == "srp" for u in p["user_ids"]
                   if role in u.get("roles", [])]
        if not srp_ids:
            raise _refuse(f"{path}: no SoLR Contingency User ID")
        srp_id = srp_ids[0]
    dcc_ids = [u["eui"] for p in parties.values() if p.get("kind") == "dcc" for u in p["user_ids"]]

    def certificate(user_id: str, kind: str) -> dict:
        found = certificates.get((user_id, kind))
        if found is None:
            raise _refuse(f"{path}: no {kind} certificate of {user_id}")
        return found

    own = certificate(srp_id, "xml-signing")
    dcc = next((certificates[(d, "xml-signing")] for d in dcc_ids if (d, "xml-signing") in certificates), None)
    if dcc is None:
        raise _refuse(f"{path}: no xml-signing certificate of the DCC")
    suppliers = [supplier_key(c["key"], c["cert"]) for c in (certificate(u, "digital-signing") for u in supplier_ids)]
    return ManifestCredentials(xml_signer(own["key"], own["cert"]), suppliers, load_certificate(dcc["cert"]),
                               supplier_ids)
