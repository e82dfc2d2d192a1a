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

from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import Connection, and_, select

from workbench.sync.schema import (
    ACCOUNT_CHILD_TABLES,
    ALL_SCOPE,
    FINANCE_SCOPE,
    REF_SCOPE,
    REF_TABLES,
    account_scope,
    user_scope,
)
from workbench.sync.server.db import sync_row


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


def read_scopes(conn: Connection, user_id: str, role: str) -> frozenset[str]:
    """The scope set of a user now: what their devices receive."""
    return _scopes(conn, user_id, role, None)


def held_scopes(
    conn: Connection, user_id: str, role: str, candidates: Iterable[str]
) -> frozenset[str]:
    """``read_scopes(...) & candidates`` (an admin's ``{"all"}`` as is), reading only the
    accounts ``candidates`` name: a snapshot page names a few scopes, while an account
    manager may hold thousands, and reading them all for every page made a bootstrap
    quadratic in the number of accounts."""
    return _scopes(conn, user_id, role, frozenset(candidates))


_ACCOUNT_PREFIX = account_scope("")
_IN_CHUNK = 500


def _scopes(
    conn: Connection, user_id: str, role: str, among: frozenset[str] | None
) -> frozenset[str]:
    if role == "admin":
        return frozenset({ALL_SCOPE})
    scopes = {REF_SCOPE, user_scope(user_id)}
    if role == "finance":
        scopes.add(FINANCE_SCOPE)
        return frozenset(scopes if among is None else scopes & among)
    owned_where = and_(sync_row.c.tbl == "accounts", sync_row.c.user_ref == user_id)
    team_where = and_(
        sync_row.c.tbl == "account_team",
        sync_row.c.user_ref == user_id,
        sync_row.c.deleted.is_(False),
    )
    if among is None:
        chunks: list[list[str] | None] = [None]
    else:
        ids = sorted(s[len(_ACCOUNT_PREFIX) :] for s in among if s.startswith(_ACCOUNT_PREFIX))
        chunks = [ids[i : i + _IN_CHUNK] for i in range(0, len(ids), _IN_CHUNK)]
    for chunk in chunks:
        owned = select(sync_row.c.row_id).where(owned_where)
        team = select(sync_row.c.account_ref).where(team_where)
        if chunk is not None:
            owned = owned.where(sync_row.c.row_id.in_(chunk))
            team = team.where(sync_row.c.account_ref.in_(chunk))
        scopes.update(account_scope(r) for (r,) in conn.execute(owned))
        scopes.update(account_scope(a) for (a,) in conn.execute(team) if a)
    return frozenset(scopes if among is None else scopes & among)


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
