"""The demo's account-management data (issue 4): plans, map gaps, whitespace, renewals, leads.

One 60-account demo per module; each test asserts the intended mix is there, so the docks have
something worth showing on a fresh install.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest

from workbench.demo.generator import generate
from workbench.domain.leads import tax_key
from workbench.domain.pipeline import STAGE_PROBABILITY
from workbench.domain.taxcode import validate_tax_code

TODAY = date(2025, 6, 2)
NEW_TABLES = (
    "leads",
    "account_plans",
    "plan_updates",
    "plan_objectives",
    "plan_actions",
    "whitespace_marks",
)


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[sqlite3.Connection]:
    path = tmp_path_factory.mktemp("farming") / "demo.db"
    generate(path, seed=1, accounts=60, today=TODAY)
    conn = sqlite3.connect(path)
    yield conn
    conn.close()


def _one(db: sqlite3.Connection, sql: str, *params: object) -> int:
    return int(db.execute(sql, params).fetchone()[0])


def test_plans_for_most_accounts_of_the_current_user_and_others(db: sqlite3.Connection) -> None:
    current = db.execute("SELECT value FROM settings WHERE key = 'current_user_id'").fetchone()[0]
    mine = _one(
        db, "SELECT count(*) FROM accounts WHERE owner_id = ? AND kind != 'household'", current
    )
    planned = _one(
        db,
        "SELECT count(DISTINCT p.account_id) FROM account_plans p "
        "JOIN accounts a ON a.id = p.account_id WHERE a.owner_id = ?",
        current,
    )
    assert mine and planned >= mine // 2
    owners = _one(db, "SELECT count(DISTINCT owner_id) FROM account_plans")
    assert owners >= 3


def test_some_plans_are_current_and_some_stale(db: sqlite3.Connection) -> None:
    recent = (TODAY - timedelta(days=30)).isoformat()
    stale = (TODAY - timedelta(days=90)).isoformat()
    assert _one(db, "SELECT count(*) FROM account_plans WHERE last_reviewed >= ?", recent) >= 5
    assert _one(db, "SELECT count(*) FROM account_plans WHERE last_reviewed < ?", stale) >= 2
    assert _one(db, "SELECT count(*) FROM account_plans WHERE period = ?", str(TODAY.year)) > 0


def test_plan_children_carry_their_plans_account(db: sqlite3.Connection) -> None:
    for table in ("plan_updates", "plan_objectives", "plan_actions"):
        assert _one(db, f"SELECT count(*) FROM {table}") > 0, table
        wrong = _one(
            db,
            f"SELECT count(*) FROM {table} c JOIN account_plans p ON p.id = c.plan_id "
            "WHERE c.account_id != p.account_id",
        )
        assert wrong == 0, table


def test_objectives_of_every_measure_and_actions_overdue_and_linked(
    db: sqlite3.Connection,
) -> None:
    measures = {m for (m,) in db.execute("SELECT DISTINCT measure FROM plan_objectives")}
    assert measures == {"manual", "revenue_won", "product_lines", "coverage", "dm_meetings"}
    overdue = _one(
        db,
        "SELECT count(*) FROM plan_actions WHERE status IN ('open', 'in_progress') "
        "AND due_date < ?",
        TODAY.isoformat(),
    )
    assert overdue >= 3
    assert _one(db, "SELECT count(*) FROM plan_actions WHERE opportunity_id IS NOT NULL") >= 3
    assert _one(db, "SELECT count(*) FROM plan_actions WHERE contact_id IS NOT NULL") >= 3
    assert _one(db, "SELECT count(*) FROM account_plans WHERE competitors != ''") > 0
    assert (
        _one(db, "SELECT count(*) FROM account_plans WHERE strengths LIKE '%' || char(10) || '%'")
        > 0
    )


def test_stakeholder_maps_have_gaps_chains_and_leavers(db: sqlite3.Connection) -> None:
    no_champion = _one(
        db,
        "SELECT count(*) FROM accounts a WHERE a.kind != 'household' AND NOT EXISTS "
        "(SELECT 1 FROM positions p WHERE p.account_id = a.id AND p.end_date IS NULL "
        "AND p.stakeholder_role = 'champion')",
    )
    assert no_champion >= 1
    # Chains: someone reports to someone who reports to someone.
    assert (
        _one(
            db,
            "SELECT count(*) FROM positions p JOIN positions boss "
            "ON boss.contact_id = p.reports_to_id AND boss.account_id = p.account_id "
            "WHERE boss.reports_to_id IS NOT NULL",
        )
        > 0
    )
    recent = (TODAY - timedelta(days=90)).isoformat()
    moved = _one(
        db,
        "SELECT count(*) FROM positions old JOIN positions new "
        "ON new.contact_id = old.contact_id AND new.account_id != old.account_id "
        "WHERE old.end_date >= ? AND new.end_date IS NULL AND new.start_date >= old.end_date",
        recent,
    )
    assert moved >= 1


def test_whitespace_is_mixed_for_a_parent_and_its_units(db: sqlite3.Connection) -> None:
    parents = db.execute(
        "SELECT DISTINCT parent_id FROM accounts WHERE parent_id IS NOT NULL"
    ).fetchall()
    assert parents
    best = 0
    for (parent,) in parents:
        lines = _one(
            db,
            "SELECT count(DISTINCT pr.product_line) FROM holdings h "
            "JOIN products pr ON pr.id = h.product_id JOIN accounts a ON a.id = h.account_id "
            "WHERE a.id = ? OR a.parent_id = ?",
            parent,
            parent,
        )
        best = max(best, lines)
    assert best >= 3
    statuses = {s for (s,) in db.execute("SELECT status FROM whitespace_marks")}
    assert statuses == {"lost", "not_relevant"}
    assert (
        _one(db, "SELECT count(*) FROM whitespace_marks WHERE status = 'lost' AND competitor = ''")
        == 0
    )


def test_farming_pipeline_kinds_with_product_lines(db: sqlite3.Connection) -> None:
    kinds = {k for (k,) in db.execute("SELECT DISTINCT kind FROM opportunities")}
    assert {"upsell", "cross_sell", "renewal"} <= kinds
    assert _one(db, "SELECT count(*) FROM opportunities WHERE product_line = ''") == 0
    assert (
        _one(db, "SELECT count(*) FROM opportunities WHERE kind = 'renewal' AND holding_id IS NULL")
        == 0
    )
    won_this_year = _one(
        db,
        "SELECT count(*) FROM opportunities WHERE stage = 'won' AND close_date >= ?",
        date(TODAY.year, 1, 1).isoformat(),
    )
    assert won_this_year >= 3


def test_renewals_due_without_a_renewal_yet(db: sqlite3.Connection) -> None:
    due = _one(
        db,
        "SELECT count(*) FROM holdings h JOIN products p ON p.id = h.product_id "
        "WHERE p.recurring AND h.end_date BETWEEN ? AND ? AND NOT EXISTS "
        "(SELECT 1 FROM opportunities o WHERE o.holding_id = h.id)",
        TODAY.isoformat(),
        (TODAY + timedelta(days=120)).isoformat(),
    )
    assert due >= 3


def test_leads_in_every_status_for_the_sales_users(db: sqlite3.Connection) -> None:
    statuses = {s for (s,) in db.execute("SELECT DISTINCT status FROM leads")}
    assert statuses == {"new", "working", "qualified", "disqualified", "converted"}
    roles = {
        r
        for (r,) in db.execute(
            "SELECT DISTINCT u.role FROM leads l JOIN users u ON u.id = l.owner_id"
        )
    }
    assert roles == {"sales"}
    for (code,) in db.execute("SELECT tax_code FROM leads WHERE tax_code != ''"):
        validate_tax_code(code)
    assert _one(db, "SELECT count(*) FROM leads WHERE status = 'disqualified' AND notes = ''") == 0


def test_some_leads_match_existing_accounts_by_tax_code(db: sqlite3.Connection) -> None:
    codes = {tax_key(c) for (c,) in db.execute("SELECT tax_code FROM accounts")}
    open_matches = [
        c
        for (c,) in db.execute("SELECT tax_code FROM leads WHERE status != 'converted'")
        if c and tax_key(c) in codes
    ]
    assert open_matches


def test_converted_leads_point_at_their_account_person_and_opportunity(
    db: sqlite3.Connection,
) -> None:
    rows = db.execute(
        "SELECT l.id, l.account_id, l.contact_id, o.lead_id, o.account_id, l.converted_on "
        "FROM leads l JOIN opportunities o ON o.id = l.opportunity_id "
        "WHERE l.status = 'converted'"
    ).fetchall()
    assert rows
    for lead_id, account_id, contact_id, back, opp_account, converted_on in rows:
        assert back == lead_id and opp_account == account_id and converted_on
        assert _one(
            db,
            "SELECT count(*) FROM positions WHERE contact_id = ? AND account_id = ?",
            contact_id,
            account_id,
        )


def test_lead_opportunities_have_their_stage_probability(db: sqlite3.Connection) -> None:
    rows = db.execute(
        "SELECT o.stage, o.probability FROM opportunities o JOIN leads l ON l.opportunity_id = o.id"
    ).fetchall()
    assert {stage for stage, _ in rows} >= {"qualify", "develop"}
    for stage, probability in rows:
        assert probability == STAGE_PROBABILITY[stage], stage


def test_new_tables_are_deterministic(tmp_path: Path) -> None:
    a, b = tmp_path / "a.db", tmp_path / "b.db"
    generate(a, seed=5, accounts=30, today=TODAY)
    generate(b, seed=5, accounts=30, today=TODAY)
    with sqlite3.connect(a) as one, sqlite3.connect(b) as two:
        for table in NEW_TABLES:
            query = f"SELECT * FROM {table} ORDER BY id"
            rows = one.execute(query).fetchall()
            assert rows == two.execute(query).fetchall(), table
            assert rows, table
