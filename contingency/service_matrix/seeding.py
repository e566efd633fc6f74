"""Seeding the role → SRV table (docs/service-matrix.md).

``seed_from_matrix(path)`` reads the DUIS request matrix — a JSON list with one object per Service Reference
Variant: ``"Service Reference Variant"``, ``"Service Request Name"``, ``"Critical"``, ``"Non-Device Request"``,
``"Eligible User Roles"`` (the shape of duis-parser's ``duis-request-matrix.json`` in the conformance data; the
file is read where it lies, never copied into the project) — and adds, for each DUIS User Role the registry knows
except the SoLR Contingency role, a row for each SRV the matrix makes it eligible for. It only adds missing rows:
a row a DCC operator changed keeps its Command Variants, so seeding twice gives the same table. A role the matrix
names and the registry does not know is skipped and reported.

The Command Variants of a seeded row follow from the matrix's columns (DUIS §3, Command Variants):

- a non-device request → 8 (the DCC answers itself);
- a device request that is not critical → 1, 2, 3 (sent as a Command; 2 and 3 with local delivery);
- a critical device request → 1, 2, 3 (a SMETS1 device: the signed Service Request itself) and 4, 5, 6, 7
  (SMETS2+: Transform to a Pre-Command, then the Signed Pre-Command).

The SoLR Contingency role is never seeded from the matrix (the matrix predates it): migration
``0006_service_matrix`` gives it SRV 1.6 alone (MP134B requirement 3; ``SOLR_DEFAULT`` below is the same row).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import transaction

from portal import audit
from portal.errors import Refusal
from portal.models import DuisRole, solr_role_code

from .. import conf
from ..models import ServicePermission
from .services import SRV_PATTERN

# The SoLR Contingency role's rows, as migration 0006_service_matrix writes them (see its comment for the CVs).
SOLR_DEFAULT = (("1.6", "Update Payment Mode", (1, 4, 5)),)

NON_DEVICE_CVS = (8,)
DEVICE_CVS = (1, 2, 3)
CRITICAL_DEVICE_CVS = (1, 2, 3, 4, 5, 6, 7)


class MatrixRefused(Refusal):
    """The request matrix file cannot be used; nothing was seeded."""

    code = "service-matrix-file-invalid"


@dataclass(frozen=True)
class MatrixRow:
    srv: str
    name: str
    critical: bool
    non_device: bool
    roles: tuple[str, ...]

    @property
    def command_variants(self) -> tuple[int, ...]:
        if self.non_device:
            return NON_DEVICE_CVS
        return CRITICAL_DEVICE_CVS if self.critical else DEVICE_CVS


@dataclass
class SeedResult:
    path: Path
    created: int = 0
    existing: int = 0
    unknown_roles: set[str] = field(default_factory=set)


def _yes(value, what: str, srv: str) -> bool:
    if value in ("Yes", "No"):
        return value == "Yes"
    raise MatrixRefused(f"SRV {srv}: {what} is {value!r}, expected Yes or No")


def read_matrix(path: str | Path) -> list[MatrixRow]:
    """The matrix's rows, checked; MatrixRefused saying what is wrong."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise MatrixRefused(f"{path} does not exist", code="service-matrix-file-missing") from None
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise MatrixRefused(f"{path} is not a JSON file: {exc}") from None
    if not isinstance(data, list) or not data:
        raise MatrixRefused(f"{path}: expected a JSON list of Service Reference Variants")
    rows = []
    for index, item in enumerate(data):
        if not isinstance(item, dict):
            raise MatrixRefused(f"{path}: entry {index} is not an object")
        srv = str(item.get("Service Reference Variant", "")).strip()
        if not SRV_PATTERN.fullmatch(srv):
            raise MatrixRefused(f"{path}: entry {index} has no valid Service Reference Variant ({srv!r})")
        roles = item.get("Eligible User Roles")
        if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
            raise MatrixRefused(f"{path}: SRV {srv} has no list of Eligible User Roles")
        name = " ".join(str(item.get("Service Request Name", "")).split())[:200]
        rows.append(MatrixRow(srv=srv, name=name, critical=_yes(item.get("Critical"), "Critical", srv),
                              non_device=_yes(item.get("Non-Device Request"), "Non-Device Request", srv),
                              roles=tuple(r.strip() for r in roles)))
    return rows


def configured_matrix() -> Path | None:
    """The setting DUIS_REQUEST_MATRIX as a path, or None when it is empty."""
    value = conf.get("DUIS_REQUEST_MATRIX")
    return Path(value) if value else None


def seed_from_matrix(path: str | Path) -> SeedResult:
    """Add the rows the matrix gives the registry's DUIS User Roles (not the SoLR Contingency role) that are
    missing. Idempotent. One audit record ``service_matrix.seed`` when it added any."""
    rows = read_matrix(path)
    known = set(DuisRole.values) - {solr_role_code()}
    result = SeedResult(path=Path(path))
    with transaction.atomic():
        existing = set(ServicePermission.objects.values_list("role", "srv"))
        new = []
        for row in rows:
            for role in row.roles:
                if role not in known:
                    result.unknown_roles.add(role)
                elif (role, row.srv) in existing:
                    result.existing += 1
                else:
                    existing.add((role, row.srv))
                    new.append(ServicePermission(role=role, srv=row.srv, name=row.name,
                                                 command_variants=list(row.command_variants)))
        ServicePermission.objects.bulk_create(new)
        result.created = len(new)
        if new:
            audit.write("service_matrix.seed", subject_type=ServicePermission._meta.label, subject_id="matrix",
                        subject_repr=f"seeded from {Path(path).name}",
                        after={"file": str(path), "created": len(new),
                               "roles": sorted({r.role for r in new}), "srvs": len({r.srv for r in new})})
    return result


def seed_solr_default() -> int:
    """Give the SoLR Contingency role its MP134B rows if it has no row at all (the migration's state, e.g. after a
    test flushed the tables). Returns the rows added."""
    role = solr_role_code()
    if ServicePermission.objects.of_role(role).exists():
        return 0
    ServicePermission.objects.bulk_create(
        ServicePermission(role=role, srv=srv, name=name, command_variants=list(cvs)) for srv, name, cvs in SOLR_DEFAULT)
    audit.write("service_matrix.seed", subject_type=ServicePermission._meta.label, subject_id=role,
                subject_repr=f"{role} default (MP134B requirement 3)",
                after={"role": role, "srvs": [srv for srv, _, _ in SOLR_DEFAULT]})
    return len(SOLR_DEFAULT)


def vectors_matrix() -> Path:
    """Where the conformance data keeps the matrix: SOLR_VECTORS_DIR (as the tests use it), or ../shared/vectors."""
    vectors = os.environ.get("SOLR_VECTORS_DIR") or str(Path(settings.BASE_DIR).parent / "shared" / "vectors")
    return Path(vectors) / "duis-parser" / "duis-request-matrix.json"


def seed_demo_matrix() -> SeedResult | None:
    """seed_demo's table: the SoLR Contingency default, then the other roles from DUIS_REQUEST_MATRIX or, when that
    is empty, from the conformance data when it is there. None when there is no matrix to read."""
    seed_solr_default()
    path = configured_matrix() or vectors_matrix()
    return seed_from_matrix(path) if path.is_file() else None
