"""Billing's pages and API in the tenant-isolation matrix (see ``tests/matrix/__init__.py``).

A's client has an issued invoice (billed by a run of its fixed-fee contract) and a draft. Billing is
for the provider's admins and managers (a technician: 403); the client's manager reads its
company's issued invoices in the portal and through the API (the client user: 404 or 403), nor does
the other client's manager or B see them. The writes are sent in shapes that change nothing (a bad
month, deleting an issued invoice, issuing it again) — except the API's credit note, a draft per
call. What they do when they succeed is tested in ``pacte/billing/tests/``.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from tests.matrix.framework import ApiSpec, Call, PageSpec, Redirect, api_call, portal_page, provider_page

INVOICE: dict[str, Any] = {"pk": "billing_invoice"}
RUN: dict[str, Any] = {"pk": "billing_run"}
NOT_A_FORM = Call(provider_page(provider=405, other_admin=405))
BILLERS = {"managers": 200, "technician": 403, "other_admin": 404}
API_INVOICE = {"invoice_id": "billing_invoice"}
INVOICE_READ: dict[str, Any] = {
    "managers": 200,
    "technician": 404,
    "client_manager": 200,
    "client_user": 404,
    "other_client_manager": 404,
    "other_admin": 404,
}


def _bad_month(world: Any) -> dict[str, Any]:
    return {"month": "2026-13"}


PAGES: dict[str, PageSpec] = {
    "billing:invoice_list": PageSpec(
        get=Call(provider_page(managers=200, technician=403, other_admin=200)), post=NOT_A_FORM
    ),
    "billing:run_list": PageSpec(
        get=Call(provider_page(managers=200, technician=403, other_admin=200)),
        post=Call(provider_page(managers=400, technician=403, other_admin=400), data=_bad_month, audits=0),
    ),
    "billing:run_detail": PageSpec(kwargs=RUN, get=Call(provider_page(**BILLERS)), post=NOT_A_FORM),
    # The run's invoices are all issued: nothing to issue, back to the run, nothing changed.
    "billing:run_issue": PageSpec(
        kwargs=RUN,
        get=NOT_A_FORM,
        post=Call(
            provider_page(managers=Redirect("billing:run_detail", ("billing_run",)), technician=403, other_admin=404),
            audits=0,
        ),
    ),
    "billing:invoice_detail": PageSpec(kwargs=INVOICE, get=Call(provider_page(**BILLERS)), post=NOT_A_FORM),
    "billing:invoice_issue": PageSpec(
        kwargs=INVOICE,
        get=NOT_A_FORM,
        post=Call(
            provider_page(
                managers=Redirect("billing:invoice_detail", ("billing_invoice",)), technician=403, other_admin=404
            ),
            audits=0,
        ),
    ),
    # An issued invoice is never deleted (409).
    "billing:invoice_delete": PageSpec(
        kwargs=INVOICE,
        get=NOT_A_FORM,
        post=Call(provider_page(managers=409, technician=403, other_admin=404), audits=0),
    ),
    "billing:invoice_pdf": PageSpec(kwargs=INVOICE, get=Call(provider_page(**BILLERS)), post=NOT_A_FORM),
    "billing:invoice_xml": PageSpec(kwargs=INVOICE, get=Call(provider_page(**BILLERS)), post=NOT_A_FORM),
    # Sent again to the client's manager: a new copy queued, one audit event, back to the invoice.
    "billing:invoice_send": PageSpec(
        kwargs=INVOICE,
        get=NOT_A_FORM,
        post=Call(
            provider_page(
                managers=Redirect("billing:invoice_detail", ("billing_invoice",)), technician=403, other_admin=404
            ),
            audits=1,
        ),
    ),
    # No reason: the form again with the error, nothing saved.
    "billing:credit_note_create": PageSpec(
        kwargs=INVOICE,
        get=Call(provider_page(**BILLERS)),
        post=Call(provider_page(managers=400, technician=403, other_admin=404), data=lambda world: {}, audits=0),
    ),
    "portal:invoice_list": PageSpec(
        get=Call(portal_page(client_manager=200, client_user=404, other_client_manager=200)),
        post=Call(portal_page(client_side=405)),
    ),
    "portal:invoice_pdf": PageSpec(
        kwargs=INVOICE,
        get=Call(portal_page(client_manager=200, client_user=404, other_client_manager=404)),
        post=Call(portal_page(client_side=405)),
    ),
    "portal:invoice_xml": PageSpec(
        kwargs=INVOICE,
        get=Call(portal_page(client_manager=200, client_user=404, other_client_manager=404)),
        post=Call(portal_page(client_side=405)),
    ),
}

API: dict[str, ApiSpec] = {
    "GET /api/v1/invoices": ApiSpec(
        api_call(
            managers=200, technician=403, client_manager=200, client_user=403, other_client_manager=200, other_admin=200
        )
    ),
    "GET /api/v1/invoices/{invoice_id}": ApiSpec(api_call(**INVOICE_READ), API_INVOICE),
    "GET /api/v1/invoices/{invoice_id}/pdf": ApiSpec(api_call(**INVOICE_READ), API_INVOICE),
    "GET /api/v1/invoices/{invoice_id}/facturx.xml": ApiSpec(api_call(**INVOICE_READ), API_INVOICE),
    # Issuing an issued invoice returns it unchanged.
    "POST /api/v1/invoices/{invoice_id}/issue": ApiSpec(
        api_call(**{**INVOICE_READ, "client_manager": 403}, audits=0), API_INVOICE
    ),
    # A new copy e-mailed to the client's manager (201, one audit event); the client's manager may not (403).
    "POST /api/v1/invoices/{invoice_id}/send": ApiSpec(
        api_call(**{**INVOICE_READ, "managers": 201, "client_manager": 403}, audits=1), API_INVOICE
    ),
    "POST /api/v1/invoices/{invoice_id}/credit-notes": ApiSpec(
        api_call(
            **{**INVOICE_READ, "managers": 201, "client_manager": 403},
            data=lambda world: {"reason": "Geste commercial"},
            audits=1,
        ),
        API_INVOICE,
    ),
    "GET /api/v1/billing-runs": ApiSpec(api_call(managers=200, technician=403, client_side=403, other_admin=200)),
    "POST /api/v1/billing-runs": ApiSpec(
        api_call(managers=422, technician=403, client_side=403, other_admin=422, data=_bad_month, audits=0)
    ),
    "GET /api/v1/billing-runs/{run_id}": ApiSpec(
        api_call(managers=200, technician=404, client_side=404, other_admin=404), {"run_id": "billing_run"}
    ),
}


PAYMENT: dict[str, Any] = {"pk": "billing_payment"}

PAGES.update(
    {
        # An empty form: the errors again (400), nothing saved.
        "billing:payment_create": PageSpec(
            kwargs=INVOICE,
            get=Call(provider_page(**BILLERS)),
            post=Call(provider_page(managers=400, technician=403, other_admin=404), data=lambda world: {}, audits=0),
        ),
        # GET: the confirmation; POST deletes it (one audit event) and goes back to the invoice.
        "billing:payment_delete": PageSpec(
            kwargs=PAYMENT,
            get=Call(provider_page(**BILLERS)),
            post=Call(
                provider_page(
                    managers=Redirect("billing:invoice_detail", ("billing_invoice",)), technician=403, other_admin=404
                ),
                audits=1,
            ),
        ),
        # No file: the form again with the error (400), nothing imported.
        "billing:bank_import": PageSpec(
            get=Call(provider_page(managers=200, technician=403, other_admin=200)),
            post=Call(provider_page(managers=400, technician=403, other_admin=400), data=lambda world: {}, audits=0),
        ),
        "billing:accounting_export": PageSpec(
            get=Call(provider_page(managers=200, technician=403, other_admin=200)), post=NOT_A_FORM
        ),
        "billing:overdue_list": PageSpec(
            get=Call(provider_page(managers=200, technician=403, other_admin=200)), post=NOT_A_FORM
        ),
    }
)

API.update(
    {
        "GET /api/v1/invoices/{invoice_id}/payments": ApiSpec(
            api_call(managers=200, technician=403, client_side=403, other_admin=404), API_INVOICE
        ),
        "POST /api/v1/invoices/{invoice_id}/payments": ApiSpec(
            api_call(
                managers=201,
                technician=403,
                client_side=403,
                other_admin=404,
                data=lambda world: {"received_on": datetime.date.today().isoformat(), "amount": "0.01"},  # noqa: DTZ011
                audits=1,
            ),
            API_INVOICE,
        ),
        # No file: 422 for a manager (checked after the role), nothing imported.
        "POST /api/v1/bank-imports": ApiSpec(
            api_call(managers=422, technician=403, client_side=403, other_admin=422, audits=0)
        ),
        # Without ?month: the previous month.
        "GET /api/v1/accounting-export": ApiSpec(
            api_call(managers=200, technician=403, client_side=403, other_admin=200)
        ),
    }
)

CREDIT: dict[str, Any] = {"pk": "billing_credit"}
CREDIT_LIST = Redirect("billing:credit_list", exact=False)

PAGES.update(
    {
        # A month given as 2026-13: the page again with the error, nothing computed.
        "billing:credit_list": PageSpec(
            get=Call(provider_page(managers=200, technician=403, other_admin=200)),
            post=Call(provider_page(managers=400, technician=403, other_admin=400), data=_bad_month, audits=0),
        ),
        # The credit is this month's: the month is not over, it cannot be approved yet (back to the list).
        "billing:credit_approve": PageSpec(
            kwargs=CREDIT,
            get=NOT_A_FORM,
            post=Call(provider_page(managers=CREDIT_LIST, technician=403, other_admin=404), audits=0),
        ),
        # No reason: the list again with the error, nothing decided.
        "billing:credit_reject": PageSpec(
            kwargs=CREDIT,
            get=NOT_A_FORM,
            post=Call(provider_page(managers=400, technician=403, other_admin=404), data=lambda world: {}, audits=0),
        ),
        # A proposed credit is not given back by a credit note (back to the list).
        "billing:credit_note_for": PageSpec(
            kwargs=CREDIT,
            get=NOT_A_FORM,
            post=Call(provider_page(managers=CREDIT_LIST, technician=403, other_admin=404), audits=0),
        ),
    }
)

API.update(
    {
        "GET /api/v1/service-credits": ApiSpec(
            api_call(managers=200, technician=403, client_side=403, other_admin=200)
        ),
        "POST /api/v1/service-credits/propose": ApiSpec(
            api_call(managers=422, technician=403, client_side=403, other_admin=422, data=_bad_month, audits=0)
        ),
        # This month's credit: not over yet (409).
        "POST /api/v1/service-credits/{credit_id}/approve": ApiSpec(
            api_call(managers=409, technician=403, client_side=403, other_admin=404, audits=0),
            {"credit_id": "billing_credit"},
        ),
        # Last month's credit is approved already: it cannot be rejected (409).
        "POST /api/v1/service-credits/{credit_id}/reject": ApiSpec(
            api_call(
                managers=409,
                technician=403,
                client_side=403,
                other_admin=404,
                data=lambda world: {"reason": "Panne de l'opérateur"},
                audits=0,
            ),
            {"credit_id": "billing_credit_approved"},
        ),
    }
)


def build(tenant: Any, provider_word: str, client_word: str) -> dict[str, int]:
    """A fixed-fee contract billed for last month (issued), and a second one left as a draft."""
    from django.utils import timezone

    from pacte.billing import runs
    from pacte.billing.models import Invoice
    from pacte.billing.models_credits import ServiceCredit
    from pacte.billing.payments import payment_record
    from pacte.billing.rendering import invoice_render_once
    from pacte.servicedesk.tests.helpers import contract_in_force

    today = datetime.date.today()  # noqa: DTZ011
    first = today.replace(day=1)
    last_month = (first - datetime.timedelta(days=1)).replace(day=1)
    start = last_month - datetime.timedelta(days=40)
    contract = contract_in_force(tenant, start=start, title=f"Forfait {client_word.title()}")
    run = runs.run_create(actor=tenant.manager, provider=tenant.provider, month=last_month.strftime("%Y-%m"))
    runs.run_execute(run, actor=tenant.manager, issue=True, render=False, validate=False)
    invoice = Invoice.objects.get(contract=contract, billing_period=last_month)
    invoice_render_once(invoice.pk)  # what the worker does after the number: the downloads only read
    draft_contract = contract_in_force(tenant, start=first, title=f"Brouillon {client_word.title()}")
    drafts = runs.run_create(actor=tenant.manager, provider=tenant.provider, month=first.strftime("%Y-%m"))
    runs.run_execute(drafts, actor=tenant.manager, render=False, validate=False)
    assert invoice.issue_date is not None
    payment = payment_record(
        actor=tenant.manager,
        invoice=invoice,
        received_on=invoice.issue_date,
        amount=Decimal("1.00"),
        method="transfer",
        reference="VIR",
    )
    credit = ServiceCredit.objects.create(
        provider=tenant.provider,
        client=contract.client,
        contract=contract,
        month=first,
        amount=Decimal("45.00"),
        percent=Decimal("5.00"),
        computed_at=timezone.now(),
    )
    approved = ServiceCredit.objects.create(
        provider=tenant.provider,
        client=draft_contract.client,
        contract=draft_contract,
        month=last_month,
        amount=Decimal("45.00"),
        percent=Decimal("5.00"),
        computed_at=timezone.now(),
        status="approved",
        decided_by=tenant.manager,
        decided_at=timezone.now(),
    )
    return {
        "billing_invoice": invoice.pk,
        "billing_run": run.pk,
        "billing_payment": payment.pk,
        "billing_credit": credit.pk,
        "billing_credit_approved": approved.pk,
    }
