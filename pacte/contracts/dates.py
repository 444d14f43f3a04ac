"""Contract dates, pure (no Django, no database, no clock): month arithmetic, terms, renewal, deadlines, notice.

Tested in ``pacte/contracts/tests/test_dates.py``; explained for users in ``docs/contract-rules.md``. All
dates are calendar dates; every "last day" is *inclusive*.

* **Months** (:func:`add_months`): same day of the month, clamped to the month's last day.
* **Terms**: a term of N months ends the day before its :func:`anniversary`, the same date N months later
  (1 Jan 2026 + 12 → 31 Dec 2026); when that month has no such day, the anniversary is the 1st of the next
  month, so the term runs to the month's last day (31 Jan + 1 month → 28 Feb; 29 Feb 2028 + 12 → 28 Feb
  2029). Terms chain from the original start (the *anchor*): no drift, no gap, no overlap.
* **Renewal**: tacit → ``renewal_term_months`` or an indefinite term (Code civil 1214–1215); express →
  only when the parties agree; none → never.
* **Refusal deadline** (the glossary's *notice deadline*) = last day − notice, month rule; it never moves
  for a weekend or a holiday (a warning code says so). **L215-1 reminder** window: from 3 months to
  1 month before the deadline, both days included.
"""

from __future__ import annotations

import calendar
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Final, Literal

ONE_DAY: Final = timedelta(days=1)

RenewalKind = Literal["tacit", "express", "none"]
RENEWAL_KINDS: Final[tuple[RenewalKind, ...]] = ("tacit", "express", "none")


# --- month arithmetic -------------------------------------------------------------------------------


def add_months(day: date, months: int) -> date:
    """``day`` moved by ``months`` (negative allowed), same day of the month clamped to the month's end.

    31 Jan 2026 + 1 → 28 Feb 2026; 31 Jan 2028 + 1 → 29 Feb 2028; 31 Mar 2026 − 1 → 28 Feb 2026.
    Raises ``OverflowError`` outside years 1–9999 (as ``date + timedelta`` does).
    """
    year, month0 = divmod(day.year * 12 + day.month - 1 + months, 12)
    if not 1 <= year <= 9999:
        raise OverflowError("date value out of range")
    return date(year, month0 + 1, min(day.day, calendar.monthrange(year, month0 + 1)[1]))


def anniversary(start: date, months: int) -> date:
    """The same date ``months`` after ``start``; when that month has no such day, the first day of the next month.

    This is where a term of ``months`` starting on ``start`` gives way to the next one, and the date of a
    revision "on the contract anniversary": 1 Jan 2026 + 12 → 1 Jan 2027; 31 Jan 2026 + 1 → 1 Mar 2026
    (no 31 Feb); 29 Feb 2028 + 12 → 1 Mar 2029. Strictly increasing in ``months``.
    """
    target = add_months(start, months)
    return target if target.day == start.day else target + ONE_DAY


def term_last_day(start: date, months: int) -> date:
    """Last day (inclusive) of a term of ``months`` (≥ 1) starting on ``start``: the day before its anniversary.

    1 Jan 2026 + 12 → 31 Dec 2026; 15 Mar 2026 + 24 → 14 Mar 2028; 31 Jan 2026 + 1 → 28 Feb 2026 (the
    month has no 31st: the term runs to its last day); 29 Feb 2028 + 12 → 28 Feb 2029.
    """
    if months < 1:
        raise ValueError("A term lasts at least one month.")
    return anniversary(start, months) - ONE_DAY


# --- notice, renewal, terms ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Notice:
    """A notice period in months *or* in days (both 0: no notice; both > 0 is a ``ValueError``)."""

    months: int = 0
    days: int = 0

    def __post_init__(self) -> None:
        if self.months < 0 or self.days < 0:
            raise ValueError("A notice period is not negative.")
        if self.months and self.days:
            raise ValueError("A notice is given in months or in days, not both.")

    @property
    def is_zero(self) -> bool:
        return not (self.months or self.days)

    def subtract_from(self, day: date) -> date:
        """``day`` minus the notice, by the month rule (28 Feb 2027 − 1 month → 28 Jan 2027)."""
        return add_months(day, -self.months) - timedelta(days=self.days)

    def add_to(self, day: date) -> date:
        """``day`` plus the notice, by the month rule (15 Mar 2026 + 2 months → 15 May 2026)."""
        return add_months(day, self.months) + timedelta(days=self.days)


