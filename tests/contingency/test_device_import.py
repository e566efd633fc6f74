"""import_devices: the CSV format, line-numbered errors, all or nothing, the audit record."""

from __future__ import annotations

import hashlib

import pytest
from django.core.management import CommandError, call_command

from contingency.devices import importer
from contingency.devices.importer import DeviceImportError, ImportOptions, import_devices
from contingency.devices.row import COLUMNS
from contingency.models import Device
from portal.models import AuditRecord, PartyKind
from tests.portal.factories import PartyFactory, UserIDFactory

pytestmark = pytest.mark.django_db

HEADER = "eui,device_type,esme_variant,generation,smi_status,payment_mode,registered_supplier,mpxn"
IS_EUI = "90-B3-D5-1F-50-00-00-01"
GS_EUI = "90-B3-D5-1F-50-00-00-02"


@pytest.fixture
def supplier():
    party = PartyFactory(kind=PartyKind.SUPPLIER)
    return {
        "is": UserIDFactory(party=party, eui=IS_EUI, roles=["IS"]),
        "gs": UserIDFactory(party=party, eui=GS_EUI, roles=["GS"]),
    }


def write_csv(tmp_path, *rows: str, header: str = HEADER, name: str = "meters.csv"):
    path = tmp_path / name
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def esme(n: int, **overrides) -> str:
    values = {"eui": f"00-11-22-33-44-55-{n >> 8:02X}-{n & 0xFF:02X}", "device_type": "ESME",
              "esme_variant": "single", "generation": "SMETS2", "smi_status": "commissioned",
              "payment_mode": "prepayment", "registered_supplier": IS_EUI, "mpxn": f"{1000000000000 + n}"}
    values.update(overrides)
    return ",".join(values[c] for c in COLUMNS)


def errors_of(exc_info) -> list[str]:
    """The documented lines (docs/device-import.md, "Errors")."""
    return [str(e) for e in exc_info.value.result.errors]


def codes_of(exc_info) -> list[tuple[int, str, str]]:
    """(line, column, code) of each problem: the stable part (docs/refusal-codes.md)."""
    assert exc_info.value.code == "device-file-invalid"
    return [(e.line, e.column, e.code) for e in exc_info.value.result.errors]


def test_a_good_file_is_imported_with_canonical_values(tmp_path, supplier):
    path = write_csv(
        tmp_path,
        # Any EUI-64 spelling parse_eui64 accepts; choices in any case, labels' spacing, SMETS2+.
        "00db12aa00000001, esme ,Twin,smets2+,Installed not commissioned,Credit,90b3d51f50000001,1234567890123",
        "00:db:12:aa:00:00:00:02,GSME,,SMETS1,commissioned,prepayment,90-b3-d5-1f-50-00-00-02,123456",
        "00DB.12AA.0000.0003,ESME,polyphase,SMETS2,suspended,prepayment,90:B3:D5:1F:50:00:00:01,",
    )
    result = import_devices(path)

    assert (result.rows, result.created, result.updated) == (3, 3, 0)
    rows = list(Device.objects.order_by("eui").values_list(
        "eui", "device_type", "esme_variant", "generation", "smi_status", "payment_mode",
        "registered_supplier__eui", "mpxn"))
    assert rows == [
        ("00-DB-12-AA-00-00-00-01", "ESME", "twin", "SMETS2", "installed_not_commissioned", "credit", IS_EUI,
         "1234567890123"),
        ("00-DB-12-AA-00-00-00-02", "GSME", "", "SMETS1", "commissioned", "prepayment", GS_EUI, "123456"),
        ("00-DB-12-AA-00-00-00-03", "ESME", "polyphase", "SMETS2", "suspended", "prepayment", IS_EUI, ""),
    ]


def test_columns_may_come_in_any_order(tmp_path, supplier):
    header = "registered_supplier,eui,device_type,generation,smi_status,payment_mode,esme_variant,mpxn"
    path = write_csv(tmp_path, f"{GS_EUI},00DB12AA00000009,GSME,SMETS2,commissioned,credit,,9999999", header=header)
    import_devices(path)
    device = Device.objects.get()
    assert (device.eui, device.device_type, device.payment_mode, device.registered_supplier_id) == (
        "00-DB-12-AA-00-00-00-09", "GSME", "credit", supplier["gs"].pk)


