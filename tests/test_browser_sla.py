"""Real-browser journey through the SLA settings: a manager edits a calendar, sees the holidays it will skip,
and simulates a due date (Debian's Chromium through Playwright; screenshots in ``var/screenshots/``)."""

from __future__ import annotations

import re

import pytest

from tests import test_browser as shared
from tests.test_browser import NBSP, _log_in, _screenshot

pytestmark = pytest.mark.browser

# The browser journeys' fixtures (one Chromium per module, a fresh context per test, the demo story).
browser = shared.browser
page = shared.page
demo = shared.demo


def test_manager_edits_a_calendar_sees_the_holidays_it_skips_and_simulates_a_due_date(page, live_server, demo):
    from playwright.sync_api import expect

    _log_in(page, live_server.url, "manager@demo.pacte.test")
    page.locator(".mainnav").get_by_role("link", name="Niveaux de service").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Niveaux de service")
    expect(page.get_by_test_id("service-level-table")).to_contain_text("Premium 4h")
    _screenshot(page, "sla-service-levels.png")
    page.get_by_test_id("service-level-table").get_by_role("link", name="Essentiel").click()
    expect(page.get_by_test_id("target-grid")).to_contain_text(f"8{NBSP}h")
    _screenshot(page, "sla-service-level.png")

    page.locator(".subnav").get_by_role("link", name="Calendriers").click()
    page.get_by_role("link", name="Heures ouvrées 8h–18h").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Heures ouvrées 8h–18h")
    page.get_by_role("button", name="Modifier").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Modifier le calendrier")

    # The holiday region picker: the preview follows it (htmx), before anything is saved.
    page.get_by_label("Aperçu de l’année").fill("2026")
    preview = page.get_by_test_id("holiday-preview")
    expect(preview).to_contain_text("11 jours fériés en 2026")
    expect(preview).not_to_contain_text("Vendredi saint")
    page.get_by_label("Région des jours fériés").select_option(label="Moselle (Alsace-Moselle)")
    expect(preview).to_contain_text("13 jours fériés en 2026")
    good_friday = preview.locator("li", has_text="Vendredi saint")
    expect(good_friday).to_contain_text("vendredi 3 avril")
    expect(good_friday.locator("mark")).to_have_text("sauté")
    assumption = preview.locator("li", has_text="Assomption")
    expect(assumption).to_contain_text("déjà fermé")  # Saturday 15 August: closed so far
    # Saturday 26 December: within the provider's end-of-year closure, which decides that date.
    expect(preview.locator("li", has_text="Saint-Étienne")).to_contain_text(
        f"exception «{NBSP}Fermeture de fin d'année{NBSP}»"
    )

    # The weekly grid: open on Saturday mornings too; the preview now skips the Assumption as well.
    saturday = page.get_by_test_id("day-sat")
    expect(saturday).to_contain_text("fermé")
    saturday.get_by_role("button", name="+ plage").click()
    saturday.locator("input[name=sat_start]").fill("09:00")
    saturday.locator("input[name=sat_end]").fill("12:00")
    saturday.locator("input[name=sat_end]").dispatch_event("change")
    expect(assumption.locator("mark")).to_have_text("sauté")
    _screenshot(page, "sla-calendar-edit.png")
    page.get_by_role("button", name="Enregistrer").click()

    expect(page.get_by_role("status")).to_have_text("Le calendrier a été enregistré.")
    expect(page).to_have_url(re.compile(r"/sla/calendars/\d+/$"))
    week = page.get_by_test_id("week-grid")
    expect(week.locator("tr", has_text="Samedi")).to_contain_text("09:00–12:00")
    expect(week.locator("tr", has_text="Lundi")).to_contain_text("08:00–12:00, 13:30–18:00")
    expect(page.locator("dl")).to_contain_text("Moselle (Alsace-Moselle)")

    # Simulate: Thursday 2 April 2026 at 17:00 + 4 business hours. Good Friday is closed in Moselle,
    # Saturday opens 09:00–12:00: 1 h on Thursday, 3 h on Saturday → Saturday 4 April at 12:00.
    form = page.get_by_test_id("simulate-form")
    form.get_by_label("Début (heure locale)").fill("2026-04-02T17:00")
    form.get_by_label("Objectif (heures ouvrées)").fill("4")
    form.get_by_role("button", name="Simuler").click()
    result = page.get_by_test_id("simulation-result")
    expect(result.get_by_test_id("due")).to_have_text("samedi 4 avril 2026, 12:00")
    periods = result.get_by_test_id("closed-periods").locator("li")
    expect(periods).to_have_count(1)
    expect(periods.first).to_contain_text(f"nuit, jour férié «{NBSP}Vendredi saint{NBSP}», nuit")
    _screenshot(page, "sla-calendar-simulate.png")


def test_calendar_pages_fit_a_phone(browser, live_server, demo):
    """390 px wide: the calendar page and its editor never scroll sideways."""
    from playwright.sync_api import expect

    context = browser.new_context(
        viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True, has_touch=True
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        _log_in(page, live_server.url, "manager@demo.pacte.test")
        page.goto(f"{live_server.url}/sla/calendars/")
        page.get_by_role("link", name="Heures ouvrées 8h–18h").click()
        expect(page.get_by_test_id("week-grid")).to_be_visible()
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        _screenshot(page, "sla-calendar-mobile.png")
        assert overflow <= 0, f"the calendar page scrolls sideways by {overflow}px at 390px"
        page.get_by_role("button", name="Modifier").click()
        expect(page.get_by_test_id("day-mon")).to_be_visible()
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        _screenshot(page, "sla-calendar-edit-mobile.png")
        assert overflow <= 0, f"the calendar editor scrolls sideways by {overflow}px at 390px"
        page.goto(f"{live_server.url}/sla/service-levels/")
        page.get_by_role("link", name="Premium 4h").click()
        page.get_by_role("button", name="Modifier").click()
        page.wait_for_url("**/edit/**")
        page.wait_for_load_state("load")
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        _screenshot(page, "sla-service-level-edit-mobile.png")
        assert overflow <= 0, f"the service level editor scrolls sideways by {overflow}px at 390px"
    finally:
        context.close()
