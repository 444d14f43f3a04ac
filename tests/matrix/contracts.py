"""Contracts on the provider side (contracts, amendments, exit, catalogue) in the tenant-isolation matrix.

See ``tests/matrix/__init__.py``. A has a category, a template, and contracts of its client in each
state the pages act on (draft, active, amended, expired, in exit). Every provider role reads, its
managers write (a technician: 403); through the API the client's manager reads its company's
contracts (never drafts) and gives notice, its users see none.
"""

from __future__ import annotations

import datetime
from typing import Any

from pacte.contracts import catalogue as contract_catalogue
from pacte.contracts import dates as contract_dates
from pacte.contracts import lifecycle as contract_lifecycle
from pacte.contracts import services as contract_services
from pacte.contracts.forms import AmendmentForm, ContractDraftForm, TemplateForm
from pacte.contracts.models import Contract, ContractTemplate, ContractVersion
from pacte.contracts.tests.posting import form_data
from tests.fixtures import Tenant
from tests.matrix.framework import ApiSpec, Call, PageSpec, Redirect, World, api_call, provider_page


def _in_days(days: int) -> str:
    return (datetime.date.today() + datetime.timedelta(days=days)).isoformat()  # noqa: DTZ011


def contract_new_form(world: World) -> dict[str, Any]:
    return {
        "client": world.a.client.pk,
        "template": world.ref("contract_template"),
        "title": "New contract",
        "start_date": "2027-01-01",
    }


def contract_terms_form(world: World) -> dict[str, Any]:
    """The whole terms form of A's draft as shown, retitled."""
    contract = Contract.objects.get(pk=world.ref("contract_draft"))
    initial = {"title": contract.title, "start_date": contract.start_date, "duration_months": contract.duration_months}
    form = ContractDraftForm(terms=contract.versions.get().terms, initial=initial)
    return form_data(form, title="Renamed contract")


def amendment_form(world: World) -> dict[str, Any]:
    contract = Contract.objects.get(pk=world.ref("contract_active"))
    form = AmendmentForm(terms=contract.versions.get(number=1).terms)
    return form_data(form, effective_from=_in_days(60), reason="New fee", ff_fee="1000.00")


def amendment_edit_form(world: World) -> dict[str, Any]:
    version = ContractVersion.objects.get(pk=world.ref("contract_amendment"))
    return form_data(AmendmentForm(terms=version.terms), effective_from=_in_days(45), reason="Changed reason")


def template_new_form(world: World) -> dict[str, Any]:
    return form_data(TemplateForm(), name="New template", ff_fee="500.00")


def template_edit_form(world: World) -> dict[str, Any]:
    template = ContractTemplate.objects.get(pk=world.ref("contract_template"))
    return form_data(TemplateForm(template=template), name="Renamed template")


CONTRACT_READ: dict[str, Any] = {
    "provider": 200,
    "client_manager": 200,
    "client_user": 404,
    "other_client_manager": 404,
    "other_admin": 404,
}
#: A contract the client's manager sees (not a draft): its role is refused (403); a draft is hidden from it (404).
CONTRACT_WRITE: dict[str, Any] = {
    "managers": 200,
    "technician": 403,
    "client_manager": 403,
    "client_user": 404,
    "other_client_manager": 404,
    "other_admin": 404,
}
DRAFT_WRITE: dict[str, Any] = {"managers": 200, "technician": 403, "client_side": 404, "other_admin": 404}


