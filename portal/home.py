"""Home-page panels: "what waits for you", contributed by each app (issue 8 point 11).

The home page lives in ``portal``, but most of what waits for a person belongs to apps that ``portal`` may
not import (imports run ``portal`` <- ``pki`` <- ``contingency``). So each app registers its panels here from
its ``AppConfig.ready()`` with ``register_panel``; the home view asks every registered panel for the items of
the person signed in and shows the panels that answer. A panel is a plain function of a ``Viewer`` (the
person and the Parties they hold each verified office for): it returns ``None`` when the panel is not for
that person, or a (possibly empty) list of ``Item``s.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from .choices import OfficeKind, OfficeStatus
from .navigation import url_or_none


@dataclass(frozen=True)
class Item:
    text: str
    url: str | None = None  # None while the page it would link to is not there
    detail: str = ""


@dataclass(frozen=True)
class Viewer:
    """The person signed in and the Parties of each office kind they hold a *verified* office for."""

    user: object
    parties: dict[str, frozenset[int]] = field(default_factory=dict)

    @classmethod
    def of(cls, user) -> Viewer:
        by_kind: dict[str, set[int]] = {}
        for kind, party_id in user.offices.filter(status=OfficeStatus.VERIFIED).values_list("kind", "party_id"):
            by_kind.setdefault(kind, set()).add(party_id)
        return cls(user=user, parties={kind: frozenset(ids) for kind, ids in by_kind.items()})

    def holds(self, *kinds: str) -> bool:
        return any(self.parties.get(kind) for kind in kinds)

    def parties_as(self, *kinds: str) -> frozenset[int]:
        """The Parties for which the person holds a verified office of one of ``kinds``."""
        return frozenset().union(*(self.parties.get(kind, frozenset()) for kind in kinds))

    @property
    def is_dcc_operator(self) -> bool:
        return self.holds(OfficeKind.DCC_OPERATOR)


ItemsFunction = Callable[[Viewer], Sequence[Item] | None]


@dataclass(frozen=True)
class Panel:
    key: str  # unique, "<app>.<name>"; registering the same key again replaces the panel
    title: str
    items: ItemsFunction
    empty_text: str = "Nothing waits for you here."
    order: int = 100  # smaller first


@dataclass(frozen=True)
class ShownPanel:
    panel: Panel
    items: Sequence[Item]


_panels: dict[str, Panel] = {}

# A home page shows at most this many items per panel; the list page behind the panel shows them all.
PANEL_LIMIT = 20


def register_panel(panel: Panel) -> Panel:
    """Adds ``panel`` to the home page (from an app's ``ready()``). Returns it, so it can decorate nothing else."""
    if not panel.key or "." not in panel.key:
        raise ValueError(f"a panel key is '<app>.<name>', not {panel.key!r}")
    _panels[panel.key] = panel
    return panel


def unregister_panel(key: str) -> None:
    _panels.pop(key, None)


def registered_panels() -> list[Panel]:
    return sorted(_panels.values(), key=lambda p: (p.order, p.key))


def panels_for(user) -> list[ShownPanel]:
    """The panels that concern ``user``, in order, each with its items."""
    viewer = Viewer.of(user)
    shown = []
    for panel in registered_panels():
        items = panel.items(viewer)
        if items is not None:
            shown.append(ShownPanel(panel, list(items)))
    return shown


# --- portal's own panel -------------------------------------------------------------------------------

def nominations_to_verify(viewer: Viewer) -> list[Item] | None:
    """DCC operator: the nominated offices waiting for verification (SEC L: the DCC verifies an ARO's
    nomination). Never one the operator may not decide: the verifier is neither the nominator nor the nominee."""
    if not viewer.is_dcc_operator:
        return None
    # Imported when the panel runs (the registry's models are not loaded at app loading).
    from .offices.services import nominations_to_decide

    # The four-eyes rule decides what is listed: never one this operator nominated nor one naming them.
    pending = (nominations_to_decide(viewer.user).select_related("person", "party")
               .order_by("created_at", "pk"))[:PANEL_LIMIT]
    return [
        Item(text=f"{office.person.get_username()} — {office.get_kind_display()} of {office.party.name}",
             url=url_or_none("office-detail", office.pk) or url_or_none("offices"),
             detail=f"nominated {office.created_at:%Y-%m-%d}")
        for office in pending
    ]


register_panel(Panel(key="portal.nominations", title="Nominations to verify", items=nominations_to_verify,
                     empty_text="No nomination waits for verification.", order=10))
