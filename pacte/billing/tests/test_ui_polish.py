"""The billing pages as a French MSP manager reads them: money and percentages written the French way,
month lists in French, the service credits page opening on a month with something to see, the payment
state of each invoice in the list, the reminders sent on the invoice page, no due date on a credit note,
and a task line that does not repeat its quantity."""

from __future__ import annotations

import dataclasses
import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from pacte.billing import runs
from pacte.billing.facturx import invoice_pdf_context
from pacte.billing.forms import month_choices, month_label, previous_month
from pacte.billing.models import Invoice, InvoiceKind, Payment, Reminder
from pacte.billing.models_credits import CreditStatus, ServiceCredit
from pacte.billing.templatetags.billing_tags import money, percent
from pacte.billing.tests.helpers import legal_identity
from pacte.documents import rendering
from pacte.ledger import orders
from pacte.ledger.tests.helpers_l3 import fixed_fee_contract
from pacte.mail.models import MessageStatus, OutboundMessage
from pacte.servicedesk.tests import helpers

D = Decimal
NBSP = "\u00a0"
OCT_1 = datetime.date(2026, 10, 1)
pytestmark = [pytest.mark.django_db]


def issued_invoices(tenant, count: int = 1) -> list[Invoice]:
    """``count`` issued invoices of October 2026 (one per fixed-fee contract), numbered in order."""
    legal_identity(tenant)
    for _index in range(count):
        fixed_fee_contract(tenant, start=datetime.date(2026, 1, 1), included="0")
    run = runs.run_create(actor=tenant.manager, provider=tenant.provider, month="2026-10")
    runs.run_execute(run, actor=tenant.manager, issue=True, render=False)
    return list(Invoice.objects.filter(kind=InvoiceKind.INVOICE).order_by("sequence"))


def credit(tenant, month: datetime.date = OCT_1, status: str = CreditStatus.PROPOSED, **detail) -> ServiceCredit:
    contract = helpers.contract_in_force(tenant, start=datetime.date(2026, 1, 1))
    values = {
        "fee": "1800.00",
        "service_level": "Premium 4h",
        "grid": {"P1": "2.50", "P2": "1.00"},
        "cap_percent": "20.00",
        "breaches": [],
        "availability": {"target": "99.50", "services": []},
        "raw_percent": "5.00",
        "percent": "5.00",
        "amount": "90.00",
        **detail,
    }
    return ServiceCredit.objects.create(
        provider=tenant.provider,
        client=tenant.client,
        contract=contract,
        month=month,
        amount=D("90.00"),
        percent=D(values["percent"]),
        detail=values,
        status=status,
        computed_at=timezone.now(),
    )


# 1. Money and percentages on the service credits page ----------------------------------------------


def test_percent_drops_trailing_zeros_and_writes_the_languages_decimal_sign():
    with translation.override("fr"):
        assert [percent(value) for value in ("5.00", D("2.50"), "12.125", "100")] == [
            f"5{NBSP}%",
            f"2,5{NBSP}%",
            f"12,125{NBSP}%",
            f"100{NBSP}%",
        ]
        assert percent(None) == "—" and percent("n/a") == "n/a"
    with translation.override("en"):
        assert percent("2.50") == f"2.5{NBSP}%"


def test_a_credit_card_writes_amounts_and_percentages_the_french_way(tenant, login):
    item = credit(tenant, raw_percent="27.50", percent="20.00", cap_percent="20.00")
    html = login(tenant.manager).get(reverse("billing:credit_list") + "?month=2026-10").content.decode()
    card = html[html.index(f'data-testid="credit-{item.pk}"') :]
    assert f'<span data-testid="share">20{NBSP}% de la redevance du mois de 1{NBSP}800,00{NBSP}€</span>' in card
    assert f"(27,5{NBSP}% avant le plafond de 20{NBSP}%)" in card
    assert f'<span data-testid="grid">P1 2,5{NBSP}% · P2 1{NBSP}%</span>' in card
    assert "1800.00" not in card and "5.00" not in card and "2.50" not in card


# 2. The service credits page opens on a month with something to see --------------------------------


