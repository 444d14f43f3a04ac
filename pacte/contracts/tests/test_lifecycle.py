"""A signed contract's life: the daily roll (renewal, expiry, exit), notice, the exit checklist and closing."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from pacte.audit.models import AuditEvent
from pacte.contracts import lifecycle
from pacte.contracts.models import Contract, ContractStatus, ExitItem, ExitItemKind
from pacte.contracts.selectors import contract_terms_at
from pacte.contracts.tests import helpers
from pacte.core.errors import ConflictError
from pacte.tenancy.models import Client

pytestmark = pytest.mark.django_db

D = datetime.date


def at(day: datetime.date):
    return time_machine.travel(datetime.datetime(day.year, day.month, day.day, 11, tzinfo=datetime.UTC), tick=False)


def fresh(contract: Contract) -> Contract:
    return Contract.objects.get(pk=contract.pk)


# The daily roll ---------------------------------------------------------------------------------------


def test_tacit_renewal_without_a_renewal_term_gives_an_indefinite_term(tenant, seal):
    contract = helpers.active(tenant)  # 1 Jan 2027, 12 months, tacit, no renewal term
    assert lifecycle.contracts_roll(today=D(2027, 12, 31)) == {"renewed": 0, "expired": 0, "exit": 0}
    assert lifecycle.contracts_roll(today=D(2028, 1, 1)) == {"renewed": 1, "expired": 0, "exit": 0}
    contract = fresh(contract)
    assert (contract.status, contract.term_number) == (ContractStatus.ACTIVE, 2)
    assert (contract.term_start, contract.term_end) == (D(2028, 1, 1), None)  # Code civil 1215: indefinite
    # The same terms stay in force in the new term.
    assert contract_terms_at(contract, D(2028, 6, 1)).number == 1
    assert AuditEvent.objects.filter(action="contract.renewed", object_id=str(contract.pk)).count() == 1


def test_tacit_renewal_with_a_renewal_term_chains_terms_and_is_idempotent(tenant, seal):
    contract = helpers.active(tenant, renewal={"kind": "tacit", "renewal_term_months": 12, "notice_months": 2})
    assert lifecycle.contracts_roll(today=D(2028, 1, 1))["renewed"] == 1
    assert lifecycle.contracts_roll(today=D(2028, 1, 1)) == {"renewed": 0, "expired": 0, "exit": 0}
    contract = fresh(contract)
    assert (contract.term_number, contract.term_start, contract.term_end) == (2, D(2028, 1, 1), D(2028, 12, 31))
    # A job that did not run for two years catches up term by term, to the term containing today.
    assert lifecycle.contracts_roll(today=D(2030, 3, 1))["renewed"] == 1
    contract = fresh(contract)
    assert (contract.term_number, contract.term_start, contract.term_end) == (4, D(2030, 1, 1), D(2030, 12, 31))
    assert AuditEvent.objects.filter(action="contract.renewed", object_id=str(contract.pk)).count() == 2


def test_express_renewal_not_done_expires_and_waits_for_its_exit(tenant, seal):
    contract = helpers.active(tenant, renewal={"kind": "express", "notice_months": 0})
    report = lifecycle.contracts_roll(today=D(2028, 1, 1))
    assert report == {"renewed": 0, "expired": 1, "exit": 0}
    assert lifecycle.contracts_roll(today=D(2028, 1, 2)) == {"renewed": 0, "expired": 0, "exit": 0}
    contract = fresh(contract)
    assert (contract.status, contract.end_date) == (ContractStatus.EXPIRED, D(2027, 12, 31))
    assert not contract.exit_items.exists()
    with pytest.raises(ConflictError):
        lifecycle.contract_renew(actor=tenant.manager, contract=contract)
    lifecycle.contract_exit_start(actor=tenant.manager, contract=contract)
    assert fresh(contract).status == ContractStatus.IN_EXIT
    assert contract.exit_items.count() == len(lifecycle.EXIT_CHECKLIST)


def test_express_renewal_recorded_in_time_gives_a_new_term(tenant, seal):
    contract = helpers.active(tenant, renewal={"kind": "express", "notice_months": 0})
    with at(D(2027, 12, 1)):
        lifecycle.contract_renew(actor=tenant.manager, contract=contract, months=24)
    contract = fresh(contract)
    assert (contract.term_number, contract.term_start, contract.term_end) == (2, D(2028, 1, 1), D(2029, 12, 31))
    assert lifecycle.contracts_roll(today=D(2028, 1, 1)) == {"renewed": 0, "expired": 0, "exit": 0}
    with pytest.raises(PermissionDenied):
        lifecycle.contract_renew(actor=tenant.technician, contract=contract)


def test_no_renewal_moves_into_the_exit_with_the_checklist_once(tenant, seal):
    contract = helpers.active(tenant, renewal={"kind": "none", "notice_months": 0})
    assert lifecycle.contracts_roll(today=D(2028, 1, 1)) == {"renewed": 0, "expired": 0, "exit": 1}
    assert lifecycle.contracts_roll(today=D(2028, 1, 1)) == {"renewed": 0, "expired": 0, "exit": 0}
    contract = fresh(contract)
    assert (contract.status, contract.end_date) == (ContractStatus.IN_EXIT, D(2027, 12, 31))
    kinds = list(contract.exit_items.values_list("kind", flat=True))
    assert kinds == [
        ExitItemKind.ACCESSES,
        ExitItemKind.CREDENTIALS,
        ExitItemKind.DATA,
        ExitItemKind.DOCUMENTATION,
        ExitItemKind.AUDIT,
        ExitItemKind.FINAL_INVOICE,
    ]
    assert all(item.mandatory and item.due_on == D(2028, 1, 30) for item in contract.exit_items.all())


def test_notice_given_moves_into_the_exit_after_its_last_day(tenant, seal):
    contract = helpers.active(tenant)
    with at(D(2027, 9, 15)):
        notice = lifecycle.notice_give(
            actor=tenant.manager, contract=contract, given_by="client", received_on=D(2027, 9, 14), channel="email"
        )
    assert (notice.end_date, notice.on_time) == (D(2027, 12, 31), True)
    assert lifecycle.contracts_roll(today=D(2027, 12, 31)) == {"renewed": 0, "expired": 0, "exit": 0}
    assert lifecycle.contracts_roll(today=D(2028, 1, 1)) == {"renewed": 0, "expired": 0, "exit": 1}
    assert lifecycle.contracts_roll(today=D(2028, 1, 2)) == {"renewed": 0, "expired": 0, "exit": 0}
    contract = fresh(contract)
    assert contract.status == ContractStatus.IN_EXIT
    assert contract.exit_items.count() == 6


# Notice ----------------------------------------------------------------------------------------------


def test_notice_on_time_ends_the_contract_at_the_end_of_the_term(tenant, seal):
    contract = helpers.active(tenant)
    with at(D(2027, 10, 31)):  # the refusal deadline itself (a Sunday: it does not move)
        notice = lifecycle.notice_give(
            actor=tenant.manager,
            contract=contract,
            given_by="client",
            received_on=D(2027, 10, 31),
            channel="registered_letter",
            comment="LRAR n° 1A 234",
        )
    assert (notice.on_time, notice.reason, notice.end_date) == (True, "before_refusal_deadline", D(2027, 12, 31))
    assert notice.indemnity_amount == 0
    contract = fresh(contract)
    assert (contract.status, contract.end_date) == (ContractStatus.NOTICE_GIVEN, D(2027, 12, 31))
    assert AuditEvent.objects.filter(action="contract.notice", object_id=str(contract.pk)).count() == 1


def test_late_notice_between_professionals_lets_the_contract_renew(tenant, seal):
    contract = helpers.active(tenant, renewal={"kind": "tacit", "renewal_term_months": 12, "notice_months": 2})
    with at(D(2027, 11, 2)):
        notice = lifecycle.notice_give(
            actor=tenant.manager, contract=contract, given_by="client", received_on=D(2027, 11, 1), channel="email"
        )
    assert (notice.on_time, notice.reason, notice.end_date) == (False, "late_renewed_fixed_term", D(2028, 12, 31))


def test_late_notice_of_a_consumer_without_the_reminder_is_a_free_termination(tenant, seal):
    Client.objects.filter(pk=tenant.client.pk).update(is_professional=False)
    contract = helpers.active(tenant, renewal={"kind": "tacit", "renewal_term_months": 12, "notice_months": 2})
    with at(D(2027, 11, 2)):
        notice = lifecycle.notice_give(
            actor=tenant.manager, contract=contract, given_by="client", received_on=D(2027, 11, 1), channel="email"
        )
    # L215-1: no reminder was sent between 31 Jul and 30 Sep 2027, so the renewal binds nobody.
    assert (notice.on_time, notice.reason, notice.end_date) == (False, "l215_free_termination", D(2027, 12, 31))
    assert notice.indemnity_amount == 0


def test_early_termination_computes_the_indemnity_revisable_by_the_judge(tenant, seal):
    contract = helpers.active(tenant)  # 900 € a month, term 1 Jan–31 Dec 2027
    with at(D(2027, 3, 12)):
        notice = lifecycle.notice_give(
            actor=tenant.manager,
            contract=contract,
            given_by="client",
            received_on=D(2027, 3, 10),
            channel="registered_letter",
            requested_end=D(2027, 6, 30),
        )
    assert (notice.reason, notice.end_date) == ("early_termination", D(2027, 6, 30))
    assert notice.indemnity_amount == Decimal("5400.00")  # July to December: 6 × 900 €
    assert notice.indemnity_detail["revisable_by_judge"] is True
    assert (notice.indemnity_detail["from"], notice.indemnity_detail["to"]) == ("2027-07-01", "2027-12-31")


def test_percentage_of_remaining_fees(tenant, seal):
    contract = helpers.active(tenant, early_termination={"rule": "percentage_of_remaining", "percentage": "50"})
    with at(D(2027, 3, 12)):
        notice = lifecycle.notice_give(
            actor=tenant.manager,
            contract=contract,
            given_by="provider",
            received_on=D(2027, 3, 10),
            channel="hand_delivered",
            requested_end=D(2027, 9, 30),
        )
    assert notice.indemnity_amount == Decimal("1350.00")  # 3 × 900 € × 50 %


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"received_on": D(2027, 3, 13)}, "received_on"),  # in the future
        ({"received_on": D(2026, 12, 1)}, "received_on"),  # before the term
        ({"requested_end": D(2028, 3, 31)}, "requested_end"),  # later than the rule allows
        ({"requested_end": D(2027, 3, 1)}, "requested_end"),  # before the notice
        ({"channel": "pigeon"}, "channel"),
    ],
)
def test_bad_notice_is_refused_and_nothing_changes(tenant, seal, changes, field):
    contract = helpers.active(tenant)
    data = {"given_by": "client", "received_on": D(2027, 3, 10), "channel": "email", **changes}
    with at(D(2027, 3, 12)), pytest.raises(ValidationError) as error:
        lifecycle.notice_give(actor=tenant.manager, contract=contract, **data)
    assert field in error.value.message_dict
    assert fresh(contract).status == ContractStatus.ACTIVE and not contract.notices.exists()


# Exit and closing --------------------------------------------------------------------------------------


def test_exit_blocks_closing_until_mandatory_items_are_done_and_the_client_signs_off(tenant, seal):
    """Done when: the exit checklist blocks closure (service), and closes once complete."""
    contract = helpers.active(tenant, renewal={"kind": "none", "notice_months": 0})
    lifecycle.contracts_roll(today=D(2028, 1, 1))
    items = list(ExitItem.objects.filter(contract=contract))
    with pytest.raises(ConflictError) as error:
        lifecycle.contract_close(actor=tenant.manager, contract=contract)
    assert items[0].label in error.value.message
    with pytest.raises(ConflictError):
        lifecycle.contract_client_signoff(actor=tenant.client_manager, contract=contract)
    with at(D(2028, 1, 10)):
        with pytest.raises(ValidationError) as invalid:
            lifecycle.exit_item_update(actor=tenant.manager, item=items[0], done_on=D(2028, 1, 9))
        assert "evidence_comment" in invalid.value.message_dict
        with pytest.raises(ValidationError):
            lifecycle.exit_item_update(
                actor=tenant.manager, item=items[0], done_on=D(2028, 1, 11), evidence_comment="x"
            )
        with pytest.raises(ValidationError):
            lifecycle.exit_item_update(actor=tenant.manager, item=items[0], owner=tenant.other_client_manager)
        with pytest.raises(PermissionDenied):
            lifecycle.exit_item_update(actor=tenant.technician, item=items[0], evidence_comment="x")
        for item in items[:-1]:
            lifecycle.exit_item_update(
                actor=tenant.manager,
                item=item,
                owner=tenant.client_manager,
                done_on=D(2028, 1, 9),
                evidence_comment="OK",
            )
        with pytest.raises(ConflictError) as error:
            lifecycle.contract_close(actor=tenant.manager, contract=contract)
        assert items[-1].label in error.value.message and items[0].label not in error.value.message
        lifecycle.exit_item_update(actor=tenant.manager, item=items[-1], done_on=D(2028, 1, 9), evidence_comment="F-1")
        with pytest.raises(ConflictError):  # every item done, but no sign-off yet
            lifecycle.contract_close(actor=tenant.manager, contract=contract)
        with pytest.raises(PermissionDenied):
            lifecycle.contract_client_signoff(actor=tenant.client_user, contract=contract)
        lifecycle.contract_client_signoff(actor=tenant.client_manager, contract=contract)
        lifecycle.contract_close(actor=tenant.manager, contract=contract)
    contract = fresh(contract)
    assert contract.status == ContractStatus.CLOSED and contract.closed_at is not None
    with pytest.raises(ConflictError):
        lifecycle.exit_item_update(actor=tenant.manager, item=items[0], evidence_comment="after")
    assert AuditEvent.objects.filter(action="contract.close", object_id=str(contract.pk)).count() == 1


def test_a_consumer_renewed_without_the_reminder_may_leave_at_any_time_in_the_new_term(tenant, seal):
    Client.objects.filter(pk=tenant.client.pk).update(is_professional=False)
    contract = helpers.active(tenant, renewal={"kind": "tacit", "renewal_term_months": 12, "notice_months": 2})
    lifecycle.contracts_roll(today=D(2028, 1, 1))
    contract = fresh(contract)
    assert (contract.term_number, contract.renewed_without_reminder) == (2, True)
    with at(D(2028, 3, 16)):
        notice = lifecycle.notice_give(
            actor=tenant.manager, contract=contract, given_by="client", received_on=D(2028, 3, 15), channel="email"
        )
    # L215-1: the renewal happened without the reminder: free termination, effective the day it is received.
    assert (notice.reason, notice.end_date, notice.indemnity_amount) == ("l215_free_termination", D(2028, 3, 15), 0)


def test_a_consumer_sent_the_reminder_in_its_window_is_bound_by_the_renewal(tenant, seal):
    Client.objects.filter(pk=tenant.client.pk).update(is_professional=False)
    contract = helpers.active(tenant, renewal={"kind": "tacit", "renewal_term_months": 12, "notice_months": 2})
    Contract.objects.filter(pk=contract.pk).update(reminder_sent_on=D(2027, 9, 1))  # window 31 Jul – 30 Sep 2027
    lifecycle.contracts_roll(today=D(2028, 1, 1))
    contract = fresh(contract)
    assert (contract.term_number, contract.renewed_without_reminder, contract.reminder_sent_on) == (2, False, None)
    with at(D(2028, 3, 16)):
        notice = lifecycle.notice_give(
            actor=tenant.manager, contract=contract, given_by="client", received_on=D(2028, 3, 15), channel="email"
        )
    assert (notice.reason, notice.end_date) == ("before_refusal_deadline", D(2028, 12, 31))
