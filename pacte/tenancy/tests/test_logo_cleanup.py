"""Replacing or removing the provider's logo deletes the old file once committed, never a file still in use,
and a change that fails leaves no new file behind."""

from __future__ import annotations

import datetime
import io

import pytest
from django.db import transaction
from PIL import Image

from pacte.billing.models import Invoice
from pacte.billing.services import invoices_issue
from pacte.billing.tests.helpers import legal_identity
from pacte.billing.tests.test_numbering import drafts
from pacte.documents import storage
from pacte.tenancy import services
from pacte.tenancy.models import Provider
from pacte.tenancy.services import logo_file_discard, provider_update

pytestmark = pytest.mark.django_db


def png(colour: tuple[int, int, int]) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (60, 20), colour).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def logo_files(settings) -> set[str]:
    folder = settings.MEDIA_ROOT / "logos"
    return {path.name for path in folder.iterdir()} if folder.is_dir() else set()


def set_logo(tenant, content: bytes, capture) -> str:
    with capture(execute=True):
        provider = provider_update(actor=tenant.manager, logo=content)
    tenant.provider.refresh_from_db()
    return provider.logo.name


def test_replacing_the_logo_deletes_the_old_file_after_the_commit(tenant, settings, django_capture_on_commit_callbacks):
    old = set_logo(tenant, png((200, 0, 0)), django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks() as callbacks:
        new = provider_update(actor=tenant.manager, logo=png((0, 0, 200))).logo.name
        assert (settings.MEDIA_ROOT / old).is_file()  # not before the commit
    assert len(callbacks) == 1 and new != old
    callbacks[0]()
    assert not (settings.MEDIA_ROOT / old).exists()
    assert (settings.MEDIA_ROOT / new).read_bytes() == png((0, 0, 200))
    assert logo_files(settings) == {new.removeprefix("logos/")}


def test_clearing_the_logo_deletes_its_file(tenant, settings, django_capture_on_commit_callbacks):
    old = set_logo(tenant, png((200, 0, 0)), django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        provider_update(actor=tenant.manager, clear_logo=True)
    assert not Provider.objects.get(pk=tenant.provider.pk).logo
    assert not (settings.MEDIA_ROOT / old).exists() and logo_files(settings) == set()


def test_a_change_that_keeps_the_logo_deletes_nothing(tenant, settings, django_capture_on_commit_callbacks):
    old = set_logo(tenant, png((200, 0, 0)), django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        provider_update(actor=tenant.manager, city="Nancy")
    assert callbacks == [] and (settings.MEDIA_ROOT / old).is_file()


def test_a_rolled_back_change_keeps_the_old_file(tenant, settings, django_capture_on_commit_callbacks):
    old = set_logo(tenant, png((200, 0, 0)), django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:  # noqa: SIM117
        with pytest.raises(RuntimeError), transaction.atomic():
            provider_update(actor=tenant.manager, clear_logo=True)
            raise RuntimeError("the caller's transaction fails afterwards")
    assert callbacks == []
    assert Provider.objects.get(pk=tenant.provider.pk).logo.name == old
    assert (settings.MEDIA_ROOT / old).is_file()


def test_a_failed_update_removes_the_new_file_it_wrote(
    tenant, settings, monkeypatch, django_capture_on_commit_callbacks
):
    old = set_logo(tenant, png((200, 0, 0)), django_capture_on_commit_callbacks)

    def broken(**kwargs):
        raise RuntimeError("audit unavailable")

    monkeypatch.setattr(services, "audit_changes", broken)
    with pytest.raises(RuntimeError):
        provider_update(actor=tenant.manager, logo=png((0, 0, 200)))
    assert logo_files(settings) == {old.removeprefix("logos/")}


def test_a_file_another_row_references_is_kept(tenant, other_tenant, settings, django_capture_on_commit_callbacks):
    old = set_logo(tenant, png((200, 0, 0)), django_capture_on_commit_callbacks)
    Provider.objects.filter(pk=other_tenant.provider.pk).update(logo=old)  # the same file, whatever the reason
    with django_capture_on_commit_callbacks(execute=True):
        provider_update(actor=tenant.manager, clear_logo=True)
    assert (settings.MEDIA_ROOT / old).is_file()
    # An issued invoice naming the file keeps it as well.
    assert logo_file_discard(old) is False
    Provider.objects.filter(pk=other_tenant.provider.pk).update(logo="")
    Invoice.objects.filter(pk__in=drafts(tenant, 1)).update(data={"seller": {"logo_file": old}})
    assert logo_file_discard(old) is False and (settings.MEDIA_ROOT / old).is_file()
    Invoice.objects.update(data={})
    assert logo_file_discard(old) is True and not (settings.MEDIA_ROOT / old).exists()


def test_an_issued_invoice_still_has_its_frozen_logo_after_the_logo_is_replaced(
    tenant, settings, django_capture_on_commit_callbacks
):
    legal_identity(tenant)
    old = set_logo(tenant, png((200, 0, 0)), django_capture_on_commit_callbacks)
    (invoice,) = invoices_issue(
        actor=tenant.manager,
        provider=tenant.provider,
        invoice_ids=drafts(tenant, 1),
        issue_date=datetime.date(2026, 11, 30),
        validate=False,
        render=False,
    )
    frozen = invoice.data["seller"]["logo_file"]
    assert frozen.startswith(f"documents/{tenant.provider.pk}/logos/")
    set_logo(tenant, png((0, 0, 200)), django_capture_on_commit_callbacks)
    assert not (settings.MEDIA_ROOT / old).exists()  # the provider's old upload is gone…
    assert storage.read(frozen) == png((200, 0, 0))  # …the invoice's frozen copy stays