def test_the_credits_page_opens_on_the_latest_month_with_proposals(tenant, login):
    credit(tenant, month=datetime.date(2026, 8, 1))  # proposed
    credit(tenant, month=datetime.date(2026, 9, 1), status=CreditStatus.APPROVED)
    http = login(tenant.manager)
    html = http.get(reverse("billing:credit_list")).content.decode()
    assert '<small class="muted" id="credit-month">août 2026</small>' in html
    # The month list offers the months with credits, the ones still to decide marked.
    assert '<option value="2026-09">septembre 2026</option>' in html
    assert '<option value="2026-08" selected>août 2026 — 1 à décider</option>' in html
    # Asked for, a month shows even without credits.
    html = http.get(reverse("billing:credit_list") + "?month=2026-07").content.decode()
    assert (
        'id="credit-month">juillet 2026<' in html and '<option value="2026-07" selected>juillet 2026</option>' in html
    )


def test_without_proposals_it_opens_on_the_latest_month_with_credits_else_the_previous_month(tenant, login):
    http = login(tenant.manager)
    with translation.override("fr"):
        label = month_label(datetime.date.fromisoformat(previous_month() + "-01"))
    html = http.get(reverse("billing:credit_list")).content.decode()
    assert f'id="credit-month">{label}<' in html and 'id="no-credits"' in html
    credit(tenant, month=datetime.date(2026, 9, 1), status=CreditStatus.REJECTED)
    html = http.get(reverse("billing:credit_list")).content.decode()
    assert 'id="credit-month">septembre 2026<' in html and 'id="no-credits"' not in html


# 3. Month lists instead of <input type="month"> ------------------------------------------------------


def test_month_choices_are_french_newest_first_and_keep_an_older_chosen_month():
    today = datetime.date(2026, 11, 15)
    with translation.override("fr"):
        choices = month_choices(today=today, back=2)
        assert choices == [("2026-11", "novembre 2026"), ("2026-10", "octobre 2026"), ("2026-09", "septembre 2026")]
        assert month_choices(today=today, back=0, selected="2025-01") == [
            ("2026-11", "novembre 2026"),
            ("2025-01", "janvier 2025"),
        ]
        assert month_choices(today=datetime.date(2027, 1, 3), back=1) == [
            ("2027-01", "janvier 2027"),
            ("2026-12", "décembre 2026"),
        ]


@pytest.mark.parametrize(
    "url", ["billing:run_list", "billing:credit_list", "billing:accounting_export", "billing:invoice_list"]
)
def test_billing_pages_offer_months_in_a_french_list(tenant, login, url):
    html = login(tenant.manager).get(reverse(url)).content.decode()
    assert 'type="month"' not in html
    month = datetime.date.fromisoformat(previous_month() + "-01")
    with translation.override("fr"):
        label = dict(month_choices())[month.strftime("%Y-%m")]
    assert label.split()[0] in {
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    }
    assert f'<option value="{month:%Y-%m}"' in html and f">{label}</option>" in html


def test_a_month_outside_the_list_is_a_clear_error(tenant, login):
    http = login(tenant.manager)
    run = http.post(reverse("billing:run_list"), {"month": "2026-13"})
    assert run.status_code == 400 and "Choisissez un mois dans la liste (AAAA-MM" in run.content.decode()
    compute = http.post(reverse("billing:credit_list"), {"month": "octobre", "client": ""})
    assert compute.status_code == 400 and "Choisissez un mois dans la liste (AAAA-MM" in compute.content.decode()
    export = http.get(reverse("billing:accounting_export"), {"month": "mars"})
    assert export.status_code == 400 and "Choisissez un mois dans la liste (AAAA-MM" in export.content.decode()
    # A valid month still goes through, in the same YYYY-MM form.
    assert http.get(reverse("billing:accounting_export"), {"month": "2026-10"}).status_code == 200


def test_the_invoice_list_keeps_the_chosen_month_and_the_filters_across_pages(tenant, login):
    issued_invoices(tenant)
    html = login(tenant.manager).get(reverse("billing:invoice_list"), {"month": "2026-10"}).content.decode()
    assert '<option value="2026-10" selected>octobre 2026</option>' in html
    assert '<option value="">Tous les mois</option>' in html


