"""The deterministic demo database: `generate(path, seed, accounts)`.

Why deterministic: a demo that is the same on every machine makes bug reports reproducible
("open account 3 of seed 1"), lets tests assert on it, and lets benchmarks compare like with
like. Same seed, same `accounts` and same `today` give identical rows, ids included.

Why it writes through `Store.unit()` and `insert_many`: the demo is also the load test of the
real write path (derived columns, change capture, the search index), in batches of a few
thousand rows per commit so memory stays flat even for 20,000 accounts.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

from workbench.demo.accounts import AccountMaker, Row
from workbench.demo.dice import Dice
from workbench.demo.interactions import StoryMaker
from workbench.demo.leads import LeadMaker
from workbench.demo.people import PeopleMaker
from workbench.demo.plans import PlanMaker
from workbench.demo.staff import make_products, make_users
from workbench.domain.enums import Role
from workbench.storage.store import Store

Progress = Callable[[int, int, str], bool]

# Parents before children, so foreign keys hold after every statement.
TABLES = (
    "users",
    "products",
    "accounts",
    "account_team",
    "contacts",
    "positions",
    "holdings",
    "leads",  # converted leads point at contacts; their opportunities point back
    "opportunities",
    "activities",
    "activity_attendees",
    "commitments",
    "account_plans",
    "plan_updates",
    "plan_objectives",
    "plan_actions",
    "whitespace_marks",
)
RICH_ACCOUNTS = 200  # the first accounts get a full history; the rest a lighter one
ACCOUNTS_PER_COMMIT = 1000
DETAILS_PER_COMMIT = 100  # accounts whose people and history go into one commit (~5,000 rows)
ROWS_PER_STATEMENT = 2000


class GenerationCancelled(Exception):
    """The progress callback asked to stop; the partial database file has been removed."""


class _Writer:
    """Writes batches of rows, one commit per batch, and counts what it wrote."""

    def __init__(self, store: Store, progress: Progress | None) -> None:
        self.store = store
        self.progress = progress
        self.counts: dict[str, int] = dict.fromkeys(TABLES, 0)

    def write(self, batch: dict[str, list[Row]]) -> None:
        with self.store.unit() as uow:
            for table in TABLES:
                rows = batch.get(table, [])
                if table != "accounts":  # accounts refer to earlier accounts: keep their order
                    rows = sorted(rows, key=_none_pattern)
                for start in range(0, len(rows), ROWS_PER_STATEMENT):
                    uow.insert_many(table, rows[start : start + ROWS_PER_STATEMENT])
                self.counts[table] += len(rows)
            uow.commit()

    def tick(self, done: int, total: int, stage: str) -> None:
        if self.progress is not None and self.progress(done, total, stage) is False:
            raise GenerationCancelled(f"cancelled during {stage} at {done}/{total}")


def _none_pattern(row: Row) -> tuple[bool, ...]:
    """Which values are None. SQLAlchemy's ORM bulk insert leaves None values out of the
    parameters, so rows that differ in them can't share one executemany; grouping them cuts
    the statements sent about threefold (65k -> 20k for 3,000 accounts)."""
    return tuple(v is None for v in row.values())


def generate(
    path: Path,
    seed: int = 1,
    accounts: int = 60,
    progress: Progress | None = None,
    today: date | None = None,
) -> dict[str, int]:
    """Create a new demo database at `path`; return the number of rows per table.

    `progress(done, total, stage)` is called after each batch; returning False cancels, which
    raises `GenerationCancelled` and removes the partial file. `path` must not exist yet (or be
    empty), so a demo never mixes into real data.
    """
    path = Path(path)
    if accounts < 1:
        raise ValueError("accounts must be at least 1")
    if path.exists() and path.stat().st_size > 0:
        raise FileExistsError(f"{path} exists; the demo is only written to a new file")
    store = Store(path, capture_sync=False)  # demo data is never pushed to a team server
    try:
        counts, current_user = _fill(store, Dice(seed, today or date.today()), accounts, progress)
        store.set_setting("current_user_id", current_user)
        store.set_setting("demo", "1")
        store.set_setting("demo_seed", str(seed))
    except BaseException:
        # Half a demo is no use to anyone, and would be refused next time as "exists".
        store.close()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        raise
    store.close()
    return counts


def _fill(store: Store, d: Dice, n: int, progress: Progress | None) -> tuple[dict[str, int], str]:
    """Write everything; return the row counts and the id of the demo's current user."""
    writer = _Writer(store, progress)
    writer.tick(0, n, "Accounts")
    staff = make_users(d)
    products = make_products(d)
    writer.write({"users": staff.rows, "products": products.rows})

    maker = AccountMaker(d, staff)
    for i in range(n):
        maker.make(i)
    for start in range(0, n, ACCOUNTS_PER_COMMIT):
        end = start + ACCOUNTS_PER_COMMIT
        team = [row for rows in maker.team_rows[start:end] for row in rows]
        writer.write({"accounts": maker.rows[start:end], "account_team": team})
        writer.tick(min(end, n), n, "Accounts")
    plans = PlanMaker(d, maker.infos)
    plans.children = {row["id"] for row in maker.rows if row["parent_id"]}
    maker.rows, maker.team_rows = [], []

    people = PeopleMaker(d, maker.infos)
    story = StoryMaker(d, products.ids, staff.by_role[Role.FINANCE])
    leads = LeadMaker(
        d,
        staff.by_role[Role.SALES],
        maker.plan.names,
        maker.plan.tax_codes,
        people.registry.mobiles,
    )
    for start in range(0, n, DETAILS_PER_COMMIT):
        batch: dict[str, list[Row]] = {t: [] for t in TABLES}
        for index in range(start, min(start + DETAILS_PER_COMMIT, n)):
            acc = maker.infos[index]
            rich = index < RICH_ACCOUNTS
            first_contact, first_position = len(batch["contacts"]), len(batch["positions"])
            first_opportunity = len(batch["opportunities"])
            cast = people.make(acc, batch["contacts"], batch["positions"])
            held = story.make(acc, cast, rich, batch)
            positions = batch["positions"][first_position:]
            plans.make(
                index,
                acc,
                cast,
                held,
                positions,
                batch["opportunities"][first_opportunity:],
                rich,
                batch,
            )
            leads.consider(acc, batch["contacts"][first_contact:], positions)
        writer.write(batch)
        writer.tick(min(start + DETAILS_PER_COMMIT, n), n, "People and history")
    final: dict[str, list[Row]] = {"leads": [], "opportunities": []}
    leads.make(n, final)
    writer.write(final)
    return writer.counts, staff.current
