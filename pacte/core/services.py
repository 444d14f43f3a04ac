"""Helpers shared by every app's services."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models

from pacte.core.errors import ConflictError


def apply_fields(instance: models.Model, data: Mapping[str, Any], allowed: Iterable[str]) -> None:
    """Copy ``data`` onto ``instance``; an unknown or forbidden field is a validation error."""
    allowed_set = set(allowed)
    unknown = sorted(set(data) - allowed_set)
    if unknown:
        raise ValidationError({name: "This field cannot be set here." for name in unknown})
    for name, value in data.items():
        setattr(instance, name, value)


def ensure_not_archived(instance: models.Model) -> None:
    if getattr(instance, "archived_at", None) is not None:
        raise ConflictError("This object is archived and can no longer be changed.")