@dataclass(frozen=True)
class RenewalRule:
    """How a fixed term renews: ``kind``, the renewal term's length (``None``: see :func:`next_term`) and the notice."""

    kind: RenewalKind
    renewal_term_months: int | None = None
    notice: Notice = Notice()

    def __post_init__(self) -> None:
        if self.kind not in RENEWAL_KINDS:
            raise ValueError(f"Unknown renewal kind {self.kind!r}.")
        if self.renewal_term_months is not None and self.renewal_term_months < 1:
            raise ValueError("A renewal term lasts at least one month.")


@dataclass(frozen=True)
class Term:
    """One term of a contract: ``number`` (1 = initial term), ``start`` and ``last_day`` (``None``: indefinite).

    ``months`` (the term's length), ``anchor`` (the contract's original start) and ``anchor_offset_months``
    (months from the anchor to this term's start) let :func:`next_term` chain without drift; terms made by
    :func:`first_term` and :func:`next_term` carry them. A term built by hand without them still chains:
    from ``start`` if ``months`` is known, else from the day after ``last_day`` (the day of the month can
    then drift in the 29th–31st case only).
    """

    number: int
    start: date
    last_day: date | None
    months: int | None = None
    anchor: date | None = None
    anchor_offset_months: int = 0

    def __post_init__(self) -> None:
        if self.number < 1:
            raise ValueError("Terms are numbered from 1.")
        if self.last_day is not None and self.last_day < self.start:
            raise ValueError("A term ends on or after its start.")
        if self.months is not None:
            if self.months < 1 or self.last_day is None:
                raise ValueError("Only a fixed term has a length in months, of at least one month.")
            anchor = self.start if self.anchor is None else self.anchor
            offset = self.anchor_offset_months if self.anchor is not None else 0
            if anniversary(anchor, offset) != self.start or (
                anniversary(anchor, offset + self.months) - ONE_DAY != self.last_day
            ):
                raise ValueError("The term's dates do not match its months from its anchor.")

    @property
    def is_indefinite(self) -> bool:
        return self.last_day is None

    def contains(self, day: date) -> bool:
        return self.start <= day and (self.last_day is None or day <= self.last_day)


def first_term(start: date, duration_months: int | None) -> Term:
    """The initial term: ``duration_months`` long (12, 24…), or indefinite when ``None``."""
    if duration_months is None:
        return Term(1, start, None)
    return Term(1, start, term_last_day(start, duration_months), months=duration_months, anchor=start)


def next_term(term: Term, rule: RenewalRule, *, express_months: int | None = None) -> Term | None:
    """The term that follows ``term`` once renewed (starting the day after its last day), or ``None``.

    * indefinite ``term``, or ``rule.kind == "none"`` → ``None`` (nothing follows);
    * ``"tacit"`` → a term of ``rule.renewal_term_months`` if set, else an *indefinite* term
      (Code civil 1214–1215: same terms, indefinite duration);
    * ``"express"`` (call it when the parties did renew) → ``rule.renewal_term_months`` if set, else
      ``express_months`` (the length the parties agreed), else the same length as ``term``; a
      ``ValueError`` if none is known.
    """
    if term.last_day is None or rule.kind == "none":
        return None
    months = rule.renewal_term_months
    if rule.kind == "express" and months is None:
        months = express_months if express_months is not None else term.months
        if months is None:
            raise ValueError("An express renewal needs its length: pass express_months.")
    start = term.last_day + ONE_DAY
    if months is None:
        return Term(term.number + 1, start, None)
    if term.months is not None:
        anchor = term.start if term.anchor is None else term.anchor
        offset = (term.anchor_offset_months if term.anchor is not None else 0) + term.months
    else:
        anchor, offset = start, 0
    last_day = anniversary(anchor, offset + months) - ONE_DAY
    return Term(term.number + 1, start, last_day, months=months, anchor=anchor, anchor_offset_months=offset)


def iter_terms(start: date, duration_months: int | None, rule: RenewalRule) -> Iterator[Term]:
    """The chain of terms of a contract renewing by ``rule`` (for express: as if renewed each time for the
    same length), from the first; stops after an indefinite term or when ``rule`` does not renew."""
    term: Term | None = first_term(start, duration_months)
    while term is not None:
        yield term
        term = next_term(term, rule)


# --- deadlines ---------------------------------------------------------------------------------------------


def refusal_deadline(last_day: date, notice: Notice) -> date:
    """Last day to refuse the renewal: the term's last day minus the notice, same day of the month.

    31 Dec 2026, 2 months → 31 Oct 2026 (a Saturday: it does not move); 30 Nov 2026, 3 months →
    30 Aug 2026; 28 Feb 2027, 1 month → 28 Jan 2027. No notice → the last day itself.
    """
    return notice.subtract_from(last_day)


