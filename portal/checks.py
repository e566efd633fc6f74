"""Deployment checks of the project's own settings (``manage.py check --deploy``).

Each check is a function of its own (other checks of the portal, such as the audit key's place, live beside
them in their own functions).
"""

from __future__ import annotations

from django.conf import settings
from django.core import checks
from django.db import DatabaseError


@checks.register(checks.Tags.security, deploy=True)
def demo_accounts_check(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """Demo staff accounts (passwords published in portal/demo.py) must not exist in a database that is not a demo.

    The run command seeds them only with SOLR_DEMO=1 (issue 7 point 3); finding them without it means a demo
    database went to production, or someone seeded one by hand: either way anyone who reads the source can sign
    in as a DCC operator.
    """
    if settings.SOLR_DEMO:
        return []
    from django.contrib.auth import get_user_model

    from .demo import PEOPLE

    try:
        found = sorted(get_user_model().objects.filter(username__in=[p.username for p in PEOPLE])
                       .values_list("username", flat=True))
    except DatabaseError:  # not migrated yet (a fresh deployment): there is nothing to find
        return []
    if not found:
        return []
    return [checks.Error(
        f"demo accounts exist in a database that is not a demo (SOLR_DEMO is not set): {', '.join(found)}; "
        "their passwords are published in portal/demo.py",
        hint="Delete them (or deactivate them) in this database, or set SOLR_DEMO=1 if this is a demo.",
        id="portal.E001",
    )]


@checks.register(checks.Tags.security, deploy=True)
def demo_mode_check(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """SOLR_DEMO=1 on a deployment: the demo world may be seeded into it."""
    if not settings.SOLR_DEMO:
        return []
    return [checks.Warning(
        "SOLR_DEMO=1: the run command seeds demo accounts with published passwords into this database",
        hint="Unset SOLR_DEMO outside a demo.", id="portal.W001",
    )]


@checks.register(checks.Tags.security, deploy=True)
def insecure_endpoints_check(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """SOLR_ALLOW_INSECURE_ENDPOINTS=1 outside a demo: User IDs' endpoint URLs may be plain http, so signed
    responses and alerts could travel unencrypted (docs/user-ids.md). It is meant for the demo and the tests."""
    if not settings.SOLR_ALLOW_INSECURE_ENDPOINTS or settings.SOLR_DEMO:
        return []
    return [checks.Warning(
        "SOLR_ALLOW_INSECURE_ENDPOINTS=1: User IDs' endpoint URLs may be http, so responses and alerts may be "
        "sent unencrypted", hint="Unset SOLR_ALLOW_INSECURE_ENDPOINTS outside a demo or a test.", id="portal.W002",
    )]
