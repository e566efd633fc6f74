"""Who may do what in the admin: the DCC service desk's group.

The admin is the service desk's tool until the portal's own pages cover its work (DESIGN §1: verify AROs,
check instructions, revoke certificates…): the group may view, add and change the registry, SMKI and meter
data, never delete, and only view the audit log (its admin refuses every write anyway).
"""

from __future__ import annotations

SERVICE_DESK_GROUP = "DCC service desk"
SERVICE_DESK_APPS = ("portal", "pki", "contingency")


def service_desk_group():
    """The service desk's group with its permissions (created or completed; idempotent)."""
    from django.contrib.auth.models import Group, Permission

    group, _ = Group.objects.get_or_create(name=SERVICE_DESK_GROUP)
    wanted = Permission.objects.filter(content_type__app_label__in=SERVICE_DESK_APPS).exclude(
        codename__startswith="delete_")
    group.permissions.add(*wanted)
    return group
