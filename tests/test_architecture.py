"""The import rules of docs/architecture.md (DESIGN §3), read from the source with ``ast``.

Every import counts, also one inside a function (they run too, only later); imports under
``if TYPE_CHECKING:`` do not (they never run), except where a rule says so: between the alerts and delivery
rooms even a type hint may not point back (``import_graph(type_checking=True)``). Migrations are left out:
Django loads them itself.
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

import pytest

PROJECT_DIR = Path(__file__).resolve().parent.parent
APPS = ("portal", "pki", "contingency")


@cache
def project_modules() -> dict[str, Path]:
    """Dotted module name → file, for every module of the three apps except migrations."""
    modules = {}
    for app in APPS:
        for path in (PROJECT_DIR / app).rglob("*.py"):
            if "migrations" in path.relative_to(PROJECT_DIR).parts:
                continue
            parts = list(path.relative_to(PROJECT_DIR).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            modules[".".join(parts)] = path
    return modules


def _type_checking_only(node: ast.AST) -> bool:
    test = getattr(node, "test", None)
    return isinstance(node, ast.If) and (
        (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING")
        or (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"))


def _import_nodes(tree: ast.AST, type_checking: bool = False):
    """Every Import / ImportFrom in the tree, at any depth; those under ``if TYPE_CHECKING:`` only if
    ``type_checking``."""
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        for child in ast.iter_child_nodes(node):
            if type_checking or not _type_checking_only(child):
                stack.append(child)


@cache
def imported_names(module: str, type_checking: bool = False) -> frozenset[str]:
    """Every dotted name ``module`` imports (``from a import b`` gives ``a.b``: b may be a module)."""
    path = project_modules()[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    return names_in_source(path.read_text(), package, str(path), type_checking=type_checking)


def names_in_source(source: str, package: str, filename: str = "<source>", *,
                    type_checking: bool = False) -> frozenset[str]:
    names = set()
    for node in _import_nodes(ast.parse(source, filename), type_checking):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
            continue
        if node.level:
            base = package.split(".")
            base = base[: len(base) - (node.level - 1)]
            origin = ".".join(base + ([node.module] if node.module else []))
        else:
            origin = node.module or ""
        names.add(origin)
        names.update(f"{origin}.{alias.name}" for alias in node.names)
    return frozenset(names)


def _project_module(name: str) -> str | None:
    """The project module a dotted name falls in (``portal.models.UserID`` → ``portal.models``), or None."""
    modules = project_modules()
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name or None


@cache
def import_graph(type_checking: bool = False) -> dict[str, frozenset[str]]:
    """Module → the project modules it imports; with ``type_checking``, imports under ``if TYPE_CHECKING:`` too."""
    graph = {}
    for module in project_modules():
        targets = {_project_module(name) for name in imported_names(module, type_checking)}
        targets.discard(None)
        targets.discard(module)
        graph[module] = frozenset(targets)
    return graph


def cycles(graph: dict[str, frozenset[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def modules_under(prefix: str) -> list[str]:
    return sorted(m for m in project_modules() if m == prefix or m.startswith(prefix + "."))


# --- the checker itself ------------------------------------------------------------------------

def test_the_cycle_finder_finds_a_cycle_and_only_cycles():
    graph = {"a": frozenset({"b"}), "b": frozenset({"c"}), "c": frozenset({"a"}), "d": frozenset({"a"}),
             "e": frozenset()}
    assert cycles(graph) == [["a", "b", "c"]]
    assert cycles({"a": frozenset({"b"}), "b": frozenset()}) == []


def test_the_reader_counts_imports_inside_functions_and_skips_type_checking_ones():
    source = """
from __future__ import annotations
from typing import TYPE_CHECKING
from . import rules
from ..models import Device
if TYPE_CHECKING:
    from portal.models import UserID
def f():
    from django.db import transaction
    import pki.repository
