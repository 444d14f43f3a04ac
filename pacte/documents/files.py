"""Stored files that no database row references any more, and removing them (``pacte files prune``).

Pacte writes files under ``MEDIA_ROOT`` in two folders it manages:

- ``documents/``: the documents store (``storage.py``): documents, ticket attachments, intervention
  photos, frozen invoice logos (``documents/<provider id>/logos/<sha256>.<ext>``);
- ``logos/``: the providers' current logos (``Provider.logo``).

A file is written *before* the row that names it is saved (a row must never name a missing file), so a
transaction that rolls back afterwards leaves a file nobody references. ``stored_files_prune`` finds
those: a file in a managed folder that no reference names, last modified more than ``older_than_hours``
ago (never less than ``MIN_AGE_HOURS``: a transaction still running keeps its file).

What references a file (``references()``, checked by a test against the models):

- every ``FileField`` and every column named ``storage_name``, on any model;
- the logo an issued invoice froze (``Invoice.data["seller"]["logo_file"]``);
- the frozen copy of each provider's *current* logo: the next invoice reuses it as it is, so it is kept
  even before an invoice names it.

Never removed: a referenced file, a young file, anything outside the managed folders, a symbolic link.
"""

from __future__ import annotations

import datetime
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.db import models

from pacte.documents import storage

DEFAULT_AGE_HOURS = 24
MIN_AGE_HOURS = 1
#: The folders under ``MEDIA_ROOT`` Pacte writes and prunes (``Provider.logo`` uploads to ``logos/``).
MANAGED_FOLDERS = (storage.PREFIX, "logos")
#: References kept in JSON: (model label, key path as a Django lookup).
JSON_REFERENCES = (("billing.Invoice", "data__seller__logo_file"),)


@dataclass(frozen=True)
class StoredFile:
    name: str  # relative to MEDIA_ROOT, with "/" (what the rows store)
    size: int


@dataclass
class PruneReport:
    """What one prune saw and did. ``removed``: the orphans removed (or that would be, with ``dry_run``)."""

    dry_run: bool
    older_than_hours: float
    scanned: int = 0
    referenced: int = 0
    young: int = 0
    removed: list[StoredFile] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def removed_bytes(self) -> int:
        return sum(item.size for item in self.removed)


def reference_columns() -> list[tuple[str, str]]:
    """(model label, field name) of every column that names a stored file: ``FileField``s and ``storage_name``."""
    columns = []
    for model in apps.get_models():
        for model_field in model._meta.concrete_fields:
            if isinstance(model_field, models.FileField) or model_field.name == "storage_name":
                columns.append((model._meta.label, model_field.name))
    return sorted(columns)


def references() -> list[tuple[str, str]]:
    """Every (model label, lookup) that names a stored file."""
    return [*reference_columns(), *JSON_REFERENCES]


def _rows(label: str) -> models.QuerySet[models.Model]:
    return apps.get_model(label)._default_manager.all()


def _names(label: str, lookup: str) -> Iterator[str]:
    for value in _rows(label).values_list(lookup, flat=True).distinct().iterator():
        if isinstance(value, str) and value:
            yield value


def current_logo_copies() -> set[str]:
    """The frozen copy each provider's current logo gets at the next issue (``billing.snapshot.frozen_logo``)."""
    from pacte.billing.snapshot import printable_logo
    from pacte.documents.domain import sha256_hex
    from pacte.tenancy.models import Provider

    names = set()
    for provider in Provider.objects.exclude(logo="").only("pk", "logo"):
        try:
            with provider.logo.open("rb") as handle:
                content, extension = printable_logo(handle.read())
        except Exception:  # noqa: S112  (a lost or damaged logo is frozen by no invoice: nothing to keep)
            continue
        names.add(f"{storage.PREFIX}/{provider.pk}/logos/{sha256_hex(content)}{extension}")
    return names


def referenced_names() -> set[str]:
    """Every stored file name a row references (one query per reference)."""
    names = current_logo_copies()
    for label, lookup in references():
        names.update(_names(label, lookup))
    return names


def file_referenced(name: str) -> bool:
    """Whether a row references the stored file ``name`` (as ``MEDIA_ROOT``-relative name)."""
    if name.startswith(f"{storage.PREFIX}/") and name in current_logo_copies():
        return True
    return any(_rows(label).filter(**{lookup: name}).exists() for label, lookup in references())


def managed_files() -> Iterator[tuple[StoredFile, float]]:
    """Every regular file in the managed folders, with its modification time (symbolic links are skipped)."""
    media = Path(settings.MEDIA_ROOT)
    for folder in MANAGED_FOLDERS:
        top = media / folder
        if not top.is_dir() or top.is_symlink():
            continue
        for directory, _subfolders, files in os.walk(top):
            for filename in sorted(files):
                path = Path(directory) / filename
                try:
                    status = path.lstat()
                except FileNotFoundError:
                    continue
                if not path.is_file() or path.is_symlink():
                    continue
                yield StoredFile(path.relative_to(media).as_posix(), status.st_size), status.st_mtime


def stored_files_prune(
    *, now: datetime.datetime, older_than_hours: float = DEFAULT_AGE_HOURS, dry_run: bool = False
) -> PruneReport:
    """Remove the files of the managed folders that no row references and nobody changed for
    ``older_than_hours`` (at least ``MIN_AGE_HOURS``, else ``ValueError``); ``dry_run`` removes nothing."""
    if now.tzinfo is None:
        raise ValueError("now must be an aware datetime")
    if not older_than_hours >= MIN_AGE_HOURS:
        raise ValueError(f"--older-than must be at least {MIN_AGE_HOURS} hour: a running transaction keeps its file.")
    cutoff = (now - datetime.timedelta(hours=older_than_hours)).timestamp()
    report = PruneReport(dry_run=dry_run, older_than_hours=older_than_hours)
    candidates = []
    for stored, modified in managed_files():  # listed before the references are read: a row saved meanwhile counts
        report.scanned += 1
        if modified >= cutoff:
            report.young += 1
        else:
            candidates.append(stored)
    referenced = referenced_names() if candidates else set()
    for stored in candidates:
        if stored.name in referenced:
            report.referenced += 1
            continue
        if not dry_run:
            try:
                (Path(settings.MEDIA_ROOT) / stored.name).unlink()
            except FileNotFoundError:
                continue
            except OSError as error:
                report.errors.append(f"{stored.name}: {error.strerror or error}")
                continue
        report.removed.append(stored)
    return report