def test_every_bad_row_is_reported_with_its_line_number_and_nothing_is_written(tmp_path, supplier):
    path = write_csv(
        tmp_path,
        esme(1),                                         # line 2: good
        esme(2, device_type="XSME"),                     # line 3
        esme(3),                                         # line 4: good
        esme(4, eui="00-11-22"),                         # line 5
        esme(5, generation="SMETS9", payment_mode="pay as you go"),  # line 6: two problems
        esme(6, mpxn="12345"),                           # line 7
    )
    with pytest.raises(DeviceImportError) as exc_info:
        import_devices(path)

    assert codes_of(exc_info) == [
        (3, "device_type", "value-not-a-choice"), (5, "eui", "eui64-invalid"), (6, "generation", "value-not-a-choice"),
        (6, "payment_mode", "value-not-a-choice"), (7, "mpxn", "mpan-invalid"),
    ]
    errors = errors_of(exc_info)
    assert errors[0] == "line 3: device_type: 'XSME' is not one of ESME, GSME, CHF, GPF, PPMID, HCALCS"
    assert errors[1].startswith("line 5: eui: '00-11-22' is not an EUI-64")
    assert errors[2] == "line 6: generation: 'SMETS9' is not one of SMETS1, SMETS2"
    assert errors[3] == "line 6: payment_mode: 'pay as you go' is not one of credit, prepayment"
    assert errors[4] == "line 7: mpxn: an MPAN is 13 digits"
    assert len(errors) == 5
    assert exc_info.value.result.error_count == 5
    assert Device.objects.count() == 0


def test_one_bad_row_at_the_end_leaves_the_database_unchanged(tmp_path, supplier):
    import_devices(write_csv(tmp_path, esme(1), name="first.csv"))
    audit_before = AuditRecord.objects.count()
    rows = [esme(n) for n in range(2, 1002)] + [esme(5000, esme_variant="")]
    with pytest.raises(DeviceImportError) as exc_info:
        import_devices(write_csv(tmp_path, *rows, name="second.csv"), ImportOptions(batch_size=100))
    assert errors_of(exc_info) == ["line 1002: esme_variant: an ESME needs its variant (single, twin or polyphase)"]
    assert Device.objects.count() == 1
    assert AuditRecord.objects.count() == audit_before


def test_a_failure_while_writing_rolls_back_the_batches_already_written(tmp_path, supplier, monkeypatch):
    """If another process registers one of the EUIs between the check and the write, nothing stays."""
    Device.objects.create(eui="00-11-22-33-44-55-00-63", device_type="ESME", esme_variant="single",
                          generation="SMETS2", payment_mode="credit", registered_supplier=supplier["is"])
    monkeypatch.setattr(importer, "_existing", lambda euis: {})  # the check misses it, as in a race
    rows = [esme(n) for n in range(1, 100)]  # the clash (n = 0x63 = 99) is in the last batch
    with pytest.raises(DeviceImportError) as exc_info:
        import_devices(write_csv(tmp_path, *rows), ImportOptions(batch_size=10))
    assert exc_info.value.code == "device-import-conflict"
    assert [e.code for e in exc_info.value.result.errors] == ["import-conflict"]
    assert Device.objects.count() == 1
    assert not AuditRecord.objects.filter(action="device.import").exists()


def test_duplicate_euis_in_the_file_in_any_spelling(tmp_path, supplier):
    path = write_csv(tmp_path, esme(1, eui="00-DB-12-AA-00-00-00-01"), esme(2), esme(3, eui="00db12aa00000001"))
    with pytest.raises(DeviceImportError) as exc_info:
        import_devices(path)
    assert codes_of(exc_info) == [(4, "eui", "eui-repeated")]
    assert errors_of(exc_info) == ["line 4: eui: 00-DB-12-AA-00-00-00-01 appears again (first on line 2)"]
    assert Device.objects.count() == 0


def test_unknown_registered_supplier(tmp_path, supplier):
    path = write_csv(tmp_path, esme(1), esme(2, registered_supplier="90-B3-D5-1F-50-99-99-99"))
    with pytest.raises(DeviceImportError) as exc_info:
        import_devices(path)
    assert codes_of(exc_info) == [(3, "registered_supplier", "supplier-unknown")]
    assert errors_of(exc_info) == ["line 3: registered_supplier: no User ID 90-B3-D5-1F-50-99-99-99 is registered"]


def test_esme_without_variant_and_gsme_with_one(tmp_path, supplier):
    path = write_csv(
        tmp_path,
        esme(1, esme_variant=""),
        esme(2, device_type="GSME", registered_supplier=GS_EUI, mpxn="123456"),  # variant "single"
    )
    with pytest.raises(DeviceImportError) as exc_info:
        import_devices(path)
    assert codes_of(exc_info) == [(2, "esme_variant", "esme-variant-missing"),
                                  (3, "esme_variant", "esme-variant-not-esme")]
    assert errors_of(exc_info) == [
        "line 2: esme_variant: an ESME needs its variant (single, twin or polyphase)",
        "line 3: esme_variant: only an ESME has a variant",
    ]


