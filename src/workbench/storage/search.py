"""The quick-search index: one folded document per account and contact, queried with FTS5.

Why fold in Python: FTS5's `remove_diacritics` does not fold `đ`, so `dang` would miss `Đặng`.
`fold()` from the domain does it, and the same function folds the query.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, Protocol

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from workbench.domain.names import NameOrder, PersonName
from workbench.domain.records import SearchHit
from workbench.domain.text import digits_only, fold, search_tokens
from workbench.storage.tables import Account, Contact, Position

_PHONEISH = re.compile(r"^[\d\s+().\-]+$")


def _phone_terms(e164: str) -> list[str]:
    """Digits of a phone as typed in both ways: `84912345678` and national `0912345678`."""
    digits = digits_only(e164)
    terms = [digits] if digits else []
    if e164.startswith("+84") and len(digits) > 2:
        terms.append("0" + digits[2:])
    return terms


def _tax_terms(code: str) -> list[str]:
    digits = digits_only(code)
    terms = [fold(code)] if code else []
    if digits:
        terms.append(digits)
        if len(digits) == 13:
            terms.append(digits[:10])
    return terms


_UPSERT = (
    "INSERT INTO search_docs(kind, ref_id, title, subtitle, body) VALUES (?, ?, ?, ?, ?)"
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
        conn.exec_driver_sql(_UPSERT, [(d["k"], d["r"], d["t"], d["s"], d["b"]) for d in docs])
        fresh = [
            ref_id
            for ref_id, d in wanted.items()
            if ref_id not in old or (d["k"], d["b"]) != old[ref_id][1:]
        ]
        if fresh:
            new = _stored(conn, fresh)
            conn.exec_driver_sql(_FTS_INSERT, list(new.values()))


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


def _doc(kind: str, ref_id: str, title: str, sub: str, terms: Iterable[str]) -> dict[str, str]:
    return {"k": kind, "r": ref_id, "t": title, "s": sub, "b": " ".join(t for t in terms if t)}


CHUNK = 5000


def _chunks(ids: Iterable[str]) -> Iterable[list[str]]:
    items = list(ids)
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]


def index_accounts(session: Session, ids: Iterable[str]) -> None:
    for chunk in _chunks(ids):
        _index_accounts(session, chunk)


def index_contacts(session: Session, ids: Iterable[str]) -> None:
    for chunk in _chunks(ids):
        _index_contacts(session, chunk)


def _index_accounts(session: Session, ids: list[str]) -> None:
    # Plain rows of the columns the document needs, not ORM objects: a sync page or an
    # import reindexes thousands of rows, and building entities was most of the cost.
    rows = (
        session.connection()
        .execute(
            select(
                Account.id,
                Account.deleted_at.is_not(None).label("gone"),
                Account.name,
                Account.tax_code,
                Account.email,
                Account.city,
                Account.phone,
            ).where(Account.id.in_(ids))
        )
        .all()
    )
    docs: list[dict[str, str]] = []
    removed: list[str] = []
    for acc in rows:
        if acc.gone:
            removed.append(acc.id)
            continue
        terms = [fold(acc.name), *_tax_terms(acc.tax_code), fold(acc.email), fold(acc.city)]
        terms += _phone_terms(acc.phone)
        sub = " · ".join(p for p in (acc.city, acc.tax_code) if p)
        docs.append(_doc("account", acc.id, acc.name, sub, terms))
    _write(session, docs, removed)


class _NameParts(Protocol):
    """A contact entity or a row of its name columns."""

    @property
    def family_name(self) -> str: ...
    @property
    def middle_name(self) -> str: ...
    @property
    def given_name(self) -> str: ...
    @property
    def name_order(self) -> str: ...


def contact_display_name(c: _NameParts) -> str:
    return PersonName(c.family_name, c.middle_name, c.given_name, NameOrder(c.name_order)).display()


def _index_contacts(session: Session, ids: list[str]) -> None:
    # On the connection, not the session: plain rows without the ORM's loading machinery.
    conn = session.connection()
    contacts = conn.execute(
        select(
            Contact.id,
            Contact.deleted_at.is_not(None).label("gone"),
            Contact.family_name,
            Contact.middle_name,
            Contact.given_name,
            Contact.name_order,
            Contact.email,
            Contact.tax_code,
            Contact.phone,
            Contact.mobile,
        ).where(Contact.id.in_(ids))
    ).all()
    current = conn.execute(
        select(Position.contact_id, Position.title, Account.name)
        .join(Account, Account.id == Position.account_id)
        .where(
            Position.contact_id.in_(ids),
            Position.deleted_at.is_(None),
            Position.end_date.is_(None),
        )
        # The same position the contacts list shows: the most influential, then the newest.
        .order_by(Position.influence.desc(), Position.start_date.desc(), Position.id)
    ).all()
    where: dict[str, str] = {}
    for contact_id, title, account_name in current:
        where.setdefault(contact_id, ", ".join(p for p in (title, account_name) if p))
    docs: list[dict[str, str]] = []
    removed: list[str] = []
    for c in contacts:
        if c.gone:
            removed.append(c.id)
            continue
        name = contact_display_name(c)
        terms = [fold(name), fold(c.email), *_tax_terms(c.tax_code)]
        terms += _phone_terms(c.phone) + _phone_terms(c.mobile)
        sub = " · ".join(p for p in (where.get(c.id, ""), c.email) if p)
        docs.append(_doc("contact", c.id, name, sub, terms))
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
