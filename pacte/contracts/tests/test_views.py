"""The provider's contract pages: every page renders, roles, bad input shows errors and saves nothing, the flow."""

from __future__ import annotations

import datetime
from decimal import Decimal
from html import escape
from typing import Any

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from pacte.audit.models import AuditEvent
from pacte.contracts import catalogue, lifecycle, services
from pacte.contracts.forms_terms import TermsForm
from pacte.contracts.models import (
    Contract,
    ContractStatus,
    ContractTemplate,
    ContractVersion,
    ExitItem,
    Notice,
    ServiceCategory,
    VersionStatus,
)
from pacte.contracts.terms import ContractTerms
from pacte.contracts.tests import helpers
from pacte.contracts.tests.posting import form_data
from pacte.tenancy.models import Client

pytestmark = pytest.mark.django_db

JUDGE = "révisable par le juge (art. 1231-5 du Code civil)"


def at(day: datetime.date) -> Any:
    """Travel to noon (Paris) of ``day``: notices and exit dates are checked against today."""
    return time_machine.travel(datetime.datetime(day.year, day.month, day.day, 11, tzinfo=datetime.UTC), tick=False)


def template_for(tenant, name: str = "Assistance mensuelle", **overrides: Any) -> ContractTemplate:
    terms = helpers.terms_data(
        clauses=[
            {"key": "objet", "title": "Objet", "text": "Assistance informatique des utilisateurs."},
            {"key": "formation", "title": "Formation", "text": "Deux heures de prise en main par an."},
        ],
        **overrides,
    )
    return catalogue.template_create(
        actor=tenant.manager, name=name, default_terms=terms, duration_months=12, optional_clauses=["formation"]
    )


def url(name: str, *args: Any) -> str:
    return reverse(f"contracts:{name}", args=args)


def in_exit(tenant) -> Contract:
    """An active contract without renewal that the daily roll moved into its exit."""
    contract = helpers.active(tenant, renewal={"kind": "none", "notice_months": 0})
    lifecycle.contracts_roll(today=datetime.date(2028, 1, 1))
    contract.refresh_from_db()
    assert contract.status == ContractStatus.IN_EXIT
    return contract


# Every page, every role -------------------------------------------------------------------------------


def _pages(tenant) -> dict[str, str]:
    template = template_for(tenant)
    category = catalogue.category_create(actor=tenant.manager, code="reseau", name="Réseau")
    draft = helpers.draft(tenant)
    active = helpers.active(tenant)
    amendment = services.amendment_create(
        actor=tenant.manager, contract=active, effective_from=datetime.date(2027, 4, 1), reason="Plus d'heures"
    )
    exiting = in_exit(tenant)
    return {
        "list": url("contract_list"),
        "new": url("contract_create"),
        "detail draft": url("contract_detail", draft.pk),
        "detail active": url("contract_detail", active.pk),
        "detail exit": url("contract_detail", exiting.pk),
        "terms": url("contract_update", draft.pk),
        "amendment edit": url("amendment_update", amendment.pk),
        "notice": url("notice_create", active.pk),
        "exit item": url("exit_item_update", exiting.exit_items.first().pk),
        "templates": url("template_list"),
        "template": url("template_detail", template.pk),
        "template new": url("template_create"),
        "template edit": url("template_update", template.pk),
        "categories": url("category_list"),
        "category new": url("category_create"),
        "category edit": url("category_update", category.pk),
    }


READ_PAGES = {"list", "detail draft", "detail active", "detail exit", "templates", "template", "categories"}


def test_every_page_renders_for_managers_technicians_read_only_and_client_side_404(tenant, other_tenant, login, seal):
    pages = _pages(tenant)
    manager, technician = login(tenant.manager), login(tenant.technician)
    for name, page in pages.items():
        assert manager.get(page).status_code == 200, name
        assert technician.get(page).status_code == (200 if name in READ_PAGES else 403), name
        for member in (tenant.client_manager, tenant.client_user, other_tenant.admin):
            expected = (
                200 if member == other_tenant.admin and name in {"list", "templates", "categories", "new"} else 404
            )
            if member == other_tenant.admin and name in {"template new", "category new"}:
                expected = 200
            assert login(member).get(page).status_code == expected, (name, member.role)
    # The technician sees no action buttons.
    html = technician.get(pages["detail active"]).content.decode()
    assert "Donner préavis" not in html and "Nouvel avenant" not in html
    html = manager.get(pages["detail draft"]).content.decode()
    assert "Envoyer pour signature" in html and "Modifier les conditions" in html