# 4. The invoice list: a tidy filter bar and the payment state ---------------------------------------


def test_the_invoice_list_shows_each_invoices_payment_state(tenant, login, django_assert_max_num_queries):
    paid, partly, overdue, not_due, *others = issued_invoices(tenant, count=6)
    today = timezone.localdate()
    Invoice.objects.filter(pk__in=[paid.pk, partly.pk, not_due.pk]).update(due_date=today + datetime.timedelta(days=10))
    Invoice.objects.filter(pk=overdue.pk).update(due_date=today - datetime.timedelta(days=12))
    Payment.objects.create(provider=tenant.provider, invoice=paid, received_on=today, amount=paid.total_gross)
    Payment.objects.create(provider=tenant.provider, invoice=partly, received_on=today, amount=D("100.00"))
    http = login(tenant.manager)
    http.get(reverse("billing:invoice_list"))  # warm the session
    with django_assert_max_num_queries(12):
        html = http.get(reverse("billing:invoice_list")).content.decode()

    def cell(invoice: Invoice) -> str:
        row = html[html.index(f'data-testid="invoice-{invoice.pk}"') :]
        return row[row.index('data-testid="payment"') : row.index("</tr>")]

    assert 'data-state="paid">Payée</span>' in cell(paid)
    assert 'data-state="partly_paid">Partiellement payée</span>' in cell(partly)
    with translation.override("fr"):
        assert f"Reste dû{NBSP}: {money(partly.total_gross - 100)}" in cell(partly)
    assert 'data-state="overdue">En retard de 12 jours</span>' in cell(overdue)
    assert 'data-state="unpaid">À échoir</span>' in cell(not_due)
    assert 'class="billing-filters"' in html and 'class="filters grid"' not in html
    assert len(others) == 2


def test_a_day_late_is_singular_and_a_credit_note_has_no_payment_state(tenant, login):
    [invoice] = issued_invoices(tenant)
    Invoice.objects.filter(pk=invoice.pk).update(due_date=timezone.localdate() - datetime.timedelta(days=1))
    note = Invoice.objects.create(
        provider=tenant.provider,
        client=invoice.client,
        contract=invoice.contract,
        kind=InvoiceKind.CREDIT_NOTE,
        credited_invoice=invoice,
        total_gross=D("12.00"),
    )
    html = login(tenant.manager).get(reverse("billing:invoice_list")).content.decode()
    assert "En retard de 1 jour</span>" in html
    row = html[html.index(f'data-testid="invoice-{note.pk}"') :]
    assert '<td data-testid="payment">—</td>' in row[: row.index("</tr>")]


# 5. The reminders already sent, on the invoice page -------------------------------------------------


def test_the_invoice_page_lists_the_reminders_sent_with_their_recipients(tenant, login):
    [invoice] = issued_invoices(tenant)
    Invoice.objects.filter(pk=invoice.pk).update(due_date=timezone.localdate() - datetime.timedelta(days=20))
    Reminder.objects.create(invoice=invoice, step=1, amount_due=D("1080.00"))
    Reminder.objects.create(invoice=invoice, step=2, amount_due=D("1080.00"), penalty=D("45.69"))
    for index, (step, status) in enumerate(((1, MessageStatus.SENT), (2, MessageStatus.FAILED))):
        OutboundMessage.objects.create(
            provider=tenant.provider,
            key=f"billing-reminder:{invoice.pk}:{step}",
            template="billing/payments/mail/reminder",
            language="fr",
            from_address="facturation@msp.test",
            to=["Claire Durand <claire@client.test>", "compta@client.test"],
            subject="Relance",
            body_text="…",
            message_id=f"<reminder-{index}@msp.test>",
            status=status,
        )
    html = login(tenant.manager).get(reverse("billing:invoice_detail", args=[invoice.pk])).content.decode()
    section = html[html.index('id="reminders"') :]
    first = section[section.index('data-testid="reminder-1"') : section.index('data-testid="reminder-2"')]
    second = section[section.index('data-testid="reminder-2"') :]
    assert "Relance amiable" in first and "Claire Durand &lt;claire@client.test&gt;, compta@client.test" in first
    assert "data-mail-status" not in first  # sent: nothing to flag
    assert "Relance ferme" in second and "45,69" in second
    assert 'data-mail-status="failed">e-mail non distribué</span>' in second


