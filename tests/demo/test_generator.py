"""The demo generator: deterministic, valid by the domain's own rules, and cancellable.

Every test uses a real SQLite file; the shared database is built once per module (40 accounts)
so the whole file stays well under a few seconds.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import pytest

from workbench.demo.generator import TABLES, GenerationCancelled, generate
from workbench.domain.phone import normalize_phone
from workbench.domain.taxcode import TaxCodeKind, validate_tax_code
from workbench.storage.store import Store

TODAY = date(2025, 6, 2)
ACCOUNTS = 40


def _dump(path: Path, table: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(path) as db:
        return db.execute(f"SELECT * FROM {table} ORDER BY id").fetchall()


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, int]]:
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    counts = generate(path, seed=3, accounts=ACCOUNTS, today=TODAY)
    return path, counts


@pytest.fixture
def db(demo: tuple[Path, dict[str, int]]) -> Iterator[sqlite3.Connection]:
    conn = sqlite3.connect(demo[0])
    yield conn
    conn.close()


def test_same_seed_and_day_give_identical_rows_and_ids(tmp_path: Path) -> None:
    a, b = tmp_path / "a.db", tmp_path / "b.db"
    generate(a, seed=7, accounts=20, today=TODAY)
    generate(b, seed=7, accounts=20, today=TODAY)
    for table in TABLES:
        assert _dump(a, table) == _dump(b, table), table
    with sqlite3.connect(a) as one, sqlite3.connect(b) as two:
        query = "SELECT key, value FROM settings ORDER BY key"
        assert one.execute(query).fetchall() == two.execute(query).fetchall()


def test_different_seeds_give_different_data(tmp_path: Path) -> None:
    a, b = tmp_path / "a.db", tmp_path / "b.db"
    generate(a, seed=7, accounts=20, today=TODAY)
    generate(b, seed=8, accounts=20, today=TODAY)
    assert _dump(a, "accounts") != _dump(b, "accounts")
    assert _dump(a, "contacts") != _dump(b, "contacts")


def test_requested_account_count_and_returned_counts(
    demo: tuple[Path, dict[str, int]], db: sqlite3.Connection
) -> None:
    _, counts = demo
    assert counts["accounts"] == ACCOUNTS
    for table in TABLES:
        assert db.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == counts[table], table
    # A portfolio worth looking at: people and history at every account.
    assert counts["contacts"] >= 3 * ACCOUNTS
    assert counts["activities"] >= 8 * ACCOUNTS
    without_people = db.execute(
        "SELECT count(*) FROM accounts a WHERE NOT EXISTS "
        "(SELECT 1 FROM positions p WHERE p.account_id = a.id AND p.end_date IS NULL)"
    ).fetchone()[0]
    assert without_people == 0


def test_one_user_of_each_working_role(db: sqlite3.Connection) -> None:
    roles = {r for (r,) in db.execute("SELECT role FROM users")}
    assert {"am", "rm", "finance", "sales"} <= roles
    assert all(e.endswith("@workbench.vn") for (e,) in db.execute("SELECT email FROM users"))


def test_current_user_is_the_first_account_manager(demo: tuple[Path, dict[str, int]]) -> None:
    store = Store(demo[0])
    try:
        current = store.setting("current_user_id")
        assert store.setting("demo") == "1"
        assert store.setting("demo_seed") == "3"
        with store.read() as q:
            users = {u.id: u for u in q.users()}
    finally:
        store.close()
    assert users[current].role == "am"
    assert users[current].name == "Trần Minh Anh"


def test_every_tax_code_validates(db: sqlite3.Connection) -> None:
    rows = db.execute("SELECT tax_code, tax_code_kind FROM accounts").fetchall()
    kinds = {kind for _, kind in rows}
    for code, kind in rows:
        assert validate_tax_code(code, TaxCodeKind(kind)) == (code, TaxCodeKind(kind))
    assert {"mst10", "mst13", "foreign"} <= kinds


def test_every_phone_is_stored_as_valid_e164(db: sqlite3.Connection) -> None:
    phones = [
        p
        for (p,) in db.execute(
            "SELECT phone FROM accounts UNION ALL SELECT phone FROM contacts "
            "UNION ALL SELECT mobile FROM contacts"
        )
        if p
    ]
    assert len(phones) > ACCOUNTS
    for phone in phones:
        assert normalize_phone(phone) == phone


def test_at_most_one_current_decision_maker_and_a_few_maps_lack_one(
    db: sqlite3.Connection,
) -> None:
    rows = db.execute(
        "SELECT a.id, (SELECT count(*) FROM positions p WHERE p.account_id = a.id "
        "AND p.end_date IS NULL AND p.stakeholder_role = 'decision_maker') FROM accounts a"
    ).fetchall()
    assert rows and all(n <= 1 for _, n in rows)
    # Gaps on the stakeholder map are part of the demo (issue 4), but the exception.
    without = sum(1 for _, n in rows if n == 0)
    assert 1 <= without <= len(rows) // 4


def test_contact_emails_are_unique(db: sqlite3.Connection) -> None:
    emails = [e for (e,) in db.execute("SELECT email FROM contacts") if e]
    assert len(emails) == len(set(emails))


def test_search_index_is_populated(
    demo: tuple[Path, dict[str, int]], db: sqlite3.Connection
) -> None:
    account_id, tax_code = db.execute(
        "SELECT id, tax_code FROM accounts WHERE tax_code_kind = 'mst10' ORDER BY id LIMIT 1"
    ).fetchone()
    store = Store(demo[0])
    try:
        with store.read() as q:
            by_name = q.search("nguyen")
            by_code = q.search(tax_code)
    finally:
        store.close()
    assert any(h.kind == "contact" for h in by_name)
    assert account_id in {h.ref_id for h in by_code}


def test_timestamps_look_lived_in(db: sqlite3.Connection) -> None:
    start_of_today = datetime(TODAY.year, TODAY.month, TODAY.day).isoformat(sep=" ")
    for table in TABLES:
        assert db.execute(
            f"SELECT count(*) FROM {table} WHERE created_at > updated_at OR updated_at > ?",
            (start_of_today,),
        ).fetchone() == (0,), table
    done_later = db.execute(
        "SELECT count(*) FROM activities WHERE status = 'done' AND occurred_at > ?",
        (start_of_today,),
    ).fetchone()
    assert done_later == (0,)
    planned = db.execute(
        "SELECT count(*) FROM activities WHERE status = 'planned' AND kind != 'task'"
    ).fetchone()[0]
    assert planned > 0


def test_cancelling_raises_and_removes_the_file(tmp_path: Path) -> None:
    path = tmp_path / "cancelled.db"
    calls: list[str] = []

    def progress(done: int, total: int, stage: str) -> bool:
        calls.append(stage)
        return len(calls) < 3  # let the accounts go in, stop in the middle

    with pytest.raises(GenerationCancelled):
        generate(path, accounts=250, progress=progress, today=TODAY)
    assert not path.exists()
    assert not Path(f"{path}-wal").exists()


def test_progress_reaches_the_total(tmp_path: Path) -> None:
    seen: list[tuple[int, int, str]] = []
    generate(
        tmp_path / "p.db",
        accounts=20,
        today=TODAY,
        progress=lambda d, t, s: seen.append((d, t, s)) is None,
    )
    assert seen[-1][0] == seen[-1][1] == 20


def test_an_existing_database_is_never_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "real.db"
    path.write_bytes(b"not empty")
    with pytest.raises(FileExistsError):
        generate(path, accounts=1, today=TODAY)
    assert path.read_bytes() == b"not empty"