def test_another_provider_finds_nothing_in_the_list(tenant, other_tenant, login):
    helpers.draft(tenant)
    response = login(other_tenant.manager).get(url("contract_list"), {"q": "Assistance"})
    assert response.context["page"].paginator.count == 0


def test_technician_cannot_post_actions(tenant, login):
    contract = helpers.draft(tenant)
    http = login(tenant.technician)
    for name in ("contract_send", "contract_cancel"):
        assert http.post(url(name, contract.pk)).status_code == 403
    assert Contract.objects.get().status == ContractStatus.DRAFT
    assert not AuditEvent.objects.filter(action__in=["contract.send", "contract.cancel"]).exists()


# A new contract in a few clicks, then the terms form, then signature ---------------------------------------


def test_full_flow_from_template_to_sent_for_signature(tenant, login, seal):
    template = template_for(tenant)
    category = catalogue.category_create(actor=tenant.manager, code="poste", name="Poste de travail")
    http = login(tenant.manager)
    # The template's optional clauses come with the template (htmx fragment).
    fragment = http.get(url("contract_create"), {"template": template.pk, "partial": "clauses"}, HTTP_HX_REQUEST="true")
    assert 'value="formation"' in fragment.content.decode() and "<html" not in fragment.content.decode()
    response = http.post(
        url("contract_create"),
        {"client": tenant.client.pk, "template": template.pk, "title": "Assistance 2027", "start_date": "2027-01-01"},
    )
    contract = Contract.objects.get()
    assert response["Location"] == url("contract_update", contract.pk)
    terms = contract.versions.get().terms
    assert [clause.key for clause in terms.clauses] == ["objet"]  # the optional clause was not ticked
    assert (contract.duration_months, contract.template) == (12, template)

    form = http.get(url("contract_update", contract.pk)).context["form"]
    data = form_data(
        form,
        sites=[str(tenant.site.pk)],
        covered_categories=["poste"],
        ff_fee="950.00",
        travel_mode="zones",
        **{"zone-0-code": "lyon", "zone-0-label": "Lyon", "zone-0-fee": "45.00"},
    )
    response = http.post(url("contract_update", contract.pk), data)
    assert response.status_code == 302, response.context["form"].errors
    terms = ContractVersion.objects.get(contract=contract).terms
    assert terms.sites == [tenant.site.pk] and terms.covered_categories == [category.code]
    assert terms.billing_model.fee == Decimal("950.00")
    assert [zone.code for zone in terms.travel.zones] == ["lyon"]

    detail = http.get(url("contract_detail", contract.pk)).content.decode()
    assert "950,00\u00a0€" in detail and "Lyon (lyon)" in detail
    response = http.post(url("contract_send", contract.pk))
    assert response.status_code == 302
    contract.refresh_from_db()
    assert contract.status == ContractStatus.SENT
    version = contract.versions.get()
    detail = http.get(url("contract_detail", contract.pk)).content.decode()
    assert reverse("documents:download", args=[version.document_id]) in detail
    assert reverse("documents:download", args=[version.document_docx_id]) in detail
    # A sent contract is no longer edited: its terms page is a 409.
    assert http.get(url("contract_update", contract.pk)).status_code == 409


