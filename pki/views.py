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
from urllib.parse import urlencode

from django.core import signing
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.cache import get_conditional_response
from django.utils.http import http_date
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_safe

from . import conf
from .ca import CANotReady
from .crl import current_crl, latest_crl
from .keystore import KeyStoreError
from .models import Certificate, CertificateAuthority, CertificateKind
from .names import InvalidName, name_key
from .repository import SearchRefused, search

#: Results per page of /smki/certificates: ``?limit=`` up to SEARCH_MAX_LIMIT (docs/pki.md).
SEARCH_DEFAULT_LIMIT = 100
SEARCH_MAX_LIMIT = 500
SEARCH_FILTERS = ("eui", "role", "kind", "status")
_CURSOR_SALT = "pki.views.certificate_search.cursor"


def refused(code: str, message: str, status: int, **extra) -> JsonResponse:
    """A JSON error of the repository: the stable ``code`` (docs/refusal-codes.md) and a message for people."""
    return JsonResponse({"code": code, "error": message, **extra}, status=status)


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
            return refused(exc.code, f"bad issuer name: {exc.message}", 400)
    found = list(certs[:10])
    if not found:
        return refused("unknown-certificate", f"no certificate with serial {serial}", 404)
    if len(found) > 1:
        return refused("serial-ambiguous", "several issuers use this serial: add ?issuer=<RFC 2253 name>", 409,
                       issuers=[c.issuer_name for c in found])
    return found[0]


def read_only(view):
    """A public, read-only repository view: GET/HEAD only (else 405), no CSRF check (it changes nothing)."""
    return csrf_exempt(require_safe(view))


def _cert_cache_seconds() -> int:
    # The bytes never change; the short lifetime lets clients notice a revocation through the JSON/CRL.
    return conf.get("SMKI_CERT_CACHE_SECONDS")


@read_only
def index(request: HttpRequest) -> HttpResponse:
    """/smki/: what the repository holds, with links (an HTML page in the site's layout). It only reads: it signs
    no CRL (the first one is signed by /smki/crl itself)."""
    at = timezone.now()
    authorities = CertificateAuthority.objects.exclude(level=CertificateAuthority.Level.EXTERNAL).order_by(
        "-active", "level", "created_at")
    issuing = authorities.filter(level=CertificateAuthority.Level.ISSUING, active=True).first()
    crl_row = latest_crl(issuing) if issuing is not None else None
    counts = {"valid": Certificate.objects.valid(at).count(), "revoked": Certificate.objects.revoked(at).count(),
              "total": Certificate.objects.count()}
    response = render(request, "pki/index.html", {
        "authorities": list(authorities), "crl": crl_row, "counts": counts, "kinds": CertificateKind.choices,
        "statuses": ("valid", "revoked", "expired", "not-yet-valid", "revocation-scheduled"),
    })
    # The page names a signed-in user in its header (base.html): shared caches may keep only the anonymous one.
    scope = "private" if request.user.is_authenticated else "public"
    response["Cache-Control"] = f"{scope}, max-age=0, must-revalidate"
    return response


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


def _filters(request: HttpRequest) -> dict[str, str]:
    return {name: request.GET[name] for name in SEARCH_FILTERS if request.GET.get(name)}


def _limit(request: HttpRequest) -> int:
    text = request.GET.get("limit")
    if text in (None, ""):
        return SEARCH_DEFAULT_LIMIT
    if not text.isdigit() or not 1 <= int(text) <= SEARCH_MAX_LIMIT:
        raise SearchRefused(f"limit must be a whole number from 1 to {SEARCH_MAX_LIMIT}", code="invalid-limit")
    return int(text)


def _cursor(filters: dict[str, str], at: datetime, after: int) -> str:
    """An opaque cursor: the last id shown and the instant the walk started, signed with the site key so that a
    client can neither forge nor alter it (django.core.signing), and bound to the filters it was made for."""
    return signing.dumps({"f": filters, "at": at.isoformat(), "after": after}, salt=_CURSOR_SALT, compress=True)


def _read_cursor(text: str, filters: dict[str, str]) -> tuple[datetime, int]:
    try:
        data = signing.loads(text, salt=_CURSOR_SALT)
        made_for, at, after = data["f"], datetime.fromisoformat(data["at"]), int(data["after"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise SearchRefused("the cursor is not one this service made: follow the next link as given",
                            code="invalid-cursor") from None
    if made_for != filters:
        raise SearchRefused("this cursor was made for other filters: start again without it", code="invalid-cursor")
    return at, after


@read_only
def certificate_search(request: HttpRequest) -> HttpResponse:
    """Certificates by filter, a page at a time in a stable order (by id: certificates added during a walk come
    after those already there, so every certificate that matched when the walk started is shown exactly once).
    The cursor keeps the instant of the first page: a whole walk reports statuses at that one instant."""
    filters = _filters(request)
    try:
        if "page" in request.GET:
            raise SearchRefused("this list pages by cursor: follow the next link", code="invalid-page")
        limit = _limit(request)
        cursor = request.GET.get("cursor")
        at, after = _read_cursor(cursor, filters) if cursor else (timezone.now(), 0)
        certs = search(eui=filters.get("eui"), role=filters.get("role"), kind=filters.get("kind"),
                       status=filters.get("status"), at=at)
    except SearchRefused as exc:
        return refused(exc.code, exc.message, 400)
    found = list(certs.filter(pk__gt=after).order_by("pk")[: limit + 1])
    page = found[:limit]
    next_url = None
    if len(found) > limit:
        query = {**filters, "limit": limit, "cursor": _cursor(filters, at, page[-1].pk)}
        next_url = request.build_absolute_uri(f"{request.path}?{urlencode(query)}")
    rows = [certificate_json(c, at=at) for c in page]
    # count: the results on this page; next: the following page, null on the last one.
    body = json.dumps({"count": len(rows), "limit": limit, "next": next_url, "results": rows}, indent=1).encode()
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
        return refused(exc.code, exc.message, 404)
    except KeyStoreError:
        return refused("crl-unavailable", "no CRL has been published yet, and one cannot be signed now: "
                                          "try again later", 503)
    remaining = (row.next_update - timezone.now()).total_seconds()
    max_age = min(conf.get("SMKI_CRL_CACHE_SECONDS"), int(remaining))
    response = _cached(request, bytes(row.der), "application/pkix-crl", etag=row.sha256,
                       last_modified=row.this_update, max_age=max_age, filename="smki.crl")
    response["Expires"] = http_date(row.next_update.timestamp())
    return response


@read_only
def ca_certificate(request: HttpRequest, name: str, fmt: str) -> HttpResponse:
    ca = CertificateAuthority.objects.filter(name=name).exclude(level=CertificateAuthority.Level.EXTERNAL).first()
    if ca is None:
        return refused("unknown-ca", f"no CA {name!r}", 404)
    if fmt == "pem":
        body, ctype = ca.pem().encode(), "application/x-pem-file"
    else:
        body, ctype = bytes(ca.der), "application/pkix-cert"
    return _cached(request, body, ctype, etag=hashlib.sha256(bytes(ca.der)).hexdigest(),
                   last_modified=ca.created_at, max_age=86400, filename=f"{name}.{fmt}")
