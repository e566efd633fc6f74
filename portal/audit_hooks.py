"""Audit every change to the registry models, whatever makes it (admin, services, commands).

Other apps register their own models with ``track()`` from their AppConfig.ready() (imports
run one way: portal ← pki ← contingency).
"""

from __future__ import annotations

from django.db import models
from django.db.models.signals import post_delete, post_save, pre_save

from . import audit

_tracked: dict[type[models.Model], tuple[str, ...]] = {}


def track(model: type[models.Model], exclude: tuple[str, ...] = ()) -> None:
    """Write an audit record for every create, update and delete of ``model``."""
    if model in _tracked:
        return
    _tracked[model] = exclude
    label = model._meta.label_lower
    pre_save.connect(_remember_before, sender=model, dispatch_uid=f"audit-pre-{label}")
    post_save.connect(_after_save, sender=model, dispatch_uid=f"audit-post-{label}")
    post_delete.connect(_after_delete, sender=model, dispatch_uid=f"audit-del-{label}")


def _remember_before(sender, instance, raw=False, **kwargs):
    if raw or instance.pk is None:
        instance._audit_before = None
        return
    previous = sender._default_manager.filter(pk=instance.pk).first()
    instance._audit_before = audit.snapshot(previous, _tracked[sender]) if previous else None


def _after_save(sender, instance, created, raw=False, **kwargs):
    if raw:
        return
    before = getattr(instance, "_audit_before", None)
    after = audit.snapshot(instance, _tracked[sender])
    if not created and before == after:
        return  # nothing changed: no record
    action = f"{sender._meta.model_name}.{'create' if created else 'update'}"
    audit.write(action, instance, before=before, after=after)


def _after_delete(sender, instance, **kwargs):
    audit.write(f"{sender._meta.model_name}.delete", instance,
                before=audit.snapshot(instance, _tracked[sender]), after=None)


def _track_registry() -> None:
    from django.contrib.auth import get_user_model

    from .models import Office, Party, SRPArrangement, UserID, UserRole

    for model in (Party, UserID, UserRole, SRPArrangement, Office):
        track(model)
    # People: who exists and what they may do, never their password hash.
    track(get_user_model(), exclude=("password", "last_login"))


_track_registry()
