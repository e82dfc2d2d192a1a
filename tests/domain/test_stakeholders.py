"""Stakeholder map rules: the org tree, reports-to loops, coverage gaps and leavers."""

from __future__ import annotations

import contextlib
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workbench.domain.errors import ValidationError
from workbench.domain.stakeholders import (
    CADENCE_DAYS,
    CoverageFacts,
    Seat,
    StakeholderEdit,
    build_org_tree,
    cadence_days,
    check_reports_to,
    clean_stakeholder,
    coverage_gaps,
    current_seats,
    is_current,
    left_recently,
    with_reports_to,
    would_cycle,
)

TODAY = date(2026, 5, 20)
PEOPLE = [f"p{i}" for i in range(8)]


def test_the_tree_puts_people_without_a_boss_here_at_the_top() -> None:
    tree = build_org_tree(
        [("ceo", None), ("cfo", "ceo"), ("acct", "cfo"), ("cto", "ceo"), ("lone", "gone")]
    )
    assert tree.roots == ("ceo", "lone")  # "gone" is no current stakeholder here
    assert tree.reports_of("ceo") == ("cfo", "cto")
    assert list(tree.walk()) == [("ceo", 0), ("cfo", 1), ("acct", 2), ("cto", 1), ("lone", 0)]


def test_a_stored_loop_is_cut_so_nobody_disappears() -> None:
    tree = build_org_tree([("a", "b"), ("b", "c"), ("c", "a"), ("d", None), ("e", "e")])
    walked = [n for n, _ in tree.walk()]
    assert sorted(walked) == ["a", "b", "c", "d", "e"]
    assert "a" in tree.roots and "e" in tree.roots


def test_someone_reporting_into_a_loop_keeps_their_boss() -> None:
    # x reports into the loop a -> b -> c -> a and comes first: the loop is cut, not x.
    tree = build_org_tree([("x", "a"), ("a", "b"), ("b", "c"), ("c", "a"), ("y", "x")])
    assert tree.roots == ("a",)
    assert list(tree.walk()) == [("a", 0), ("x", 1), ("y", 2), ("c", 1), ("b", 2)]


def _loops(boss: dict[str, str | None]) -> int:
    """How many loops the (function) graph person -> boss holds."""
    state: dict[str, int] = {}
    loops = 0
    for start in boss:
        path: list[str] = []
        node: str | None = start
        while node is not None and node in boss and node not in state:
            state[node] = 1
            path.append(node)
            node = boss[node]
        if node is not None and state.get(node) == 1:
            loops += 1
        for n in path:
            state[n] = 2
    return loops


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from(PEOPLE), st.one_of(st.none(), st.sampled_from(PEOPLE))))
def test_exactly_one_link_of_each_stored_loop_is_cut(boss: dict[str, str | None]) -> None:
    tree = build_org_tree(list(boss.items()))
    walked = [n for n, _ in tree.walk()]
    assert sorted(walked) == sorted(boss)
    parent = {child: b for b, kids in tree.children.items() for child in kids}
    valid = {p: (b if b in boss and b != p else None) for p, b in boss.items()}
    cut = [p for p in boss if valid[p] is not None and parent.get(p) != valid[p]]
    assert len(cut) == _loops(valid)
    for person, b in parent.items():  # the tree only ever keeps stored links
        assert valid[person] == b


def test_the_newest_current_seat_stands_for_a_person() -> None:
    seats = [
        Seat("old", "lan", date(2019, 1, 1), None),
        Seat("new", "lan", date(2023, 6, 1), None),
        Seat("gone", "lan", date(2024, 1, 1), TODAY),  # ended today: not current
        Seat("undated", "hung", None, None),
        Seat("b", "minh", date(2022, 1, 1), None),
        Seat("a", "minh", date(2022, 1, 1), TODAY + timedelta(days=30)),  # notice given
    ]
    assert current_seats(seats, TODAY) == {"lan": "new", "hung": "undated", "minh": "a"}
    assert current_seats(reversed(seats), TODAY) == current_seats(seats, TODAY)


def test_would_cycle() -> None:
    boss = {"a": None, "b": "a", "c": "b"}
    assert would_cycle(boss, "a", "c")
    assert would_cycle(boss, "a", "a")
    assert not would_cycle(boss, "c", "a")
    assert not would_cycle(boss, "a", None)
    assert not would_cycle({"x": "y", "y": "x", "a": None}, "a", "x")  # old loop elsewhere


