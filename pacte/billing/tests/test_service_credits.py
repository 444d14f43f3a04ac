"""SLA service credits: worked example 4 end to end with real tickets, the cap, availability figures
computed by hand, idempotent proposals, the approval rules, the line specs and the credit note."""

from __future__ import annotations

import datetime
from datetime import UTC, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from pacte.audit.models import AuditEvent
from pacte.billing import drafting, service_credits
from pacte.billing.domain import BillingError
from pacte.billing.models import Invoice, InvoiceKind, InvoiceLine, LineKind
from pacte.billing.models_credits import CreditStatus, ServiceCredit
from pacte.billing.service_credits import (
    Availability,
    clip,
    credit_amount,
    credit_percent,
    merge_intervals,
    monthly_fee,
    restoration_breached,
)
from pacte.billing.services import invoices_issue
from pacte.billing.tests.helpers import legal_identity
from pacte.core.errors import ConflictError
from pacte.servicedesk import services as desk
from pacte.servicedesk.models import SlaNotice, Ticket
from pacte.servicedesk.tests import helpers
from pacte.sla import services as sla_services

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


D = Decimal
OCT_1, OCT_31 = datetime.date(2026, 10, 1), datetime.date(2026, 10, 31)
#: October 2026 in Paris is CEST (UTC+2) until Sunday 25 October.
PARIS = timedelta(hours=2)
#: Mon–Fri 8–12 and 14–18, 22 working days, no public holiday: 176 h of coverage.
OCTOBER_COVERAGE_MINUTES = 22 * 8 * 60


def paris(day: int, hour: int, minute: int = 0) -> datetime.datetime:
    return datetime.datetime(2026, 10, day, hour, minute, tzinfo=UTC) - PARIS


def level_with_credits(tenant, **fields):
    level = helpers.service_level(tenant)
    values = {"credit_grid": {"P1": "5.00"}, "credit_cap_percent": D("20.00"), **fields}
    return sla_services.service_level_update(actor=tenant.manager, service_level=level, **values)


@pytest.fixture
def setup(tenant):
    level = level_with_credits(tenant)
    contract = helpers.contract_in_force(tenant, service_level=level.pk, start=datetime.date(2026, 1, 1))
    return tenant, level, contract


def p1(tenant, opened: datetime.datetime, restored: datetime.datetime | None = None, **kwargs) -> Ticket:
    ticket = helpers.ticket(tenant, title="Serveur arrêté", impact="high", urgency="high", at=opened, **kwargs)
    if restored is not None:
        desk.ticket_status_set(actor=tenant.technician, ticket=ticket, status="restored", at=restored)
    ticket.refresh_from_db()
    return ticket


def propose(tenant, **kwargs):
    return service_credits.credits_propose(tenant.provider, OCT_1, OCT_31, **kwargs)


# Pure rules ---------------------------------------------------------------------------------------


def test_pure_rules():
    assert monthly_fee(D("900.00"), "month", 31, 31) == D("900.00")
    assert monthly_fee(D("2700.00"), "quarter", 31, 31) == D("900.00")
    assert monthly_fee(D("10800.00"), "year", 30, 30) == D("900.00")
    assert monthly_fee(D("900.00"), "month", 21, 30) == D("630.00")  # worked example 2's proration
    assert credit_percent({"P1": 2}, {"P1": D("5.00")}, D(0), D("20.00")) == (D("10.00"), D("10.00"))
    assert credit_percent({"P1": 5, "P2": 1}, {"P1": D("5"), "P2": D("2")}, D("1"), D("20")) == (D("28"), D("20"))
    assert credit_percent({"P3": 4}, {"P1": D("5")}, D(0), D("20")) == (D(0), D(0))
    assert credit_amount(D("900.00"), D("10.00")) == D("90.00")
    due = datetime.datetime(2026, 10, 5, 13, tzinfo=UTC)
    assert restoration_breached(due, due + timedelta(seconds=1), due) is True
    assert restoration_breached(due, due, due + timedelta(days=1)) is False  # restored on the dot: met
    assert restoration_breached(due, None, due + timedelta(seconds=1)) is True
    assert restoration_breached(due, None, due) is False
    assert restoration_breached(None, None, due) is False
    t = [datetime.datetime(2026, 10, 5, h, tzinfo=UTC) for h in range(12)]
    assert merge_intervals([(t[3], t[5]), (t[1], t[2]), (t[4], t[6]), (t[6], t[7]), (t[9], t[9])]) == [
        (t[1], t[2]),
        (t[3], t[7]),
    ]
    assert clip([(t[1], t[4]), (t[6], t[9])], t[2], t[7]) == [(t[2], t[4]), (t[6], t[7])]


