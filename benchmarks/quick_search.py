"""Quick search over ~100,000 contacts: how long one keystroke's query takes.

What is measured: realistic keystroke sequences (Vietnamese names typed without diacritics,
phone and tax-code prefixes, e-mail parts, company words), every prefix of each as the user
types it, each run through `Queries.search(text, 20)` in its own read session (as one keystroke
in the quick-search dialog would) on a warm store: one untimed warm-up pass, then `--rounds`
timed passes (`time.perf_counter`).

Figures: quick_search_p50 / _p95 / _max (ms) over all keystroke queries, and the p95 by what
was typed so far (1, 2, 3+ characters). Target: p95 under 10 ms.

`--variants` also times prototypes of other query shapes (raw SQL on the same kind of session,
interleaved with the current query so machine load hits all alike) and compares their hits with
the current ones; `--explain` prints SQLite's plan for the current query. Neither changes the
application.

    .venv/bin/python benchmarks/quick_search.py [--rounds 5] [--variants] [--explain]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from typing import Any

from _data import big_db, contact_count, emit, percentile

LIMIT = 20

# What people type: each string is typed one character at a time, and each prefix is a query.
SEQUENCES = (
    "nguyen van hung",
    "nguyen thi lan",
    "tran thi mai",
    "dang",
    "le minh",
    "pham quang",
    "hoang",
    "vu duc",
    "ngo thu",
    "huynh",
    "0912",
    "0903 45",
    "09",
    "lan.",
    "hoa.nguyen",
    "0100",
    "0312",
    "cong ty",
    "ngan hang",
    "vietcom",
)

Hits = list[tuple[str, ...]]
SearchFn = Callable[[Any, str], Hits]  # (session, typed text) -> hits


def keystrokes() -> list[str]:
    out: list[str] = []
    for seq in SEQUENCES:
        out += [seq[:i] for i in range(1, len(seq) + 1)]
    return out


def length_class(typed: str) -> str:
    n = len(typed.strip())
    return "1char" if n <= 1 else "2char" if n == 2 else "3plus"


# -- the current query and prototypes of other shapes (--variants) -------------------------------

SELECT_HITS = "SELECT d.kind, d.ref_id, d.title, d.subtitle "
CURRENT_SQL = (
    SELECT_HITS + "FROM search_fts f JOIN search_docs d ON d.rowid = f.rowid "
    "WHERE search_fts MATCH :q ORDER BY d.kind = 'contact', f.rank LIMIT :n"
)


def _rows(session: Any, sql: str, params: dict[str, Any]) -> Hits:
    from sqlalchemy import text

    return [tuple(r) for r in session.execute(text(sql), params).all()]


def _query(typed: str) -> str | None:
    from workbench.storage.search import fts_query

    return fts_query(typed)


def current(session: Any, typed: str) -> Hits:
    """What the application runs today (workbench.storage.search.search)."""
    from workbench.storage import search

    return [(h.kind, h.ref_id, h.title, h.subtitle) for h in search.search(session, typed, LIMIT)]


def rank_only(session: Any, typed: str) -> Hits:
    """Diagnostic: the current query without `d.kind = 'contact'` in ORDER BY."""
    q = _query(typed)
    if q is None:
        return []
    sql = (
        SELECT_HITS + "FROM search_fts f JOIN search_docs d ON d.rowid = f.rowid "
        "WHERE search_fts MATCH :q ORDER BY f.rank LIMIT :n"
    )
    return _rows(session, sql, {"q": q, "n": LIMIT})


def unranked_short(session: Any, typed: str) -> Hits:
    """No bm25 when 1–2 characters are typed (accounts, then contacts, in rowid order)."""
    if len(typed.strip()) > 2:
        return current(session, typed)
    q = _query(typed)
    if q is None:
        return []
    out: Hits = []
    for kind in ("account", "contact"):
        out += _rows(
            session,
            SELECT_HITS + "FROM search_fts f JOIN search_docs d ON d.rowid = f.rowid "
            "WHERE search_fts MATCH :q AND d.kind = :kind LIMIT :n",
            {"q": q, "n": LIMIT - len(out), "kind": kind},
        )
        if len(out) >= LIMIT:
            break
    return out


def capped(cap: int, words_exact: bool = False) -> SearchFn:
    """Rank only the first `cap` matches (FTS5's rowid order): identical to the current query
    whenever at most `cap` documents match. With `words_exact`, the words already finished
    (followed by a space) match whole tokens, and only the word being typed is a prefix."""

    def run(session: Any, typed: str) -> Hits:
        q = exact_words_query(typed) if words_exact else _query(typed)
        if q is None:
            return []
        return _rows(
            session,
            SELECT_HITS + "FROM (SELECT rowid, rank FROM search_fts WHERE search_fts MATCH :q "
            "LIMIT :cap) f JOIN search_docs d ON d.rowid = f.rowid "
            "ORDER BY d.kind = 'contact', f.rank LIMIT :n",
            {"q": q, "cap": cap, "n": LIMIT},
        )

    run.__name__ = f"capped_{cap}" + ("_words_exact" if words_exact else "")
    return run


def exact_words_query(typed: str) -> str | None:
    """Like fts_query, but only the last word (when not yet followed by a space) is a prefix."""
    from workbench.domain.text import search_tokens
    from workbench.storage.search import _PHONEISH

    q = _query(typed)
    if q is None or _PHONEISH.match(typed):  # phone-like input stays one digit-run prefix
        return q
    tokens = search_tokens(typed)
    finished = len(tokens) if typed[-1:].isspace() else len(tokens) - 1
    return " AND ".join(f'"{t}"' if i < finished else f'"{t}"*' for i, t in enumerate(tokens))


def match_count(session: Any, typed: str) -> int:
    q = _query(typed)
    if q is None:
        return 0
    sql = "SELECT count(*) FROM search_fts WHERE search_fts MATCH :q"
    return int(_rows(session, sql, {"q": q})[0][0])


# -- measuring -----------------------------------------------------------------------------------


def time_queries(
    store: Any, queries: list[str], rounds: int, fns: dict[str, SearchFn | None]
) -> dict[str, list[tuple[str, float]]]:
    """(query, ms) per function for every query in every round, after a warm-up pass.

    `None` means the application path: `store.read()` and `Queries.search`. The functions are
    interleaved query by query, so a burst of load on the machine hits all of them alike.
    """

    def one(fn: SearchFn | None, typed: str) -> None:
        with store.read() as q:
            if fn is None:
                q.search(typed, LIMIT)
            else:
                fn(q.session, typed)

    for typed in queries:
        for fn in fns.values():
            one(fn, typed)
    timings: dict[str, list[tuple[str, float]]] = {name: [] for name in fns}
    for _ in range(rounds):
        for typed in queries:
            for name, fn in fns.items():
                start = time.perf_counter()
                one(fn, typed)
                timings[name].append((typed, (time.perf_counter() - start) * 1000))
    return timings


def summarize(prefix: str, timings: list[tuple[str, float]], contacts: int, **extra: Any) -> None:
    values = [ms for _, ms in timings]
    n_q = len(values)
    emit(f"{prefix}_p50", round(percentile(values, 50), 2), "ms", contacts, queries=n_q, **extra)
    emit(f"{prefix}_p95", round(percentile(values, 95), 2), "ms", contacts, queries=n_q, **extra)
    emit(f"{prefix}_max", round(max(values), 2), "ms", contacts, queries=n_q, **extra)
    for cls in ("1char", "2char", "3plus"):
        part = [ms for t, ms in timings if length_class(t) == cls]
        if part:
            emit(
                f"{prefix}_p95_{cls}",
                round(percentile(part, 95), 2),
                "ms",
                contacts,
                queries=len(part),
            )


def median_by_query(timings: list[tuple[str, float]]) -> dict[str, float]:
    by: dict[str, list[float]] = {}
    for typed, ms in timings:
        by.setdefault(typed, []).append(ms)
    return {typed: percentile(v, 50) for typed, v in by.items()}


def compare(reference: dict[str, Hits], hits: dict[str, Hits]) -> dict[str, int]:
    """How a variant's hits differ from the current ones, counted over the keystroke queries."""
    identical = sum(hits[t] == reference[t] for t in reference)
    same_set = sum(set(hits[t]) == set(reference[t]) for t in reference)
    accounts_lost = sum(
        sum(h[0] == "account" for h in hits[t]) < sum(h[0] == "account" for h in reference[t])
        for t in reference
    )
    return {
        "identical": identical,
        "same_set": same_set,
        "accounts_lost": accounts_lost,
        "unique_queries": len(reference),
    }


def explain(store: Any) -> None:
    from sqlalchemy import text

    with store.read() as q:
        print("EXPLAIN QUERY PLAN of the current search:", file=sys.stderr)
        plan = q.session.execute(
            text("EXPLAIN QUERY PLAN " + CURRENT_SQL), {"q": _query("n"), "n": LIMIT}
        )
        for row in plan:
            print(f"    {tuple(row)}", file=sys.stderr)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--accounts", type=int, default=20_000)
    parser.add_argument("--variants", action="store_true", help="also time prototype queries")
    parser.add_argument("--explain", action="store_true", help="print the query plan to stderr")
    args = parser.parse_args()

    db = big_db(args.accounts)
    contacts = contact_count(db)
    from workbench.storage.store import Store

    store = Store(db)
    queries = keystrokes()
    fns: dict[str, SearchFn | None] = {"app": None}
    if args.variants:
        for fn in (
            rank_only,
            unranked_short,
            capped(200),
            capped(500),
            capped(1000),
            capped(200, words_exact=True),
        ):
            fns[fn.__name__] = fn
    timings = time_queries(store, queries, args.rounds, fns)
    app_timings = timings.pop("app")
    summarize("quick_search", app_timings, contacts)

    with store.read() as q:
        matches = {t: match_count(q.session, t) for t in queries}
        reference = {t: current(q.session, t) for t in queries}
        variant_hits = {
            name: {t: fn(q.session, t) for t in queries}
            for name, fn in fns.items()
            if fn is not None
        }
    for name, t in timings.items():
        summarize(
            f"quick_search_variant_{name}", t, contacts, **compare(reference, variant_hits[name])
        )
    if args.variants:
        for cap in (200, 500, 1000):
            emit(
                f"quick_search_queries_over_{cap}_matches",
                sum(n > cap for n in matches.values()),
                "queries",
                contacts,
                unique_queries=len(matches),
            )
    print(
        "slowest current queries (median ms over the rounds) and their match counts:",
        file=sys.stderr,
    )
    per_query = median_by_query(app_timings)
    for typed, ms in sorted(per_query.items(), key=lambda kv: -kv[1])[:12]:
        print(f"  {typed!r:18} {ms:7.1f} ms  {matches[typed]:6d} matches", file=sys.stderr)
    if args.explain:
        explain(store)
    store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
