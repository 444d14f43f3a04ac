"""Late-payment penalties, without the database (DOMAIN.md, "Invoices (B2B)", Code de commerce L441-10).

- **Interest** = amount incl. VAT × rate × days late / 365, rounded to the cent (half up). Days late
  count from the day after the due date to the day of payment (or today): paid on the due date is
  0 days late, paid the day after is 1 day late. The year always has 365 days (DOMAIN.md's formula).
- **Rate**: for a professional client, the invoice's ``penalty_rate`` (fixed at issue: ECB rate of
  the due date's half-year + 10 points). For a client that is not a professional, the B2B penalty
  does not apply: interest at the *legal interest rate* (the "other cases" rate, the creditor being a
  professional) of the due date's half-year (:func:`legal_interest_rate`).
- **Indemnity**: 40 € per invoice paid late (no VAT), for professional clients only; never for a
  client that is not a professional.
- **Partial payments**: the interest runs, period by period, on what stayed unpaid. The starting base
  is the amount incl. VAT minus the credit notes and minus the payments received on or before the
  due date; each later payment lowers the base from the day it is received (that day is not
  charged on the amount it paid). The periods' interests are summed exactly and rounded once.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
DAYS_IN_YEAR = Decimal(365)
#: Code de commerce L441-10 and D441-5: per invoice, no VAT.
RECOVERY_INDEMNITY = Decimal("40.00")

#: The legal interest rate, "other cases" (the creditor is a professional), per half-year (arrêtés
#: published in the Journal officiel in June and December). Add the new value each half-year; a
#: later date uses the last known one.
LEGAL_INTEREST_RATES = {
    datetime.date(2024, 1, 1): Decimal("5.07"),
    datetime.date(2024, 7, 1): Decimal("4.92"),
    datetime.date(2025, 1, 1): Decimal("3.71"),
    datetime.date(2025, 7, 1): Decimal("2.76"),
    datetime.date(2026, 1, 1): Decimal("2.62"),
}


def legal_interest_rate(day: datetime.date) -> Decimal:
    """The legal interest rate ("other cases") of ``day``'s half-year (% a year)."""
    semester = datetime.date(day.year, 1 if day.month <= 6 else 7, 1)
    known = [start for start in LEGAL_INTEREST_RATES if start <= semester]
    return LEGAL_INTEREST_RATES[max(known) if known else min(LEGAL_INTEREST_RATES)]


def days_late(due_date: datetime.date, day: datetime.date) -> int:
    """Whole days from the due date to ``day`` (0 on or before the due date)."""
    return max(0, (day - due_date).days)


def interest(amount: Decimal, rate_percent: Decimal, days: int) -> Decimal:
    """``amount × rate × days / 365``, exact (not rounded)."""
    if days <= 0 or amount <= 0:
        return Decimal(0)
    return Decimal(amount) * Decimal(rate_percent) / 100 * days / DAYS_IN_YEAR


def cents(value: Decimal) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Penalty:
    """What a late payment costs the client: interest, the fixed indemnity, their total."""

    days: int
    rate: Decimal
    interest: Decimal
    indemnity: Decimal

    @property
    def total(self) -> Decimal:
        return self.interest + self.indemnity

    @property
    def is_due(self) -> bool:
        return self.total > 0


def late_penalty(
    amount_incl_vat: Decimal,
    rate_percent: Decimal,
    due_date: datetime.date,
    paid_on_or_today: datetime.date,
    *,
    professional: bool = True,
) -> Penalty:
    """The penalty on ``amount_incl_vat`` paid (in one go) on ``paid_on_or_today``.

    1 336.50 € at 12.15 % paid 30 days late: 1 336.50 × 12.15 % × 30 / 365 = 13.3467… → 13.35 €
    interest, + 40.00 € for a professional client.
    """
    return late_penalty_schedule(
        amount_incl_vat,
        rate_percent,
        due_date,
        payments=[(paid_on_or_today, Decimal(amount_incl_vat))],
        until=paid_on_or_today,
        professional=professional,
    )


def late_penalty_schedule(
    amount_incl_vat: Decimal,
    rate_percent: Decimal,
    due_date: datetime.date,
    *,
    payments: Iterable[tuple[datetime.date, Decimal]],
    until: datetime.date,
    credited: Decimal = ZERO,
    professional: bool = True,
) -> Penalty:
    """The penalty of an invoice paid in parts: interest per period on what stayed unpaid, up to ``until``.

    ``payments`` are (day received, amount); those received after ``until`` are not known yet and
    ignored. ``credited`` (credit notes) lowers the base from the start. The indemnity is owed once
    any amount stayed unpaid after the due date.
    """
    rate = Decimal(rate_percent)
    base = Decimal(amount_incl_vat) - Decimal(credited)
    later: list[tuple[datetime.date, Decimal]] = []
    for day, amount in sorted(payments, key=lambda item: item[0]):
        if day > until:
            continue
        if day <= due_date:
            base -= Decimal(amount)
        else:
            later.append((day, Decimal(amount)))
    total = Decimal(0)
    start = due_date
    late = False
    for day, amount in later:
        if base > 0 and day > start:
            total += interest(base, rate, (day - start).days)
            late = True
        base -= amount
        start = max(start, day)
    if base > 0 and until > start:
        total += interest(base, rate, (until - start).days)
        late = True
    return Penalty(
        days=days_late(due_date, until),
        rate=rate,
        interest=cents(total),
        indemnity=RECOVERY_INDEMNITY if professional and late else ZERO,
    )


def penalty_rate_for(*, professional: bool, invoice_rate: Decimal | None, due_date: datetime.date) -> Decimal:
    """The yearly rate to charge: the invoice's B2B rate, or the legal rate for a client that is not a professional."""
    if not professional:
        return legal_interest_rate(due_date)
    if invoice_rate is not None:
        return Decimal(invoice_rate)
    from pacte.billing.snapshot import penalty_rate

    return penalty_rate(due_date)
