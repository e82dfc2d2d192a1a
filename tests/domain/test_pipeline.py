"""Pipeline rules: weighted amounts, stage moves, renewal suggestions, typed input."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from workbench.domain.errors import ValidationError
from workbench.domain.pipeline import (
    BOARD_COLUMNS,
    HoldingFact,
    OpportunityDraft,
    RenewalFact,
    clean_opportunity,
    clean_window,
    most_advanced,
    probability_after_move,
    renewal_suggestions,
    weighted,
)

TODAY = date(2026, 3, 12)


def test_weighted_rounds_half_up_in_minor_units() -> None:
    assert weighted(1_000_000, 25) == 250_000
    assert weighted(5, 10) == 1  # 0.5 rounds up
    assert weighted(4, 10) == 0  # 0.4 rounds down
    assert weighted(15, 50) == 8  # 7.5 rounds up
    assert weighted(0, 90) == 0
    assert weighted(999, 100) == 999


@given(st.integers(min_value=0, max_value=10**15), st.integers(min_value=0, max_value=100))
def test_weighted_matches_decimal_half_up(amount: int, probability: int) -> None:
    exact = Decimal(amount) * probability / 100
    assert weighted(amount, probability) == int(exact.quantize(Decimal(1), ROUND_HALF_UP))
    assert 0 <= weighted(amount, probability) <= amount


def test_stage_order_and_moves() -> None:
    assert BOARD_COLUMNS == ("qualify", "develop", "propose", "negotiate", "won", "lost")
    assert most_advanced(["qualify", "negotiate", "won", "develop"]) == "negotiate"
    assert most_advanced(["won", "lost"]) is None
    assert probability_after_move("propose", "won", 40) == 100
    assert probability_after_move("propose", "lost", 40) == 0
    assert probability_after_move("qualify", "develop", 35) == 35  # the user's estimate stays
    assert probability_after_move("won", "negotiate", 100) == 70  # reopened: the stage's usual


def holding(hid: str, days: int | None, value: int = 100) -> HoldingFact:
    end = TODAY + timedelta(days=days) if days is not None else None
    return HoldingFact(hid, "acc", "Đặng Gia", "Cloud VPS", "Cloud", end, value, "VND")


def test_renewals_in_the_window_without_an_open_or_won_renewal() -> None:
    holdings = [
        holding("past", -1),
        holding("today", 0),
        holding("soon", 30),
        holding("edge", 120),
        holding("late", 121),
        holding("undated", None),
        holding("covered", 10),
        holding("won", 11),
        holding("lost", 12),
    ]
    renewals = [
        RenewalFact("covered", "propose"),
        RenewalFact("won", "won"),
        RenewalFact("lost", "lost"),
    ]
    got = renewal_suggestions(holdings, renewals, TODAY)
    assert [s.holding_id for s in got] == ["today", "lost", "soon", "edge"]
    assert got[0].due_date == TODAY and got[0].amount_minor == 100
    assert [s.holding_id for s in renewal_suggestions(holdings, renewals, TODAY, 20)] == [
        "today",
        "lost",
    ]


def test_last_terms_won_renewal_does_not_cover_this_term() -> None:
    ends = holding("h", 65)
    last_year = RenewalFact("h", "won", close_date=TODAY - timedelta(days=300))
    this_term = RenewalFact("h", "won", close_date=TODAY - timedelta(days=10))
    assert [s.holding_id for s in renewal_suggestions([ends], [last_year], TODAY)] == ["h"]
    assert renewal_suggestions([ends], [last_year, this_term], TODAY) == []


def test_a_renewal_typed_by_hand_for_the_account_and_line_covers_the_holding() -> None:
    ends = holding("h", 30)
    by_hand = RenewalFact(None, "develop", account_id="acc", product_line="Cloud")
    other_line = RenewalFact(None, "develop", account_id="acc", product_line="Security")
    assert renewal_suggestions([ends], [by_hand], TODAY) == []
    assert [s.holding_id for s in renewal_suggestions([ends], [other_line], TODAY)] == ["h"]


def test_window_is_checked() -> None:
    assert clean_window("45") == 45
    for bad in (0, 731, "x", None):
        with pytest.raises(ValidationError):
            clean_window(bad)


def test_opportunity_input_reports_every_error_at_once() -> None:
    with pytest.raises(ValidationError) as caught:
        clean_opportunity(
            OpportunityDraft(account_id=None, name=" ", amount_minor=-1, probability=101)
        )
    fields = {e.field for e in caught.value.errors}
    assert fields == {"name", "account_id", "amount", "probability"}


def test_closed_stages_fix_the_probability() -> None:
    values = clean_opportunity(
        OpportunityDraft(account_id="a", name="  Cloud   backup ", stage="won", probability=30)
    )
    assert values["probability"] == 100 and values["name"] == "Cloud backup"


def test_deal_name_is_what_then_the_account() -> None:
    from workbench.domain.pipeline import RenewalSuggestion, deal_name

    assert deal_name("Security", "Công ty ABC") == "Security – Công ty ABC"
    assert deal_name("  Cloud   VPS ", "ABC") == "Cloud VPS – ABC"
    assert deal_name("", "ABC") == "ABC"
    s = RenewalSuggestion("a", "ABC", "h", "Cloud VPS", "Cloud", TODAY, 1, "VND")
    assert s.name == deal_name("Cloud VPS", "ABC")


def test_sum_by_currency_never_adds_across_currencies() -> None:
    from workbench.domain.money import sum_by_currency

    assert sum_by_currency([("VND", 5), ("USD", 2)], [("VND", -5), ("USD", 3)]) == (("USD", 5),)
    assert sum_by_currency() == ()
