"""Plan rules: periods, progress ("no data" is not zero), overdue actions, stale plans."""

from __future__ import annotations

from datetime import date, timedelta
from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from workbench.domain.errors import ValidationError
from workbench.domain.plans import (
    ActionDraft,
    ObjectiveDraft,
    clean_action,
    clean_objective,
    clean_plan_changes,
    clean_update_text,
    current_plan_index,
    is_overdue,
    is_stale,
    lines,
    moved,
    parse_period,
    period_of,
    progress,
    suggested_periods,
)

codes = st.builds(
    lambda y, part: f"{y}{part}",
    st.integers(2000, 2100),
    st.sampled_from(["", "-H1", "-H2", "-Q1", "-Q2", "-Q3", "-Q4"]),
)
days = st.dates(date(2000, 1, 1), date(2100, 12, 31))


def test_periods_give_their_dates() -> None:
    assert (parse_period("2026").start, parse_period("2026").end) == (
        date(2026, 1, 1),
        date(2026, 12, 31),
    )
    h2 = parse_period("2026-h2")
    assert (h2.code, h2.start, h2.end, h2.kind) == (
        "2026-H2",
        date(2026, 7, 1),
        date(2026, 12, 31),
        "half",
    )
    q1 = parse_period(" 2028 - q1 ")
    assert (q1.code, q1.start, q1.end) == ("2028-Q1", date(2028, 1, 1), date(2028, 3, 31))
    assert parse_period("2026-Q4").end == date(2026, 12, 31)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "plan.period_format"),
        ("26", "plan.period_format"),
        ("2026-Q5", "plan.period_format"),
        ("2026-X1", "plan.period_format"),
        ("2026-H3", "plan.period_half"),
        ("1999", "plan.period_year"),
    ],
)
def test_bad_periods_are_refused_with_a_message(text: str, code: str) -> None:
    with pytest.raises(ValidationError) as err:
        parse_period(text)
    assert err.value.errors[0].code == code
    assert err.value.errors[0].field == "period"
    assert err.value.errors[0].render()


@given(codes)
def test_a_period_round_trips_through_its_code(code: str) -> None:
    p = parse_period(code)
    assert p.code == code
    assert parse_period(p.code) == p
    assert p.start <= p.end
    assert p.contains(p.start) and p.contains(p.end)
    assert not p.contains(p.start - timedelta(days=1))
    assert not p.contains(p.end + timedelta(days=1))


@given(days)
def test_year_half_and_quarter_of_a_day_nest_and_sort_longest_first(day: date) -> None:
    year, half, quarter = (period_of(day, k) for k in ("year", "half", "quarter"))
    for p in (year, half, quarter):
        assert p.contains(day)
    assert year.start <= half.start <= quarter.start <= quarter.end <= half.end <= year.end
    assert sorted([quarter, half, year]) == [year, half, quarter] or year.start != quarter.start
    assert year < quarter or year.start == quarter.start


@given(st.lists(codes, min_size=1, max_size=8, unique=True))
def test_periods_sort_by_start_then_longest(texts: list[str]) -> None:
    ps = sorted(parse_period(t) for t in texts)
    for a, b in pairwise(ps):
        assert (a.start, -(a.end - a.start).days) <= (b.start, -(b.end - b.start).days)


def test_the_current_plan_is_the_most_specific_one_containing_today() -> None:
    ps = [parse_period(c) for c in ("2025", "2026", "2026-Q2")]
    assert current_plan_index(ps, date(2026, 5, 1)) == 2
    assert current_plan_index(ps, date(2026, 8, 1)) == 1
    assert current_plan_index(ps, date(2030, 1, 1)) == 1  # none contains: the latest
    assert current_plan_index([], date(2026, 1, 1)) == -1


def test_suggested_periods_start_with_this_year() -> None:
    assert suggested_periods(date(2026, 5, 3)) == [
        "2026",
        "2026-H1",
        "2026-H2",
        "2026-Q2",
        "2026-Q3",
        "2026-Q4",
        "2027",
    ]


