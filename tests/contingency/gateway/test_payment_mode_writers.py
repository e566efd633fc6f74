"""A meter's payment mode changes only through the device gateway (issue 11 point 2).

Read from the source with ``ast``: every place in the three apps that could write ``Device.payment_mode`` — a
``payment_mode=`` keyword to anything but a read (``filter``, ``exclude``, ``Q``, …), an assignment to
``….payment_mode``, or ``"payment_mode"`` named in ``update_fields`` / ``bulk_update`` — must be one of the
known writers: the gateway's ``set_payment_mode`` (a command the meter accepted), and the inventory's own
paths that create meters (the CSV import's row, the demo seed). The admin shows the field read-only."""

from __future__ import annotations

import ast

from tests.test_architecture import PROJECT_DIR, project_modules

READS = {"filter", "exclude", "get", "Q", "When", "values", "values_list", "order_by", "annotate", "count",
         "aggregate", "first", "last", "exists"}

#: module → why it may write the payment mode
ALLOWED = {
    "contingency.delivery.gateway.simulator": "the meter applied a command (set_payment_mode)",
    "contingency.delivery.gateway.meter": "the meter's Outcome(payment_mode=…): a value the simulator applies",
    "contingency.devices.row": "import_devices: a new meter's row from the CSV (MeterRow.device)",
    "contingency.demo": "seed_demo: the demo meters, created with their mode",
}


def _call_name(node: ast.Call) -> str:
    func = node.func
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")


def writers_in(source: str) -> list[int]:
    lines = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call):
            if _call_name(node) not in READS and any(k.arg == "payment_mode" for k in node.keywords):
                lines.append(node.lineno)
            for k in node.keywords:
                if k.arg == "update_fields" and "payment_mode" in ast.unparse(k.value):
                    lines.append(node.lineno)
            if _call_name(node) == "bulk_update" and "payment_mode" in ast.unparse(node):
                lines.append(node.lineno)
        elif isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(t, ast.Attribute) and t.attr == "payment_mode" for t in targets):
                lines.append(node.lineno)
    return sorted(lines)


def test_the_scanner_sees_each_kind_of_write_and_ignores_reads():
    source = """
Device.objects.filter(payment_mode="credit").update(payment_mode="credit")
device.payment_mode = "credit"
device.save(update_fields=["payment_mode"])
Device.objects.bulk_update(devices, ["payment_mode"])
Device(eui=e, payment_mode=m)
Device.objects.filter(payment_mode="prepayment").count()
"""
    assert writers_in(source) == [2, 3, 4, 5, 6]


def test_only_the_gateway_and_the_inventory_paths_write_the_payment_mode():
    found = {}
    for module, path in project_modules().items():
        lines = writers_in(path.read_text())
        if lines:
            found[module] = lines
    assert set(found) == set(ALLOWED), {m: f"{project_modules()[m].relative_to(PROJECT_DIR)}:{lines}"
                                        for m, lines in found.items()}


def test_the_admin_shows_the_payment_mode_read_only():
    from django.contrib import admin

    from contingency.models import Device

    assert "payment_mode" in admin.site._registry[Device].get_readonly_fields(None)
