"""Writing many rows, each with its own values, in one round of statements.

Django's ``bulk_update`` builds one ``CASE WHEN pk = … THEN …`` expression per field and row, which
costs far more to compile than to run (40 ms a row for a ten-field update of 200 rows). ``rows_update``
sends one parameterised ``UPDATE … WHERE pk = %s`` through the driver's ``executemany``, or, on
PostgreSQL from ``COPY_FROM`` rows on, ``COPY``-es the new values into a temporary table and runs one
``UPDATE … FROM`` it. ``rows_insert`` inserts plain tuples — through ``COPY`` on PostgreSQL, which
skips both the model instances and the client-side quoting of every parameter that ``bulk_create``
pays for (most of a billing run's time before it), and through ``bulk_create`` elsewhere.

Column names come from the model; values are data, never SQL. ``save()`` and signals do not run:
callers give every value a row needs (defaults are filled as Django would).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connections, models, router, transaction
from django.utils import timezone

#: From this many rows on, PostgreSQL updates go through ``COPY`` (fewer round trips, no quoting).
COPY_FROM = 50


def rows_update(model: type[models.Model], objects: Sequence[models.Model], fields: Sequence[str]) -> int:
    """Write ``fields`` of ``objects`` (already set on them); returns the number of rows sent."""
    if not objects:
        return 0
    alias = router.db_for_write(model)
    connection = connections[alias]
    quote = connection.ops.quote_name
    concrete: list[models.Field[object, object]] = [model._meta.get_field(name) for name in fields]  # type: ignore[misc]
    pk = model._meta.pk
    assert pk is not None
    assignments = ", ".join(f"{quote(str(field.column))} = %s" for field in concrete)
    sql = f"UPDATE {quote(model._meta.db_table)} SET {assignments} WHERE {quote(pk.column)} = %s"  # noqa: S608
    if connection.vendor == "postgresql" and len(objects) >= COPY_FROM:
        return _rows_update_copy(connection, model, objects, concrete)
    rows = [
        [
            *(field.get_db_prep_save(getattr(item, field.attname), connection) for field in concrete),
            item.pk,
        ]
        for item in objects
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)
    return len(rows)


def _rows_update_copy(
    connection: Any, model: type[models.Model], objects: Sequence[models.Model], concrete: list[Any]
) -> int:
    """PostgreSQL: the new values ``COPY``-ed into a temporary table, then one ``UPDATE … FROM`` it."""
    quote = connection.ops.quote_name
    pk = model._meta.pk
    assert pk is not None
    table = quote(model._meta.db_table)
    temporary = quote(f"pacte_update_{model._meta.db_table}")
    columns = [pk, *concrete]
    names = ", ".join(quote(str(field.column)) for field in columns)
    converters = [_copy_value(field) for field in columns]
    assignments = ", ".join(f"{quote(str(field.column))} = t.{quote(str(field.column))}" for field in concrete)
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        raw = cursor.cursor
        raw.execute(f"CREATE TEMPORARY TABLE {temporary} AS SELECT {names} FROM {table} WITH NO DATA")  # noqa: S608
        with raw.copy(f"COPY {temporary} ({names}) FROM STDIN") as copy:  # noqa: S608
            for item in objects:
                copy.write_row(
                    [convert(getattr(item, field.attname)) for convert, field in zip(converters, columns, strict=True)]
                )
        raw.execute(
            f"UPDATE {table} SET {assignments} FROM {temporary} AS t "  # noqa: S608
            f"WHERE {table}.{quote(pk.column)} = t.{quote(pk.column)}"
        )
        raw.execute(f"DROP TABLE {temporary}")
    return len(objects)


# Inserting many rows --------------------------------------------------------------------------------


def _copy_value(field: models.Field[Any, Any]) -> Callable[[Any], Any]:
    """How a value of ``field`` goes into ``COPY``: JSON as its text, everything else as psycopg adapts it."""
    if isinstance(field, models.JSONField):
        encoder = field.encoder or DjangoJSONEncoder
        return lambda value: None if value is None else json.dumps(value, cls=encoder)
    return lambda value: value


def _filled(model: type[models.Model], fields: Sequence[str]) -> tuple[list[models.Field[Any, Any]], list[Any]]:
    """The concrete fields a row must carry besides ``fields`` (not the primary key), with how to fill them.

    Django's defaults live in Python, not in the database: a column left out of ``COPY`` would get
    NULL, so each one is filled here as ``Model(...)`` would — ``auto_now(_add)`` with now, a callable
    default called per row, a constant default once.
    """
    given = set(fields)
    pk = model._meta.pk
    extra: list[models.Field[Any, Any]] = []
    fillers: list[Any] = []
    now = timezone.now()
    for field in model._meta.concrete_fields:
        if field is pk or field.attname in given or field.name in given:
            continue
        extra.append(field)
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            fillers.append(lambda now=now: now)
        elif field.has_default() and callable(field.default):
            fillers.append(field.default)
        else:
            constant = field.get_default()
            fillers.append(lambda constant=constant: constant)
    return extra, fillers


def rows_insert(
    model: type[models.Model],
    fields: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    ignore_conflicts: bool = False,
    with_ids: bool = False,
) -> list[int]:
    """Insert ``rows`` (tuples of values for ``fields``, attribute names such as ``invoice_id``) at once.

    On PostgreSQL through ``COPY`` — no model instance, no parameter quoting, the fastest way in —
    (into a temporary table first when ``ignore_conflicts`` asks for ``ON CONFLICT DO NOTHING``);
    elsewhere through ``bulk_create``. Values are given as the database stores them (JSON as Python
    data). Returns the new primary keys, in the rows' order, when ``with_ids`` (taken from the
    sequence beforehand on PostgreSQL), else an empty list. Model ``save()`` and signals do not run.
    """
    if not rows:
        return []
    connection = connections[router.db_for_write(model)]
    extra, fillers = _filled(model, fields)
    if connection.vendor != "postgresql":
        attnames = [*fields, *(field.attname for field in extra)]
        objects = [model(**dict(zip(attnames, (*row, *(fill() for fill in fillers)), strict=True))) for row in rows]
        created = model._default_manager.bulk_create(objects, ignore_conflicts=ignore_conflicts)
        return [item.pk for item in created] if with_ids else []
    meta = model._meta
    pk = meta.pk
    assert pk is not None
    by_name = {field.attname: field for field in meta.concrete_fields} | {
        field.name: field for field in meta.concrete_fields
    }
    columns = [by_name[name] for name in fields] + extra
    converters = [_copy_value(field) for field in columns]
    quote = connection.ops.quote_name
    ids: list[int] = []
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        raw = cursor.cursor  # the psycopg cursor under Django's wrapper
        if with_ids:
            raw.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                (meta.db_table, pk.column, len(rows)),
            )
            ids = [int(found[0]) for found in raw.fetchall()]
            columns = [pk, *columns]
            converters = [int, *converters]
        names = ", ".join(quote(str(field.column)) for field in columns)
        table = quote(meta.db_table)
        target = table
        if ignore_conflicts:
            target = quote(f"pacte_copy_{meta.db_table}")
            raw.execute(f"CREATE TEMPORARY TABLE {target} AS SELECT {names} FROM {table} WITH NO DATA")  # noqa: S608
        with raw.copy(f"COPY {target} ({names}) FROM STDIN") as copy:  # noqa: S608
            for number, row in enumerate(rows):
                values = (*row, *(fill() for fill in fillers))
                if with_ids:
                    values = (ids[number], *values)
                copy.write_row([convert(value) for convert, value in zip(converters, values, strict=True)])
        if ignore_conflicts:
            raw.execute(f"INSERT INTO {table} ({names}) SELECT {names} FROM {target} ON CONFLICT DO NOTHING")  # noqa: S608
            raw.execute(f"DROP TABLE {target}")
    return ids
