"""Indicator CSV: RFC 4180 round trip through csv.DictReader, spreadsheet formula guard."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import msgspec
import pytest

from pollwatch.cluster.record import Indicator
from pollwatch.export.case import Case
from pollwatch.export.indicators_csv import COLUMNS, defuse, indicators_csv
from support.cases import make_case


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


@pytest.fixture(scope="module")
def case() -> Case:
    return make_case()


def test_one_row_per_indicator(case: Case) -> None:
    text = indicators_csv([case])
    rows = _rows(text)
    assert tuple(rows[0]) == COLUMNS
    assert len(rows) == len(case.campaign.indicators)
    for row, indicator in zip(rows, case.campaign.indicators, strict=True):
        assert row["campaign_id"] == case.campaign.campaign_id
        assert (row["type"], row["value"], row["role"]) == (
            indicator.type, indicator.value, indicator.role)  # fmt: skip
        assert int(row["count"]) == indicator.count
        assert row["first_seen"] == "2020-10-19T19:30:04Z"  # the campaign's window
        assert datetime.fromisoformat(row["last_seen"]) == case.campaign.last_seen
    assert text.endswith("\r\n") and "\n" not in text.replace("\r\n", "")


def test_own_times_win_over_the_campaign_window(case: Case) -> None:
    when = datetime(2020, 10, 20, 8, 0, tzinfo=UTC)
    own = Indicator(type="ipv4", value="192.0.2.7", count=2, role="origin",
                    first_seen=when, last_seen=when)  # fmt: skip
    record = msgspec.structs.replace(case.campaign, indicators=(own,))
    (row,) = _rows(indicators_csv([msgspec.structs.replace(case, campaign=record)]))
    assert row["first_seen"] == row["last_seen"] == "2020-10-20T08:00:00Z"


@pytest.mark.parametrize("value", [
    "=HYPERLINK(\"http://evil.test\",\"x\")", "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A2)",
    "\t=1", "\r=1",
])  # fmt: skip
def test_formula_injection_is_defused(case: Case, value: str) -> None:
    hostile = Indicator(type="url", value=value, count=1, role="url")
    record = msgspec.structs.replace(case.campaign, indicators=(hostile,), campaign_id="=C1")
    (row,) = _rows(indicators_csv([msgspec.structs.replace(case, campaign=record)]))
    assert row["value"] == "'" + value
    assert row["campaign_id"] == "'=C1"


def test_ordinary_values_are_kept_exactly_with_quoting(case: Case) -> None:
    odd = 'http://example.test/a,b "c"\nd'
    record = msgspec.structs.replace(
        case.campaign, indicators=(Indicator(type="url", value=odd, count=1, role="url"),)
    )
    (row,) = _rows(indicators_csv([msgspec.structs.replace(case, campaign=record)]))
    assert row["value"] == odd
    assert defuse("info@officialproudboys.com") == "info@officialproudboys.com"


def test_rows_of_several_cases_in_order(case: Case) -> None:
    other = msgspec.structs.replace(
        case, campaign=msgspec.structs.replace(case.campaign, campaign_id="C-test0002")
    )
    rows = _rows(indicators_csv([case, other]))
    count = len(case.campaign.indicators)
    assert [r["campaign_id"] for r in rows] == ["C-test0001"] * count + ["C-test0002"] * count


def test_same_case_gives_the_same_csv(case: Case) -> None:
    assert indicators_csv([case]) == indicators_csv([make_case()])
