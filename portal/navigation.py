"""Role-aware navigation (issue 8 point 11): which entries a person sees, by the offices they hold.

Entries name URL names, never paths: the parts of the portal (accounts, offices, certificates, ADT files)
land at different times, so an entry whose name does not resolve yet is simply left out and no page breaks.
Only *verified* offices count: a nominated ARO does not act for its Party yet (SEC L, the SMKI RAPP), so it
sees only what every signed-in person sees. Plain functions of the user and the request; the context
processor (``portal.context_processors.navigation``) hands the result to ``templates/base.html``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse

from .choices import OfficeKind, OfficeStatus

SRO = OfficeKind.SRO
ARO = OfficeKind.ARO
DCC = OfficeKind.DCC_OPERATOR
AUTHORITY = OfficeKind.AUTHORITY_OFFICER
EVERYONE = None  # an entry every signed-in person sees


@dataclass(frozen=True)
class Entry:
    label: str
    url_name: str
    offices: frozenset[str] | None = EVERYONE  # the office kinds that see it; None: everyone signed in
    staff: bool = False  # staff accounts see it too, with or without an office (the admin site)


@dataclass(frozen=True)
class Link:
    label: str
    url: str
    current: bool


# The order is the order on the page. "SoLR events" (issue 9) is the service desk's and the Authority's console.
ENTRIES: tuple[Entry, ...] = (
    Entry("Home", "home"),
    Entry("Offices", "offices", frozenset({SRO, DCC})),
    Entry("User IDs", "user-ids", frozenset({SRO, ARO, DCC})),
    Entry("Certificates", "certificates", frozenset({SRO, ARO, DCC})),
    Entry("Revocation requests", "revocation-requests", frozenset({DCC})),
    Entry("ADT files", "adt-files", frozenset({SRO, ARO, DCC})),
    Entry("SoLR events", "events:list", frozenset({DCC, AUTHORITY})),
    Entry("Lockouts", "lockouts", frozenset({DCC})),
    Entry("Service matrix", "service-matrix", frozenset({DCC})),  # which role may send which SRV (issue 10.3)
    Entry("Quarantine", "quarantine:list", frozenset({DCC})),  # quarantined requests, four eyes (issue 10.9)
    Entry("API documentation", "api-docs"),
    Entry("Your account", "account"),
    Entry("Admin", "admin:index", frozenset({DCC}), staff=True),
)


def url_or_none(url_name: str, *args) -> str | None:
    """The URL of ``url_name``, or None while no part of the portal provides that name."""
    try:
        return reverse(url_name, args=args)
    except NoReverseMatch:
        return None


def office_kinds(user) -> frozenset[str]:
    """The kinds of the verified offices ``user`` holds (empty for an anonymous visitor)."""
    if not getattr(user, "is_authenticated", False):
        return frozenset()
    return frozenset(user.offices.filter(status=OfficeStatus.VERIFIED).values_list("kind", flat=True))


def is_current(url: str, path: str) -> bool:
    """The entry for ``url`` is the current page at ``path``: the page itself or one below it
    (an office's detail page marks "Offices"). Home ("/") marks only itself."""
    if url == path:
        return True
    return url != "/" and url.endswith("/") and path.startswith(url)


def links_for(user, path: str, entries: Iterable[Entry] = ENTRIES) -> list[Link]:
    """The entries ``user`` may see, in order, with their URL and whether ``path`` is (under) that page."""
    if not getattr(user, "is_authenticated", False):
        return []
    kinds = office_kinds(user)
    links = []
    for entry in entries:
        if entry.offices is not EVERYONE and not (kinds & entry.offices) and not (entry.staff and user.is_staff):
            continue
        url = url_or_none(entry.url_name)
        if url is None:
            continue
        links.append(Link(entry.label, url, False))
    # Only the most specific match is current (an entry below another one's path wins).
    matches = [link for link in links if is_current(link.url, path)]
    if matches:
        best = max(matches, key=lambda link: len(link.url))
        links = [Link(link.label, link.url, link is best) for link in links]
    return links