def test_new_contract_without_a_template_points_to_the_templates(tenant, login):
    html = login(tenant.manager).get(url("contract_create")).content.decode()
    assert reverse("contracts:template_create") in html


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"start_date": "2027-02-30"}, "start_date"),  # a day that does not exist
        ({"title": ""}, "title"),
        ({"template": ""}, "template"),
        ({"duration_months": "0"}, "duration_months"),
    ],
)
def test_new_contract_bad_input_shows_the_error_and_saves_nothing(tenant, login, changes, field):
    template = template_for(tenant)
    data = {"client": tenant.client.pk, "template": template.pk, "title": "X", "start_date": "2027-01-01", **changes}
    response = login(tenant.manager).post(url("contract_create"), data)
    assert response.status_code == 422
    assert field in response.context["form"].errors
    assert not Contract.objects.exists()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"end_date": "2026-12-01"}, "end_date"),  # before the start
        ({"duration_months": "", "end_date": "2027-12-15"}, "end_date"),  # not the day before an anniversary
        ({"duration_months": "12", "end_date": "2027-11-30"}, "end_date"),  # does not match the duration
        ({"start_date": "2027-02-29"}, "start_date"),  # 2027 is not a leap year
        ({"notice_months": "12"}, "notice_months"),  # notice as long as the term
        ({"notice_months": "2", "notice_days": "10"}, "notice_days"),
        ({"duration_months": "", "renewal_kind": "express"}, "renewal_kind"),
        ({"ff_fee": ""}, "ff_fee"),
        ({"ff_fee": "-5"}, "ff_fee"),
        ({"ff_overage_rate": ""}, "ff_overage_rate"),  # 10 h included need a rate beyond
        ({"payment_days": "50", "payment_end_of_month": "on"}, "payment_days"),  # L441-10
        ({"out_of_scope_kind": "time_and_materials_up_to"}, "out_of_scope_hours"),
        ({"et_rule": "percentage_of_remaining"}, "et_percentage"),
        ({"intervention_modes": []}, "intervention_modes"),
        ({"alert_thresholds": "80, beaucoup"}, "alert_thresholds"),
        (
            {
                "revision_enabled": "on",
                "rev_reference_month": "2026-10",
                "rev_revision_period_months": "6",
                "rev_index_period_months": "12",
            },
            "rev_index_period_months",  # Code monétaire et financier L112-1
        ),
        ({"revision_enabled": "on", "rev_reference_month": "2026-13"}, "rev_reference_month"),
        ({"revision_enabled": "on", "rev_reference_month": "2026-10", "rev_floor": "5", "rev_cap": "2"}, "rev_cap"),
        ({"revision_enabled": "on", "rev_reference_month": "2027-06"}, None),  # reference after the start
        ({"sites": ["999999"]}, "sites"),
    ],
)
def test_terms_form_bad_input_shows_the_error_and_saves_nothing(tenant, login, changes, field):
    contract = helpers.draft(tenant)
    before = ContractVersion.objects.get(contract=contract).terms_data
    http = login(tenant.manager)
    data = form_data(http.get(url("contract_update", contract.pk)).context["form"], **changes)
    response = http.post(url("contract_update", contract.pk), data)
    assert response.status_code == 422
    errors = response.context["form"].errors
    assert (field or "__all__") in errors, errors
    assert 'role="alert"' in response.content.decode()
    assert ContractVersion.objects.get(contract=contract).terms_data == before
    assert not AuditEvent.objects.filter(action="contract.update").exists()


def test_terms_form_row_errors_are_shown_on_their_row(tenant, login):
    contract = helpers.draft(tenant)
    http = login(tenant.manager)
    data = form_data(
        http.get(url("contract_update", contract.pk)).context["form"],
        billing_kind="per_task",
        **{"task-0-code": "poste", "task-0-label": "Nouveau poste", "task-0-price": "180.00"},
        **{"task-1-code": "poste", "task-1-label": "Doublon", "task-1-price": "90"},
        **{"task-5-code": "imp", "task-5-label": "Imprimante", "task-5-price": "abc"},
    )
    response = http.post(url("contract_update", contract.pk), data)
    assert response.status_code == 422
    rows = response.context["form"].task_rows
    assert [row["code"] for row in rows] == ["poste", "poste", "imp"]
    assert rows[2]["errors"] and not rows[0]["errors"]
    assert 'class="row-invalid"' in response.content.decode()


