"""The bytes of stored documents: ``MEDIA_ROOT/documents/<provider id>/<year>/<random>.<ext>``.

Files are created exclusively (never overwritten) and read-only; the app never deletes one, except
the file it has just written when the row that would reference it could not be saved, and the files no
row references any more (``files.stored_files_prune``: ``pacte files prune``, nightly).
``MEDIA_ROOT`` is outside the static root and no URL serves it: downloads go through a view that
checks who is asking.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from django.conf import settings

PREFIX = "documents"
FILE_MODE = 0o440
DIRECTORY_MODE = 0o750


def root() -> Path:
    return Path(settings.MEDIA_ROOT) / PREFIX


def new_storage_name(*, provider_id: int, year: int, extension: str) -> str:
    """A fresh random name (128 random bits): unguessable, and never the name of another file."""
    return f"{PREFIX}/{provider_id}/{year}/{secrets.token_hex(16)}{extension}"


def path_of(storage_name: str) -> Path:
    """The file's path; a name that would leave the documents directory is refused."""
    base = root().resolve()
    path = (Path(settings.MEDIA_ROOT) / storage_name).resolve()
    if base not in path.parents:
        raise ValueError(f"Invalid storage name: {storage_name!r}")
    return path


def write_new(storage_name: str, content: bytes) -> None:
    """Write ``content`` to a new file; an existing file is never touched (``FileExistsError``)."""
    path = path_of(storage_name)
    path.parent.mkdir(mode=DIRECTORY_MODE, parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        path.unlink(missing_ok=True)
        raise


def remove_unreferenced(storage_name: str) -> None:
    """Remove a file written a moment ago whose database row could not be saved (never a stored document)."""
    path_of(storage_name).unlink(missing_ok=True)


def read(storage_name: str) -> bytes:
    return path_of(storage_name).read_bytes()
