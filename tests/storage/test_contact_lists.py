"""Contact lists sort in SQL: live rows on the partial sort-key indexes, archived rows (few,
since migration 0005 without an index of their own) by a sort of their own."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import event

from workbench.domain.names import NameOrder, PersonName
from workbench.storage.queries import ContactFilter
from workbench.storage.store import Store

NAMES = [
    ("Nguyễn", "Văn", "An"),
    ("Đặng", "Thị", "Ánh"),
    ("Trần", "", "Bình"),
    ("Lê", "Văn", "Dũng"),
    ("Đỗ", "Minh", "Đức"),
    ("Phạm", "Thị", "An"),
    ("", "", "Madonna"),
]


@pytest.fixture
def contacts(store: Store) -> dict[str, PersonName]:
    """Every name twice: one copy live, one archived."""
    names: dict[str, PersonName] = {}
    with store.unit() as uow:
        for archived in (False, True):
            rows = [{"family_name": f, "middle_name": m, "given_name": g} for f, m, g in NAMES]
            for row_id, (f, m, g) in zip(uow.insert_many("contacts", rows), NAMES, strict=True):
                names[row_id] = PersonName(f, m, g, NameOrder.FAMILY_FIRST)
                if archived:
                    uow.archive("contacts", row_id)
        uow.commit()
    return names


@pytest.mark.parametrize("archived", [False, True])
@pytest.mark.parametrize(("sort", "locale"), [("name", "vi"), ("name_family", "en")])
@pytest.mark.parametrize("descending", [False, True])
def test_lists_follow_the_sort_keys(
    store: Store,
    contacts: dict[str, PersonName],
    archived: bool,
    sort: str,
    locale: str,
    descending: bool,
) -> None:
    with store.read() as q:
        page = q.contact_page(ContactFilter(archived=archived), sort=sort, descending=descending)
        archived_ids = set(
            q.session.connection()
            .exec_driver_sql("SELECT id FROM contacts WHERE deleted_at IS NOT NULL")
            .scalars()
        )
    listed = [r.id for r in page]
    expected = sorted(
        (i for i in contacts if (i in archived_ids) == archived),
        key=lambda i: (contacts[i].sort_key(locale), i),
        reverse=descending,
    )
    assert listed == expected


@pytest.mark.parametrize("sort", ["name", "name_family"])
def test_live_lists_read_the_partial_index_in_order(
    store: Store, contacts: dict[str, PersonName], sort: str
) -> None:
    """No sort step for live contacts, so a deep page skips index entries only."""
    plans: list[list[str]] = []

    def explain(conn: Any, cursor: Any, statement: str, params: Any, *_: Any) -> None:
        if statement.startswith("SELECT contacts.id") and "ORDER BY" in statement:
            rows = cursor.connection.execute("EXPLAIN QUERY PLAN " + statement, params)
            plans.append([r[3] for r in rows.fetchall()])

    event.listen(store.engine, "before_cursor_execute", explain)
    try:
        with store.read() as q:
            q.contact_page(ContactFilter(), sort=sort, offset=3, limit=2)
    finally:
        event.remove(store.engine, "before_cursor_execute", explain)
    (plan,) = plans
    index = "ix_contacts_live_given" if sort == "name" else "ix_contacts_live_family"
    assert any(index in step for step in plan), plan
    assert not any("TEMP B-TREE" in step for step in plan), plan
