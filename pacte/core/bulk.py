"""Updating many rows, each with its own values, in one round of statements.

Django's ``bulk_update`` builds one ``CASE WHEN pk = … THEN …`` expression per field and row, which
costs far more to compile than to run (40 ms a row for a ten-field update of 200 rows). ``rows_update``
sends one parameterised ``UPDATE … WHERE pk = %s`` through the driver's ``executemany`` (pipelined by
psycopg 3 on PostgreSQL): column names come from the model, values are bound parameters, prepared by
each field as Django would save them.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connections, models, router


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
