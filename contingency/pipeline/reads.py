"""The front door's reads and its counter move, in plain SQL (DESIGN §4 "Scale"; docs/performance.md).

Every DUIS request runs these. Through the ORM each statement cost about as much CPU to compose as everything
else the request does (parse, XSD, signature, Pre-Command, the signed answer), and the sender with its roles took
two round trips; here each is one short statement on an index:

* :func:`sender`: the User ID by EUI with its roles (one ``LEFT JOIN``);
* :func:`device`: the device by EUI with its registered Supplier's User ID and Party (two joins);
* :func:`transformed`: a Signed Pre-Command's Transform row by RequestID and sender (the unique RequestID);
* :func:`advance_counter`: ``INSERT … ON CONFLICT DO UPDATE … WHERE last_counter < new`` on the
  (device, originator) key — the first request for a pair and every later one are the same single statement, and a
  counter that does not increase changes no row (PostgreSQL and SQLite ≥ 3.35 both speak it).

Instances are built with only the columns the checks read (``Model.from_db``); any other field is deferred and
would be read on first use, so a later check that needs more stays correct, only slower. Text and integer columns
only: they need no conversion from either database.
"""

from __future__ import annotations

import functools
from decimal import Decimal

from django.db import connection
from django.utils import timezone

from portal.models import Party, UserID

from ..models import Device, DeviceCounter, ServiceRequest
from ..plainsql import columns, fields_in_model_order

DEVICE_FIELDS = fields_in_model_order(Device, {"id", "eui", "device_type", "esme_variant", "generation",
                                               "smi_status", "payment_mode", "registered_supplier_id"})
USER_ID_FIELDS = fields_in_model_order(UserID, {"id", "eui", "party_id", "status"})
PARTY_FIELDS = fields_in_model_order(Party, {"id", "name", "short_name", "kind", "licence_status"})
TRANSFORM_FIELDS = fields_in_model_order(ServiceRequest, {"id", "request_id", "sender_id", "device_id",
                                                          "gbcs_originator", "srv", "state", "version",
                                                          "activation_id", "precommand"})


@functools.cache
def _sender_sql() -> str:
    qn = connection.ops.quote_name
    role = UserID.roles.rel.related_model
    return (f"SELECT {columns(UserID, USER_ID_FIELDS, 'u')}, r.{qn('role')} "
            f"FROM {qn(UserID._meta.db_table)} u LEFT JOIN {qn(role._meta.db_table)} r "
            f"ON r.{qn(role._meta.get_field('holder').column)} = u.{qn('id')} "
            f"WHERE u.{qn('eui')} = %s")


@functools.cache
def _device_sql() -> str:
    qn = connection.ops.quote_name
    return (f"SELECT {columns(Device, DEVICE_FIELDS, 'd')}, {columns(UserID, USER_ID_FIELDS, 's')}, "
            f"{columns(Party, PARTY_FIELDS, 'p')} "
            f"FROM {qn(Device._meta.db_table)} d "
            f"JOIN {qn(UserID._meta.db_table)} s ON s.{qn('id')} = d.{qn('registered_supplier_id')} "
            f"JOIN {qn(Party._meta.db_table)} p ON p.{qn('id')} = s.{qn('party_id')} "
            f"WHERE d.{qn('eui')} = %s")


@functools.cache
def _transformed_sql() -> str:
    qn = connection.ops.quote_name
    return (f"SELECT {columns(ServiceRequest, TRANSFORM_FIELDS, 'r')} FROM {qn(ServiceRequest._meta.db_table)} r "
            f"WHERE r.{qn('request_id')} = %s AND r.{qn('sender_id')} = %s")


@functools.cache
def _counter_sql() -> str:
    qn = connection.ops.quote_name
    table = qn(DeviceCounter._meta.db_table)
    return (f"INSERT INTO {table} ({qn('device_id')}, {qn('originator')}, {qn('last_counter')}, {qn('updated_at')}) "
            f"VALUES (%s, %s, %s, %s) "
            f"ON CONFLICT ({qn('device_id')}, {qn('originator')}) DO UPDATE SET "
            f"{qn('last_counter')} = excluded.{qn('last_counter')}, {qn('updated_at')} = excluded.{qn('updated_at')} "
            f"WHERE {table}.{qn('last_counter')} < excluded.{qn('last_counter')} RETURNING 1")


def sender(eui: str) -> tuple[UserID | None, tuple[str, ...]]:
    """The User ID ``eui`` (or None) and its role codes, sorted."""
    with connection.cursor() as cursor:
        cursor.execute(_sender_sql(), [eui])
        rows = cursor.fetchall()
    if not rows:
        return None, ()
    n = len(USER_ID_FIELDS)
    user_id = UserID.from_db(connection.alias, USER_ID_FIELDS, rows[0][:n])
    return user_id, tuple(sorted(row[n] for row in rows if row[n] is not None))


def device(eui: str) -> Device | None:
    """The device ``eui`` with ``registered_supplier`` and its ``party`` loaded, or None."""
    with connection.cursor() as cursor:
        cursor.execute(_device_sql(), [eui])
        row = cursor.fetchone()
    if row is None:
        return None
    a, b = len(DEVICE_FIELDS), len(DEVICE_FIELDS) + len(USER_ID_FIELDS)
    found = Device.from_db(connection.alias, DEVICE_FIELDS, row[:a])
    supplier = UserID.from_db(connection.alias, USER_ID_FIELDS, row[a:b])
    supplier.party = Party.from_db(connection.alias, PARTY_FIELDS, row[b:])
    found.registered_supplier = supplier
    return found


def transformed(request_id: str, sender_pk: int) -> ServiceRequest | None:
    """The stored request ``request_id`` of this sender (any state: the caller checks it is ``transformed``)."""
    with connection.cursor() as cursor:
        cursor.execute(_transformed_sql(), [request_id, sender_pk])
        row = cursor.fetchone()
    if row is None:
        return None
    found = ServiceRequest.from_db(connection.alias, TRANSFORM_FIELDS, row)
    found.precommand = bytes(found.precommand) if found.precommand is not None else None
    return found


def advance_counter(device_pk: int, originator: str, counter: int) -> bool:
    """Move (device, originator)'s last counter up to ``counter``; False (nothing changed) if it is not above it."""
    with connection.cursor() as cursor:
        cursor.execute(_counter_sql(), [device_pk, originator, Decimal(counter),
                                        connection.ops.adapt_datetimefield_value(timezone.now())])
        return cursor.fetchone() is not None
