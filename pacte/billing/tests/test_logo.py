"""The provider's logo on the invoice PDF: frozen at issue (a copy named by its SHA-256 in the documents
store), printed from that copy forever, PDF/A-safe, and read once per batch of invoices."""

from __future__ import annotations

import datetime
import hashlib
import io
import os
import secrets
from typing import Any

import pytest
from PIL import Image
from pypdf import PdfReader

from pacte.billing import facturx, rendering, snapshot
from pacte.billing.models import Invoice
from pacte.billing.rendering import invoice_render_once
from pacte.billing.services import invoices_issue
from pacte.billing.tests.helpers import legal_identity
from pacte.billing.tests.test_numbering import drafts
from pacte.documents import rendering as documents_rendering
from pacte.documents import storage
from pacte.documents.errors import DocumentRenderError
from pacte.tenancy.models import Provider
from pacte.tenancy.services import provider_update

pytestmark = pytest.mark.django_db

RED = (200, 30, 30)
BLUE = (20, 60, 200)
DAY = datetime.date(2026, 11, 30)


def png(colour: tuple[int, int, int], *, size: tuple[int, int] = (120, 40), alpha: bool = True) -> bytes:
    """A plain logo; with ``alpha`` its left half is transparent (PDF/A-3 takes it as a soft mask)."""
    image = Image.new("RGBA" if alpha else "RGB", size, colour)
    if alpha:
        image.paste((0, 0, 0, 0), (0, 0, size[0] // 2, size[1]))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def seller(tenant):
    return legal_identity(tenant)


def set_logo(tenant, content: bytes) -> Provider:
    provider = provider_update(actor=tenant.manager, logo=content)
    tenant.provider.refresh_from_db()
    return provider


def issue(tenant, count: int = 1) -> list[Invoice]:
    return invoices_issue(
        actor=tenant.manager,
        provider=tenant.provider,
        invoice_ids=drafts(tenant, count),
        issue_date=DAY,
        validate=False,
        render=False,
    )


def pdf_of(data_json: dict) -> bytes:
    """The invoice PDF rendered again from its frozen data, as ``invoice_render_once`` renders it."""
    data = snapshot.data_from_json(data_json)
    html = documents_rendering.html_render(
        template_name=rendering.TEMPLATE, context=rendering.invoice_pdf_context(data)
    )
    xml = facturx.cii_xml(data)
    return documents_rendering.pdf_from_html(
        html, identifier=secrets.token_bytes(16), attachments=[facturx.facturx_attachment(xml)]
    )


def images_of(pdf: bytes) -> list[dict]:
    """The image XObjects of the first page: their dictionary, the SHA-256 of their data, their pixels."""
    page = PdfReader(io.BytesIO(pdf)).pages[0]
    objects: Any = page["/Resources"].get_object().get("/XObject", {})  # type: ignore[union-attr]
    found = []
    for name in objects:
        item = objects[name].get_object()
        if item["/Subtype"] == "/Image":
            found.append({"object": item, "sha256": hashlib.sha256(item.get_data()).hexdigest()})
    pictures = {image.name: image.image for image in page.images}
    for entry, picture in zip(found, pictures.values(), strict=True):
        entry["picture"] = picture
    return found


def colour_of(picture: Image.Image) -> Any:
    """The colour of the logo's opaque right half."""
    return picture.convert("RGB").getpixel((picture.width - 2, picture.height // 2))


# Issue and render ----------------------------------------------------------------------------------


def test_an_issued_invoice_prints_its_logo_and_keeps_it_after_the_provider_replaces_it(tenant, seller):
    red = png(RED)
    set_logo(tenant, red)
    (invoice,) = issue(tenant)

    frozen = invoice.data["seller"]
    assert frozen["logo_sha256"] == hashlib.sha256(red).hexdigest()
    assert frozen["logo_file"] == f"documents/{tenant.provider.pk}/logos/{frozen['logo_sha256']}.png"
    assert storage.read(frozen["logo_file"]) == red
    assert invoice.data["buyer"]["logo_file"] == ""

    invoice_render_once(invoice.pk)
    invoice.refresh_from_db()
    assert invoice.document is not None
    stored = storage.read(invoice.document.storage_name)
    (image,) = images_of(stored)
    assert colour_of(image["picture"]) == RED
    assert image["object"]["/Interpolate"].value is False  # PDF/A: an image is never interpolated
    assert "/SMask" in image["object"]  # the transparency, as PDF/A-3 allows it

    set_logo(tenant, png(BLUE))
    (again,) = images_of(pdf_of(Invoice.objects.get(pk=invoice.pk).data))
    assert again["sha256"] == image["sha256"]  # the same image, byte for byte, from the frozen copy
    assert colour_of(again["picture"]) == RED

    # The next invoice carries the new logo; the first one's copy is still there, untouched.
    (later,) = issue(tenant)
    assert later.data["seller"]["logo_sha256"] == hashlib.sha256(png(BLUE)).hexdigest()
    (new,) = images_of(pdf_of(later.data))
    assert colour_of(new["picture"]) == BLUE and new["sha256"] != image["sha256"]
    assert storage.read(frozen["logo_file"]) == red


def test_without_a_logo_and_in_data_issued_before_logos_no_image_is_printed(tenant, seller):
    (invoice,) = issue(tenant)
    assert invoice.data["seller"]["logo_file"] == "" and invoice.data["seller"]["logo_sha256"] == ""
    old = {**invoice.data, "seller": dict(invoice.data["seller"])}
    del old["seller"]["logo_file"], old["seller"]["logo_sha256"]  # JSON written before the logo fields
    data = snapshot.data_from_json(old)
    assert (data.seller.logo_file, data.seller.logo_sha256) == ("", "")
    assert images_of(pdf_of(old)) == []


def test_the_same_logo_is_one_frozen_file_and_a_batch_reads_it_once(tenant, seller):
    set_logo(tenant, png(RED))
    invoices = list(Invoice.objects.filter(pk__in=drafts(tenant, 3)).select_related("provider", "client", "contract"))
    context = snapshot.context_for(invoices)
    # The batch's seller (and its logo) is read once: with the provider's file gone, every invoice
    # of the batch still gets the logo frozen when the context was built.
    tenant.provider.logo.storage.delete(tenant.provider.logo.name)
    datas = [
        snapshot.invoice_data(invoice, number="FA-TEST", issue_date=DAY, due=DAY, context=context)
        for invoice in invoices
    ]
    assert {data.seller.logo_sha256 for data in datas} == {hashlib.sha256(png(RED)).hexdigest()}
    assert len(list((storage.root() / str(tenant.provider.pk) / "logos").iterdir())) == 1

    # A logo whose file is lost is left out of the invoices issued afterwards (logged): issuing goes on.
    (invoice,) = issue(tenant)
    assert invoice.data["seller"]["logo_file"] == ""


def test_a_frozen_logo_that_changed_or_vanished_stops_the_rendering(tenant, seller):
    set_logo(tenant, png(RED))
    (invoice,) = issue(tenant)
    path = storage.path_of(invoice.data["seller"]["logo_file"])
    os.chmod(path, 0o640)
    path.write_bytes(png(BLUE))
    with pytest.raises(DocumentRenderError, match="has changed since it was issued"):
        invoice_render_once(invoice.pk)
    path.unlink()
    with pytest.raises(DocumentRenderError, match="is missing"):
        invoice_render_once(invoice.pk)
    assert Invoice.objects.get(pk=invoice.pk).document_id is None


# What a PDF/A embeds ---------------------------------------------------------------------------------


def encoded(image: Image.Image, kind: str) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=kind)
    return buffer.getvalue()


def test_an_rgb_png_or_jpeg_is_kept_and_anything_else_becomes_an_srgb_png():
    kept = png(RED)
    assert snapshot.printable_logo(kept) == (kept, ".png")
    jpeg = encoded(Image.new("RGB", (40, 20), RED), "JPEG")
    assert snapshot.printable_logo(jpeg) == (jpeg, ".jpg")

    cmyk = encoded(Image.new("CMYK", (40, 20), (0, 80, 80, 10)), "JPEG")  # DeviceCMYK: not under sRGB
    content, extension = snapshot.printable_logo(cmyk)
    with Image.open(io.BytesIO(content)) as image:
        assert (extension, image.format, image.mode, image.size) == (".png", "PNG", "RGB", (40, 20))

    deep = encoded(Image.new("I;16", (30, 30), 40000), "PNG")  # 16 bits a channel
    content, _ = snapshot.printable_logo(deep)
    with Image.open(io.BytesIO(content)) as image:
        assert image.mode == "RGB"

    huge = png(RED, size=(5000, 1000))
    content, _ = snapshot.printable_logo(huge)
    with Image.open(io.BytesIO(content)) as image:
        assert image.size == (snapshot.LOGO_MAX_SIDE, 400) and image.mode == "RGBA"


def test_a_cmyk_logo_is_printed_in_rgb(tenant, seller):
    set_logo(tenant, encoded(Image.new("CMYK", (60, 20), (0, 0, 0, 255)), "JPEG"))
    (invoice,) = issue(tenant)
    (image,) = images_of(pdf_of(invoice.data))
    assert image["object"]["/ColorSpace"] == "/DeviceRGB"