def reminder_window(refusal_deadline: date) -> tuple[date, date]:
    """(first, last) day, inclusive, to send the L215-1 reminder: 3 months to 1 month before the deadline.

    31 Oct 2026 → (31 Jul 2026, 30 Sep 2026).
    """
    return add_months(refusal_deadline, -3), add_months(refusal_deadline, -1)


def reminder_missed(refusal_deadline: date, reminder_sent_on: date | None) -> bool:
    """Whether the L215-1 reminder was not sent (``None``) or sent outside its window."""
    if reminder_sent_on is None:
        return True
    first, last = reminder_window(refusal_deadline)
    return not first <= reminder_sent_on <= last


def is_non_working_day(day: date, non_working_days: Collection[date] = ()) -> bool:
    """Saturday, Sunday, or one of ``non_working_days`` (the site's holidays)."""
    return day.weekday() >= 5 or day in non_working_days


@dataclass(frozen=True)
class Deadlines:
    """The dates to watch in one term; ``warnings`` holds machine codes (see :func:`deadlines`)."""

    term_last_day: date | None
    refusal_deadline: date | None
    reminder_window: tuple[date, date] | None
    warnings: tuple[str, ...] = ()


def deadlines(
    term: Term, rule: RenewalRule, *, professional: bool, non_working_days: Collection[date] = ()
) -> Deadlines:
    """The deadlines of ``term`` under ``rule``.

    * ``refusal_deadline``: only for a fixed term renewing tacitly. For an express renewal the parties
      decide by the term's last day (``term_last_day``); with no renewal there is nothing to refuse.
    * ``reminder_window``: only with a refusal deadline and a client not acting as a professional.
    * ``warnings``: ``"refusal_deadline_not_working_day"`` (a Saturday, Sunday or one of
      ``non_working_days``: the deadline does not move, the UI warns); ``"refusal_deadline_before_term_start"``
      (the notice is as long as the term or longer: the renewal can only be refused before the term).
    """
    if term.last_day is None or rule.kind != "tacit":
        return Deadlines(term.last_day, None, None)
    deadline = refusal_deadline(term.last_day, rule.notice)
    warnings: list[str] = []
    if is_non_working_day(deadline, non_working_days):
        warnings.append("refusal_deadline_not_working_day")
    if deadline < term.start:
        warnings.append("refusal_deadline_before_term_start")
    window = None if professional else reminder_window(deadline)
    return Deadlines(term.last_day, deadline, window, tuple(warnings))


# --- notice given ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NoticeEffect:
    """What a notice leads to: the contract's last day (inclusive), whether it met the refusal deadline, why."""

    end_date: date
    on_time: bool
    reason: str


def notice_effect(
    received_on: date,
    term: Term,
    rule: RenewalRule,
    *,
    professional: bool,
    reminder_sent_on: date | None,
    renewed_without_reminder: bool = False,
) -> NoticeEffect:
    """The effect of a notice (termination or refusal to renew) *received* on ``received_on``.

    ``term`` is the term running on ``received_on``; ``reminder_sent_on`` the L215-1 reminder sent for
    *this* term's refusal deadline; ``renewed_without_reminder`` says that this term began by a tacit
    renewal whose reminder was missed (see :func:`reminder_missed`). A notice received *after* a fixed
    term that renewed tacitly may also be checked against that term (the reminder is then the one before
    the renewal); if the renewal gave another fixed term, pass that term instead (``ValueError``).
    ``on_time`` is False only when the notice came after the refusal deadline. Rules, in order
    (reasons in quotes):

    1. Client not acting as a professional (``professional=False``) in a term that began by a tacit
       renewal without its reminder (``renewed_without_reminder``, or the notice checked after the
       renewal against a term whose reminder was missed): free termination at any time — the contract
       ends on ``received_on`` (``"l215_free_termination"``).
    2. Indefinite term: ends on ``received_on`` + the notice, month rule (``"indefinite_term_notice"``);
       a zero notice ends it on ``received_on`` (the contract's notice is the rule; what a *reasonable*
       notice is when none is written is for the parties or a judge to say, Code civil 1211).
    3. Fixed term without renewal (``"term_end_no_renewal"``) or renewing only expressly
       (``"term_end_express_renewal"``): it ends on its last day.
    4. Tacit renewal, received on or before the refusal deadline: ends on the term's last day
       (``"before_refusal_deadline"``).
    5. Late, client not acting as a professional, reminder missed (L215-1): the contract may be ended free
       of charge from the renewal date; ends on the term's last day (``"l215_free_termination"``).
    6. Late otherwise: the contract renews. Next term fixed → it ends on that term's last day
       (``"late_renewed_fixed_term"``); indefinite → on ``received_on`` + the notice, which always falls on
       or after the term's last day (``"late_renewed_indefinite_term"``).
    """
    if received_on < term.start:
        raise ValueError("The notice was received before the term began.")
    consumer = not professional
    notice = rule.notice
    if term.last_day is None:
        if consumer and renewed_without_reminder:
            return NoticeEffect(received_on, True, "l215_free_termination")
        return NoticeEffect(notice.add_to(received_on), True, "indefinite_term_notice")
    if rule.kind != "tacit":
        if received_on > term.last_day:
            raise ValueError("The notice was received after the term ended.")
        reason = "term_end_no_renewal" if rule.kind == "none" else "term_end_express_renewal"
        return NoticeEffect(term.last_day, True, reason)
    deadline = refusal_deadline(term.last_day, notice)
    if received_on > term.last_day:
        if consumer and reminder_missed(deadline, reminder_sent_on):
            return NoticeEffect(received_on, False, "l215_free_termination")
        following = next_term(term, rule)
        if following is None or following.last_day is not None:
            raise ValueError("The notice was received in the next fixed term: pass that term.")
        return NoticeEffect(notice.add_to(received_on), True, "indefinite_term_notice")
    on_time = received_on <= deadline
    if consumer and renewed_without_reminder:
        return NoticeEffect(received_on, on_time, "l215_free_termination")
    if on_time:
        return NoticeEffect(term.last_day, True, "before_refusal_deadline")
    if consumer and reminder_missed(deadline, reminder_sent_on):
        return NoticeEffect(term.last_day, False, "l215_free_termination")
    following = next_term(term, rule)
    assert following is not None  # tacit renewal of a fixed term always gives a term
    if following.last_day is not None:
        return NoticeEffect(following.last_day, False, "late_renewed_fixed_term")
    return NoticeEffect(notice.add_to(received_on), False, "late_renewed_indefinite_term")