@pytest.mark.parametrize(
    "billing_model",
    [
        {"kind": "fixed_fee", "fee": "900.00", "included_quantity": "0", "included_unit": "none"},
        {"kind": "unlimited", "fee": "1500.00", "period": "quarter", "billed": "in_arrears"},
        {"kind": "time_and_materials", "labour_rate": "80.00", "travel_rate": "40.00"},
        {
            "kind": "prepaid_credits",
            "block_quantity": "10",
            "block_price": "750.00",
            "validity_months": 6,
            "rollover": "capped",
            "rollover_cap": "5",
        },
        {"kind": "per_task", "catalogue": [{"code": "poste", "label": "Nouveau poste", "price": "180.00"}]},
        {
            "kind": "milestones",
            "milestones": [
                {"label": "Étude", "amount": "1500.00", "expected_on": "2027-02-15"},
                {"label": "Recette", "amount": "3000.00"},
            ],
        },
    ],
    ids=lambda model: model["kind"],
)
def test_the_terms_form_gives_back_the_terms_it_was_given(billing_model):
    """Every billing model and the common rules survive terms → form → post → terms unchanged."""
    terms = ContractTerms.model_validate(
        helpers.terms_data(
            billing_model=billing_model,
            intervention_modes=["remote", "workshop"],
            out_of_scope_rule={"kind": "time_and_materials_up_to", "hours": "2.50"},
            multipliers={"after_hours": "1.75", "weekend_or_holiday": "2.00", "on_site": "1.10"},
            travel={"per_km_rate": "0.60"},
            alert_thresholds=["0.75", "1.00"],
            payment_terms={"days": 45, "end_of_month": True},
            price_revision={
                "reference_month": "2026-10-01",
                "formula": "mixed",
                "fixed_part": "0.15",
                "floor": "0",
                "cap": "0.02",
                "revision_period_months": 12,
                "index_period_months": 12,
                "revision_month": 1,
            },
            early_termination={"rule": "percentage_of_remaining", "percentage": "50"},
            renewal={"kind": "tacit", "renewal_term_months": 12, "notice_days": 45, "notice_months": 0},
            liability_cap="12000.00",
            confidentiality=False,
        )
    )
    data = form_data(TermsForm(terms=terms, mode="template"))
    form = TermsForm(data, mode="template")
    assert form.is_valid(), (form.errors, form.row_errors)
    assert ContractTerms.model_validate(form.terms) == terms


# Templates and the catalogue -------------------------------------------------------------------------------


def test_template_form_edits_clauses_and_options(tenant, login):
    http = login(tenant.manager)
    form = http.get(url("template_create")).context["form"]
    data = form_data(
        form,
        name="Maintenance 24 mois",
        duration_months="24",
        contract_type="maintenance",
        ff_fee="2400.00",
        ff_period="quarter",
        ff_included_unit="none",
        renewal_kind="tacit",
        renewal_term_months="12",
        notice_months="3",
        **{"clause-0-key": "objet", "clause-0-title": "Objet", "clause-0-text": "Maintenance du parc."},
        **{"clause-3-key": "astreinte", "clause-3-title": "Astreinte", "clause-3-text": "Le samedi matin."},
        **{"clause-3-optional": "on"},
    )
    response = http.post(url("template_create"), data)
    assert response.status_code == 302, (response.context["form"].errors, response.context["form"].row_errors)
    template = ContractTemplate.objects.get()
    assert (template.contract_type, template.duration_months) == ("maintenance", 24)
    assert [clause.key for clause in template.terms.clauses] == ["objet", "astreinte"]
    assert template.optional_clauses == ["astreinte"]
    assert AuditEvent.objects.filter(action="contracts_template.create").count() == 1
    # Edit: drop the optional clause.
    form = http.get(url("template_update", template.pk)).context["form"]
    data = form_data(form)
    for key in [key for key in data if key.startswith("clause-1-")]:
        del data[key]
    assert http.post(url("template_update", template.pk), data).status_code == 302
    template = ContractTemplate.objects.get()
    assert [clause.key for clause in template.terms.clauses] == ["objet"] and template.optional_clauses == []
    # Archive.
    assert http.post(url("template_archive", template.pk)).status_code == 302
    assert ContractTemplate.objects.get().is_archived


def test_template_name_must_be_unique_and_nothing_is_saved(tenant, login):
    template_for(tenant)
    http = login(tenant.manager)
    data = form_data(http.get(url("template_create")).context["form"], name="Assistance mensuelle", ff_fee="10")
    response = http.post(url("template_create"), data)
    assert response.status_code == 422 and "name" in response.context["form"].errors
    assert ContractTemplate.objects.count() == 1


