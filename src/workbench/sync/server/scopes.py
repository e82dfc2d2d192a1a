"""Who may hold and change what (SYNC.md §1.10): row scopes and users' scope sets.

Row scopes are computed by the write path for every row version and only ever grow (a contact
that once had a position at an account stays in that account's scope, like the history it
is). What shrinks is a *user's* scope set: an account reassigned away, a team membership
ended. That keeps a reassignment a change of subscriptions, never a rewrite of log rows.

- ``account:<id>``: the account and every row under it (team, positions, holdings,
  opportunities, commitments, activities and their attendees), plus the contacts that hold or
  held a position there.
- ``finance``: account basics for finance (receivables will join it).
- ``ref``: users and products, for everyone.
- ``user:<id>``: what belongs to one user and no account yet (a contact created without a
  position, an activity without an account) and that user's conflict records.
- ``all``: an admin's single scope.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cached_property
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import Connection, Engine, and_, bindparam, select
from sqlalchemy.dialects import postgresql, sqlite

from workbench.domain.ids import new_id
from workbench.sync.schema import (
    ACCOUNT_CHILD_TABLES,
    ALL_SCOPE,
    FINANCE_SCOPE,
    REF_SCOPE,
    REF_TABLES,
    account_scope,
    user_scope,
)
from workbench.sync.server.db import sync_row, sync_scope_version

#: The tables a user's scope set is read from (`_scopes`): a write to one of their rows changes
#: the scope version of the user the row names before and after the write (`touch`).
SCOPE_TABLES = frozenset({"accounts", "account_team"})


def computed_scopes(
    tbl: str,
    row_id: str,
    value: Callable[[str], Any],
    author_id: str | None,
    scopes_of: Callable[[str, str], set[str]],
) -> set[str]:
    """The scopes a row version belongs to by its own values (callers add the old ones).

    ``value(name)`` reads the row after the op; ``scopes_of(tbl, id)`` the scopes of another
    row (an attendee follows its activity); ``author_id`` is the user writing (None for the
    server itself, whose ownerless rows go to ``ref``).
    """
    fallback = user_scope(author_id) if author_id else REF_SCOPE
    if tbl == "accounts":
        return {account_scope(row_id), FINANCE_SCOPE}
    if tbl in REF_TABLES:
        return {REF_SCOPE}
    if tbl in ACCOUNT_CHILD_TABLES:
        account_id = value("account_id")
        if isinstance(account_id, str) and account_id:
            return {account_scope(account_id)}
        owner = value("owner_id")
        return {user_scope(owner)} if isinstance(owner, str) and owner else {fallback}
    if tbl == "activity_attendees":
        activity_id = value("activity_id")
        found = scopes_of("activities", activity_id) if isinstance(activity_id, str) else set()
        return found or {fallback}
    return {fallback}


@dataclass(frozen=True)
class ScopeSet:
    """A user's scope set and the scope version (`sync_scope_version.token`) it was read at."""

    token: str
    scopes: frozenset[str]

    @cached_property
    def text(self) -> str:
        """The set as ``sync_scope_set.scopes`` stores it (sorted JSON list): a caught-up pull
        compares the stored text with this instead of parsing thousands of scopes again."""
        return json.dumps(sorted(self.scopes))


def read_scopes(conn: Connection, user_id: str, role: str) -> frozenset[str]:
    """The scope set of a user now: what their devices receive."""
    return scope_set(conn, user_id, role).scopes


_TOKEN_QUERY = select(sync_scope_version.c.token).where(
    sync_scope_version.c.user_id == bindparam("user_id")
)
_CACHE_SIZE = 512  # users per engine; an account manager's set is a few hundred kB
_cache: WeakKeyDictionary[Engine, dict[tuple[str, str], ScopeSet]] = WeakKeyDictionary()
_cache_lock = threading.Lock()