# --- validation for forms and services --------------------------------------------------------------------


def validate_dates(
    *,
    start: date | None,
    end: date | None = None,
    duration_months: int | None = None,
    notice_months: int = 0,
    notice_days: int = 0,
    renewal_kind: str | None = None,
    renewal_term_months: int | None = None,
) -> dict[str, str]:
    """Check raw form values; answer field name → message code (empty: valid).

    ``end`` is the initial term's last day, ``duration_months`` its length (either or both; ``None`` for
    both: indefinite). Codes: ``end``: ``end_before_start``, ``end_duration_mismatch``;
    ``duration_months`` / ``renewal_term_months``: ``not_positive``; ``renewal_term_months``:
    ``renewal_term_without_renewal`` (kind ``"none"``); ``notice_months`` / ``notice_days``: ``negative``,
    ``notice_months_and_days`` (on ``notice_days``), ``notice_not_shorter_than_term`` and
    ``notice_not_shorter_than_renewal_term`` (on the field that holds the notice) when the refusal deadline
    would fall before the term's start, e.g. a 12-month term with a 12-month notice.
    """
    errors: dict[str, str] = {}
    if duration_months is not None and duration_months < 1:
        errors["duration_months"] = "not_positive"
    if renewal_term_months is not None:
        if renewal_term_months < 1:
            errors["renewal_term_months"] = "not_positive"
        elif renewal_kind == "none":
            errors["renewal_term_months"] = "renewal_term_without_renewal"
    for field, value in (("notice_months", notice_months), ("notice_days", notice_days)):
        if value < 0:
            errors[field] = "negative"
    if notice_months > 0 and notice_days > 0:
        errors["notice_days"] = "notice_months_and_days"
    if start is None:
        return errors
    last_day = end
    if end is not None and end < start:
        errors["end"] = "end_before_start"
    elif duration_months is not None and "duration_months" not in errors:
        last_day = term_last_day(start, duration_months)
        if end is not None and end != last_day:
            errors["end"] = "end_duration_mismatch"
    if last_day is None or "end" in errors or errors.keys() & {"notice_months", "notice_days"}:
        return errors
    notice = Notice(notice_months, notice_days)
    notice_field = "notice_months" if notice_months else "notice_days"
    term = first_term(start, duration_months) if duration_months is not None else Term(1, start, last_day)
    if refusal_deadline(last_day, notice) < start:
        errors[notice_field] = "notice_not_shorter_than_term"
    elif renewal_kind in ("tacit", "express") and "renewal_term_months" not in errors and renewal_term_months:
        renewed = next_term(term, RenewalRule("tacit", renewal_term_months, notice))
        assert renewed is not None and renewed.last_day is not None
        if refusal_deadline(renewed.last_day, notice) < renewed.start:
            errors[notice_field] = "notice_not_shorter_than_renewal_term"
    return errors