def test_categories_create_edit_archive_and_duplicate_code(tenant, login):
    http = login(tenant.manager)
    response = http.post(url("category_create"), {"code": "reseau", "name": "Réseau", "description": ""})
    assert response.status_code == 302
    category = ServiceCategory.objects.get()
    response = http.post(url("category_create"), {"code": "reseau", "name": "Autre"})
    assert response.status_code == 422 and "code" in response.context["form"].errors
    response = http.post(url("category_update", category.pk), {"code": "autre", "name": "Réseau et Wi-Fi"})
    assert response.status_code == 302
    category.refresh_from_db()
    assert (category.code, category.name) == ("reseau", "Réseau et Wi-Fi")  # the code never changes
    assert http.post(url("category_archive", category.pk)).status_code == 302
    assert ServiceCategory.objects.get().is_archived
    assert ServiceCategory.objects.count() == 1


# The detail page -----------------------------------------------------------------------------------------


def test_detail_shows_deadlines_with_the_weekend_warning_and_an_amendment_in_history(tenant, login, seal):
    contract = helpers.active(tenant)
    amendment = services.amendment_create(
        actor=tenant.manager,
        contract=contract,
        effective_from=datetime.date(2027, 4, 1),
        reason="15 heures par mois",
        terms=helpers.terms_data(billing_model={**helpers.terms_data()["billing_model"], "included_quantity": "15"}),
    )
    response = login(tenant.manager).get(url("contract_detail", contract.pk))
    html = response.content.decode()
    deadlines = response.context["deadlines"]
    # 31 Dec 2027, 2 months' notice → 31 Oct 2027, a Sunday: the deadline does not move, the page warns.
    assert (deadlines.term_last_day, deadlines.refusal_deadline) == (
        datetime.date(2027, 12, 31),
        datetime.date(2027, 10, 31),
    )
    assert "31/10/2027" in html and 'data-testid="deadline-warning"' in html
    assert deadlines.reminder_window is None  # a professional client: no L215-1 reminder
    assert f'data-testid="version-{amendment.number}"' in html
    assert response.context["versions"][1][1] == [("Quantité incluse par période", "10", "15")]
    assert url("amendment_send", amendment.pk) in html


def test_detail_shows_the_l215_reminder_window_for_a_client_that_is_not_a_professional(tenant, login, seal):
    Client.objects.filter(pk=tenant.client.pk).update(is_professional=False)
    contract = helpers.active(tenant, start=datetime.date(2027, 1, 1))
    response = login(tenant.manager).get(url("contract_detail", contract.pk))
    assert response.context["deadlines"].reminder_window == (datetime.date(2027, 7, 31), datetime.date(2027, 9, 30))
    assert 'data-testid="reminder-window"' in response.content.decode()


def test_client_page_lists_its_contracts(tenant, login):
    contract = helpers.draft(tenant)
    html = login(tenant.manager).get(reverse("tenancy:client_detail", args=[tenant.client.pk])).content.decode()
    assert 'data-testid="client-contracts"' in html and contract.reference in html
    assert f"{url('contract_create')}?client={tenant.client.pk}" in html


def test_list_filters(tenant, login, seal):
    draft = helpers.draft(tenant)
    active = helpers.active(tenant)
    http = login(tenant.manager)
    listed = lambda **params: [c.pk for c, _d in http.get(url("contract_list"), params).context["rows"]]  # noqa: E731
    assert set(listed()) == {draft.pk, active.pk}
    assert listed(status="active") == [active.pk]
    assert listed(q=draft.reference) == [draft.pk]
    assert listed(client=str(tenant.other_client.pk)) == []
    assert listed(type="maintenance") == []
    rows = dict(http.get(url("contract_list")).context["rows"])
    assert rows[active] == (datetime.date(2027, 10, 31), "Dernier jour pour refuser la reconduction")


# Amendments ------------------------------------------------------------------------------------------


