"""Numbering: the next number of a counter row, allocated under a row lock (no gap, no duplicate)."""

from __future__ import annotations

from typing import Any

from django.db import models


def sequence_next(model: type[models.Model], **key: Any) -> int:
    """Add one to the ``last`` of the ``model`` row matching ``key`` (created at 0) and return it.

    Call inside the transaction that uses the number: the row stays locked until it commits, so
    concurrent callers get consecutive numbers and a rollback gives the number back.
    """
    row, _created = model.objects.get_or_create(**key)  # type: ignore[attr-defined]
    row = model.objects.select_for_update().get(pk=row.pk)  # type: ignore[attr-defined]
    row.last += 1
    row.save(update_fields=["last"])
    return int(row.last)
