"""What the front door's plain SQL statements share (docs/performance.md, "What changed"): on every DUIS request
the ORM cost more CPU composing a statement than the statement itself, so the hot reads are written out once
(cached text) and their rows turned into models with ``Model.from_db``.

Only text, integer and JSON columns are read this way: they need no conversion from either database, except JSON,
which SQLite hands back as text (:func:`json_value`).
"""

from __future__ import annotations

import json

from django.db import connection


def fields_in_model_order(model, wanted: set[str]) -> tuple[str, ...]:
    """``wanted`` attnames in the model's field order: ``Model.from_db`` takes partial values in that order."""
    return tuple(f.attname for f in model._meta.concrete_fields if f.attname in wanted)


def columns(model, fields: tuple[str, ...], alias: str = "") -> str:
    """The quoted columns of ``fields`` (attnames), each prefixed with ``alias.`` when given."""
    qn = connection.ops.quote_name
    prefix = f"{alias}." if alias else ""
    return ", ".join(f"{prefix}{qn(model._meta.get_field(name).column)}" for name in fields)


def json_value(value):
    """A JSON column as read: psycopg decodes PostgreSQL's jsonb itself, SQLite gives the text."""
    return json.loads(value) if isinstance(value, str | bytes) else value
