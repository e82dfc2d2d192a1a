"""What may travel in sync ops, and where each row belongs (SYNC.md §1.7, §1.10).

Shared by the server (validation, authorisation, scoping) and the client (which tables it
pushes). Derived from the client's table definitions, so a synced column added there is
accepted here with the same type, and a local-only column (``info={"sync": False}``) is refused.

Why the server validates against the client's tables and not tables of its own: the server
stores rows generically (see ``workbench.sync.server.rows``); what a value may be is decided in
exactly one place, the model every client writes with.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Boolean, Date, DateTime, Integer, String, inspect

from workbench.domain.merge import DELETED, Policy
from workbench.storage.outbox import CONFLICT_STATUSES, CONFLICT_TABLE, synced_columns
from workbench.storage.tables import SYNCED_TABLES

#: Reference data every user receives and only an admin (or the server) writes. Clients never
#: push rows of these tables: their local copies are either server data or local placeholders.
REF_TABLES = frozenset({"users", "products"})
#: Rows that hang under one account through their ``account_id``.
#: A plan's objectives, actions and updates carry their plan's `account_id` for this. A lead
#: has no account until it is converted: until then it goes to its owner's scope.
ACCOUNT_CHILD_TABLES = frozenset(
    {
        "account_team",
        "positions",
        "holdings",
        "opportunities",
        "commitments",
        "activities",
        "leads",
        "account_plans",
        "plan_updates",
        "plan_objectives",
        "plan_actions",
        "whitespace_marks",
    }
)

ALL_SCOPE = "all"  # an admin's single scope: every row
FINANCE_SCOPE = "finance"
REF_SCOPE = "ref"


def account_scope(account_id: str) -> str:
    return f"account:{account_id}"


def user_scope(user_id: str) -> str:
    return f"user:{user_id}"


#: Per-field merge policies (SYNC.md §1.7); fields not listed are LWW. Money terms of an
#: account are what finance and the account manager must not overwrite blindly.
FIELD_POLICIES: Mapping[str, Mapping[str, Policy]] = {
    "accounts": {
        "credit_limit_minor": Policy.FAIL_IF_CONCURRENT,
        "payment_terms_days": Policy.FAIL_IF_CONCURRENT,
    },
}


@dataclass(frozen=True)
class ColumnRule:
    kind: str  # str | int | bool | date | datetime
    nullable: bool
    max_length: int | None


def _rule(column: Any) -> ColumnRule:
    kind: str
    if isinstance(column.type, Boolean):
        kind = "bool"
    elif isinstance(column.type, Integer):
        kind = "int"
    elif isinstance(column.type, DateTime):
        kind = "datetime"
    elif isinstance(column.type, Date):
        kind = "date"
    else:
        kind = "str"
    length = column.type.length if isinstance(column.type, String) else None
    return ColumnRule(kind, bool(column.nullable), length)


def _build_rules() -> dict[str, dict[str, ColumnRule]]:
    out: dict[str, dict[str, ColumnRule]] = {}
    for name, model in SYNCED_TABLES.items():
        attrs = inspect(model).column_attrs
        out[name] = {c: _rule(attrs[c].columns[0]) for c in synced_columns(name)}
    out[CONFLICT_TABLE] = {"status": ColumnRule("str", False, 12)}
    return out


COLUMN_RULES: Mapping[str, Mapping[str, ColumnRule]] = _build_rules()


def check_value(table: str, field: str, value: Any) -> str | None:
    """Why ``value`` cannot be stored in ``table.field`` (a message), or None if it can."""
    if field == DELETED:
        return None if isinstance(value, bool) else "the tombstone must be true or false"
    rule = COLUMN_RULES.get(table, {}).get(field)
    if rule is None:
        return f"{table}.{field} is not a synced field"
    if value is None:
        return None if rule.nullable else f"{field} is required"
    if rule.kind == "bool":
        ok = isinstance(value, bool)
    elif rule.kind == "int":
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif rule.kind in ("date", "datetime"):
        ok = isinstance(value, str) and _iso(value, rule.kind)
    else:
        ok = isinstance(value, str) and (rule.max_length is None or len(value) <= rule.max_length)
    if table == CONFLICT_TABLE and field == "status":
        ok = ok and value in CONFLICT_STATUSES
    if isinstance(value, float) and not math.isfinite(value):
        ok = False
    return None if ok else f"{value!r} does not fit {field} ({rule.kind})"


def _iso(value: str, kind: str) -> bool:
    try:
        if kind == "date":
            date.fromisoformat(value)
        else:
            datetime.fromisoformat(value)
    except ValueError:
        return False
    return True
