"""The beat entries of SoLR events name tasks the worker knows (autodiscovery finds contingency.tasks)."""

from __future__ import annotations

from django.conf import settings

from portal.celery import app


def test_the_events_beat_entries_name_registered_tasks():
    app.loader.import_default_modules()  # what a worker does at start: autodiscovery of <app>.tasks
    names = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    ours = {"contingency.tasks.apply_licence_revocations", "contingency.tasks.expire_activations"}
    assert ours <= names
    assert ours <= set(app.tasks)
    for key in ("solr-licence-revocations", "solr-expire-activations"):
        assert settings.CELERY_BEAT_SCHEDULE[key]["schedule"] <= 30.0  # the revocation is made within ~30 s of due