@pytest.mark.parametrize(
    ("outage_minutes", "percent", "steps"),
    [
        (0, "100.000", 0),
        (52, "99.507", 0),  # 1 − 52/10560 = 99.5075… ≥ 99.50: met
        (53, "99.498", 1),  # 99.4981…: 0.0019 below, one started step
        (60, "99.431", 1),  # 1 h: 99.4318…
        (360, "96.590", 30),  # 6 h: 96.5909…, 2.909 below → 30 started steps of 0.10
    ],
)
def test_availability_steps_by_hand(outage_minutes, percent, steps):
    figures = Availability("", OCTOBER_COVERAGE_MINUTES * 60, outage_minutes * 60, D("99.50"), D("0.10"), D("1.00"))
    assert (str(figures.percent), figures.steps, figures.credit_percent) == (percent, steps, D(steps))


# Worked example 4, end to end ---------------------------------------------------------------------


def test_worked_example_4_two_breached_p1_restorations_give_minus_90(setup):
    tenant, level, contract = setup
    # Restoration target: 4 business hours. Opened Monday 09:00 → due 15:00 (09–12 + 14–15).
    late_1 = p1(tenant, paris(5, 9), restored=paris(5, 17))
    late_2 = p1(tenant, paris(12, 9), restored=paris(12, 16))
    on_time = p1(tenant, paris(13, 9), restored=paris(13, 10))
    helpers.ticket(tenant, title="Souris", at=paris(14, 9))  # P3: no restoration target
    assert late_1.restoration_due == paris(5, 15) and late_1.contract_id == contract.pk
    assert on_time.restoration_due == paris(13, 15)

    [credit] = propose(tenant)

    assert (credit.contract_id, credit.month, credit.status) == (contract.pk, OCT_1, CreditStatus.PROPOSED)
    assert (credit.amount, credit.percent) == (D("90.00"), D("10.00"))
    detail = credit.detail
    assert detail["fee"] == "900.00" and detail["grid"] == {"P1": "5.00"} and detail["cap_percent"] == "20.00"
    assert [b["ticket"] for b in detail["breaches"]] == [late_1.pk, late_2.pk]
    assert [b["reference"] for b in detail["breaches"]] == [late_1.reference, late_2.reference]
    assert detail["breaches_per_priority"] == {"P1": 2}
    assert detail["availability"]["services"] == []  # no guaranteed availability on this level

    service_credits.credit_approve(tenant.manager, credit)
    specs = service_credits.credit_line_specs([contract.pk], datetime.date(2026, 11, 1), datetime.date(2026, 11, 30))
    [spec] = specs[contract.pk]
    assert (spec.kind, spec.amount, spec.unit_price, spec.quantity) == (
        LineKind.SERVICE_CREDIT,
        D("-90.00"),
        D("-90.00"),
        1,
    )
    assert spec.source == f"sla:{contract.pk}:2026-10-01" and spec.vat_rate == D("20.00")
    assert (spec.period_start, spec.period_end) == (OCT_1, OCT_31)
    assert contract.reference in spec.description and "octobre 2026" in spec.description
    assert spec.account_code == "709000"


