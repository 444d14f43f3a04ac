"""The pure date rules of contracts (pacte.contracts.dates): the figures of DOMAIN.md, the edge cases, properties."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pacte.contracts.dates import (
    Deadlines,
    Notice,
    NoticeEffect,
    RenewalRule,
    Term,
    add_months,
    anniversary,
    deadlines,
    first_term,
    is_non_working_day,
    iter_terms,
    next_term,
    notice_effect,
    refusal_deadline,
    reminder_missed,
    reminder_window,
    term_last_day,
    validate_dates,
)

D = date
FAST = settings(max_examples=300, deadline=None)
days = st.dates(min_value=D(1900, 1, 1), max_value=D(2400, 12, 31))
TACIT = RenewalRule("tacit", None, Notice(months=2))
TACIT_12 = RenewalRule("tacit", 12, Notice(months=2))


# --- month arithmetic ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (D(2026, 1, 31), 1, D(2026, 2, 28)),
        (D(2028, 1, 31), 1, D(2028, 2, 29)),
        (D(2026, 3, 31), -1, D(2026, 2, 28)),
        (D(2028, 3, 31), -1, D(2028, 2, 29)),
        (D(2026, 1, 15), 25, D(2028, 2, 15)),
        (D(2026, 1, 31), -2, D(2025, 11, 30)),
        (D(2026, 12, 31), 2, D(2027, 2, 28)),
        (D(2026, 5, 31), 1, D(2026, 6, 30)),
        (D(2026, 5, 17), 0, D(2026, 5, 17)),
        (D(2028, 2, 29), 12, D(2029, 2, 28)),
        (D(2028, 2, 29), -48, D(2024, 2, 29)),
    ],
)
def test_add_months(day: date, months: int, expected: date) -> None:
    assert add_months(day, months) == expected


def test_add_months_out_of_range() -> None:
    with pytest.raises(OverflowError):
        add_months(D(9999, 12, 1), 1)
    with pytest.raises(OverflowError):
        add_months(D(1, 1, 1), -1)


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (D(2026, 1, 1), 12, D(2027, 1, 1)),
        (D(2026, 1, 31), 1, D(2026, 3, 1)),
        (D(2028, 1, 31), 1, D(2028, 3, 1)),
        (D(2026, 1, 30), 1, D(2026, 3, 1)),
        (D(2028, 1, 30), 1, D(2028, 3, 1)),  # 30 Feb 2028 does not exist either
        (D(2026, 1, 31), 2, D(2026, 3, 31)),
        (D(2028, 2, 29), 12, D(2029, 3, 1)),
        (D(2028, 2, 29), 48, D(2032, 2, 29)),
    ],
)
def test_anniversary(start: date, months: int, expected: date) -> None:
    assert anniversary(start, months) == expected


# --- term last day ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (D(2026, 1, 1), 12, D(2026, 12, 31)),  # DOMAIN.md
        (D(2026, 1, 1), 24, D(2027, 12, 31)),
        (D(2026, 3, 15), 24, D(2028, 3, 14)),
        (D(2026, 3, 1), 1, D(2026, 3, 31)),
        (D(2026, 2, 1), 1, D(2026, 2, 28)),
        # Decided edge cases: no such day in the anniversary month → the term runs to that month's last day.
        (D(2026, 1, 31), 1, D(2026, 2, 28)),
        (D(2028, 1, 31), 1, D(2028, 2, 29)),
        (D(2026, 1, 30), 1, D(2026, 2, 28)),
        (D(2026, 1, 29), 1, D(2026, 2, 28)),
        (D(2028, 1, 29), 1, D(2028, 2, 28)),  # 29 Feb 2028 exists: the day before it
        (D(2028, 2, 29), 12, D(2029, 2, 28)),
        (D(2026, 3, 31), 1, D(2026, 4, 30)),
        (D(2026, 5, 31), 1, D(2026, 6, 30)),
        (D(2026, 8, 31), 3, D(2026, 11, 30)),
    ],
)
def test_term_last_day(start: date, months: int, expected: date) -> None:
    assert term_last_day(start, months) == expected


@pytest.mark.parametrize("months", [0, -1])
def test_term_last_day_needs_a_month(months: int) -> None:
    with pytest.raises(ValueError):
        term_last_day(D(2026, 1, 1), months)


def _spans(terms: list[Term]) -> list[tuple[date, date | None]]:
    return [(term.start, term.last_day) for term in terms]


def test_monthly_terms_from_31_january_never_drift() -> None:
    terms = [t for t, _ in zip(iter_terms(D(2026, 1, 31), 1, RenewalRule("tacit", 1)), range(7), strict=False)]
    assert _spans(terms) == [
        (D(2026, 1, 31), D(2026, 2, 28)),
        (D(2026, 3, 1), D(2026, 3, 30)),
        (D(2026, 3, 31), D(2026, 4, 30)),
        (D(2026, 5, 1), D(2026, 5, 30)),
        (D(2026, 5, 31), D(2026, 6, 30)),
        (D(2026, 7, 1), D(2026, 7, 30)),
        (D(2026, 7, 31), D(2026, 8, 30)),
    ]
    assert [t.number for t in terms] == list(range(1, 8))


def test_yearly_terms_from_29_february() -> None:
    terms = [t for t, _ in zip(iter_terms(D(2028, 2, 29), 12, RenewalRule("tacit", 12)), range(5), strict=False)]
    assert _spans(terms) == [
        (D(2028, 2, 29), D(2029, 2, 28)),
        (D(2029, 3, 1), D(2030, 2, 28)),
        (D(2030, 3, 1), D(2031, 2, 28)),
        (D(2031, 3, 1), D(2032, 2, 28)),
        (D(2032, 2, 29), D(2033, 2, 28)),
    ]


# --- notice, renewal rule, term ------------------------------------------------------------------------------


def test_notice() -> None:
    assert Notice().is_zero
    assert not Notice(months=2).is_zero
    assert Notice(months=1).subtract_from(D(2027, 2, 28)) == D(2027, 1, 28)
    assert Notice(days=30).subtract_from(D(2026, 12, 31)) == D(2026, 12, 1)
    assert Notice(months=2).add_to(D(2026, 3, 15)) == D(2026, 5, 15)
    assert Notice(months=1).add_to(D(2026, 1, 31)) == D(2026, 2, 28)
    assert Notice(days=10).add_to(D(2026, 12, 25)) == D(2027, 1, 4)
    assert Notice().add_to(D(2026, 3, 15)) == D(2026, 3, 15)


@pytest.mark.parametrize(("months", "days"), [(1, 1), (-1, 0), (0, -5)])
def test_invalid_notice(months: int, days: int) -> None:
    with pytest.raises(ValueError):
        Notice(months, days)


def test_invalid_renewal_rule() -> None:
    with pytest.raises(ValueError):
        RenewalRule("tacit", 0, Notice())
    with pytest.raises(ValueError):
        RenewalRule("automatic", None, Notice())  # type: ignore[arg-type]


def test_invalid_terms() -> None:
    with pytest.raises(ValueError):
        Term(0, D(2026, 1, 1), None)
    with pytest.raises(ValueError):
        Term(1, D(2026, 1, 2), D(2026, 1, 1))
    with pytest.raises(ValueError):
        Term(1, D(2026, 1, 1), D(2026, 6, 30), months=12)  # dates do not match the months
    with pytest.raises(ValueError):
        Term(1, D(2026, 1, 1), None, months=12)
    with pytest.raises(ValueError):
        Term(2, D(2026, 3, 1), D(2026, 3, 31), months=1, anchor=D(2026, 1, 31), anchor_offset_months=1)
    assert Term(2, D(2026, 3, 1), D(2026, 3, 30), months=1, anchor=D(2026, 1, 31), anchor_offset_months=1)


def test_first_term() -> None:
    term = first_term(D(2026, 1, 1), 12)
    assert (term.number, term.start, term.last_day, term.months) == (1, D(2026, 1, 1), D(2026, 12, 31), 12)
    assert not term.is_indefinite and term.contains(D(2026, 12, 31)) and not term.contains(D(2027, 1, 1))
    indefinite = first_term(D(2026, 1, 1), None)
    assert indefinite.is_indefinite and indefinite.contains(D(2126, 1, 1))


def test_tacit_renewal_without_renewal_term_gives_an_indefinite_term() -> None:
    following = next_term(first_term(D(2026, 1, 1), 12), TACIT)
    assert following == Term(2, D(2027, 1, 1), None)
    assert following is not None and next_term(following, TACIT) is None


def test_tacit_renewal_with_a_renewal_term() -> None:
    first = first_term(D(2026, 1, 1), 24)
    second = next_term(first, TACIT_12)
    assert second is not None and (second.number, second.start, second.last_day) == (2, D(2028, 1, 1), D(2028, 12, 31))
    third = next_term(second, TACIT_12)
    assert third is not None and (third.start, third.last_day) == (D(2029, 1, 1), D(2029, 12, 31))


def test_express_renewal() -> None:
    first = first_term(D(2026, 1, 1), 24)
    with_term = next_term(first, RenewalRule("express", 12, Notice()))
    assert with_term is not None and with_term.last_day == D(2028, 12, 31)
    agreed = next_term(first, RenewalRule("express", None, Notice()), express_months=6)
    assert agreed is not None and agreed.last_day == D(2028, 6, 30)
    same = next_term(first, RenewalRule("express", None, Notice()))
    assert same is not None and same.last_day == D(2029, 12, 31)
    with pytest.raises(ValueError):
        next_term(Term(1, D(2026, 1, 1), D(2026, 12, 31)), RenewalRule("express", None, Notice()))


def test_no_renewal_and_indefinite_terms_have_no_next_term() -> None:
    assert next_term(first_term(D(2026, 1, 1), 12), RenewalRule("none", None, Notice())) is None
    assert next_term(first_term(D(2026, 1, 1), None), TACIT_12) is None
    assert list(iter_terms(D(2026, 1, 1), 12, RenewalRule("none"))) == [first_term(D(2026, 1, 1), 12)]


def test_hand_built_terms_still_chain() -> None:
    # months known: chained from the term's own start.
    known = next_term(Term(3, D(2026, 1, 31), D(2026, 2, 28), months=1), RenewalRule("tacit", 1))
    assert known is not None and (known.number, known.start, known.last_day) == (4, D(2026, 3, 1), D(2026, 3, 30))
    # months unknown: chained from the day after the last day.
    unknown = next_term(Term(2, D(2026, 3, 1), D(2026, 3, 30)), RenewalRule("tacit", 1))
    assert unknown is not None and (unknown.start, unknown.last_day) == (D(2026, 3, 31), D(2026, 4, 30))


# --- deadlines ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("last_day", "notice", "expected"),
    [
        (D(2026, 12, 31), Notice(months=2), D(2026, 10, 31)),  # DOMAIN.md (a Saturday: it does not move)
        (D(2026, 11, 30), Notice(months=3), D(2026, 8, 30)),
        (D(2027, 2, 28), Notice(months=1), D(2027, 1, 28)),
        (D(2026, 4, 30), Notice(months=2), D(2026, 2, 28)),
        (D(2026, 12, 31), Notice(days=30), D(2026, 12, 1)),
        (D(2026, 12, 31), Notice(), D(2026, 12, 31)),
    ],
)
def test_refusal_deadline(last_day: date, notice: Notice, expected: date) -> None:
    assert refusal_deadline(last_day, notice) == expected


def test_reminder_window() -> None:
    assert reminder_window(D(2026, 10, 31)) == (D(2026, 7, 31), D(2026, 9, 30))  # DOMAIN.md
    assert reminder_window(D(2027, 1, 28)) == (D(2026, 10, 28), D(2026, 12, 28))


@pytest.mark.parametrize(
    ("sent_on", "missed"),
    [(None, True), (D(2026, 7, 30), True), (D(2026, 7, 31), False), (D(2026, 9, 30), False), (D(2026, 10, 1), True)],
)
def test_reminder_missed(sent_on: date | None, missed: bool) -> None:
    assert reminder_missed(D(2026, 10, 31), sent_on) is missed


def test_deadlines_tacit_professional() -> None:
    result = deadlines(first_term(D(2026, 1, 1), 12), TACIT, professional=True)
    assert result == Deadlines(D(2026, 12, 31), D(2026, 10, 31), None, ("refusal_deadline_not_working_day",))


def test_deadlines_tacit_not_professional() -> None:
    term = first_term(D(2025, 12, 1), 12)  # last day 30 Nov 2026, notice 3 months → Sunday 30 Aug 2026
    result = deadlines(term, RenewalRule("tacit", None, Notice(months=3)), professional=False)
    assert result.refusal_deadline == D(2026, 8, 30)
    assert result.reminder_window == (D(2026, 5, 30), D(2026, 7, 30))
    assert result.warnings == ("refusal_deadline_not_working_day",)


def test_deadlines_holiday_warning_comes_from_the_site() -> None:
    term = Term(1, D(2026, 1, 1), D(2026, 12, 11))  # 11 Dec − 1 month → Wednesday 11 Nov 2026, Armistice
    rule = RenewalRule("tacit", None, Notice(months=1))
    assert deadlines(term, rule, professional=True).warnings == ()
    with_holiday = deadlines(term, rule, professional=True, non_working_days={D(2026, 11, 11)})
    assert with_holiday.refusal_deadline == D(2026, 11, 11)
    assert with_holiday.warnings == ("refusal_deadline_not_working_day",)


def test_deadlines_express_none_indefinite() -> None:
    term = first_term(D(2026, 1, 1), 12)
    express = deadlines(term, RenewalRule("express", 12, Notice(months=2)), professional=False)
    assert express == Deadlines(D(2026, 12, 31), None, None)
    assert deadlines(term, RenewalRule("none", None, Notice()), professional=False) == Deadlines(
        D(2026, 12, 31), None, None
    )
    assert deadlines(first_term(D(2026, 1, 1), None), TACIT, professional=False) == Deadlines(None, None, None)


def test_deadlines_notice_as_long_as_the_term() -> None:
    result = deadlines(first_term(D(2026, 2, 1), 1), RenewalRule("tacit", 1, Notice(months=1)), professional=True)
    assert result.refusal_deadline == D(2026, 1, 28)
    assert "refusal_deadline_before_term_start" in result.warnings


def test_is_non_working_day() -> None:
    assert is_non_working_day(D(2026, 10, 31)) and is_non_working_day(D(2026, 11, 1))
    assert not is_non_working_day(D(2026, 11, 2))
    assert is_non_working_day(D(2026, 11, 11), {D(2026, 11, 11)})


# --- notice given -------------------------------------------------------------------------------------------

TERM_2026 = first_term(D(2026, 1, 1), 12)  # refusal deadline 31 Oct 2026 with a 2-month notice


def _effect(received_on: date, term: Term = TERM_2026, rule: RenewalRule = TACIT, **kwargs: object) -> NoticeEffect:
    options: dict[str, object] = {"professional": True, "reminder_sent_on": None, **kwargs}
    return notice_effect(received_on, term, rule, **options)  # type: ignore[arg-type]


def test_notice_on_time_ends_at_term_end() -> None:
    assert _effect(D(2026, 10, 31)) == NoticeEffect(D(2026, 12, 31), True, "before_refusal_deadline")
    assert _effect(D(2026, 1, 1)) == NoticeEffect(D(2026, 12, 31), True, "before_refusal_deadline")


def test_late_notice_renews_into_an_indefinite_term() -> None:
    assert _effect(D(2026, 11, 1)) == NoticeEffect(D(2027, 1, 1), False, "late_renewed_indefinite_term")
    assert _effect(D(2026, 12, 15)) == NoticeEffect(D(2027, 2, 15), False, "late_renewed_indefinite_term")


def test_late_notice_with_a_clamped_notice_end_stays_at_the_term_end() -> None:
    term = Term(1, D(2026, 3, 1), D(2027, 2, 28))
    rule = RenewalRule("tacit", None, Notice(months=1))  # deadline 28 Jan 2027
    assert _effect(D(2027, 1, 29), term, rule) == NoticeEffect(D(2027, 2, 28), False, "late_renewed_indefinite_term")


def test_late_notice_renews_for_the_renewal_term() -> None:
    assert _effect(D(2026, 11, 2), rule=TACIT_12) == NoticeEffect(D(2027, 12, 31), False, "late_renewed_fixed_term")


def test_notice_in_an_indefinite_term() -> None:
    term = Term(2, D(2027, 1, 1), None)
    assert _effect(D(2027, 3, 15), term) == NoticeEffect(D(2027, 5, 15), True, "indefinite_term_notice")
    no_notice = RenewalRule("tacit", None, Notice())
    assert _effect(D(2027, 3, 15), term, no_notice) == NoticeEffect(D(2027, 3, 15), True, "indefinite_term_notice")
    days = RenewalRule("tacit", None, Notice(days=45))
    assert _effect(D(2027, 3, 15), term, days).end_date == D(2027, 4, 29)


def test_notice_without_tacit_renewal_ends_at_term_end() -> None:
    none, express = RenewalRule("none", None, Notice()), RenewalRule("express", None, Notice(months=2))
    assert _effect(D(2026, 12, 1), rule=none) == NoticeEffect(D(2026, 12, 31), True, "term_end_no_renewal")
    assert _effect(D(2026, 12, 1), rule=express) == NoticeEffect(D(2026, 12, 31), True, "term_end_express_renewal")
    with pytest.raises(ValueError):
        _effect(D(2027, 1, 5), rule=none)


def test_l215_late_notice_without_reminder_ends_at_term_end() -> None:
    for sent_on in (None, D(2026, 7, 1), D(2026, 10, 15)):
        effect = _effect(D(2026, 11, 15), professional=False, reminder_sent_on=sent_on)
        assert effect == NoticeEffect(D(2026, 12, 31), False, "l215_free_termination")


def test_l215_reminder_sent_in_the_window_renews() -> None:
    effect = _effect(D(2026, 11, 15), professional=False, reminder_sent_on=D(2026, 9, 1))
    assert effect == NoticeEffect(D(2027, 1, 15), False, "late_renewed_indefinite_term")
    # A professional client gets no reminder: the contract renews.
    assert _effect(D(2026, 11, 15)).reason == "late_renewed_indefinite_term"


def test_l215_free_termination_after_the_renewal() -> None:
    # Checked against the renewed term, received after its end:
    effect = _effect(D(2027, 3, 10), professional=False, reminder_sent_on=None)
    assert effect == NoticeEffect(D(2027, 3, 10), False, "l215_free_termination")
    # … or against the running term, flagged as renewed without its reminder:
    fixed = next_term(TERM_2026, TACIT_12)
    assert fixed is not None
    effect = _effect(D(2027, 3, 10), fixed, TACIT_12, professional=False, renewed_without_reminder=True)
    assert effect == NoticeEffect(D(2027, 3, 10), True, "l215_free_termination")
    indefinite = Term(2, D(2027, 1, 1), None)
    effect = _effect(D(2027, 3, 10), indefinite, professional=False, renewed_without_reminder=True)
    assert effect == NoticeEffect(D(2027, 3, 10), True, "l215_free_termination")
    # The flag means nothing for a professional client.
    assert _effect(D(2027, 3, 10), indefinite, renewed_without_reminder=True).reason == "indefinite_term_notice"


def test_notice_after_the_term_with_reminder_sent() -> None:
    effect = _effect(D(2027, 3, 10), professional=False, reminder_sent_on=D(2026, 8, 1))
    assert effect == NoticeEffect(D(2027, 5, 10), True, "indefinite_term_notice")
    with pytest.raises(ValueError):  # renewed into another fixed term: pass that term
        _effect(D(2027, 3, 10), rule=TACIT_12)


def test_notice_before_the_term() -> None:
    with pytest.raises(ValueError):
        _effect(D(2025, 12, 31))


# --- validation -------------------------------------------------------------------------------------------


def test_validate_dates_valid() -> None:
    assert validate_dates(start=D(2026, 1, 1), duration_months=12, notice_months=2, renewal_kind="tacit") == {}
    assert validate_dates(start=D(2026, 1, 1), end=D(2026, 12, 31), duration_months=12) == {}
    assert validate_dates(start=D(2026, 1, 1)) == {}
    assert validate_dates(start=None, notice_months=2) == {}
    assert validate_dates(start=D(2026, 1, 1), duration_months=12, notice_months=11) == {}


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({"end": D(2025, 12, 31)}, {"end": "end_before_start"}),
        ({"end": D(2026, 12, 30), "duration_months": 12}, {"end": "end_duration_mismatch"}),
        ({"duration_months": 0}, {"duration_months": "not_positive"}),
        ({"duration_months": 12, "notice_months": 12}, {"notice_months": "notice_not_shorter_than_term"}),
        ({"duration_months": 12, "notice_months": 13}, {"notice_months": "notice_not_shorter_than_term"}),
        ({"end": D(2026, 12, 31), "notice_days": 365}, {"notice_days": "notice_not_shorter_than_term"}),
        ({"duration_months": 12, "notice_months": 2, "notice_days": 10}, {"notice_days": "notice_months_and_days"}),
        ({"notice_months": -1}, {"notice_months": "negative"}),
        ({"renewal_kind": "tacit", "renewal_term_months": 0}, {"renewal_term_months": "not_positive"}),
        ({"renewal_kind": "none", "renewal_term_months": 12}, {"renewal_term_months": "renewal_term_without_renewal"}),
        (
            {"duration_months": 12, "notice_months": 3, "renewal_kind": "tacit", "renewal_term_months": 3},
            {"notice_months": "notice_not_shorter_than_renewal_term"},
        ),
    ],
)
def test_validate_dates_errors(values: dict[str, object], expected: dict[str, str]) -> None:
    assert validate_dates(start=D(2026, 1, 1), **values) == expected  # type: ignore[arg-type]


def test_validate_dates_notice_just_shorter_than_the_term() -> None:
    assert validate_dates(start=D(2026, 1, 1), end=D(2026, 12, 31), notice_days=364) == {}


# --- properties -----------------------------------------------------------------------------------------


@FAST
@given(days, st.integers(-600, 600))
def test_add_months_round_trip(day: date, months: int) -> None:
    moved = add_months(day, months)
    assert (moved.year * 12 + moved.month) - (day.year * 12 + day.month) == months
    assert moved.day <= day.day
    back = add_months(moved, -months)
    assert back <= day
    if day.day <= 28:
        assert back == day


@FAST
@given(days, st.integers(1, 120))
def test_anniversary_and_last_day(start: date, months: int) -> None:
    assert anniversary(start, months) < anniversary(start, months + 1)
    last = term_last_day(start, months)
    assert start <= last
    nxt = last + timedelta(days=1)
    # A term ends the day before the same date, or on the last day of a month without that date.
    assert nxt.day == start.day or (nxt.day == 1 and start.day > 28)


@FAST
@given(days, st.integers(1, 36), st.none() | st.integers(1, 36), st.integers(1, 12))
def test_terms_chain_with_no_gap_no_overlap_no_drift(
    start: date, duration: int, renewal: int | None, count: int
) -> None:
    rule = RenewalRule("tacit", renewal, Notice(months=1))
    terms = [t for t, _ in zip(iter_terms(start, duration, rule), range(count), strict=False)]
    assert terms[0].start == start
    months = 0
    for index, term in enumerate(terms):
        assert term.number == index + 1
        if index:
            previous_last = terms[index - 1].last_day
            assert previous_last is not None and term.start == previous_last + timedelta(days=1)
        if term.last_day is None:
            assert renewal is None and index == 1 and term is terms[-1]
        else:
            assert term.start <= term.last_day
            months += duration if index == 0 else renewal  # type: ignore[operator]
            assert term.last_day == anniversary(start, months) - timedelta(days=1)


@FAST
@given(days, st.integers(1, 36), st.integers(0, 11), st.booleans())
def test_deadline_and_window_order(start: date, duration: int, notice: int, in_days: bool) -> None:
    term = first_term(start, duration)
    assert term.last_day is not None
    rule = RenewalRule("tacit", None, Notice(days=notice * 30) if in_days else Notice(months=notice))
    result = deadlines(term, rule, professional=False)
    assert result.refusal_deadline is not None and result.reminder_window is not None
    assert result.refusal_deadline <= term.last_day
    first, last = result.reminder_window
    assert first <= last < result.refusal_deadline
    assert ("refusal_deadline_not_working_day" in result.warnings) == (result.refusal_deadline.weekday() >= 5)


@FAST
@given(
    days,
    st.integers(1, 36),
    st.integers(0, 6),
    st.none() | st.integers(1, 24),
    st.integers(0, 800),
    st.booleans(),
    st.none() | st.integers(-150, 0),
)
def test_notice_effect_properties(
    start: date, duration: int, notice: int, renewal: int | None, offset: int, professional: bool, sent: int | None
) -> None:
    term = first_term(start, duration)
    assert term.last_day is not None
    rule = RenewalRule("tacit", renewal, Notice(months=notice))
    received = min(start + timedelta(days=offset), term.last_day)
    deadline = refusal_deadline(term.last_day, rule.notice)
    sent_on = None if sent is None else deadline + timedelta(days=sent)
    effect = notice_effect(received, term, rule, professional=professional, reminder_sent_on=sent_on)
    assert effect.end_date >= received
    assert effect.on_time == (received <= deadline)
    if effect.on_time:
        assert effect.end_date == term.last_day
    else:
        assert effect.end_date >= term.last_day
        assert (effect.reason == "l215_free_termination") == (not professional and reminder_missed(deadline, sent_on))