def test_amendment_form_is_prefilled_saves_and_refuses_a_date_before_the_start(tenant, login, seal):
    contract = helpers.active(tenant)
    http = login(tenant.manager)
    form = http.get(url("amendment_create", contract.pk)).context["form"]
    assert form["ff_fee"].value() == Decimal("900.00")
    assert form.fields["contract_type"].disabled
    bad = form_data(form, effective_from="2026-12-01", reason="Trop tôt", ff_fee="1000.00")
    response = http.post(url("amendment_create", contract.pk), bad)
    assert response.status_code == 422 and "effective_from" in response.context["form"].errors
    assert contract.versions.count() == 1
    good = form_data(form, effective_from="2027-03-01", reason="Nouveau tarif", ff_fee="1000.00")
    assert http.post(url("amendment_create", contract.pk), good).status_code == 302
    amendment = contract.versions.get(number=2)
    assert amendment.changes == {"billing_model.fee": ["900.00", "1000.00"]}
    assert http.post(url("amendment_send", amendment.pk)).status_code == 302
    amendment.refresh_from_db()
    assert amendment.status == VersionStatus.SENT and amendment.document_id
    assert http.post(url("amendment_cancel", amendment.pk)).status_code == 302
    assert ContractVersion.objects.get(pk=amendment.pk).status == VersionStatus.CANCELLED


# Notice ----------------------------------------------------------------------------------------------


def test_notice_preview_shows_the_indemnity_labelled_revisable_and_saves_nothing(tenant, login, seal):
    contract = helpers.active(tenant)
    data = {
        "given_by": "client",
        "received_on": "2027-03-10",
        "channel": "registered_letter",
        "requested_end": "2027-06-30",
    }
    with at(datetime.date(2027, 3, 12)):
        http = login(tenant.manager)  # a session lasts 12 hours: log in once there
        response = http.post(url("notice_create", contract.pk), {**data, "preview": "1"})
        assert response.status_code == 200
        preview = response.context["preview"]
        # Early end on 30 Jun 2027 of a 900 €/month term ending 31 Dec 2027: 6 months remaining.
        assert (preview.end_date, preview.indemnity_amount) == (datetime.date(2027, 6, 30), Decimal("5400.00"))
        html = response.content.decode()
        assert "5\u00a0400,00\u00a0€" in html
        assert JUDGE in html
        assert not Notice.objects.exists()
        assert Contract.objects.get().status == ContractStatus.ACTIVE
        assert not AuditEvent.objects.filter(action="contract.notice").exists()
        proof = SimpleUploadedFile("lettre.pdf", b"%PDF-1.4\n%%EOF\n", content_type="application/pdf")
        response = http.post(url("notice_create", contract.pk), {**data, "file": proof})
        assert response.status_code == 302
        notice = Notice.objects.get()
        assert notice.indemnity_amount == Decimal("5400.00") and notice.document_id
        contract.refresh_from_db()
        assert (contract.status, contract.end_date) == (ContractStatus.NOTICE_GIVEN, datetime.date(2027, 6, 30))
        html = http.get(url("contract_detail", contract.pk)).content.decode()
    assert JUDGE in html and "Résiliation anticipée" in html


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"received_on": "2027-03-20"}, "received_on"),  # in the future
        ({"received_on": "2027-02-31"}, "received_on"),  # does not exist
        ({"requested_end": "2027-03-01"}, "requested_end"),  # before the notice was received
        ({"requested_end": "2028-06-30"}, "requested_end"),  # later than the rule gives
    ],
)
def test_notice_bad_input_shows_the_error_and_saves_nothing(tenant, login, seal, changes, field):
    contract = helpers.active(tenant)
    data = {"given_by": "client", "received_on": "2027-03-10", "channel": "email", **changes}
    with at(datetime.date(2027, 3, 12)):
        response = login(tenant.manager).post(url("notice_create", contract.pk), data)
    assert response.status_code == 422
    assert field in response.context["form"].errors
    assert not Notice.objects.exists() and Contract.objects.get().status == ContractStatus.ACTIVE


# Exit ------------------------------------------------------------------------------------------------