def test_recorded_breaches_count_with_the_priority_they_happened_at_and_their_month(setup):
    tenant, level, contract = setup
    level = sla_services.service_level_update(
        actor=tenant.manager, service_level=level, credit_grid={"P1": "5", "P2": "2.5"}
    )
    assert level.credit_grid == {"P1": "5.00", "P2": "2.50"}  # normalised
    ticket = p1(tenant, paris(20, 9), restored=paris(20, 11))  # restored in time by its clock…
    # …but the SLA job recorded a breach (the priority was P1 then; lowered to P2 since).
    SlaNotice.objects.create(
        ticket=ticket, target="restoration", kind="breach", at=paris(20, 10), due=paris(20, 10), priority="P1"
    )
    Ticket.objects.filter(pk=ticket.pk).update(priority="P2")
    recorded_november = p1(tenant, paris(30, 9), restored=paris(30, 10))
    SlaNotice.objects.create(
        ticket=recorded_november,
        target="restoration",
        kind="breach",
        at=datetime.datetime(2026, 11, 2, 9, tzinfo=UTC),
        due=datetime.datetime(2026, 11, 2, 9, tzinfo=UTC),
        priority="P1",
    )
    # A P2 ticket never restored, due in October: breached by now (no record).
    p2 = helpers.ticket(tenant, title="Messagerie lente", impact="high", urgency="medium", at=paris(26, 9))
    Ticket.objects.filter(pk=p2.pk).update(restoration_due=datetime.datetime(2026, 10, 27, 9, tzinfo=UTC))

    [credit] = propose(tenant)

    assert [(b["ticket"], b["priority"], b["recorded"]) for b in credit.detail["breaches"]] == [
        (ticket.pk, "P1", True),
        (p2.pk, "P2", False),
    ]
    assert (credit.percent, credit.amount) == (D("7.50"), D("67.50"))


def test_the_cap(setup):
    tenant, level, contract = setup
    for day in (5, 6, 7, 8, 9):
        p1(tenant, paris(day, 9), restored=paris(day, 17))  # five breaches × 5 % = 25 %
    [credit] = propose(tenant)
    assert (credit.percent, credit.amount) == (D("20.00"), D("180.00"))
    assert (credit.detail["raw_percent"], credit.detail["percent"]) == ("25.00", "20.00")


def test_availability_from_p1_outages_in_coverage_hours(tenant):
    level = level_with_credits(
        tenant,
        availability_target=D("99.50"),
        availability_step=D("0.10"),
        availability_credit_percent=D("1.00"),
    )
    contract = helpers.contract_in_force(tenant, service_level=level.pk, start=datetime.date(2026, 1, 1))
    # Tuesday 10:00–11:00 and an overlapping ticket 10:30–11:00 on the same outage: one hour, counted once.
    p1(tenant, paris(6, 10), restored=paris(6, 11))
    p1(tenant, paris(6, 10, 30), restored=paris(6, 11))
    # A P1 that ended before October changes nothing.
    p1(tenant, datetime.datetime(2026, 9, 30, 8, tzinfo=UTC), restored=datetime.datetime(2026, 9, 30, 9, tzinfo=UTC))

    [credit] = propose(tenant)

    [service] = credit.detail["availability"]["services"]
    assert service["coverage_minutes"] == str(OCTOBER_COVERAGE_MINUTES)
    assert service["outage_minutes"] == "60"
    assert (service["availability"], service["steps"]) == ("99.431", 1)  # 175/176
    assert credit.detail["breaches"] == []  # restored within the 4 h target
    assert (credit.percent, credit.amount, credit.contract_id) == (D("1.00"), D("9.00"), contract.pk)

    # Wednesday 11:00 → Thursday 09:00: 1 h + 4 h + 1 h in coverage (lunch and night do not count), and
    # a breached restoration (due Wednesday 17:00): 5 % + 30 steps × 1 % → 35 %, capped at 20 %.
    p1(tenant, paris(7, 11), restored=paris(8, 9))
    [credit] = propose(tenant)
    [service] = credit.detail["availability"]["services"]
    assert (service["outage_minutes"], service["availability"], service["steps"]) == ("420", "96.022", 35)
    assert (credit.detail["raw_percent"], credit.percent, credit.amount) == ("40.00", D("20.00"), D("180.00"))


