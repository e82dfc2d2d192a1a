"""The queries behind the Accounts and Contacts docks: a count, then pages of 200 rows.

What is measured: `Queries.contact_count/contact_page` and `Queries.account_count/account_page`
with no filter and the default sort (by name), on a warm store, for the first page, a page in
the middle and the last page (the docks fetch any page by OFFSET when the scrollbar is dragged).
Each figure is the median of `--repeats` runs, in ms.

These are what `docks.py` waits for; the dock target (first rows painted within 100 ms) needs
count + first page well under that.

`--prototype` also times proposed fixes on the same pages and checks they return the same rows:
the accounts page read in two steps (the page's ids by an index scan, then owner, last contact and
open opportunities for those ids only), and both lists on a temporary copy of the database with
partial covering indexes for the default sorts (`PROTOTYPE_INDEXES`). The copy is made in the
benchmark folder and removed afterwards; the application is not changed.

    .venv/bin/python benchmarks/list_pages.py [--repeats 5] [--prototype]
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import statistics
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from _data import bench_dir, big_db, contact_count, emit

PAGE = 200
PROTOTYPE_INDEXES = (
    "CREATE INDEX ix_contacts_live_sort_given ON contacts (sort_given, id) "
    "WHERE deleted_at IS NULL",
    "CREATE INDEX ix_accounts_live_name ON accounts (name_folded, id) WHERE deleted_at IS NULL",
)


def timed(fn: Callable[[], Any], repeats: int) -> tuple[float, Any]:
    """Median ms of `repeats` calls after one warm-up call, and the last result."""
    result = fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), result


# -- prototypes ----------------------------------------------------------------------------------


def account_page_two_step(session: Any, offset: int, limit: int = PAGE) -> list[Any]:
    """`Queries.account_page` for the default filter and sort, in two steps: the page's ids
    (an index scan), then owner, last contact and open opportunities for those ids only."""
    from sqlalchemy import select
    from sqlalchemy.orm import aliased

    from workbench.domain.records import AccountListRow
    from workbench.storage.queries import Queries
    from workbench.storage.tables import Account, User

    ids = (
        select(Account.id)
        .where(Account.deleted_at.is_(None))
        .order_by(Account.name_folded, Account.id)
        .offset(offset)
        .limit(limit)
    )
    page_ids = list(session.scalars(ids))
    if not page_ids:
        return []
    q = Queries(session)
    owner = aliased(User)
    last = q._last_contact().label("last_contact")
    count, total = q._open_opps()
    rows = session.execute(
        select(Account, owner.name, last, count.label("n_open"), total.label("open_sum"))
        .outerjoin(owner, owner.id == Account.owner_id)
        .where(Account.id.in_(page_ids))
        .order_by(Account.name_folded, Account.id)
    ).all()
    return [
        AccountListRow(
            a.id,
            a.name,
            a.kind,
            a.tier,
            a.owner_id,
            owner_name or "",
            a.city,
            a.tax_code,
            last_contact,
            int(n_open or 0),
            int(open_sum or 0),
            a.currency,
        )
        for a, owner_name, last_contact, n_open, open_sum in rows
    ]


# -- measuring -----------------------------------------------------------------------------------


def offsets(total: int) -> dict[str, int]:
    last = max(0, (total - 1) // PAGE * PAGE)
    return {"first": 0, "middle": total // 2 // PAGE * PAGE, "last": last}


def measure(db: Path, repeats: int, contacts: int, label: str, two_step: bool) -> dict[str, Any]:
    """Time the page queries on `db` (accounts read in two steps when `two_step`); returns the
    pages read, to compare."""
    from workbench.storage.queries import AccountFilter, ContactFilter
    from workbench.storage.store import Store

    store = Store(db)
    pages: dict[str, Any] = {}
    suffix = f"_{label}" if label else ""
    with store.read() as q:
        n_contacts = q.contact_count(ContactFilter())
        n_accounts = q.account_count(AccountFilter())
        if not label:
            ms, _ = timed(lambda: q.contact_count(ContactFilter()), repeats)
            emit("contacts_count", round(ms, 1), "ms", contacts, rows=n_contacts)
            ms, _ = timed(lambda: q.account_count(AccountFilter()), repeats)
            emit("accounts_count", round(ms, 1), "ms", contacts, rows=n_accounts)
        contact_page: Callable[..., Any] = partial(q.contact_page, ContactFilter(), "name", False)
        account_page: Callable[..., Any] = partial(q.account_page, AccountFilter(), "name", False)
        if two_step:
            account_page = partial(account_page_two_step, q.session)
        for kind, page_fn, total in (
            ("contacts", contact_page, n_contacts),
            ("accounts", account_page, n_accounts),
        ):
            for where, offset in offsets(total).items():
                ms, rows = timed(partial(page_fn, offset, PAGE), repeats)
                pages[f"{kind}_{where}"] = rows
                emit(f"{kind}_page_{where}{suffix}", round(ms, 1), "ms", contacts, offset=offset)
    store.close()
    return pages


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--accounts", type=int, default=20_000)
    parser.add_argument("--prototype", action="store_true", help="also time the proposed fixes")
    args = parser.parse_args()

    db = big_db(args.accounts)
    contacts = contact_count(db)
    current = measure(db, args.repeats, contacts, "", two_step=False)
    if not args.prototype:
        return 0
    results = {"two_step": measure(db, args.repeats, contacts, "two_step", two_step=True)}
    copy = bench_dir() / f"{db.stem}-prototype-indexes.db"
    try:
        shutil.copyfile(db, copy)
        with sqlite3.connect(copy) as con:
            for sql in PROTOTYPE_INDEXES:
                con.execute(sql)
        for label, two_step in (("indexed", False), ("two_step_indexed", True)):
            results[label] = measure(copy, args.repeats, contacts, label, two_step=two_step)
    finally:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{copy}{suffix}").unlink(missing_ok=True)
    for label, pages in results.items():
        differ = [key for key in current if pages[key] != current[key]]
        emit(
            f"list_pages_{label}_pages_differing",
            len(differ),
            "pages",
            contacts,
            of=len(current),
            which=differ,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