def test_exit_checklist_blocks_closing_until_done_and_signed_off(tenant, login, seal):
    contract = in_exit(tenant)
    response = login(tenant.manager).post(url("contract_close", contract.pk))
    assert response.status_code == 409
    html = response.content.decode()
    assert 'data-testid="action-error"' in html
    assert escape(contract.exit_items.first().label) in html  # the open items are named
    assert Contract.objects.get().status == ContractStatus.IN_EXIT
    # Done without evidence: refused on its field, nothing saved.
    item = contract.exit_items.first()
    with at(datetime.date(2028, 1, 10)):
        http = login(tenant.manager)
        response = http.post(url("exit_item_update", item.pk), {"done_on": "2028-01-09"})
        assert response.status_code == 422 and "evidence_comment" in response.context["form"].errors
        assert ExitItem.objects.get(pk=item.pk).done_on is None
        for number, item in enumerate(contract.exit_items.all()):
            data: dict[str, Any] = {"owner": str(tenant.manager.pk), "done_on": "2028-01-09"}
            if number % 2:
                data["evidence_comment"] = "Fait, procès-verbal signé."
            else:
                data["file"] = SimpleUploadedFile("pv.txt", b"PV", content_type="text/plain")
            response = http.post(url("exit_item_update", item.pk), data)
            assert response.status_code == 302, response.context["form"].errors
    # Every item done, the client's manager has not signed off yet.
    response = http.post(url("contract_close", contract.pk))
    assert response.status_code == 409 and "signé" in response.content.decode()
    lifecycle.contract_client_signoff(actor=tenant.client_manager, contract=contract)
    assert http.post(url("contract_close", contract.pk)).status_code == 302
    assert Contract.objects.get().status == ContractStatus.CLOSED


# In a real browser (Debian's Chromium), with screenshots in var/screenshots/ --------------------------------


@pytest.fixture(scope="module")
def browser():
    from tests.test_browser import CHROMIUM, CHROMIUM_ARGS

    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium): the browser tests need Debian's Chromium")
    from playwright.sync_api import sync_playwright

    with pytest.MonkeyPatch.context() as patch, sync_playwright() as playwright:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def _log_in(page, base_url: str, member) -> None:
    from tests.factories import PASSWORD

    page.goto(f"{base_url}/accounts/login/")
    page.get_by_label("Adresse e-mail").fill(member.user.email)
    page.get_by_label("Mot de passe", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(f"{base_url}/clients/")


def _shot(page, name: str) -> None:
    from tests.test_browser import SCREENSHOTS

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / name), full_page=True)


def _browser_world(tenant) -> dict[str, Contract]:
    """Contracts in the states the pages show (built outside Playwright's event loop: sealing runs its own)."""
    ended = in_exit(tenant)  # first: the daily roll it runs would renew the others
    template_for(tenant)
    catalogue.category_create(actor=tenant.manager, code="poste", name="Poste de travail")
    catalogue.category_create(actor=tenant.manager, code="reseau", name="Réseau et sécurité")
    active = helpers.active(tenant, covered_categories=["poste", "reseau"], sites=[tenant.site.pk])
    amendment = services.amendment_create(
        actor=tenant.manager,
        contract=active,
        effective_from=datetime.date(2027, 4, 1),
        reason="Passage à 15 heures par mois",
        terms=helpers.terms_data(
            covered_categories=["poste", "reseau"],
            sites=[tenant.site.pk],
            billing_model={**helpers.terms_data()["billing_model"], "fee": "1250.00", "included_quantity": "15"},
        ),
    )
    services.amendment_send(actor=tenant.manager, version=amendment)
    helpers.sign(tenant, amendment)
    return {"active": active, "ended": ended}


