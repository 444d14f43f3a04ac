"""The documents app's periodic job: removing the stored files no row references."""

from __future__ import annotations

import logging

from django.utils import timezone
from django_tasks import task

from pacte.documents.files import stored_files_prune
from pacte.jobs.domain import nightly
from pacte.jobs.registry import periodic

logger = logging.getLogger(__name__)


@periodic(nightly("04:20"), name="documents.files_prune")
@task()
def files_prune() -> int:
    """``pacte files prune`` with its defaults (files unreferenced for 24 h); the number of files removed."""
    report = stored_files_prune(now=timezone.now())
    for stored in report.removed:
        logger.info("Removed the unreferenced stored file %s (%s bytes).", stored.name, stored.size)
    for message in report.errors:
        logger.warning("An unreferenced stored file could not be removed: %s", message)
    return len(report.removed)