def test_progress_is_none_without_data_never_zero() -> None:
    assert progress(None, 10) is None
    assert progress(0, 10) == 0.0
    assert progress(5, 10) == 0.5
    assert progress(15, 10) == 1.5
    assert progress(3, 0) is None


def test_overdue_means_open_or_in_progress_and_past_due() -> None:
    today = date(2026, 3, 10)
    yesterday = today - timedelta(days=1)
    assert is_overdue("open", yesterday, today)
    assert is_overdue("in_progress", yesterday, today)
    assert not is_overdue("open", today, today)
    assert not is_overdue("done", yesterday, today)
    assert not is_overdue("dropped", yesterday, today)
    assert not is_overdue("open", None, today)


def test_a_plan_is_stale_when_not_reviewed_for_a_month() -> None:
    today = date(2026, 3, 31)
    assert is_stale(None, today)
    assert is_stale(date(2026, 2, 28), today)
    assert not is_stale(date(2026, 3, 1), today)
    assert is_stale(date(2026, 3, 20), today, days=7)


def test_lists_drop_blanks_and_bullets() -> None:
    assert lines("- Thương hiệu mạnh\n\n• Đội ngũ\n  * Giá  ") == [
        "Thương hiệu mạnh",
        "Đội ngũ",
        "Giá",
    ]


def test_plan_edits_are_cleaned_and_every_error_reported() -> None:
    out = clean_plan_changes(
        {"period": "2026-q3", "desired_outcome": "  Tăng  ", "client_knows": 1}
    )
    assert out["period"] == "2026-Q3" and out["period_start"] == date(2026, 7, 1)
    assert out["desired_outcome"] == "Tăng" and out["client_knows"] is True
    with pytest.raises(ValidationError) as err:
        clean_plan_changes({"status": "maybe", "revenue_target_minor": -1, "period": "x"})
    assert {e.field for e in err.value.errors} == {"status", "revenue_target_minor", "period"}
    with pytest.raises(ValueError):
        clean_plan_changes({"account_id": "x"})


def test_objectives_actions_and_updates_are_validated() -> None:
    with pytest.raises(ValidationError) as err:
        clean_objective(ObjectiveDraft(title=" ", measure="guess", target=0))
    assert {e.field for e in err.value.errors} == {"title", "measure", "target"}
    computed = clean_objective(ObjectiveDraft("Doanh thu", "revenue_won", 100, manual_value=5))
    assert computed["manual_value"] is None  # only a manual measure keeps a typed value
    with pytest.raises(ValidationError):
        clean_action(ActionDraft(title="", status="later"))
    assert clean_action(ActionDraft("Gọi", opportunity_id=""))["opportunity_id"] is None
    with pytest.raises(ValidationError):
        clean_update_text("   ")


def test_moving_an_objective_stops_at_either_end() -> None:
    assert moved(["a", "b", "c"], "c", -1) == ["a", "c", "b"]
    assert moved(["a", "b", "c"], "a", -1) == ["a", "b", "c"]
    assert moved(["a", "b", "c"], "c", 1) == ["a", "b", "c"]
    assert moved(["a", "b"], "x", 1) == ["a", "b"]


@given(st.lists(st.integers(0, 50), unique=True, min_size=1), st.data(), st.integers(-5, 5))
def test_a_move_keeps_every_item_and_lands_where_asked(
    items: list[int], data: st.DataObject, step: int
) -> None:
    ids = [str(i) for i in items]
    item = data.draw(st.sampled_from(ids))
    result = moved(ids, item, step)
    assert sorted(result) == sorted(ids)
    assert result.index(item) == max(0, min(len(ids) - 1, ids.index(item) + step))
    others = [i for i in result if i != item]
    assert others == [i for i in ids if i != item]  # the rest keep their order