def test_availability_per_service_the_worst_counts(tenant):
    level = level_with_credits(
        tenant, credit_grid={}, availability_target=D("99.00"), availability_credit_percent=D("0.50")
    )
    helpers.contract_in_force(tenant, service_level=level.pk, start=datetime.date(2026, 1, 1))
    mail = helpers.category(tenant, "mail", "Messagerie")
    files = helpers.category(tenant, "files", "Fichiers")
    p1(tenant, paris(6, 8), restored=paris(6, 10), category=mail)  # 2 h: 98.863… → 2 steps of 0.10
    p1(tenant, paris(7, 8), restored=paris(7, 9), category=files)  # 1 h: 99.431…: met
    [credit] = propose(tenant)
    services = {s["service"]: (s["availability"], s["steps"]) for s in credit.detail["availability"]["services"]}
    assert services == {"mail — Messagerie": ("98.863", 2), "files — Fichiers": ("99.431", 0)}
    assert (credit.percent, credit.amount) == (D("1.00"), D("9.00"))


def test_no_credit_without_breach_grid_fee_or_service_level(tenant):
    level = level_with_credits(tenant)
    helpers.contract_in_force(tenant, service_level=level.pk, start=datetime.date(2026, 1, 1))
    helpers.contract_in_force(tenant, title="Sans niveau", start=datetime.date(2026, 1, 1))
    p1(tenant, paris(5, 9), restored=paris(5, 10))
    assert propose(tenant) == []
    assert not ServiceCredit.objects.exists()


# Proposals: idempotent, decided ones untouched ----------------------------------------------------


def test_proposing_again_recomputes_a_proposal_and_never_touches_a_decided_one(setup, other_tenant):
    tenant, level, contract = setup
    p1(tenant, paris(5, 9), restored=paris(5, 17))
    [first] = propose(tenant)
    assert first.amount == D("45.00")
    assert propose(tenant)[0].pk == first.pk and ServiceCredit.objects.count() == 1
    p1(tenant, paris(12, 9), restored=paris(12, 17))
    [again] = propose(tenant)
    assert (again.pk, again.amount) == (first.pk, D("90.00"))
    service_credits.credit_approve(tenant.manager, again)
    p1(tenant, paris(19, 9), restored=paris(19, 17))
    [decided] = propose(tenant)
    assert (decided.status, decided.amount) == (CreditStatus.APPROVED, D("90.00"))
    # Nothing owed any more: a proposal goes away; another client's scope is left alone.
    assert propose(tenant, client=tenant.other_client) == []
    assert ServiceCredit.objects.count() == 1
    with pytest.raises(BillingError):
        propose(tenant, client=other_tenant.client)


def test_a_proposal_that_no_longer_owes_anything_is_removed(setup):
    tenant, level, contract = setup
    p1(tenant, paris(5, 9), restored=paris(5, 17))
    [credit] = propose(tenant)
    sla_services.service_level_update(actor=tenant.manager, service_level=level, credit_grid={})
    assert propose(tenant) == []
    assert not ServiceCredit.objects.filter(pk=credit.pk).exists()


def test_bad_months_are_refused(setup):
    tenant, _level, _contract = setup
    with pytest.raises(BillingError, match="whole calendar month"):
        service_credits.credits_propose(tenant.provider, OCT_1, datetime.date(2026, 10, 30))
    with pytest.raises(BillingError, match="not begun"):
        service_credits.credits_propose(tenant.provider, datetime.date(2099, 1, 1), datetime.date(2099, 1, 31))


