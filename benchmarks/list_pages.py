"""The queries behind the Accounts and Contacts docks: a count, then pages of 200 rows.

What is measured: `Queries.contact_count/contact_page` and `Queries.account_count/account_page`
with no filter and the default sort (by name), on a warm store, for the first page, a page in
the middle and the last page (the docks fetch any page by OFFSET when the scrollbar is dragged).
Each figure is the median of `--repeats` runs, in ms.

These are what `docks.py` waits for; the dock target (first rows painted within 100 ms) needs
count + first page well under that.

The two-step accounts page and the partial covering indexes it once prototyped are now how the
application reads these pages (benchmarks/README.md, "What changed").

    .venv/bin/python benchmarks/list_pages.py [--repeats 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from _data import big_db, contact_count, emit

PAGE = 200


def timed(fn: Callable[[], Any], repeats: int) -> tuple[float, Any]:
    """Median ms of `repeats` calls after one warm-up call, and the last result."""
    result = fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), result


# -- measuring -----------------------------------------------------------------------------------


def offsets(total: int) -> dict[str, int]:
    last = max(0, (total - 1) // PAGE * PAGE)
    return {"first": 0, "middle": total // 2 // PAGE * PAGE, "last": last}


def measure(db: Path, repeats: int, contacts: int) -> None:
    """Time the count and page queries of both lists on `db`."""
    from workbench.storage.queries import AccountFilter, ContactFilter
    from workbench.storage.store import Store

    store = Store(db)
    with store.read() as q:
        n_contacts = q.contact_count(ContactFilter())
        n_accounts = q.account_count(AccountFilter())
        ms, _ = timed(lambda: q.contact_count(ContactFilter()), repeats)
        emit("contacts_count", round(ms, 1), "ms", contacts, rows=n_contacts)
        ms, _ = timed(lambda: q.account_count(AccountFilter()), repeats)
        emit("accounts_count", round(ms, 1), "ms", contacts, rows=n_accounts)
        contact_page: Callable[..., Any] = partial(q.contact_page, ContactFilter(), "name", False)
        account_page: Callable[..., Any] = partial(q.account_page, AccountFilter(), "name", False)
        for kind, page_fn, total in (
            ("contacts", contact_page, n_contacts),
            ("accounts", account_page, n_accounts),
        ):
            for where, offset in offsets(total).items():
                ms, _rows = timed(partial(page_fn, offset, PAGE), repeats)
                emit(f"{kind}_page_{where}", round(ms, 1), "ms", contacts, offset=offset)
    store.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--accounts", type=int, default=20_000)
    args = parser.parse_args()

    db = big_db(args.accounts)
    contacts = contact_count(db)
    measure(db, args.repeats, contacts)
    return 0


if __name__ == "__main__":
    sys.exit(main())
