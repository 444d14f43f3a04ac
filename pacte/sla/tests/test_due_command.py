"""``pacte sla due``: every grammar rule of issue 4, every kind of bad line, the order and the exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from pacte.cli import main
from pacte.sla.due import DueCalculator, due_lines

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")
OFFICE = {
    "timezone": "Europe/Paris",
    "week": {**{d: [["08:00", "18:00"]] for d in WEEKDAYS}, "sat": [], "sun": []},
    "holidays": {"country": "FR", "subdiv": None},
}
ROOT = Path(__file__).resolve().parents[3]


def line(**fields: Any) -> dict[str, Any]:
    record = {"id": "x", "calendar": OFFICE, "start": "2026-03-27T16:30:00Z", "business_seconds": 36000}
    record.update(fields)
    return record


def due(**fields: Any) -> dict[str, Any]:
    return DueCalculator().line(json.dumps(line(**fields)))


def every_day(*windows: list[str], tz: str = "Europe/Paris") -> dict[str, Any]:
    return {"timezone": tz, "week": {d: list(windows) for d in (*WEEKDAYS, "sat", "sun")}}


# The grammar ---------------------------------------------------------------------------------------


def test_the_example_of_the_issue() -> None:
    # Friday 17:30 (CET) + 10 business hours: 30 min on Friday, then Monday 08:00–17:30 (CEST).
    assert due() == {"id": "x", "due": "2026-03-30T15:30:00Z"}


def test_a_window_that_ends_before_it_starts_runs_into_the_next_day() -> None:
    nights = every_day(["22:00", "06:00"])
    assert due(calendar=nights, start="2026-01-14T20:00:00Z", business_seconds=8 * 3600) == {
        "id": "x",
        "due": "2026-01-15T05:00:00Z",
    }
    assert due(calendar=nights, start="2026-01-14T20:00:00Z", business_seconds=9 * 3600) == {
        "id": "x",
        "due": "2026-01-15T22:00:00Z",
    }


def test_24_00_is_allowed_as_an_end_only() -> None:
    evenings = every_day(["20:00", "24:00"])
    assert due(calendar=evenings, start="2026-01-14T12:00:00Z", business_seconds=4 * 3600) == {
        "id": "x",
        "due": "2026-01-14T23:00:00Z",
    }
    assert due(calendar=every_day(["24:00", "06:00"]))["error"] == (
        "calendar: window edge '24:00' is not a time of day (24:00 only as an end)"
    )


def test_a_window_edge_in_the_spring_forward_gap_moves_to_the_first_instant_that_exists() -> None:
    # 29 March 2026: 02:00 → 03:00 in Paris; a window opening at 02:30 opens at 03:00 CEST = 01:00 UTC.
    calendar = {"timezone": "Europe/Paris", "week": {"sun": [["02:30", "04:00"]]}}
    assert due(calendar=calendar, start="2026-03-29T00:00:00Z", business_seconds=1800) == {
        "id": "x",
        "due": "2026-03-29T01:30:00Z",
    }


def test_a_window_edge_that_happens_twice_on_the_fall_back_day_takes_the_first() -> None:
    # 25 October 2026: 03:00 → 02:00 in Paris; 02:30 first happens at 00:30 UTC; 03:30 CET is 02:30 UTC.
    calendar = {"timezone": "Europe/Paris", "week": {"sun": [["02:30", "03:30"]]}}
    start = "2026-10-25T00:00:00Z"
    assert due(calendar=calendar, start=start, business_seconds=3600)["due"] == "2026-10-25T01:30:00Z"
    assert due(calendar=calendar, start=start, business_seconds=7200)["due"] == "2026-10-25T02:30:00Z"


def test_overlapping_pauses_are_merged() -> None:
    # Monday 30 March 08:00–18:00 CEST = 06:00–16:00 UTC.
    start = "2026-03-30T06:00:00Z"
    merged = due(start=start, business_seconds=3600, pauses=[["2026-03-30T06:30:00Z", "2026-03-30T08:00:00Z"]])
    overlapping = due(
        start=start,
        business_seconds=3600,
        pauses=[
            ["2026-03-30T07:00:00Z", "2026-03-30T08:00:00Z"],
            ["2026-03-30T06:30:00Z", "2026-03-30T07:30:00Z"],
            ["2026-03-30T07:10:00Z", "2026-03-30T07:20:00Z"],
        ],
    )
    assert merged == overlapping == {"id": "x", "due": "2026-03-30T08:30:00Z"}


def test_a_pause_before_the_start_is_clipped() -> None:
    result = due(
        start="2026-03-30T06:00:00Z",
        business_seconds=3600,
        pauses=[["2026-03-27T06:00:00Z", "2026-03-30T06:15:00Z"]],  # from the Friday before
    )
    assert result == {"id": "x", "due": "2026-03-30T07:15:00Z"}


def test_a_pause_with_no_end() -> None:
    start = "2026-03-30T06:00:00Z"  # due 07:00 without pauses
    before = due(start=start, business_seconds=3600, pauses=[["2026-03-30T06:59:59Z", None]])
    assert before == {"id": "x", "due": None, "state": "paused"}
    at_due = due(start=start, business_seconds=3600, pauses=[["2026-03-30T07:00:00Z", None]])
    assert at_due == {"id": "x", "due": "2026-03-30T07:00:00Z"}
    after = due(start=start, business_seconds=3600, pauses=[["2026-03-30T09:00:00Z", None]])
    assert after == {"id": "x", "due": "2026-03-30T07:00:00Z"}
    before_start = due(start=start, business_seconds=3600, pauses=[["2026-03-01T00:00:00Z", None]])
    assert before_start == {"id": "x", "due": None, "state": "paused"}
    # A closed pause that touches the open one extends it backwards (merged): paused from 06:30.
    touching = due(
        start=start,
        business_seconds=3600,
        pauses=[["2026-03-30T06:30:00Z", "2026-03-30T08:00:00Z"], ["2026-03-30T08:00:00Z", None]],
    )
    assert touching == {"id": "x", "due": None, "state": "paused"}
    # next_open: a due instant at which the open pause begins would roll past a pause that never ends.
    rolled = due(start=start, business_seconds=3600, at_close="next_open", pauses=[["2026-03-30T07:00:00Z", None]])
    assert rolled == {"id": "x", "due": None, "state": "paused"}


def test_a_target_of_zero_gives_the_start_itself() -> None:
    saturday_night = "2026-03-28T23:12:34Z"
    for convention in ("stay", "next_open"):
        assert due(start=saturday_night, business_seconds=0, at_close=convention) == {"id": "x", "due": saturday_night}
    assert due(start="2026-03-28T23:12:34+02:00", business_seconds=0) == {"id": "x", "due": "2026-03-28T21:12:34Z"}


def test_at_close_next_open_moves_a_window_end_to_the_next_window_start() -> None:
    start = "2026-03-30T06:00:00Z"  # Monday 08:00 CEST
    assert due(start=start, business_seconds=36000) == {"id": "x", "due": "2026-03-30T16:00:00Z"}
    assert due(start=start, business_seconds=36000, at_close="next_open") == {"id": "x", "due": "2026-03-31T06:00:00Z"}
    assert due(start=start, business_seconds=35999, at_close="next_open") == {"id": "x", "due": "2026-03-30T15:59:59Z"}


def test_holidays_as_dates_or_as_a_region() -> None:
    start = "2026-05-07T14:00:00Z"  # Thursday 16:00 CEST; Friday 8 May is a holiday
    assert due(start=start, business_seconds=4 * 3600)["due"] == "2026-05-11T08:00:00Z"
    dates = {**OFFICE, "holidays": ["2026-05-08"]}
    assert due(calendar=dates, start=start, business_seconds=4 * 3600)["due"] == "2026-05-11T08:00:00Z"
    no_holidays = {k: v for k, v in OFFICE.items() if k != "holidays"}
    assert due(calendar=no_holidays, start=start, business_seconds=4 * 3600)["due"] == "2026-05-08T08:00:00Z"
    # Alsace-Moselle: Good Friday, 3 April 2026.
    moselle = {**OFFICE, "holidays": {"country": "FR", "subdiv": "57"}}
    thursday = "2026-04-02T14:00:00Z"
    assert due(start=thursday, business_seconds=4 * 3600)["due"] == "2026-04-03T08:00:00Z"
    assert due(calendar=moselle, start=thursday, business_seconds=4 * 3600)["due"] == "2026-04-07T08:00:00Z"


def test_a_calendar_with_no_open_time_is_an_error_line() -> None:
    closed = {"timezone": "Europe/Paris", "week": {d: [] for d in (*WEEKDAYS, "sat", "sun")}}
    assert due(calendar=closed) == {"id": "x", "error": "calendar: the calendar has no open time at all"}


def test_a_200_hour_target_and_a_24x7_calendar() -> None:
    # 30 min on Friday, 19 ten-hour days (Easter Monday skipped), then 9.5 h on Monday 27 April.
    assert due(business_seconds=200 * 3600)["due"] == "2026-04-27T15:30:00Z"
    always = every_day(["00:00", "24:00"], tz="UTC")
    assert due(calendar=always, business_seconds=3 * 86400) == {"id": "x", "due": "2026-03-30T16:30:00Z"}


# Bad lines -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("not json", {"id": None, "error": "not JSON: Expecting value: line 1 column 1 (char 0)"}),
        ('["a list"]', {"id": None, "error": "a line is a JSON object"}),
        ('{"calendar": {}}', {"id": None, "error": "id: a string is required"}),
        ('{"id": 7}', {"id": None, "error": "id: a string is required"}),
        (
            '{"id": "x", "business_seconds": NaN}',
            {"id": None, "error": "NaN is not a JSON number this command accepts"},
        ),
    ],
)
def test_unreadable_lines_have_a_null_id(raw: str, expected: dict[str, Any]) -> None:
    assert DueCalculator().line(raw) == expected


def test_a_line_that_is_not_utf8() -> None:
    assert DueCalculator().line(b'{"id": "\xff"}') == {"id": None, "error": "the line is not UTF-8"}


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"colour": "red"}, "line: unknown key(s) colour"),
        ({"start": None}, "start: an ISO 8601 instant string is required"),
        ({"start": "2026-03-27 16:30"}, "start: '2026-03-27 16:30' has no UTC offset (add Z or +02:00)"),
        ({"start": "yesterday"}, "start: 'yesterday' is not an ISO 8601 instant"),
        ({"business_seconds": -1}, "business_seconds: a whole number of seconds >= 0 is required"),
        ({"business_seconds": 3600.0}, "business_seconds: a whole number of seconds >= 0 is required"),
        ({"business_seconds": True}, "business_seconds: a whole number of seconds >= 0 is required"),
        ({"business_seconds": "3600"}, "business_seconds: a whole number of seconds >= 0 is required"),
        ({"business_seconds": 2**60}, "business_seconds: a whole number of seconds >= 0 is required"),
        ({"business_seconds": 2**50}, "business_seconds: the due instant is beyond the year 9997"),
        ({"at_close": "later"}, 'at_close: "stay" or "next_open" is required'),
        ({"calendar": []}, "calendar: an object is required"),
        ({"calendar": {**OFFICE, "zone": "UTC"}}, "calendar: unknown key(s) zone"),
        ({"calendar": {**OFFICE, "timezone": "Europe/Lyon"}}, "calendar: unknown time zone 'Europe/Lyon'"),
        ({"calendar": {**OFFICE, "timezone": 1}}, "calendar.timezone: an IANA time zone name is required"),
        (
            {"calendar": {**OFFICE, "week": []}},
            'calendar.week: an object such as {"mon": [["08:00", "18:00"]]} is required',
        ),
        ({"calendar": {**OFFICE, "week": {"monday": []}}}, "calendar.week: unknown day(s) monday (mon, tue, … sun)"),
        ({"calendar": {**OFFICE, "week": {"mon": "08:00-18:00"}}}, "calendar.week.mon: a list of windows is required"),
        (
            {"calendar": {**OFFICE, "week": {"mon": [["08:00"]]}}},
            'calendar.week.mon[0]: a window is ["HH:MM", "HH:MM"]',
        ),
        (
            {"calendar": {**OFFICE, "week": {"mon": [["8:00", "18:00"]]}}},
            "calendar: window edge '8:00' is not HH:MM or HH:MM:SS",
        ),
        (
            {"calendar": {**OFFICE, "week": {"mon": [["08:00", "08:00"]]}}},
            "calendar: a window's start and end must differ (use 00:00–24:00 for a whole day)",
        ),
        (
            {"calendar": {**OFFICE, "week": {"mon": [["08:60", "18:00"]]}}},
            "calendar: window edge '08:60' is not a time of day (24:00 only as an end)",
        ),
        ({"calendar": {**OFFICE, "holidays": ["1 May"]}}, "calendar.holidays[0]: a date YYYY-MM-DD is required"),
        ({"calendar": {**OFFICE, "holidays": ["2026-02-30"]}}, "calendar.holidays[0]: '2026-02-30' is not a date"),
        (
            {"calendar": {**OFFICE, "holidays": "FR"}},
            "calendar.holidays: a list of dates or a region object is required",
        ),
        (
            {"calendar": {**OFFICE, "holidays": {"country": "FR", "region": "57"}}},
            "calendar.holidays: unknown key(s) region",
        ),
        (
            {"calendar": {**OFFICE, "holidays": {"subdiv": "57"}}},
            'calendar.holidays: {"country": "FR", "subdiv": "57" or null} is required',
        ),
        (
            {"calendar": {**OFFICE, "holidays": {"country": "FR", "subdiv": "99"}}},
            "calendar.holidays: unknown region FR/99",
        ),
        ({"calendar": {**OFFICE, "holidays": {"country": "ZZ"}}}, "calendar.holidays: unknown region ZZ/None"),
        ({"pauses": {}}, "pauses: a list of [start, end] pairs is required"),
        ({"pauses": [["2026-03-30T06:00:00Z"]]}, "pauses[0]: a pause is [start, end] (end null when it has not ended)"),
        ({"pauses": [[None, "2026-03-30T06:00:00Z"]]}, "pauses[0][0]: an ISO 8601 instant string is required"),
        ({"pauses": [["2026-03-30T07:00:00Z", "2026-03-30T06:00:00Z"]]}, "pauses[0]: the pause ends before it starts"),
        (
            {"pauses": [["2026-03-30T06:00:00Z", "2026-03-30T07:00"]]},
            "pauses[0][1]: '2026-03-30T07:00' has no UTC offset (add Z or +02:00)",
        ),
    ],
)
def test_bad_lines_keep_their_id_and_say_what_is_wrong(fields: dict[str, Any], error: str) -> None:
    assert due(**fields) == {"id": "x", "error": error}


@pytest.mark.parametrize("name", ["calendar", "start", "business_seconds"])
def test_missing_fields(name: str) -> None:
    record = line()
    del record[name]
    assert DueCalculator().line(json.dumps(record)) == {"id": "x", "error": f"{name}: required"}


# The command ---------------------------------------------------------------------------------------


def test_output_lines_keep_the_input_order_and_blank_lines_are_skipped() -> None:
    lines = [
        "\ufeff" + json.dumps(line(id="first")),
        "",
        "garbage",
        "   ",
        json.dumps(line(id="second", business_seconds=0)),
        json.dumps(line(id="third", at_close="never")),
    ]
    out = [json.loads(x) for x in due_lines(x.encode() for x in lines)]
    assert out == [
        {"id": "first", "due": "2026-03-30T15:30:00Z"},
        {"id": None, "error": "not JSON: Expecting value: line 1 column 1 (char 0)"},
        {"id": "second", "due": "2026-03-27T16:30:00Z"},
        {"id": "third", "error": 'at_close: "stay" or "next_open" is required'},
    ]


def test_command_writes_the_output_file_and_exits_0_with_bad_lines(tmp_path: Path, capsys) -> None:
    source, target = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    source.write_text(json.dumps(line(id="T-1")) + "\n{oops\n" + json.dumps(line(id="T-2", start="x")) + "\n")
    assert main(["sla", "due", "--input", str(source), "--output", str(target)]) == 0
    assert target.read_text().splitlines() == [
        '{"id": "T-1", "due": "2026-03-30T15:30:00Z"}',
        '{"id": null, "error": "not JSON: Expecting property name enclosed in double quotes: '
        'line 1 column 2 (char 1)"}',
        '{"id": "T-2", "error": "start: \'x\' is not an ISO 8601 instant"}',
    ]
    assert capsys.readouterr() == ("", "")


def test_command_prints_to_stdout_without_output(tmp_path: Path, capsys) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text(json.dumps(line(id="T-1")))
    assert main(["sla", "due", "--input", str(source)]) == 0
    assert capsys.readouterr().out == '{"id": "T-1", "due": "2026-03-30T15:30:00Z"}\n'


def test_command_exits_2_when_the_input_cannot_be_read(tmp_path: Path, capsys) -> None:
    assert main(["sla", "due", "--input", str(tmp_path / "missing.jsonl")]) == 2
    assert (
        capsys.readouterr().err
        == f"pacte sla due: cannot read {tmp_path / 'missing.jsonl'}: No such file or directory\n"
    )
    assert main(["sla", "due", "--input", str(tmp_path)]) == 2
    assert "cannot read" in capsys.readouterr().err


def test_command_exits_2_when_the_output_cannot_be_written(tmp_path: Path, capsys) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text(json.dumps(line()))
    assert main(["sla", "due", "--input", str(source), "--output", str(tmp_path / "no" / "out.jsonl")]) == 2
    assert "cannot write" in capsys.readouterr().err


def test_the_installed_command_end_to_end(tmp_path: Path) -> None:
    """Through a real process: standard input, standard output, exit statuses (argparse's usage error is 2)."""
    record = json.dumps(line(id="T-9")) + "\n"
    ok = subprocess.run(
        [sys.executable, "-m", "pacte.cli", "sla", "due", "--input", "-"],
        input=record.encode(),
        capture_output=True,
        cwd=ROOT,
        check=False,
    )
    assert (ok.returncode, ok.stdout, ok.stderr) == (0, b'{"id": "T-9", "due": "2026-03-30T15:30:00Z"}\n', b"")
    usage = subprocess.run(
        [sys.executable, "-m", "pacte.cli", "sla", "due"], capture_output=True, cwd=ROOT, check=False
    )
    assert usage.returncode == 2
    assert b"the following arguments are required: --input" in usage.stderr
