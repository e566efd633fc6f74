"""The meter row, declared once: the columns of the import file and of seed_demo's devices.csv, and the
Device fields each one sets (docs/device-import.md, "The file")."""

from __future__ import annotations

from dataclasses import dataclass, fields

from ..models import Device


@dataclass(frozen=True, slots=True)
class MeterRow:
    """One meter in canonical values, as a file row: the registered Supplier is its User ID's EUI-64."""

    eui: str
    device_type: str
    esme_variant: str
    generation: str
    smi_status: str
    payment_mode: str
    registered_supplier: str
    mpxn: str

    def csv_row(self) -> tuple[str, ...]:
        # Not dataclasses.astuple, which deep-copies: seed_demo writes 300,000 rows.
        return (self.eui, self.device_type, self.esme_variant, self.generation, self.smi_status, self.payment_mode,
                self.registered_supplier, self.mpxn)

    def values(self, supplier_pk: int) -> tuple:
        """What the row sets on its Device, in VALUE_FIELDS order (the Supplier as its User ID's key)."""
        return (self.device_type, self.esme_variant, self.generation, self.smi_status, self.payment_mode,
                supplier_pk, self.mpxn)


# The columns of the file, in the order seed_demo writes them. A file may order them differently.
COLUMNS: tuple[str, ...] = tuple(f.name for f in fields(MeterRow))
REQUIRED = frozenset({"eui", "device_type", "generation", "smi_status", "registered_supplier"})
# The Device fields a row sets besides the EUI, in the order MeterRow.values() gives them.
VALUE_FIELDS: tuple[str, ...] = tuple(
    "registered_supplier_id" if name == "registered_supplier" else name for name in COLUMNS if name != "eui")


def new_device(row: MeterRow, supplier_pk: int, **extra):
    """An unsaved Device for ``row`` (for bulk_create)."""
    return Device(eui=row.eui, device_type=row.device_type, esme_variant=row.esme_variant, generation=row.generation,
                  smi_status=row.smi_status, payment_mode=row.payment_mode, registered_supplier_id=supplier_pk,
                  mpxn=row.mpxn, **extra)