# Approval rules -----------------------------------------------------------------------------------


def test_approve_and_reject_rules(setup):
    tenant, level, contract = setup
    p1(tenant, paris(5, 9), restored=paris(5, 17))
    [credit] = propose(tenant)
    for member in (tenant.technician, tenant.client_manager):
        with pytest.raises(PermissionDenied):
            service_credits.credit_approve(member, credit)
        with pytest.raises(PermissionDenied):
            service_credits.credit_reject(member, credit, "non")
    with pytest.raises(BillingError, match="Say why"):
        service_credits.credit_reject(tenant.manager, credit, "   ")
    rejected = service_credits.credit_reject(tenant.manager, credit, "Panne due au client")
    assert (rejected.status, rejected.reason, rejected.decided_by) == (
        "rejected",
        "Panne due au client",
        tenant.manager,
    )
    assert rejected.decided_at is not None
    with pytest.raises(ConflictError, match="already rejected"):
        service_credits.credit_approve(tenant.manager, credit)
    with pytest.raises(ConflictError):
        service_credits.credit_reject(tenant.manager, credit, "encore")
    event = AuditEvent.objects.get(action="billing.service_credit_reject")
    assert (
        event.after is not None and event.after["reason"] == "Panne due au client" and event.object_id == str(credit.pk)
    )
    assert service_credits.credit_line_specs([contract.pk], OCT_1, OCT_31) == {}


def test_a_month_not_over_cannot_be_approved(setup):
    tenant, _level, contract = setup
    credit = ServiceCredit.objects.create(
        provider=tenant.provider,
        client=tenant.client,
        contract=contract,
        month=datetime.date.today().replace(day=1),  # noqa: DTZ011
        amount=D("10.00"),
        percent=D("1.00"),
        computed_at=datetime.datetime.now(UTC),
    )
    with pytest.raises(ConflictError, match="not over"):
        service_credits.credit_approve(tenant.manager, credit)


def test_another_providers_credit_cannot_be_decided(setup, other_tenant):
    tenant, _level, _contract = setup
    p1(tenant, paris(5, 9), restored=paris(5, 17))
    [credit] = propose(tenant)
    with pytest.raises(ServiceCredit.DoesNotExist):
        service_credits.credit_approve(other_tenant.manager, credit)


def test_credit_settings_are_validated(tenant):
    level = helpers.service_level(tenant)
    bad: list[tuple[dict[str, Any], str, str]] = [
        ({"credit_grid": {"P9": "5"}}, "credit_grid", "P9"),
        ({"credit_grid": {"P1": "-1"}}, "credit_grid", "between 0 and 100"),
        ({"credit_grid": {"P1": "abc"}}, "credit_grid", "at most two decimals"),
        ({"credit_grid": ["P1"]}, "credit_grid", "maps a priority"),
        ({"credit_cap_percent": D("120")}, "credit_cap_percent", "100"),
        ({"credit_cap_percent": D("-1")}, "credit_cap_percent", "0"),
        ({"availability_target": D("0")}, "availability_target", "0.01"),
        ({"availability_credit_percent": D("1")}, "availability_target", "guaranteed availability"),
        ({"availability_target": D("99.5"), "availability_step": D("0")}, "availability_step", "0.01"),
    ]
    for fields, name, message in bad:
        with pytest.raises(ValidationError) as error:
            sla_services.service_level_update(actor=tenant.manager, service_level=level, **fields)
        assert name in error.value.message_dict and message in " ".join(error.value.message_dict[name]), fields


# Billing the approved credit ----------------------------------------------------------------------


