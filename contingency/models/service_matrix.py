"""Which DUIS User Role may send which Service Reference Variant, with which Command Variants (DESIGN §4 check 7;
issue 10 point 3; docs/service-matrix.md).

One row per (role, SRV): the role may send that SRV, with the Command Variants listed. No row: the role may not
send it (DUIS E2); a row without the request's Command Variant: E12. The SoLR Contingency role starts with SRV 1.6
alone (MP134B business requirement 3, migration ``0006_service_matrix``); the other roles are seeded from the DUIS
request matrix (``seed_service_matrix``). DCC operators change it on the portal's page, audited
(``contingency.service_matrix``).

The front door reads it on every request: one query on the unique index (srv, role). Nothing on the request path
writes here, so it adds no hot row.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone

# DUIS Command Variants 1–8 (9 is internal to the DCC and never in a Service Request).
COMMAND_VARIANTS = tuple(range(1, 9))


class ServicePermissionQuerySet(models.QuerySet):
    def of_role(self, code: str):
        return self.filter(role=code)

    def for_srv(self, srv: str):
        return self.filter(srv=srv)


class ServicePermission(models.Model):
    role = models.CharField(max_length=8, help_text="DUIS User Role code (IS, GS, …, the SoLR Contingency code).")
    srv = models.CharField("Service Reference Variant", max_length=12, help_text="e.g. 1.6, 6.2.9")
    command_variants = models.JSONField(
        default=list, help_text="The Command Variants (1–8) the role may use with this SRV, ascending.")
    name = models.CharField(max_length=200, blank=True, help_text="The Service Request's DUIS name.")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)

    objects = ServicePermissionQuerySet.as_manager()

    class Meta:
        verbose_name = "role's Service Reference Variant"
        ordering = ["role", "srv"]
        constraints = [
            # srv first: the front door asks "this SRV, any of these roles" (srv = ? AND role IN (…)).
            models.UniqueConstraint(fields=["srv", "role"], name="service_permission_srv_role"),
        ]

    def __str__(self) -> str:
        return f"{self.role} may send {self.srv} (CV {', '.join(map(str, self.command_variants))})"
