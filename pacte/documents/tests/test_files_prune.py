"""``pacte files prune``: stored files no row references are removed once old enough; a referenced file,
a young file, a file outside the managed folders and a symbolic link never are."""

from __future__ import annotations

import datetime
import io
import os

import pytest
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from PIL import Image

from pacte import cli
from pacte.billing.models import Invoice
from pacte.billing.tests.test_numbering import drafts
from pacte.documents import files
from pacte.documents.services import document_store
from pacte.jobs.registry import periodic_jobs
from pacte.tenancy.models import Provider

pytestmark = pytest.mark.django_db

NOW = timezone.now()
TWO_DAYS_AGO = (NOW - datetime.timedelta(days=2)).timestamp()


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def put(name: str, content: bytes = b"x" * 10, *, old: bool = True) -> str:
    """A file at ``MEDIA_ROOT/name``, last changed two days ago (``old``) or now."""
    path = settings.MEDIA_ROOT / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    if old:
        os.utime(path, (TWO_DAYS_AGO, TWO_DAYS_AGO))
    return name


def age(name: str) -> None:
    os.utime(settings.MEDIA_ROOT / name, (TWO_DAYS_AGO, TWO_DAYS_AGO))


def exists(name: str) -> bool:
    return (settings.MEDIA_ROOT / name).is_file()


def stored(tenant, title: str = "Note") -> str:
    document = document_store(
        actor=tenant.manager,
        content=f"%PDF-1.7 {title}".encode(),
        title=title,
        filename=f"{title}.pdf",
        content_type="application/pdf",
    )
    age(document.storage_name)
    return document.storage_name


def png(colour: tuple[int, int, int]) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (60, 20), colour).save(buffer, format="PNG")
    return buffer.getvalue()


def test_every_column_naming_a_stored_file_is_a_reference():
    """A new model storing a file name must show up here (and be checked by the prune)."""
    assert files.reference_columns() == [
        ("documents.Document", "storage_name"),
        ("interventions.InterventionFile", "storage_name"),
        ("mail.OutboundAttachment", "storage_name"),
        ("servicedesk.TicketAttachment", "storage_name"),
        ("tenancy.Provider", "logo"),
    ]
    assert ("billing.Invoice", "data__seller__logo_file") in files.references()


def test_a_referenced_file_is_kept_an_old_orphan_removed_a_young_one_kept(tenant):
    referenced = stored(tenant)
    orphan = put("documents/1/2026/0123456789abcdef0123456789abcdef.pdf", b"o" * 1000)
    young = put("documents/1/2026/fedcba9876543210fedcba9876543210.pdf", old=False)
    report = files.stored_files_prune(now=NOW)
    assert [item.name for item in report.removed] == [orphan] and report.removed_bytes == 1000
    assert (report.scanned, report.referenced, report.young, report.errors) == (3, 1, 1, [])
    assert not exists(orphan) and exists(referenced) and exists(young)
    # Younger than --older-than, older than the minimum: kept, then removed with a shorter limit.
    assert files.stored_files_prune(now=NOW + datetime.timedelta(hours=12), older_than_hours=24).removed == []
    report = files.stored_files_prune(now=NOW + datetime.timedelta(hours=12), older_than_hours=2)
    assert [item.name for item in report.removed] == [young] and exists(referenced)


def test_a_file_of_a_transaction_that_rolled_back_is_removed(tenant):
    with pytest.raises(RuntimeError), transaction.atomic():
        name = document_store(
            actor=tenant.manager,
            content=b"%PDF-1.7 lost",
            title="Lost",
            filename="lost.pdf",
            content_type="application/pdf",
        ).storage_name
        raise RuntimeError("the caller's transaction fails after the document was stored")
    assert exists(name)  # the file was written before the row, which is gone
    assert files.stored_files_prune(now=NOW).removed == []  # written a moment ago: maybe a running transaction
    age(name)
    assert [item.name for item in files.stored_files_prune(now=NOW).removed] == [name]
    assert not exists(name)