def test_an_overdue_invoice_without_reminders_says_so(tenant, login):
    [invoice] = issued_invoices(tenant)
    http = login(tenant.manager)
    assert 'id="reminders"' not in http.get(reverse("billing:invoice_detail", args=[invoice.pk])).content.decode()
    Invoice.objects.filter(pk=invoice.pk).update(due_date=timezone.localdate() - datetime.timedelta(days=3))
    html = http.get(reverse("billing:invoice_detail", args=[invoice.pk])).content.decode()
    assert 'id="no-reminders"' in html and "Aucune relance envoyée pour l’instant" in html


# 6. A credit note has no due date -------------------------------------------------------------------


def credit_note_of(tenant, invoice: Invoice) -> Invoice:
    from pacte.billing import services

    line = invoice.lines.get(position=1)
    note = services.credit_note_create(
        actor=tenant.manager, invoice=invoice, lines={line.pk: D("10.00")}, reason="Geste"
    )
    services.invoices_issue(actor=tenant.manager, provider=tenant.provider, invoice_ids=[note.pk])
    note.refresh_from_db()
    return note


def test_a_credit_note_page_shows_no_due_date_and_no_payment_to_make(tenant, login):
    [invoice] = issued_invoices(tenant)
    note = credit_note_of(tenant, invoice)
    http = login(tenant.manager)
    page = http.get(reverse("billing:invoice_detail", args=[note.pk])).content.decode()
    assert 'id="issue-date"' in page and 'id="due-date"' not in page and "Échéance" not in page
    assert 'id="payments"' not in page and 'id="still-due"' not in page
    invoice_page = http.get(reverse("billing:invoice_detail", args=[invoice.pk])).content.decode()
    assert 'id="due-date"' in invoice_page and 'id="payments"' in invoice_page


def test_a_credit_note_pdf_shows_no_due_date_nor_a_date_to_pay_by():
    from pacte.billing.tests.test_facturx import credit_note, worked_example

    dated = dataclasses.replace(credit_note(), due_date=datetime.date(2026, 5, 1), payment_terms="30 jours")
    with translation.override("fr"):
        html = rendering.html_render(template_name="billing/pdf/invoice.html", context=invoice_pdf_context(dated))
        assert "Échéance" not in html and "au plus tard" not in html and "30 jours" not in html
        assert "FA-2026-000123" in html  # the invoice it is deducted from
        html = rendering.html_render(
            template_name="billing/pdf/invoice.html", context=invoice_pdf_context(worked_example())
        )
        assert "Échéance" in html


# 7. A task line does not repeat its quantity -------------------------------------------------------


@pytest.mark.parametrize(
    ("description", "task", "expected"),
    [
        ("Nouveau poste × 2", {"label": "Nouveau poste", "quantity": 2}, "Nouveau poste"),
        (
            "Nouveau poste × 12 — ticket T-2026-00001",
            {"label": "Nouveau poste", "quantity": 12},
            "Nouveau poste — ticket T-2026-00001",
        ),
        ("Annulation : Nouveau poste × 2", {"label": "Nouveau poste", "quantity": 2}, "Annulation : Nouveau poste"),
        ("Imprimante", {"label": "Imprimante", "quantity": 1}, "Imprimante"),
        ("Texte modifié", {"label": "Nouveau poste", "quantity": 2}, "Texte modifié"),
        ("Nouveau poste × 2", None, "Nouveau poste × 2"),
    ],
)
def test_a_task_lines_label_drops_the_count_its_quantity_column_shows(description, task, expected):
    assert orders.task_line_description(description, task) == expected
    if task and task["quantity"] > 1:  # the ledger's description (no count column) keeps it
        assert orders.task_label(task["label"], task["quantity"]).endswith(f"× {task['quantity']}")
