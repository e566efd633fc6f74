"""The public SMKI repository over HTTP (SMKI Repository: certificates and CRLs are public information).

GET and HEAD only (``require_safe``; any other method is 405, and the views are ``csrf_exempt`` so that the
answer is 405 and not a CSRF 403 whatever the client sends: they change nothing). Certificates and CRLs carry
ETag, Last-Modified and Cache-Control, and conditional requests get 304. Routes are in pki/urls.py and
docs/pki.md.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.cache import get_conditional_response
from django.utils.http import http_date
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_safe

from . import conf
from .ca import CANotReady
from .crl import current_crl, latest_crl
from .keystore import KeyStoreError
from .models import Certificate, CertificateAuthority
from .names import InvalidName, name_key
from .repository import search

SEARCH_LIMIT = 500


def _cached(request: HttpRequest, body: bytes, content_type: str, *, etag: str, last_modified: datetime | None,
            max_age: int, filename: str | None = None) -> HttpResponse:
    etag = f'"{etag}"'
    last_modified_ts = int(last_modified.timestamp()) if last_modified else None
    response = get_conditional_response(request, etag=etag, last_modified=last_modified_ts)
    if response is None:
        response = HttpResponse(body, content_type=content_type)
        if filename:
            response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["ETag"] = etag
    if last_modified_ts is not None:
        response["Last-Modified"] = http_date(last_modified_ts)
    response["Cache-Control"] = f"public, max-age={max(0, int(max_age))}"
    return response


def _certificate(request: HttpRequest, serial: str) -> Certificate | HttpResponse:
    certs = Certificate.objects.filter(serial=serial)
    issuer = request.GET.get("issuer")
    if issuer:
        try:
            certs = certs.filter(issuer_key=name_key(issuer))
        except InvalidName as exc:
            return JsonResponse({"error": f"bad issuer name: {exc}"}, status=400)
    found = list(certs[:10])
    if not found:
        return JsonResponse({"error": f"no certificate with serial {serial}"}, status=404)
    if len(found) > 1:
        return JsonResponse({"error": "several issuers use this serial: add ?issuer=<RFC 2253 name>",
                             "issuers": [c.issuer_name for c in found]}, status=409)
    return found[0]


def read_only(view):
    """A public, read-only repository view: GET/HEAD only (else 405), no CSRF check (it changes nothing)."""
    return csrf_exempt(require_safe(view))


def _cert_cache_seconds() -> int:
    # The bytes never change; the short lifetime lets clients notice a revocation through the JSON/CRL.
    return int(conf.get("SMKI_CERT_CACHE_SECONDS"))


@read_only
def certificate_pem(request: HttpRequest, serial: str) -> HttpResponse:
    cert = _certificate(request, serial)
    if isinstance(cert, HttpResponse):
        return cert
    return _cached(request, cert.pem().encode(), "application/x-pem-file", etag=cert.fingerprint,
                   last_modified=cert.created_at, max_age=_cert_cache_seconds(), filename=f"{serial}.pem")


@read_only
def certificate_der(request: HttpRequest, serial: str) -> HttpResponse:
    cert = _certificate(request, serial)
    if isinstance(cert, HttpResponse):
        return cert
    return _cached(request, bytes(cert.der), "application/pkix-cert", etag=cert.fingerprint,
                   last_modified=cert.created_at, max_age=_cert_cache_seconds(), filename=f"{serial}.cer")


def certificate_json(cert: Certificate, request: HttpRequest | None = None, at: datetime | None = None) -> dict:
    base = f"/smki/certificates/{cert.serial}"
    return {
        "serial": cert.serial,
        "serial_hex": f"{int(cert.serial):X}",
        "issuer": cert.issuer_name,
        "subject": cert.subject_name,
        "eui": cert.subject_eui,
        "role": f"{cert.role_code:02X}" if cert.role_code is not None else None,
        "kind": cert.kind,
        "key_usage": cert.key_usage,
        "status": cert.status(at),
        "not_before": cert.not_before.isoformat(),
        "not_after": cert.not_after.isoformat(),
        "revoked_at": cert.revoked_at.isoformat() if cert.revoked_at else None,
        "revocation_reason": cert.revocation_reason or None,
        "source": cert.source,
        "chain_verified": cert.chain_verified,
        "sha256": cert.fingerprint,
        "pem": f"{base}.pem",
        "der": f"{base}.der",
    }


@read_only
def certificate_search(request: HttpRequest) -> HttpResponse:
    at = timezone.now()
    try:
        certs = search(eui=request.GET.get("eui"), role=request.GET.get("role"), kind=request.GET.get("kind"),
                       status=request.GET.get("status"), at=at)
    except ValueError as exc:
        return JsonResponse({"error": str(exc)}, status=400)
    found = list(certs.order_by("subject_eui", "kind", "-not_before")[: SEARCH_LIMIT + 1])
    truncated = len(found) > SEARCH_LIMIT
    rows = [certificate_json(c, at=at) for c in found[:SEARCH_LIMIT]]
    # count: the results in this answer; truncated: more matched than the SEARCH_LIMIT shown (narrow the filter).
    body = json.dumps({"count": len(rows), "truncated": truncated, "results": rows}, indent=1).encode()
    response = HttpResponse(body, content_type="application/json")
    response["ETag"] = f'"{hashlib.sha256(body).hexdigest()}"'
    response["Cache-Control"] = "public, max-age=0, must-revalidate"  # status changes with time
    conditional = get_conditional_response(request, etag=response["ETag"])
    if conditional is not None:
        conditional["ETag"], conditional["Cache-Control"] = response["ETag"], response["Cache-Control"]
        return conditional
    return response


@read_only
def crl(request: HttpRequest) -> HttpResponse:
    """The newest stored CRL. Signing is for pki.revocation, pki_crl and pki.tasks.refresh_crl: an anonymous
    GET signs nothing, except the very first CRL when none exists yet."""
    try:
        row = latest_crl()
        if row is None:
            row = current_crl()
    except CANotReady as exc:
        return JsonResponse({"error": str(exc)}, status=404)
    except KeyStoreError:
        return JsonResponse({"error": "no CRL has been published yet, and one cannot be signed now: "
                                      "try again later"}, status=503)
    remaining = (row.next_update - timezone.now()).total_seconds()
    max_age = min(int(conf.get("SMKI_CRL_CACHE_SECONDS")), int(remaining))
    response = _cached(request, bytes(row.der), "application/pkix-crl", etag=row.sha256,
                       last_modified=row.this_update, max_age=max_age, filename="smki.crl")
    response["Expires"] = http_date(row.next_update.timestamp())
    return response


@read_only
def ca_certificate(request: HttpRequest, name: str, fmt: str) -> HttpResponse:
    ca = CertificateAuthority.objects.filter(name=name).exclude(level=CertificateAuthority.Level.EXTERNAL).first()
    if ca is None:
        return JsonResponse({"error": f"no CA {name!r}"}, status=404)
    if fmt == "pem":
        body, ctype = ca.pem().encode(), "application/x-pem-file"
    else:
        body, ctype = bytes(ca.der), "application/pkix-cert"
    return _cached(request, body, ctype, etag=hashlib.sha256(bytes(ca.der)).hexdigest(),
                   last_modified=ca.created_at, max_age=86400, filename=f"{name}.{fmt}")
