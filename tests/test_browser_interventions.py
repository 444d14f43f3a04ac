"""Real-browser journey of an intervention on a phone (390 × 844, touch): the technician's day, the sheet,
the client's signature on the canvas, the sealed PDF, the locked sheet, and a second submission that
changes nothing (Done-when #1 of the interventions issue).

French catalogue active: elements are found by id. Screenshots in ``var/screenshots/``.
"""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from pacte.documents import storage
from pacte.documents.models import Document, SignatureEvidence
from pacte.documents.sealing import pdf_signatures_check
from pacte.documents.verification import _trusted_certificates
from pacte.events.models import Event
from pacte.interventions import services
from pacte.interventions.models import Intervention, SheetStatus
from pacte.tenancy.models import Client, Membership, Role
from tests import test_browser as shared
from tests.test_browser import _in_a_thread, _log_in, _screenshot

pytestmark = pytest.mark.browser

browser = shared.browser
demo = shared.demo

TECHNICIAN = "tech@demo.pacte.test"


@pytest.fixture
def phone(browser):
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True, has_touch=True, locale="fr-FR"
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


def _todays_sheet(demo) -> Intervention:
    """A sheet planned for the demo technician today (now), on site at a client's site, with no contract."""
    technician = Membership.objects.select_related("user").get(user__email=TECHNICIAN)
    assert technician.role == Role.TECHNICIAN
    client = Client.objects.filter(provider=demo, is_professional=True).order_by("pk").first()
    assert client is not None
    site = client.sites.order_by("pk").first()
    now = timezone.now()
    return services.sheet_create(
        actor=technician,
        client=client,
        site=site,
        title="Poste de l'accueil : écran noir au démarrage",
        mode="on_site",
        technicians=[technician],
        planned_start=now - datetime.timedelta(minutes=5),
        planned_end=now + datetime.timedelta(minutes=55),
    )


def _local_input(at: datetime.datetime, time_zone: str) -> str:
    return at.astimezone(ZoneInfo(time_zone)).strftime("%Y-%m-%dT%H:%M")


def _draw_signature(page) -> None:
    """A signature drawn with the mouse (pointer events): two strokes across the pad."""
    pad = page.locator("#signature-pad")
    pad.scroll_into_view_if_needed()
    box = pad.bounding_box()
    assert box is not None and box["width"] > 300 and box["height"] > 150
    x, y, w, h = box["x"], box["y"], box["width"], box["height"]
    strokes = [
        [(0.10, 0.70), (0.20, 0.30), (0.30, 0.65), (0.42, 0.25), (0.55, 0.70)],
        [(0.60, 0.55), (0.72, 0.40), (0.85, 0.60), (0.92, 0.35)],
    ]
    for stroke in strokes:
        page.mouse.move(x + stroke[0][0] * w, y + stroke[0][1] * h)
        page.mouse.down()
        for px, py in stroke[1:]:
            page.mouse.move(x + px * w, y + py * h, steps=6)
        page.mouse.up()


def _counts(sheet: Intervention) -> tuple[int, int, int]:
    documents = Document.objects.filter(source_type="interventions.intervention", source_id=str(sheet.pk)).count()
    evidence = SignatureEvidence.objects.filter(document__source_id=str(sheet.pk)).count()
    events = Event.objects.filter(kind="intervention.sheet_signed", key=f"intervention.sheet_signed:{sheet.pk}").count()
    return documents, evidence, events