def scope_set(conn: Connection, user_id: str, role: str, token: str | None = None) -> ScopeSet:
    """`read_scopes` with its version token, computed once per process and scope version.

    Why: an account manager holds thousands of accounts, and every pull (most of them the
    caught-up poll of an idle device) needs the set; reading all of them each time was most of
    a poll's cost. The cached set is never trusted on its own: each call reads the user's
    token (one primary-key lookup) and recomputes when it differs, and the token changes in
    the transaction of any write to a row the set is computed from (`touch`, called by
    `rows.RowCache.save`, the only writer of ``sync_row``). So another server process's write
    is seen as soon as it commits, and a write rolled back leaves a token nobody reuses.

    The token is read before the rows: on PostgreSQL (read committed) the rows may then be
    newer than the token, which only caches a set under a token the database has already
    replaced, never an old set under a current token.
    """
    if role == "admin":
        return ScopeSet("", frozenset({ALL_SCOPE}))
    if role == "finance":
        return ScopeSet("", _scopes(conn, user_id, role))
    if token is None:  # else the caller read it just now, in a statement of its own
        token = conn.execute(_TOKEN_QUERY, {"user_id": user_id}).scalar_one_or_none() or ""
    key = (user_id, role)
    per_engine = _cache.get(conn.engine)
    found = per_engine.get(key) if per_engine is not None else None
    if found is not None and found.token == token:
        return found
    found = ScopeSet(token, _scopes(conn, user_id, role))
    with _cache_lock:
        per_engine = _cache.setdefault(conn.engine, {})
        per_engine.pop(key, None)
        per_engine[key] = found
        while len(per_engine) > _CACHE_SIZE:
            del per_engine[next(iter(per_engine))]
    return found


def touch(conn: Connection, user_ids: Iterable[str]) -> None:
    """Give these users a new scope version: rows their scope sets are read from changed.

    One upsert (INSERT ... ON CONFLICT) per call, so concurrent writers cannot race on a
    user's first row; inside the caller's transaction, so it commits or rolls back with the
    rows it describes.
    """
    values = [{"user_id": u, "token": new_id()} for u in sorted(set(user_ids))]
    if not values:
        return
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(sync_scope_version)
    conn.execute(
        stmt.on_conflict_do_update(
            index_elements=[sync_scope_version.c.user_id], set_={"token": stmt.excluded.token}
        ),
        values,
    )


def _scopes(conn: Connection, user_id: str, role: str) -> frozenset[str]:
    """A user's scope set read from the database (`scope_set` caches it)."""
    if role == "admin":
        return frozenset({ALL_SCOPE})
    scopes = {REF_SCOPE, user_scope(user_id)}
    if role == "finance":
        scopes.add(FINANCE_SCOPE)
        return frozenset(scopes)
    owned = select(sync_row.c.row_id).where(
        and_(sync_row.c.tbl == "accounts", sync_row.c.user_ref == user_id)
    )
    team = select(sync_row.c.account_ref).where(
        and_(
            sync_row.c.tbl == "account_team",
            sync_row.c.user_ref == user_id,
            sync_row.c.deleted.is_(False),
        )
    )
    scopes.update(account_scope(r) for (r,) in conn.execute(owned))
    scopes.update(account_scope(a) for (a,) in conn.execute(team) if a)
    return frozenset(scopes)


def write_scopes(read: frozenset[str], role: str) -> frozenset[str]:
    """What a user may change: what they hold, except reference data (admins: everything)."""
    if role == "admin":
        return read
    return read - {REF_SCOPE}


def visible(row_scopes: set[str] | frozenset[str], user_scopes: frozenset[str]) -> bool:
    return ALL_SCOPE in user_scopes or not row_scopes.isdisjoint(user_scopes)


def shown_scopes(row_scopes: list[str], user_scopes: frozenset[str]) -> list[str]:
    """The scopes of a row a user is told about: only their own (others name other accounts)."""
    if ALL_SCOPE in user_scopes:
        return row_scopes
    return [s for s in row_scopes if s in user_scopes]