"""
    names = names_in_source(source, "contingency.duis")
    assert {"contingency.duis.rules", "contingency.models.Device", "django.db.transaction",
            "pki.repository"} <= names
    assert not any(name.startswith("portal.models") for name in names)
    assert "portal.models.UserID" in names_in_source(source, "contingency.duis", type_checking=True)


def test_the_graph_sees_imports_inside_functions_and_relative_imports():
    # contingency.devices.row imports the models at the top with a relative import; pki.signals imports
    # portal.models inside a function.
    assert "contingency.models" in import_graph()["contingency.devices.row"]
    assert "portal.models" in import_graph()["pki.signals"]
    assert "portal.rules" in import_graph()["portal.models"]


# --- the rules ---------------------------------------------------------------------------------

def test_no_import_cycles_between_modules_of_the_three_apps():
    assert cycles(import_graph()) == []


@pytest.mark.parametrize("lower, upper", [("portal", "pki"), ("portal", "contingency"), ("pki", "contingency")])
def test_nothing_imports_upward(lower, upper):
    """portal ← pki ← contingency: portal imports neither; pki never imports contingency."""
    offenders = {m: sorted(t for t in import_graph()[m] if t == upper or t.startswith(upper + "."))
                 for m in modules_under(lower)}
    assert {m: t for m, t in offenders.items() if t} == {}


def _django_model_imports(module: str) -> list[str]:
    """What ``module`` imports that is a Django model module or the database layer: direct imports of
    ``django.db…`` or any ``….models``, and any project ``….models`` reached through project modules."""
    direct = sorted(name for name in imported_names(module)
                    if name == "django.db" or name.startswith("django.db.") or name.endswith(".models")
                    or ".models." in name)
    return direct + _app_models_reached(module)


def _app_models_reached(module: str) -> list[str]:
    """The project's model modules ``module`` reaches, directly or through other project modules."""
    reached, seen, todo = [], {module}, [module]
    while todo:
        for target in import_graph()[todo.pop()]:
            if target in seen:
                continue
            seen.add(target)
            if target.endswith(".models") or ".models." in target:
                reached.append(target)
            else:
                todo.append(target)
    return sorted(reached)


PURE_ROOMS = ("contingency.duis", "contingency.gbcs")


@pytest.mark.parametrize("room", PURE_ROOMS)
def test_duis_and_gbcs_import_no_django_model(room):
    """DUIS messages and GBCS frames are plain Python: the SRP client uses them without Django."""
    assert {m: _django_model_imports(m) for m in modules_under(room) if _django_model_imports(m)} == {}


def test_the_signature_profile_imports_no_django_model():
    """The XML-signature profile (sign, verify against a given certificate) works without Django: the SRP
    client uses it. The repository-backed signer look-up and its cache are pki.signers."""
    assert _django_model_imports("pki.xmldsig") == []


def test_delivery_does_not_import_the_pipeline():
    """Delivery runs after the pipeline stored a request; it must not reach back into the checks."""
    offenders = {m: sorted(t for t in import_graph()[m] if t.startswith("contingency.pipeline"))
                 for m in modules_under("contingency.delivery")}
    assert {m: t for m, t in offenders.items() if t} == {}


ALERTS_AND_DELIVERY = ("contingency.alerts", "contingency.delivery")


def _in_rooms(module: str, rooms: tuple[str, ...]) -> bool:
    return any(module == room or module.startswith(room + ".") for room in rooms)


def _reached(module: str, graph: dict[str, frozenset[str]]) -> set[str]:
    """Every project module ``module`` imports, directly or through others."""
    seen, todo = set(), [module]
    while todo:
        for target in graph[todo.pop()]:
            if target not in seen:
                seen.add(target)
                todo.append(target)
    return seen


def test_alerts_and_delivery_import_one_way_type_hints_included():
    """No cycle through a module of contingency.alerts or contingency.delivery, even one closed only by an import
    under ``if TYPE_CHECKING:`` (docs/architecture.md, "alerts and delivery"): the gateway reports device alerts
    to the alerts (gateway → alerts), the alerts queue their pushes through delivery.queue (alerts → queue)."""
    graph = import_graph(type_checking=True)
    assert [c for c in cycles(graph) if any(_in_rooms(m, ALERTS_AND_DELIVERY) for m in c)] == []


def test_the_alerts_never_reach_the_device_gateway():
    """What the alerts import of delivery is the layer below both (push rows, the push task and its queuing): never
    the gateway, nor the request delivery that calls it, directly or through another module, type hints included."""
    graph = import_graph(type_checking=True)
    above = ("contingency.delivery.gateway", "contingency.delivery.service", "contingency.delivery.tasks")
    reached = {m: sorted(t for t in _reached(m, graph) if _in_rooms(t, above))
               for m in modules_under("contingency.alerts")}
    assert {m: t for m, t in reached.items() if t} == {}
    assert "contingency.delivery.queue" in _reached("contingency.alerts.services", graph)  # the check sees imports


def test_the_rules_modules_import_no_model():
    """Rules are functions of values (docs/architecture.md): the models import them, never the reverse.
    (Choices are Django's TextChoices, which is not a model.)"""
    for module in ("portal.rules", "portal.choices", "contingency.devices.rules", "contingency.devices.choices"):
        assert _app_models_reached(module) == [], module