def test_technician_works_a_sheet_on_a_phone_and_the_client_signs_on_the_canvas(phone, live_server, demo, seal):
    from playwright.sync_api import expect

    page = phone
    base = live_server.url
    sheet = _todays_sheet(demo)
    time_zone = sheet.site.effective_time_zone if sheet.site else sheet.client.time_zone

    _log_in(page, base, TECHNICIAN)
    # The day's planning: today's sheet, opened from its card.
    page.goto(base + reverse("interventions:my_day"))
    card = page.locator(f"#day-sheet-{sheet.pk}")
    expect(card).to_be_visible()
    expect(card).to_contain_text(sheet.reference)
    _screenshot(page, "interventions-my-day-phone.png")
    page.locator(f"#open-sheet-{sheet.pk}").click()
    expect(page).to_have_url(f"{base}{reverse('interventions:sheet_detail', args=[sheet.pk])}")

    # Check in.
    page.locator("#check-in").click()
    expect(page.get_by_test_id("checked-in-at")).not_to_have_text("—")

    # The client confirms its backups.
    backup = page.locator("#backup-form")
    backup.locator("input[name=check][value=client_confirmed]").check()
    backup.locator("input[name=confirmed_by]").fill("Mme Claire Martin")
    backup.locator("button[type=submit]").click()
    expect(page.get_by_test_id("backup-state")).to_contain_text("Mme Claire Martin")

    # The work: diagnosis, actions, result.
    work = page.locator("#work-form")
    work.locator("[name=diagnosis]").fill("Carte graphique défaillante (artefacts puis écran noir).")
    work.locator("[name=actions]").fill("Carte graphique remplacée, pilotes réinstallés, tests de démarrage OK.")
    work.locator("[name=result]").select_option("resolved")
    work.locator("button[type=submit]").click()
    expect(page.locator("#work-form [name=actions]")).to_have_value(
        "Carte graphique remplacée, pilotes réinstallés, tests de démarrage OK."
    )

    # Time worked (raw start and end, in the site's time).
    now = timezone.now()
    time_form = page.locator("#time-form")
    if not time_form.is_visible():
        page.locator("#time details > summary").click()
    time_form.locator("[name=started_at]").fill(_local_input(now - datetime.timedelta(minutes=50), time_zone))
    time_form.locator("[name=ended_at]").fill(_local_input(now - datetime.timedelta(minutes=5), time_zone))
    time_form.locator("[name=description]").fill("Diagnostic et remplacement")
    time_form.locator("button[type=submit]").click()
    expect(page.get_by_test_id("time").locator(".entry")).to_have_count(1)

    # A part.
    page.locator("#parts details > summary").click()
    part = page.locator("#part-form")
    part.locator("[name=description]").fill("Carte graphique GT 1030")
    part.locator("[name=quantity]").fill("1")
    part.locator("[name=serial_out]").fill("GPU-OLD-77")
    part.locator("[name=serial_in]").fill("GPU-NEW-88")
    part.locator("button[type=submit]").click()
    expect(page.get_by_test_id("parts").locator(".entry")).to_have_count(1)
    expect(page.get_by_test_id("parts")).to_contain_text("GPU-NEW-88")

    # Check out, work done, to the signature.
    page.locator("#check-out").click()
    expect(page.get_by_test_id("checked-out-at")).not_to_have_text("—")
    page.locator("#mark-done").click()
    page.locator("#go-sign").click()
    sign_url = reverse("interventions:sheet_sign", args=[sheet.pk])
    expect(page).to_have_url(base + sign_url)
    expect(page.get_by_test_id("sign-parts")).to_contain_text("Carte graphique GT 1030")

    # The client types their name and role and signs with the mouse; an empty pad is refused first.
    page.locator("#signer-name").fill("Claire Martin")
    page.locator("#signer-role").fill("Gérante")
    page.locator("#sign-submit").click()
    expect(page.locator("#signature-error")).to_be_visible()
    assert Intervention.objects.get(pk=sheet.pk).status == SheetStatus.DONE
    _draw_signature(page)
    expect(page.locator("#signature-error")).to_be_hidden()
    drawn = page.evaluate("document.getElementById('signature-pad').toDataURL('image/png')")
    token = page.locator("#sign-form input[name=csrfmiddlewaretoken]").input_value()
    _screenshot(page, "interventions-sign-phone.png")
    page.locator("#sign-submit").click()

    # Signed: the confirmation, the sealed PDF that pyHanko validates.
    expect(page.locator("#signed-confirmation")).to_be_visible()
    _screenshot(page, "interventions-signed-phone.png")
    signed = Intervention.objects.get(pk=sheet.pk)
    assert signed.status == SheetStatus.SIGNED and signed.signer_name == "Claire Martin"
    assert signed.signer_role == "Gérante" and signed.document is not None and signed.document.is_sealed
    assert bytes(signed.signature_png).startswith(b"\x89PNG")
    assert _counts(sheet) == (1, 1, 1)
    pdf = page.request.get(base + reverse("interventions:sheet_pdf", args=[sheet.pk]))
    assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf"
    content = pdf.body()
    assert content == storage.read(signed.document.storage_name)
    trusted = _trusted_certificates(demo.pk)
    (check,) = _in_a_thread(lambda: pdf_signatures_check(content, trusted=trusted, moment=None))
    assert check.valid and check.intact and check.trusted and check.by_provider and check.covers_whole_file

    # The sheet is locked: no edit controls, and a change posted anyway is refused (409), nothing changes.
    page.goto(base + reverse("interventions:sheet_detail", args=[sheet.pk]))
    expect(page.get_by_test_id("locked")).to_be_visible()
    for control in ("#work-form", "#time-form", "#part-form", "#backup-form", "#check-in", "#check-out", "#mark-done"):
        expect(page.locator(control)).to_have_count(0)
    refused = page.request.post(
        base + reverse("interventions:sheet_work", args=[sheet.pk]),
        form={"csrfmiddlewaretoken": token, "actions": "Réécrit après coup", "result": "partial"},
    )
    assert refused.status == 409
    assert Intervention.objects.get(pk=sheet.pk).actions.startswith("Carte graphique remplacée")

    # Submitting the signature again — the same form re-posted, or back to the page and sign again — changes nothing.
    again = page.request.post(
        base + sign_url,
        form={
            "csrfmiddlewaretoken": token,
            "signer_name": "Quelqu'un d'autre",
            "signer_role": "Stagiaire",
            "signature": drawn,
        },
    )
    assert again.status == 200 and 'id="already-signed"' in again.text()
    page.goto(base + sign_url)
    expect(page.locator("#signed-confirmation")).to_be_visible()
    expect(page.locator("#signature-pad")).to_have_count(0)
    page.go_back()
    page.go_back()
    if page.locator("#sign-submit").count():  # the browser restored the filled-in form: submit it again
        _draw_signature(page)
        page.locator("#sign-submit").click()
        expect(page.locator("#already-signed")).to_be_visible()
    after = Intervention.objects.get(pk=sheet.pk)
    assert (after.signer_name, after.signer_role, after.document_id, after.evidence_id) == (
        "Claire Martin",
        "Gérante",
        signed.document_id,
        signed.evidence_id,
    )
    assert _counts(sheet) == (1, 1, 1)
    (event,) = Event.objects.filter(key=f"intervention.sheet_signed:{sheet.pk}")
    assert [part["serial_in"] for part in event.payload["parts"]] == ["GPU-NEW-88"]
    assert len(event.payload["time_entries"]) == 1 and event.payload["time_entries"][0]["minutes"] == 45