PAGES: dict[str, PageSpec] = {
    # Contracts (provider side): every provider role reads; the provider's managers write.
    "contracts:contract_list": PageSpec(
        get=Call(provider_page(provider=200, other_admin=200)),
        post=Call(provider_page(provider=405, other_admin=405)),
    ),
    "contracts:contract_create": PageSpec(
        get=Call(provider_page(managers=200, technician=403, other_admin=200)),
        # B's admin cannot name A's client nor A's template: the form's choices are B's (422).
        post=Call(
            provider_page(managers=Redirect("contracts:contract_list", exact=False), technician=403, other_admin=422),
            data=contract_new_form,
            audits=1,
        ),
    ),
    "contracts:contract_detail": PageSpec(
        kwargs={"pk": "contract_active"},
        get=Call(provider_page(provider=200, other_admin=404)),
        post=Call(provider_page(provider=405, other_admin=405)),
    ),
    "contracts:contract_update": PageSpec(
        kwargs={"pk": "contract_draft"},
        get=Call(provider_page(managers=200, technician=403, other_admin=404)),
        post=Call(
            provider_page(
                managers=Redirect("contracts:contract_detail", ("contract_draft",)), technician=403, other_admin=404
            ),
            data=contract_terms_form,
            audits=1,
        ),
    ),
    "contracts:contract_send": PageSpec(
        kwargs={"pk": "contract_draft"},
        get=Call(provider_page(provider=405, other_admin=405)),
        # contract.send, its PDF and Word documents, the provider's signature evidence.
        post=Call(
            provider_page(
                managers=Redirect("contracts:contract_detail", ("contract_draft",)), technician=403, other_admin=404
            ),
            audits=4,
        ),
    ),
    "contracts:contract_cancel": PageSpec(
        kwargs={"pk": "contract_draft"},
        get=Call(provider_page(provider=405, other_admin=405)),
        post=Call(
            provider_page(
                managers=Redirect("contracts:contract_detail", ("contract_draft",)), technician=403, other_admin=404
            ),
            audits=1,
        ),
    ),
    "contracts:contract_renew": PageSpec(
        kwargs={"pk": "contract_active"},
        get=Call(provider_page(provider=405, other_admin=405)),
        post=Call(
            provider_page(
                managers=Redirect("contracts:contract_detail", ("contract_active",)), technician=403, other_admin=404
            ),
            audits=1,
        ),
    ),
    "contracts:notice_create": PageSpec(
        kwargs={"pk": "contract_active"},
        get=Call(provider_page(managers=200, technician=403, other_admin=404)),
        post=Call(
            provider_page(
                managers=Redirect("contracts:contract_detail", ("contract_active",), exact=False),
                technician=403,
                other_admin=404,
            ),
            data=lambda world: {"given_by": "client", "received_on": _in_days(0), "channel": "email"},
            audits=1,
        ),
    ),
    "contracts:exit_start": PageSpec(
        kwargs={"pk": "contract_expired"},
        get=Call(provider_page(provider=405, other_admin=405)),
        post=Call(
            provider_page(
                managers=Redirect("contracts:contract_detail", ("contract_expired",), exact=False),
                technician=403,
                other_admin=404,
            ),
            audits=1,
        ),
    ),
    # Mandatory exit items are open: closing is refused (409), nothing written.
    "contracts:contract_close": PageSpec(
        kwargs={"pk": "contract_exit"},
        get=Call(provider_page(provider=405, other_admin=405)),
        post=Call(provider_page(managers=409, technician=403, other_admin=404)),
    ),
    "contracts:amendment_create": PageSpec(
        kwargs={"pk": "contract_active"},
        get=Call(provider_page(managers=200, technician=403, other_admin=404)),
        post=Call(
            provider_page(
                managers=Redirect("contracts:contract_detail", ("contract_active",), exact=False),
                technician=403,
                other_admin=404,
            ),
            data=amendment_form,
            audits=1,
        ),
    ),
    "contracts:amendment_update": PageSpec(
        kwargs={"pk": "contract_amendment"},
        get=Call(provider_page(managers=200, technician=403, other_admin=404)),
        post=Call(
            provider_page(
                managers=Redirect("contracts:contract_detail", ("contract_amended",), exact=False),
                technician=403,
                other_admin=404,
            ),
            data=amendment_edit_form,
            audits=1,
        ),
    ),
    "contracts:amendment_send": PageSpec(
        kwargs={"pk": "contract_amendment"},
        get=Call(provider_page(provider=405, other_admin=405)),
        post=Call(
            provider_page(
                managers=Redirect("contracts:contract_detail", ("contract_amended",), exact=False),
                technician=403,
                other_admin=404,
            ),
            audits=4,
        ),
    ),
    "contracts:amendment_cancel": PageSpec(
        kwargs={"pk": "contract_amendment"},
        get=Call(provider_page(provider=405, other_admin=405)),
        post=Call(
            provider_page(
                managers=Redirect("contracts:contract_detail", ("contract_amended",), exact=False),
                technician=403,
                other_admin=404,
            ),
            audits=1,
        ),
    ),
    "contracts:exit_item_update": PageSpec(
        kwargs={"pk": "exit_item"},
        get=Call(provider_page(managers=200, technician=403, other_admin=404)),
        post=Call(
            provider_page(
                managers=Redirect("contracts:contract_detail", ("contract_exit",), exact=False),
                technician=403,
                other_admin=404,
            ),
            data=lambda world: {"evidence_comment": "Accesses returned.", "owner": ""},
            audits=1,
        ),
    ),
    "contracts:category_list": PageSpec(
        get=Call(provider_page(provider=200, other_admin=200)),
        post=Call(provider_page(provider=405, other_admin=405)),
    ),
    "contracts:category_create": PageSpec(
        get=Call(provider_page(managers=200, technician=403, other_admin=200)),
        post=Call(
            provider_page(
                managers=Redirect("contracts:category_list"),
                technician=403,
                other_admin=Redirect("contracts:category_list"),
            ),
            data=lambda world: {"code": "new-category", "name": "New category"},
            audits=1,
        ),
    ),
    "contracts:category_update": PageSpec(
        kwargs={"pk": "contract_category"},
        get=Call(provider_page(managers=200, technician=403, other_admin=404)),
        post=Call(
            provider_page(managers=Redirect("contracts:category_list"), technician=403, other_admin=404),
            data=lambda world: {"name": "Renamed category"},
            audits=1,
        ),
    ),
    "contracts:category_archive": PageSpec(
        kwargs={"pk": "contract_category"},
        get=Call(provider_page(provider=405, other_admin=405)),
        post=Call(
            provider_page(managers=Redirect("contracts:category_list"), technician=403, other_admin=404), audits=1
        ),
    ),
    "contracts:template_list": PageSpec(
        get=Call(provider_page(provider=200, other_admin=200)),
        post=Call(provider_page(provider=405, other_admin=405)),
    ),
    "contracts:template_create": PageSpec(
        get=Call(provider_page(managers=200, technician=403, other_admin=200)),
        post=Call(
            provider_page(
                managers=Redirect("contracts:template_list", exact=False),
                technician=403,
                other_admin=Redirect("contracts:template_list", exact=False),
            ),
            data=template_new_form,
            audits=1,
        ),
    ),
    "contracts:template_detail": PageSpec(
        kwargs={"pk": "contract_template"},
        get=Call(provider_page(provider=200, other_admin=404)),
        post=Call(provider_page(provider=405, other_admin=405)),
    ),
    "contracts:template_update": PageSpec(
        kwargs={"pk": "contract_template"},
        get=Call(provider_page(managers=200, technician=403, other_admin=404)),
        post=Call(
            provider_page(
                managers=Redirect("contracts:template_detail", ("contract_template",)), technician=403, other_admin=404
            ),
            data=template_edit_form,
            audits=1,
        ),
    ),
    "contracts:template_archive": PageSpec(
        kwargs={"pk": "contract_template"},
        get=Call(provider_page(provider=405, other_admin=405)),
        post=Call(
            provider_page(managers=Redirect("contracts:template_list"), technician=403, other_admin=404), audits=1
        ),
    ),
}

