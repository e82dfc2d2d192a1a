"""The quick-search index: one folded document per account and contact, queried with FTS5.

Why fold in Python: FTS5's `remove_diacritics` does not fold `đ`, so `dang` would miss `Đặng`.
`fold()` from the domain does it, and the same function folds the query.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

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


_UPSERT = text(
    "INSERT INTO search_docs(kind, ref_id, title, subtitle, body) "
    "VALUES (:k, :r, :t, :s, :b) ON CONFLICT(ref_id) DO UPDATE SET "
    "title=excluded.title, subtitle=excluded.subtitle, body=excluded.body"
)
_DELETE = text("DELETE FROM search_docs WHERE ref_id = :r")


def _write(session: Session, docs: list[dict[str, str]], removed: list[str]) -> None:
    """Upsert and delete documents in two batched statements."""
    if docs:
        session.execute(_UPSERT, docs)
    if removed:
        session.execute(_DELETE, [{"r": ref_id} for ref_id in removed])


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
    rows = session.scalars(select(Account).where(Account.id.in_(ids))).all()
    docs: list[dict[str, str]] = []
    removed: list[str] = []
    for acc in rows:
        if acc.deleted_at is not None:
            removed.append(acc.id)
            continue
        terms = [fold(acc.name), *_tax_terms(acc.tax_code), fold(acc.email), fold(acc.city)]
        terms += _phone_terms(acc.phone)
        sub = " · ".join(p for p in (acc.city, acc.tax_code) if p)
        docs.append(_doc("account", acc.id, acc.name, sub, terms))
    _write(session, docs, removed)


def contact_display_name(c: Contact) -> str:
    return PersonName(c.family_name, c.middle_name, c.given_name, NameOrder(c.name_order)).display()


def _index_contacts(session: Session, ids: list[str]) -> None:
    contacts = session.scalars(select(Contact).where(Contact.id.in_(ids))).all()
    current = session.execute(
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
        if c.deleted_at is not None:
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
