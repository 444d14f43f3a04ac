"""Compile the .po catalogues to .mo with polib (no system gettext needed on a fresh machine)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import polib
from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Compile every .po file under LOCALE_PATHS to .mo (skips up-to-date ones)."

    def handle(self, *args: Any, **options: Any) -> None:
        for root in settings.LOCALE_PATHS:
            for po_path in Path(root).glob("*/LC_MESSAGES/*.po"):
                mo_path = po_path.with_suffix(".mo")
                if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
                    continue
                # Write next to the target, then rename: a process reading the catalogue meanwhile
                # (a parallel test worker, a running server) never sees a half-written file.
                partial = mo_path.with_name(f".{mo_path.name}.{os.getpid()}.tmp")
                polib.pofile(str(po_path)).save_as_mofile(str(partial))
                os.replace(partial, mo_path)
                self.stdout.write(f"compiled {mo_path}")