API: dict[str, ApiSpec] = {
    # Contracts: provider roles read their provider's; a client's manager its company's (never drafts), its users none.
    "GET /api/v1/contracts": ApiSpec(api_call(members=200)),
    "POST /api/v1/contracts": ApiSpec(
        api_call(
            members=403,
            managers=201,
            other_admin=422,
            data=lambda world: {
                "client_id": world.a.client.pk,
                "title": "New contract",
                "start_date": "2027-01-01",
                "duration_months": 12,
                "template_id": world.ref("contract_template"),
            },
            audits=1,
        )
    ),
    "GET /api/v1/contracts/{contract_id}": ApiSpec(api_call(**CONTRACT_READ), {"contract_id": "contract_active"}),
    "PATCH /api/v1/contracts/{contract_id}": ApiSpec(
        api_call(**DRAFT_WRITE, data=lambda world: {"title": "Renamed contract"}, audits=1),
        {"contract_id": "contract_draft"},
    ),
    "POST /api/v1/contracts/{contract_id}/send": ApiSpec(
        api_call(**DRAFT_WRITE, audits=4), {"contract_id": "contract_draft"}
    ),
    "POST /api/v1/contracts/{contract_id}/cancel": ApiSpec(
        api_call(**DRAFT_WRITE, audits=1), {"contract_id": "contract_draft"}
    ),
    "POST /api/v1/contracts/{contract_id}/renew": ApiSpec(
        api_call(**CONTRACT_WRITE, data=lambda world: {}, audits=1), {"contract_id": "contract_active"}
    ),
    # Mandatory exit items are open: 409 for the managers, nothing written.
    "POST /api/v1/contracts/{contract_id}/close": ApiSpec(
        api_call(**{**CONTRACT_WRITE, "managers": 409}), {"contract_id": "contract_exit"}
    ),
    "GET /api/v1/contracts/{contract_id}/versions": ApiSpec(
        api_call(**CONTRACT_READ), {"contract_id": "contract_active"}
    ),
    "GET /api/v1/contracts/{contract_id}/terms": ApiSpec(api_call(**CONTRACT_READ), {"contract_id": "contract_active"}),
    "POST /api/v1/contracts/{contract_id}/amendments": ApiSpec(
        api_call(
            **{**CONTRACT_WRITE, "managers": 201},
            data=lambda world: {"effective_from": _in_days(60), "reason": "New fee"},
            audits=1,
        ),
        {"contract_id": "contract_active"},
    ),
    # The client's manager gives its company's notice (received today, through the portal's channel).
    "POST /api/v1/contracts/{contract_id}/notice": ApiSpec(
        api_call(
            **{**CONTRACT_WRITE, "managers": 201, "client_manager": 201},
            data=lambda world: {"given_by": "client", "received_on": _in_days(0), "channel": "email"},
            audits=1,
        ),
        {"contract_id": "contract_active"},
    ),
    "GET /api/v1/contracts/{contract_id}/exit-items": ApiSpec(
        api_call(**CONTRACT_READ), {"contract_id": "contract_exit"}
    ),
    "PATCH /api/v1/exit-items/{exit_item_id}": ApiSpec(
        api_call(**CONTRACT_WRITE, data=lambda world: {"evidence_comment": "Accesses returned."}, audits=1),
        {"exit_item_id": "exit_item"},
    ),
    "GET /api/v1/service-categories": ApiSpec(api_call(members=200)),
    "POST /api/v1/service-categories": ApiSpec(
        api_call(
            members=403,
            managers=201,
            other_admin=201,
            data=lambda world: {"code": "new-category", "name": "New category"},
            audits=1,
        )
    ),
    "GET /api/v1/contract-templates": ApiSpec(api_call(members=200)),
}


