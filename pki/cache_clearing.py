"""Clearing the per-process certificate caches (``pki.signers``, ``pki.dcc_identity``) when a Certificate changes.

Both caches re-read the revocation columns on every use, so a revocation by any process applies at once; what this
adds is that a certificate saved or deleted in *this* process (a new one issued, a key replaced) is seen at once:
the cache is cleared on the save and again when the transaction commits, because a lookup between the save and the
commit could have cached the old row. Connected from ``PkiConfig.ready`` through each cache's ``connect``.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db import transaction
from django.db.models.signals import post_delete, post_save

from .models import Certificate


def clear_on_certificate_change(clear: Callable[[], None], name: str) -> None:
    """Call ``clear`` on every Certificate save or delete in this process, and again after its commit."""

    def changed(**_signal_kwargs) -> None:
        clear()
        transaction.on_commit(clear)

    post_save.connect(changed, sender=Certificate, weak=False, dispatch_uid=f"{name}.saved")
    post_delete.connect(changed, sender=Certificate, weak=False, dispatch_uid=f"{name}.deleted")