def test_the_registered_supplier_must_hold_is_for_an_esme_and_gs_for_a_gsme(tmp_path, supplier):
    path = write_csv(
        tmp_path,
        esme(1, registered_supplier=GS_EUI),
        esme(2, device_type="GSME", esme_variant="", registered_supplier=IS_EUI, mpxn="123456"),
    )
    with pytest.raises(DeviceImportError) as exc_info:
        import_devices(path)
    assert codes_of(exc_info) == [(2, "registered_supplier", "supplier-role-missing"),
                                  (3, "registered_supplier", "supplier-role-missing")]
    assert errors_of(exc_info) == [
        f"line 2: registered_supplier: {GS_EUI} holds GS; the registered supplier of an ESME must hold the IS role",
        f"line 3: registered_supplier: {IS_EUI} holds IS; the registered supplier of a GSME must hold the GS role",
    ]


def test_the_registered_supplier_must_belong_to_a_supplier_party(tmp_path, supplier):
    srp_eui = "90-B3-D5-1F-50-00-00-09"
    UserIDFactory(party=PartyFactory(kind=PartyKind.SRP), eui=srp_eui, roles=["IS"])
    with pytest.raises(DeviceImportError) as exc_info:
        import_devices(write_csv(tmp_path, esme(1), esme(2, registered_supplier=srp_eui)))
    assert codes_of(exc_info) == [(3, "registered_supplier", "supplier-not-a-supplier")]
    assert errors_of(exc_info) == [
        f"line 3: registered_supplier: {srp_eui} holds IS; the registered supplier must be a User ID of a "
        "Supplier, not of a Shared Resource Provider",
    ]
    assert not Device.objects.exists()


def test_euis_already_registered_are_errors_unless_update(tmp_path, supplier):
    import_devices(write_csv(tmp_path, esme(1), esme(2), name="first.csv"))
    second = write_csv(tmp_path, esme(2, payment_mode="credit", eui="0011223344550002"), esme(3), name="second.csv")
    with pytest.raises(DeviceImportError) as exc_info:
        import_devices(second)
    assert errors_of(exc_info) == [
        "line 2: eui: 00-11-22-33-44-55-00-02 is already registered (use --update to change it)"]

    result = import_devices(second, ImportOptions(update=True))
    assert (result.created, result.updated, result.unchanged) == (1, 1, 0)
    assert Device.objects.count() == 3
    changed = Device.objects.get(eui="00-11-22-33-44-55-00-02")
    assert (changed.payment_mode, changed.registered_supplier_id) == ("credit", supplier["is"].pk)
    assert changed.updated_at > changed.created_at


def test_errors_are_listed_in_line_order(tmp_path, supplier):
    import_devices(write_csv(tmp_path, esme(1), name="first.csv"))
    with pytest.raises(DeviceImportError) as exc_info:
        import_devices(write_csv(tmp_path, esme(1), esme(2, device_type="XSME"), name="second.csv"))
    assert [e.line for e in exc_info.value.result.errors] == [2, 3]
    assert errors_of(exc_info)[0].endswith("is already registered (use --update to change it)")


def test_update_rewrites_only_the_meters_that_change(tmp_path, supplier):
    import_devices(write_csv(tmp_path, esme(1), esme(2), esme(3), name="first.csv"))
    stamps = dict(Device.objects.values_list("eui", "updated_at"))
    third = "00-11-22-33-44-55-00-03"
    path = write_csv(tmp_path, esme(1), esme(2), esme(3, device_type="GSME", esme_variant="",
                                                      registered_supplier=GS_EUI, mpxn="7654321"), name="again.csv")
    result = import_devices(path, ImportOptions(update=True))
    assert (result.rows, result.created, result.updated, result.unchanged) == (3, 0, 1, 2)
    device = Device.objects.get(eui=third)
    assert (device.device_type, device.esme_variant, device.registered_supplier_id, device.mpxn) == (
        "GSME", "", supplier["gs"].pk, "7654321")
    assert device.updated_at > stamps[third]
    assert {eui: t for eui, t in Device.objects.values_list("eui", "updated_at") if eui != third} == {
        eui: t for eui, t in stamps.items() if eui != third}
    assert AuditRecord.objects.filter(action="device.import").last().after["updated"] == 1


def test_the_import_writes_one_audit_record(tmp_path, supplier):
    path = write_csv(tmp_path, *(esme(n) for n in range(1, 6)))
    import_devices(path)
    record = AuditRecord.objects.get(action="device.import")
    assert record.after == {"file": "meters.csv", "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
                            "rows": 5, "created": 5, "updated": 0, "unchanged": 0}
    assert record.subject_type == "contingency.Device"
    # bulk_create bypasses the per-row signal: no device.create records
    assert not AuditRecord.objects.filter(action="device.create").exists()


