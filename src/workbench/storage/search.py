"""The quick-search index: one folded document per account and contact, queried with FTS5.

Why fold in Python: FTS5's `remove_diacritics` does not fold `đ`, so `dang` would miss `Đặng`.
`fold()` from the domain does it, and the same function folds the query.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from operator import itemgetter
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from workbench.domain.names import written_order
from workbench.domain.records import SearchHit
from workbench.domain.text import digits_only, fold, fold_joined, search_tokens

_PHONEISH = re.compile(r"^[\d\s+().\-]+$")


def _phone_terms(e164: str) -> list[str]:
    """Digits of a phone as typed in both ways: `84912345678` and national `0912345678`."""
    if not e164:  # most contacts lack one of their two numbers
        return []
    digits = digits_only(e164)
    terms = [digits] if digits else []
    if e164.startswith("+84") and len(digits) > 2:
        terms.append("0" + digits[2:])
    return terms


def _tax_terms(code: str) -> list[str]:
    if not code:  # most contacts have none
        return []
    digits = digits_only(code)
    terms = [fold(code)]
    if digits:
        terms.append(digits)
        if len(digits) == 13:
            terms.append(digits[:10])
    return terms


_UPSERT = (
    "INSERT INTO search_docs(rowid, kind, ref_id, title, subtitle, body) VALUES (?, ?, ?, ?, ?, ?)"
    " ON CONFLICT(ref_id) DO UPDATE SET"
    " kind=excluded.kind, title=excluded.title, subtitle=excluded.subtitle, body=excluded.body"
)
_FTS_DELETE = "INSERT INTO search_fts(search_fts, rowid, kind, body) VALUES ('delete', ?, ?, ?)"
_FTS_INSERT = "INSERT INTO search_fts(rowid, kind, body) VALUES (?, ?, ?)"


def _write(session: Session, docs: list[dict[str, str]], removed: list[str]) -> None:
    """Upsert and delete documents, keeping the FTS index in step, in a few batched
    statements.

    Why not triggers on `search_docs` (the schema had them until migration 0004): SQLite runs
    a trigger's FTS5 write row by row, and that cost ~50 µs per document, five times the
    batched insert; a sync page of 10,000 contacts spent half a second there. This function
    is the only writer of `search_docs`, so it keeps `search_fts` in step itself: the old
    text of every changed or removed document is deleted from the index (an external-content
    FTS5 table needs the old values for that), then the new text inserted. A document whose
    indexed text did not change (only its title or subtitle) leaves the index alone.
    A document is either in `docs` or in `removed`, never both.
    """
    if not docs and not removed:
        return
    conn = session.connection()
    wanted = {d["r"]: d for d in docs}
    old = _stored(conn, [*wanted, *removed])
    stale = [
        (rowid, kind, body)
        for ref_id, (rowid, kind, body) in old.items()
        if ref_id not in wanted or (wanted[ref_id]["k"], wanted[ref_id]["b"]) != (kind, body)
    ]
    if stale:
        conn.exec_driver_sql(_FTS_DELETE, stale)
    if removed:
        conn.exec_driver_sql(
            "DELETE FROM search_docs WHERE ref_id = ?", [(ref_id,) for ref_id in removed]
        )
    if docs:
        # New documents are numbered here as SQLite would number them (the largest rowid plus
        # one, in order), so their index entries need no query for the rowids they got.
        last = 0
        if any(d["r"] not in old for d in wanted.values()):  # an edit page has none
            (last,) = conn.exec_driver_sql("SELECT coalesce(max(rowid), 0) FROM search_docs").one()
        params: list[tuple[int | None, str, str, str, str, str]] = []
        index: list[tuple[int, str, str]] = []
        for d in wanted.values():
            stored = old.get(d["r"])
            if stored is None:
                last += 1
                params.append((last, d["k"], d["r"], d["t"], d["s"], d["b"]))
                index.append((last, d["k"], d["b"]))
            else:
                params.append((None, d["k"], d["r"], d["t"], d["s"], d["b"]))
                if (d["k"], d["b"]) != stored[1:]:
                    index.append((stored[0], d["k"], d["b"]))
        conn.exec_driver_sql(_UPSERT, params)
        if index:
            conn.exec_driver_sql(_FTS_INSERT, index)


def _stored(conn: Any, ref_ids: list[str]) -> dict[str, tuple[int, str, str]]:
    """Stored documents by ref id: (rowid, kind, body)."""
    out: dict[str, tuple[int, str, str]] = {}
    for start in range(0, len(ref_ids), CHUNK):
        chunk = ref_ids[start : start + CHUNK]
        rows = conn.exec_driver_sql(
            "SELECT ref_id, rowid, kind, body FROM search_docs"
            f" WHERE ref_id IN ({','.join('?' * len(chunk))})",
            tuple(chunk),
        )
        for ref_id, rowid, kind, body in rows.fetchall():
            out[ref_id] = (rowid, kind, body)
    return out


def _doc(kind: str, ref_id: str, title: str, sub: str, terms: list[str]) -> dict[str, str]:
    return {"k": kind, "r": ref_id, "t": title, "s": sub, "b": " ".join([t for t in terms if t])}


CHUNK = 5000


def _chunks(ids: Iterable[str]) -> Iterable[list[str]]:
    items = list(ids)
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]


def index_accounts(
    session: Session, ids: Iterable[str], known: Mapping[str, Mapping[str, Any]] | None = None
) -> None:
    """(Re)write the documents of these accounts. `known`: rows this unit inserted and did
    not change since, by id, every column as written; their documents are built from these
    values instead of being read back (see `_index_contacts`)."""
    for chunk in _chunks(ids):
        _index_accounts(session, chunk, known or {})


def index_contacts(
    session: Session, ids: Iterable[str], known: Mapping[str, Mapping[str, Any]] | None = None
) -> None:
    """(Re)write the documents of these contacts; `known` as for `index_accounts`."""
    for chunk in _chunks(ids):
        _index_contacts(session, chunk, known or {})


_first = itemgetter(0)


def _rows(
    conn: Any, table: str, columns: list[str], ids: list[str], known: Mapping[str, Any]
) -> list[tuple[Any, ...]]:
    """(id, archived?, *columns) of these rows of `table`, in id order: what `known` holds,
    and the rest read with one query.

    Why id order: it is the order in which the query finds rows by id, so the documents are
    written (and new ones numbered) in the same order whichever way their values came.
    """
    values = itemgetter(*columns)
    rows: list[tuple[Any, ...]] = [
        (row_id, row["deleted_at"] is not None, *values(row))
        for row_id in ids
        if (row := known.get(row_id)) is not None
    ]
    unknown = [row_id for row_id in ids if row_id not in known]
    if unknown:
        # Plain rows of the columns the document needs, not ORM objects (a sync page or an
        # import reindexes thousands of rows, and building entities was most of the cost),
        # by plain SQL (SQLAlchemy's expanding IN of thousands of ids cost more than the query).
        rows += conn.exec_driver_sql(
            f"SELECT id, deleted_at IS NOT NULL, {', '.join(columns)} FROM {table}"
            f" WHERE id IN ({','.join('?' * len(unknown))}) ORDER BY id",
            tuple(unknown),
        ).all()
    rows.sort(key=_first)
    return rows


def _index_accounts(session: Session, ids: list[str], known: Mapping[str, Any]) -> None:
    columns = ["name", "tax_code", "email", "city", "phone"]
    rows = _rows(session.connection(), "accounts", columns, ids, known)
    docs: list[dict[str, str]] = []
    removed: list[str] = []
    for row_id, gone, name, tax_code, email, city, phone in rows:
        if gone:
            removed.append(row_id)
            continue
        terms = [fold(name), *_tax_terms(tax_code), fold(email), fold(city)]
        terms += _phone_terms(phone)
        sub = " · ".join(p for p in (city, tax_code) if p)
        docs.append(_doc("account", row_id, name, sub, terms))
    _write(session, docs, removed)


def _index_contacts(session: Session, ids: list[str], known: Mapping[str, Any]) -> None:
    """Documents of contacts: the name, e-mail, tax code and phones as searchable text, the
    current position and e-mail as the subtitle.

    Why `known`: a sync page of 10,000 new contacts used to read every one of them back
    right after inserting it. Rows inserted by `UnitOfWork.insert_many` and not changed
    since in the same unit are exactly what the query would return, so only the rest are
    read. Their positions are always queried: a position may have arrived before its contact
    (in an earlier page, or in this unit).
    """
    conn = session.connection()
    columns = ["family_name", "middle_name", "given_name", "name_order"]
    columns += ["email", "tax_code", "phone", "mobile"]
    contacts = _rows(conn, "contacts", columns, ids, known)
    current = conn.exec_driver_sql(  # plain SQL, as in `_rows`
        "SELECT p.contact_id, p.title, a.name FROM positions p"
        " JOIN accounts a ON a.id = p.account_id"
        f" WHERE p.contact_id IN ({','.join('?' * len(ids))})"
        " AND p.deleted_at IS NULL AND p.end_date IS NULL"
        # The same position the contacts list shows: the most influential, then the newest.
        " ORDER BY p.influence DESC, p.start_date DESC, p.id",
        tuple(ids),
    ).all()
    where: dict[str, str] = {}
    for contact_id, title, account_name in current:
        where.setdefault(contact_id, ", ".join(p for p in (title, account_name) if p))
    docs: list[dict[str, str]] = []
    removed: list[str] = []
    for row_id, gone, family, middle, given, order, email, tax_code, phone, mobile in contacts:
        if gone:
            removed.append(row_id)
            continue
        parts = written_order(family, middle, given, order)
        terms = [fold_joined(parts), fold(email), *_tax_terms(tax_code)]
        terms += _phone_terms(phone) + _phone_terms(mobile)
        place = where.get(row_id, "")
        sub = f"{place} · {email}" if place and email else place or email
        docs.append(_doc("contact", row_id, " ".join(parts), sub, terms))
    _write(session, docs, removed)


CANDIDATES = 200  # matches ranked per kind: bm25 over 40,000 "nguyen*" hits costs ~100 ms


def fts_query(user_text: str, kind: str | None = None) -> str | None:
    """The FTS5 MATCH expression for what the user typed: every token as a prefix, ANDed.

    Phone-like input ("0912 345 6") is one digit run, so a number typed with spaces still
    matches the stored digits. Tokens are quoted, so FTS syntax in the input is inert. `kind`
    restricts to accounts or contacts inside the index itself (its own indexed column).
    """
    if _PHONEISH.match(user_text) and sum(ch.isdigit() for ch in user_text) >= 3:
        tokens = [digits_only(user_text)]
    else:
        tokens = search_tokens(user_text)
    tokens = [t for t in tokens if t]
    if not tokens:
        return None
    terms = [f'body : "{t}"*' for t in tokens]
    if kind is not None:
        terms.insert(0, f"kind : {kind}")
    return " AND ".join(terms)


def _ranked(session: Session, query: str, limit: int) -> list[SearchHit]:
    """The best `limit` of the first CANDIDATES matches.

    Why capped: ranking every match of a one-letter prefix is what makes a keystroke slow. For
    a query with at most CANDIDATES matches the answer is exact; for a broader one the user is
    still typing, and the next keystroke narrows it.
    """
    rows = session.execute(
        text(
            "SELECT d.kind, d.ref_id, d.title, d.subtitle FROM "
            "(SELECT rowid, rank FROM search_fts WHERE search_fts MATCH :q LIMIT :cap) f "
            "JOIN search_docs d ON d.rowid = f.rowid ORDER BY f.rank LIMIT :n"
        ),
        {"q": query, "cap": max(CANDIDATES, limit), "n": limit},
    ).all()
    return [SearchHit(r[0], r[1], r[2], r[3]) for r in rows]


def search(
    session: Session, user_text: str, limit: int = 20, kind: str | None = None
) -> list[SearchHit]:
    """Accounts and contacts matching every typed token; accounts first, best match first."""
    hits: list[SearchHit] = []
    for k in (kind,) if kind else ("account", "contact"):
        query = fts_query(user_text, k)
        if query is None or len(hits) >= limit:
            break
        hits += _ranked(session, query, limit - len(hits))
    return hits


def remove(session: Session, ids: Iterable[str]) -> None:
    """Drop the documents of rows that left this device (purged, not archived)."""
    for chunk in _chunks(ids):
        _write(session, [], chunk)