def test_a_loop_is_refused_with_names_in_the_message() -> None:
    boss = {"a": None, "b": "a"}
    with pytest.raises(ValidationError) as caught:
        check_reports_to(boss, "a", "b", {"a": "Nguyễn Văn An", "b": "Trần Thị Bình"})
    error = caught.value.errors[0]
    assert error.code == "stakeholder.reports_to_cycle"
    assert error.render().startswith("Trần Thị Bình already reports to Nguyễn Văn An")
    with pytest.raises(ValidationError) as self_link:
        check_reports_to(boss, "a", "a")
    assert self_link.value.errors[0].code == "stakeholder.reports_to_self"


def _acyclic(mapping: dict[str, str | None]) -> bool:
    for start in mapping:
        seen = set()
        node: str | None = start
        while node is not None:
            if node in seen:
                return False
            seen.add(node)
            node = mapping.get(node)
    return True


@settings(max_examples=300)
@given(
    st.lists(
        st.tuples(st.sampled_from(PEOPLE), st.one_of(st.none(), st.sampled_from(PEOPLE))),
        max_size=40,
    )
)
def test_setting_reports_to_through_the_check_never_makes_a_loop(
    moves: list[tuple[str, str | None]],
) -> None:
    mapping: dict[str, str | None] = dict.fromkeys(PEOPLE)
    for person, boss in moves:
        with contextlib.suppress(ValidationError):
            mapping = with_reports_to(mapping, person, boss)
        assert _acyclic(mapping)
    tree = build_org_tree(list(mapping.items()))
    assert sorted(n for n, _ in tree.walk()) == sorted(PEOPLE)


def _facts(cid: str, role: str, influence: int = 3, met: int | None = 5) -> CoverageFacts:
    return CoverageFacts(
        cid, cid.upper(), role, influence, None if met is None else TODAY - timedelta(days=met)
    )


def test_gaps_name_the_missing_roles_and_the_key_people_not_met() -> None:
    people = [
        _facts("a", "influencer", influence=5, met=70),  # key by influence, stale for "key"
        _facts("b", "exec_sponsor", met=None),  # key by role, never met
        _facts("c", "user", influence=2, met=None),  # not key: no gap
        _facts("d", "finance_contact", influence=4, met=10),  # met recently
    ]
    gaps = coverage_gaps(people, "key", TODAY)
    assert [g.code for g in gaps] == [
        "gap.no_decision_maker",
        "gap.no_champion",
        "gap.never_met",
        "gap.not_met",
    ]
    assert gaps[3].render() == "Nobody on our side has met A for 70 days (cadence 45)"
    assert gaps[2].contact_id == "b"


def test_no_gap_when_covered() -> None:
    people = [_facts("a", "decision_maker", met=20), _facts("b", "champion", met=29)]
    assert coverage_gaps(people, "strategic", TODAY) == []
    assert [g.code for g in coverage_gaps(people[:1], "strategic", TODAY)] == ["gap.no_champion"]


def test_cadence_by_tier() -> None:
    assert CADENCE_DAYS == {"strategic": 30, "key": 45, "core": 60, "small": 90}
    assert cadence_days("small") == 90 and cadence_days("unknown") == 60


def test_current_and_left_recently() -> None:
    assert is_current(None, TODAY) and is_current(TODAY + timedelta(days=1), TODAY)
    assert not is_current(TODAY, TODAY)
    assert left_recently(TODAY - timedelta(days=90), TODAY)
    assert not left_recently(TODAY - timedelta(days=91), TODAY)
    assert not left_recently(None, TODAY)


def _edit(**changes: object) -> StakeholderEdit:
    base: dict[str, object] = {
        "title": "  Giám đốc   Tài chính ",
        "department": "Tài chính",
        "stakeholder_role": "decision_maker",
        "influence": 5,
        "stance": "supporter",
        "strength": 3,
        "colleague_id": "",
        "reports_to_id": None,
        "end_date": None,
    }
    base.update(changes)
    return StakeholderEdit(**base)  # type: ignore[arg-type]


def test_clean_stakeholder() -> None:
    values = clean_stakeholder(_edit(), date(2020, 1, 1))
    assert values["title"] == "Giám đốc Tài chính" and values["colleague_id"] is None
    with pytest.raises(ValidationError) as caught:
        clean_stakeholder(
            _edit(
                influence=6,
                strength=-1,
                stance="x",
                stakeholder_role="boss",
                end_date=date(2019, 1, 1),
            ),
            date(2020, 1, 1),
        )
    assert {e.field for e in caught.value.errors} == {
        "influence",
        "strength",
        "stance",
        "stakeholder_role",
        "end_date",
    }