def _signed_contract(tenant: Tenant, start: datetime.date, title: str, renewal: dict[str, Any]) -> Contract:
    """A 12-month contract of the tenant's client, signed without the ceremony (no seal certificate here)."""
    contract = contract_services.contract_create(
        actor=tenant.manager,
        client=tenant.client,
        title=title,
        start_date=start,
        duration_months=12,
        terms={
            "contract_type": "assistance",
            "billing_model": {"kind": "fixed_fee", "fee": "900.00", "included_unit": "none"},
            "renewal": renewal,
        },
    )
    contract.versions.update(status="signed", signed_at=datetime.datetime.now(datetime.UTC))
    Contract.objects.filter(pk=contract.pk).update(
        status="active", term_number=1, term_start=start, term_end=contract_dates.term_last_day(start, 12)
    )
    contract.refresh_from_db()
    return contract


def _contract_pages(tenant: Tenant, provider_word: str, client_word: str) -> dict[str, int]:
    """A category, a template, and contracts of the tenant's client in each state the provider's pages act on."""
    actor, today = tenant.manager, datetime.date.today()  # noqa: DTZ011  (the services' "today" is local too)
    category = contract_catalogue.category_create(
        actor=actor, code=f"cat-{provider_word}", name=f"Catégorie {provider_word.title()}"
    )
    template = contract_catalogue.template_create(
        actor=actor,
        name=f"Modèle {provider_word.title()}",
        duration_months=12,
        default_terms={
            "contract_type": "assistance",
            "billing_model": {"kind": "time_and_materials", "labour_rate": "80"},
        },
    )
    contract_catalogue.category_create(actor=actor, code=f"net-{provider_word}", name=f"Réseau {provider_word.title()}")
    contract_catalogue.template_create(
        actor=actor,
        name=f"Forfait {provider_word.title()}",
        default_terms={"contract_type": "maintenance", "billing_model": {"kind": "unlimited", "fee": "500"}},
    )
    draft = contract_services.contract_create(
        actor=actor,
        client=tenant.client,
        title=f"Brouillon {client_word.title()}",
        start_date=datetime.date(2027, 1, 1),
        duration_months=12,
        terms={"contract_type": "assistance", "billing_model": {"kind": "time_and_materials", "labour_rate": "80"}},
        template=template,
    )
    started = today - datetime.timedelta(days=30)
    active = _signed_contract(
        tenant, started, f"Express {client_word.title()}", {"kind": "express", "notice_months": 0}
    )
    amended = _signed_contract(tenant, started, f"Avenant {client_word.title()}", {"kind": "tacit", "notice_months": 1})
    amendment = contract_services.amendment_create(
        actor=actor, contract=amended, effective_from=today + datetime.timedelta(days=30), reason="Volume"
    )
    old = today - datetime.timedelta(days=400)
    expired = _signed_contract(tenant, old, f"Expiré {client_word.title()}", {"kind": "express", "notice_months": 0})
    Contract.objects.filter(pk=expired.pk).update(status="expired", end_date=expired.term_end)
    ended = _signed_contract(tenant, old, f"Sortie {client_word.title()}", {"kind": "none", "notice_months": 0})
    Contract.objects.filter(pk=ended.pk).update(end_date=ended.term_end)
    ended.refresh_from_db()
    contract_lifecycle.exit_start(contract=ended, actor=None)
    exit_item = ended.exit_items.order_by("position").first()
    assert exit_item is not None
    return {
        "contract_category": category.pk,
        "contract_template": template.pk,
        "contract_draft": draft.pk,
        "contract_active": active.pk,
        "contract_amended": amended.pk,
        "contract_amendment": amendment.pk,
        "contract_expired": expired.pk,
        "contract_exit": ended.pk,
        "exit_item": exit_item.pk,
    }


def build(tenant: Tenant, provider_word: str, client_word: str) -> dict[str, int]:
    return _contract_pages(tenant, provider_word, client_word)