def test_dry_run_lists_and_removes_nothing(tenant):
    orphan = put("documents/1/2026/0123456789abcdef0123456789abcdef.pdf")
    report = files.stored_files_prune(now=NOW, dry_run=True)
    assert [item.name for item in report.removed] == [orphan] and report.dry_run
    assert exists(orphan)


def test_logos_the_provider_or_an_invoice_uses_are_kept(tenant):
    from pacte.billing.snapshot import frozen_logo

    Provider.objects.filter(pk=tenant.provider.pk).update(logo=put("logos/provider-1.png", png((200, 0, 0))))
    tenant.provider.refresh_from_db()
    current_copy, _digest = frozen_logo(tenant.provider)  # not yet on any invoice: the next one reuses it
    age(current_copy)
    issued_copy = put(f"documents/{tenant.provider.pk}/logos/{'a' * 64}.png")
    Invoice.objects.filter(pk__in=drafts(tenant, 1)).update(data={"seller": {"logo_file": issued_copy}})
    replaced_upload = put("logos/provider-1_AbCdEfG.png")
    unused_copy = put(f"documents/{tenant.provider.pk}/logos/{'b' * 64}.png")
    report = files.stored_files_prune(now=NOW)
    assert sorted(item.name for item in report.removed) == sorted([replaced_upload, unused_copy])
    assert exists("logos/provider-1.png") and exists(current_copy) and exists(issued_copy)
    assert files.file_referenced(current_copy) and files.file_referenced(issued_copy)
    assert files.file_referenced("logos/provider-1.png") and not files.file_referenced(unused_copy)


def test_files_outside_the_managed_folders_and_links_are_never_touched(tenant, tmp_path):
    outside = put("exports/report.pdf")
    target = tmp_path / "elsewhere.pdf"
    target.write_bytes(b"not ours")
    link = settings.MEDIA_ROOT / "documents" / "1" / "link.pdf"
    link.parent.mkdir(parents=True)
    link.symlink_to(target)
    report = files.stored_files_prune(now=NOW)
    assert report.removed == [] and report.scanned == 0
    assert exists(outside) and link.is_symlink() and target.read_bytes() == b"not ours"


def test_a_limit_under_one_hour_is_refused():
    with pytest.raises(ValueError, match="at least 1 hour"):
        files.stored_files_prune(now=NOW, older_than_hours=0.5)


def test_the_cli_lists_counts_and_bytes(tenant, capsys):
    referenced = stored(tenant)
    orphan = put("documents/1/2026/0123456789abcdef0123456789abcdef.pdf", b"o" * 2048)
    assert cli.main(["files", "prune", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert f"would remove {orphan} (2048 bytes)" in out
    assert "2 files scanned; 1 unreferenced files to remove (2.0 KB (2048 bytes)); kept 1 referenced" in out
    assert exists(orphan)
    assert cli.main(["files", "prune", "--older-than", "12"]) == 0
    out = capsys.readouterr().out
    assert f"removed {orphan} (2048 bytes)" in out and "1 unreferenced files removed" in out
    assert not exists(orphan) and exists(referenced)
    assert cli.main(["files", "prune", "--older-than", "0.5"]) == 2
    assert "at least 1 hour" in capsys.readouterr().err


def test_the_prune_runs_every_night():
    (spec,) = [spec for spec in periodic_jobs() if spec.name == "documents.files_prune"]
    assert spec.cadence.describe() == "nightly at 04:20 Europe/Paris"


def test_the_nightly_job_removes_the_orphans_and_logs_them(tenant, caplog):
    from pacte.documents.tasks import files_prune

    referenced = stored(tenant)
    orphan = put("documents/1/2026/0123456789abcdef0123456789abcdef.pdf")
    with caplog.at_level("INFO", logger="pacte.documents.tasks"):
        assert files_prune.call() == 1
    assert f"Removed the unreferenced stored file {orphan} (10 bytes)." in caplog.text
    assert not exists(orphan) and exists(referenced)