@pytest.mark.browser
def test_manager_drafts_a_contract_in_the_browser_and_works_through_notice_and_exit(
    browser, live_server, transactional_db, seal
):
    from playwright.sync_api import expect

    from tests.fixtures import make_tenant
    from tests.test_browser import _in_a_thread

    tenant = make_tenant("A")
    world = _in_a_thread(lambda: _browser_world(tenant))
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="fr-FR")
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    base = live_server.url
    try:
        _log_in(page, base, tenant.manager)
        page.locator(".mainnav").get_by_role("link", name="Contrats").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Contrats")
        rows = page.get_by_test_id("contract-table").locator("tbody tr")
        expect(rows).to_have_count(2)
        _shot(page, "contracts-list.png")

        # A new contract in a few clicks: client, template (its optional clause offered), title, start.
        page.get_by_role("button", name="Nouveau contrat").click()
        page.get_by_label("Client").select_option(label=tenant.client.name)
        page.get_by_label("Modèle de contrat").select_option(label="Assistance mensuelle")
        expect(page.get_by_test_id("optional-clauses")).to_contain_text("Formation")
        page.get_by_label("Titre").fill("Assistance du cabinet")
        page.get_by_label("Date de début").fill("2027-02-01")
        _shot(page, "contracts-new.png")
        page.get_by_role("button", name="Créer le brouillon").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Conditions du contrat")

        # The terms form shows only the chosen billing model's parameters; a task line is added.
        expect(page.get_by_test_id("billing-fixed_fee")).to_be_visible()
        expect(page.get_by_test_id("billing-per_task")).to_be_hidden()
        page.locator("#id_billing_kind").select_option("per_task")
        expect(page.get_by_test_id("billing-fixed_fee")).to_be_hidden()
        tasks = page.get_by_test_id("billing-per_task")
        tasks.get_by_role("button", name="+ prestation").click()
        tasks.get_by_label("Code").last.fill("poste")
        tasks.get_by_label("Prestation").last.fill("Installation d'un poste")
        tasks.get_by_label("Prix (HT)").last.fill("180.00")
        page.get_by_test_id("field-sites").get_by_label(tenant.site.name).check()
        page.get_by_test_id("field-covered_categories").get_by_label("Poste de travail").check()
        _shot(page, "contracts-terms-form.png")
        page.get_by_role("button", name="Enregistrer le brouillon").click()
        expect(page.get_by_role("status")).to_have_text("Le brouillon a été enregistré.")
        expect(page.get_by_test_id("terms-readable")).to_contain_text("Installation d'un poste (poste)")
        page.get_by_role("button", name="Envoyer pour signature").click()
        expect(page.locator("h1 .status")).to_have_text("Envoyé pour signature")

        # The active contract: deadlines (31 Oct 2027 is a Sunday: warned) and the signed amendment.
        page.goto(f"{base}/contracts/{world['active'].pk}/")
        expect(page.get_by_test_id("refusal-deadline")).to_contain_text("31/10/2027")
        expect(page.get_by_test_id("deadline-warning")).to_be_visible()
        expect(page.get_by_test_id("version-2")).to_contain_text("Avenant n° 1")
        _shot(page, "contracts-detail.png")

        # Notice with an early end: the indemnity is computed, labelled revisable, nothing saved yet.
        with time_machine.travel(datetime.datetime(2027, 4, 12, 9, tzinfo=datetime.UTC)):
            _log_in(page, base, tenant.manager)
            page.goto(f"{base}/contracts/{world['active'].pk}/notice/")
            page.get_by_label("Reçu le").fill("2027-04-10")
            page.get_by_label("Dernier jour demandé (résiliation anticipée)").fill("2027-06-30")
            page.get_by_role("button", name="Calculer l'effet").click()
            effect = page.get_by_test_id("notice-effect")
            expect(effect.get_by_test_id("indemnity")).to_have_text("7\u00a0500,00\u00a0€")  # 6 × 1 250 €
            expect(effect).to_contain_text(JUDGE)
            _shot(page, "contracts-notice-indemnity.png")
            assert not Notice.objects.exists()

        # The exit checklist: closing is refused while mandatory items are open.
        with time_machine.travel(datetime.datetime(2028, 1, 10, 9, tzinfo=datetime.UTC)):
            items = list(world["ended"].exit_items.all())
            for item in items[:3]:
                lifecycle.exit_item_update(
                    actor=tenant.manager,
                    item=item,
                    owner=tenant.manager,
                    done_on=datetime.date(2028, 1, 8),
                    evidence_comment="Procès-verbal signé par le client.",
                )
            _log_in(page, base, tenant.manager)
            page.goto(f"{base}/contracts/{world['ended'].pk}/")
            page.get_by_role("button", name="Clôturer le contrat").click()
            expect(page.get_by_test_id("action-error")).to_contain_text(items[3].label)
            expect(page.get_by_test_id("exit-checklist")).to_contain_text("3 points obligatoires restent ouverts")
            page.get_by_test_id("exit-checklist").scroll_into_view_if_needed()
            _shot(page, "contracts-exit-checklist.png")
        assert Contract.objects.get(pk=world["ended"].pk).status == ContractStatus.IN_EXIT
    finally:
        context.close()