def test_line_specs_link_and_release(setup):
    tenant, _level, contract = setup
    p1(tenant, paris(5, 9), restored=paris(5, 17))
    [credit] = propose(tenant)
    assert service_credits.credit_line_specs([contract.pk], OCT_1, OCT_31) == {}  # proposed: not billed
    service_credits.credit_approve(tenant.manager, credit)
    assert list(service_credits.credit_contracts_pending(tenant.provider.pk, OCT_1)) == [{"contract_id": contract.pk}]
    assert not service_credits.credit_contracts_pending(tenant.provider.pk, datetime.date(2026, 9, 1)).exists()
    assert service_credits.credit_line_specs([contract.pk], datetime.date(2026, 9, 1), datetime.date(2026, 9, 30)) == {}
    # The month's draft bills it as a negative line and links it.
    drafting.draft_chunk([contract], first=OCT_1, last=OCT_31)
    invoice = Invoice.objects.get(contract=contract, billing_period=OCT_1)
    line = InvoiceLine.objects.get(invoice=invoice, kind=LineKind.SERVICE_CREDIT)
    credit.refresh_from_db()
    assert credit.invoice_line == line and line.amount == D("-45.00")
    assert line.source == f"sla:{contract.pk}:2026-10-01"
    assert service_credits.credit_line_specs([contract.pk], OCT_1, OCT_31) == {}
    assert service_credits.credit_lines_link([contract.pk]) == 0
    # Drafting again recomputes the draft: the credit is billed once, on the new line.
    drafting.draft_chunk([contract], first=OCT_1, last=OCT_31)
    credit.refresh_from_db()
    assert InvoiceLine.objects.filter(kind=LineKind.SERVICE_CREDIT).count() == 1
    assert credit.invoice_line == InvoiceLine.objects.get(kind=LineKind.SERVICE_CREDIT)
    # November's draft does not bill it again.
    drafting.draft_chunk([contract], first=datetime.date(2026, 11, 1), last=datetime.date(2026, 11, 30))
    assert InvoiceLine.objects.filter(kind=LineKind.SERVICE_CREDIT).count() == 1
    InvoiceLine.objects.filter(invoice=invoice).delete()  # deleting the draft's lines frees it
    credit.refresh_from_db()
    assert credit.invoice_line is None
    assert len(service_credits.credit_line_specs([contract.pk], OCT_1, OCT_31)[contract.pk]) == 1


def test_credit_note_for_an_issued_month(setup):
    tenant, _level, contract = setup
    legal_identity(tenant)
    p1(tenant, paris(5, 9), restored=paris(5, 17))
    p1(tenant, paris(12, 9), restored=paris(12, 17))
    [credit] = propose(tenant)
    # October is invoiced while the credit is still proposed; it is approved afterwards.
    drafting.draft_chunk([contract], first=OCT_1, last=OCT_31)
    invoice = Invoice.objects.get(contract=contract, billing_period=OCT_1)
    invoices_issue(
        actor=tenant.manager, provider=tenant.provider, invoice_ids=[invoice.pk], validate=False, render=False
    )
    assert not invoice.lines.filter(kind=LineKind.SERVICE_CREDIT).exists()
    service_credits.credit_approve(tenant.manager, credit)
    with pytest.raises(PermissionDenied):
        service_credits.credit_note_for(tenant.technician, credit)

    note = service_credits.credit_note_for(tenant.manager, credit)

    assert (note.kind, note.status, note.credited_invoice_id) == (InvoiceKind.CREDIT_NOTE, "draft", invoice.pk)
    assert (note.total_net, note.total_vat, note.total_gross) == (D("90.00"), D("18.00"), D("108.00"))
    [line] = note.lines.all()
    assert line.credited_line is not None and line.credited_line.kind == LineKind.FEE and line.amount == D("90.00")
    assert contract.reference in note.note
    credit.refresh_from_db()
    assert credit.invoice_line == line
    assert (
        service_credits.credit_line_specs([contract.pk], datetime.date(2026, 11, 1), datetime.date(2026, 11, 30)) == {}
    )
    with pytest.raises(ConflictError, match="already on"):
        service_credits.credit_note_for(tenant.manager, credit)