def test_dry_run_checks_and_counts_but_writes_nothing(tmp_path, supplier):
    result = import_devices(write_csv(tmp_path, esme(1), esme(2)), ImportOptions(dry_run=True))
    assert (result.rows, result.created, result.dry_run) == (2, 2, True)
    assert Device.objects.count() == 0
    assert not AuditRecord.objects.filter(action="device.import").exists()


def test_header_problems(tmp_path, supplier):
    path = write_csv(tmp_path, "00DB12AA00000001,ESME", header="eui,device_typ")
    with pytest.raises(DeviceImportError) as exc_info:
        import_devices(path)
    assert codes_of(exc_info) == [(1, "", "header-column-missing"), (1, "", "header-column-unknown")]
    errors = errors_of(exc_info)
    assert errors[0] == ("line 1: the header lacks the column(s) device_type, generation, smi_status, "
                         "registered_supplier")
    assert errors[1].startswith("line 1: unknown column(s) device_typ")


def test_a_byte_order_mark_crlf_line_ends_and_blank_lines_are_fine(tmp_path, supplier):
    path = tmp_path / "excel.csv"
    path.write_bytes(("\ufeff" + "\r\n".join([HEADER.upper(), esme(1), "", esme(2, device_type="XSME")]) + "\r\n")
                     .encode("utf-8"))
    with pytest.raises(DeviceImportError) as exc_info:
        import_devices(path)
    assert [e.line for e in exc_info.value.result.errors] == [4]
    path.write_bytes(("\ufeff" + "\r\n".join([HEADER, esme(1), "", esme(2)]) + "\r\n").encode("utf-8"))
    assert import_devices(path).created == 2


def test_an_empty_or_binary_file_is_refused(tmp_path, supplier):
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(DeviceImportError) as exc_info:
        import_devices(empty)
    assert codes_of(exc_info) == [(1, "", "file-empty"), (1, "", "header-column-missing")]
    binary = tmp_path / "binary.csv"
    binary.write_bytes(b"\xff\xfe\x00e\x00u\x00i")
    with pytest.raises(DeviceImportError) as exc_info:
        import_devices(binary)
    assert codes_of(exc_info) == [(0, "", "file-not-utf8")]


def test_rows_with_the_wrong_number_of_fields(tmp_path, supplier):
    with pytest.raises(DeviceImportError) as exc_info:
        import_devices(write_csv(tmp_path, esme(1), "00DB12AA00000001,ESME,single"))
    assert codes_of(exc_info) == [(3, "", "row-field-count")]
    assert errors_of(exc_info) == ["line 3: expected 8 fields, found 3"]


def test_the_error_list_is_capped_but_every_problem_is_counted(tmp_path, supplier):
    rows = [esme(n, device_type="XSME") for n in range(1, 21)]
    with pytest.raises(DeviceImportError) as exc_info:
        import_devices(write_csv(tmp_path, *rows), ImportOptions(max_errors=5))
    assert len(exc_info.value.result.errors) == 5
    assert exc_info.value.result.error_count == 20
    assert "… and 15 more problem(s)" in str(exc_info.value)


def test_the_command_fails_with_the_errors_and_succeeds_with_a_summary(tmp_path, supplier, capsys):
    bad = write_csv(tmp_path, esme(1), esme(2, device_type="XSME"), name="bad.csv")
    with pytest.raises(CommandError) as exc_info:
        call_command("import_devices", str(bad), "--no-progress")
    assert "1 problem(s) in bad.csv; nothing was imported" in str(exc_info.value)
    assert "line 3: device_type: 'XSME' is not one of" in str(exc_info.value)

    good = write_csv(tmp_path, esme(1), esme(2), name="good.csv")
    call_command("import_devices", str(good), "--dry-run", "--no-progress")
    assert "would create 2" in capsys.readouterr().out
    assert Device.objects.count() == 0
    call_command("import_devices", str(good), "--no-progress")
    assert "created 2, updated 0, unchanged 0" in capsys.readouterr().out
    assert AuditRecord.objects.get(action="device.import").actor == "system:import_devices"

    with pytest.raises(CommandError, match="no such file"):
        call_command("import_devices", str(tmp_path / "missing.csv"))


def test_the_meter_row_is_declared_once_and_maps_onto_the_device():
    """COLUMNS, VALUE_FIELDS, MeterRow.values() and new_device() agree: one declaration of the meter row."""
    from dataclasses import fields

    from contingency.devices.row import VALUE_FIELDS, MeterRow, new_device

    assert COLUMNS == tuple(f.name for f in fields(MeterRow)) == tuple(HEADER.split(","))
    row = MeterRow(*(f"v-{c}" for c in COLUMNS))
    device = new_device(row, 42)
    assert tuple(getattr(device, name) for name in VALUE_FIELDS) == row.values(42)
    assert device.eui == "v-eui" and device.registered_supplier_id == 42
    assert row.csv_row() == tuple(f"v-{c}" for c in COLUMNS)
