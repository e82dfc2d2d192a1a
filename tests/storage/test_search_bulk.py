"""Search documents of bulk-inserted rows: built from the values in hand, identical to what
reading the rows back produces (the way every other change is indexed)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from workbench.domain.ids import new_id
from workbench.storage import search
from workbench.storage.store import Store

ACC_OLD, ACC_NEW = new_id(), new_id()
LAN, ORPHAN, HIRED, GONE_NOW, EDITED, PURGED, ANNA, MADONNA, HUONG = (new_id() for _ in range(9))
FIRST, LAST = new_id(), new_id()  # contacts made before the tested unit


def _contacts() -> list[dict[str, Any]]:
    """Names, e-mails, phones and tax codes in the shapes that change a document."""
    return [
        {
            "id": LAN,
            "family_name": "Đặng",
            "middle_name": "Thị",
            "given_name": "Lan",
            "email": "Lan.Dang@DangGia.vn",
            "mobile": "+84912345678",
            "phone": "028 3823 4567",
            "tax_code": "8012345678123",
            "birthday": date(1980, 2, 29),
        },
        # Decomposed letters (some input methods send them) and a position that arrived in
        # an earlier page, before the contact itself.
        {"id": ORPHAN, "family_name": "Nguye\u0302\u0303n", "given_name": "An", "phone": "0912"},
        {"id": HIRED, "family_name": "Trần", "middle_name": "Văn", "given_name": "Bình"},
        {"id": GONE_NOW, "family_name": "Lê", "given_name": "Cúc", "deleted_at": None},
        {"id": EDITED, "family_name": "Phạm", "given_name": "Dũng", "email": "dung@x.vn"},
        {"id": PURGED, "family_name": "Võ", "given_name": "Em"},
        {
            "id": ANNA,
            "family_name": "Schmidt",
            "middle_name": "Maria",
            "given_name": "Anna",
            "name_order": "given_first",
            "email": "anna@example.de",
        },
        {"id": MADONNA, "given_name": "Madonna", "mobile": "+1 555 0100"},
        {"id": HUONG, "family_name": "  Hồ ", "given_name": " Xuân  Hương "},
    ]


def _history(store: Store) -> None:
    """What the device held before the tested page: documents, and an orphan position."""
    with store.unit() as uow:
        uow.insert("accounts", {"id": ACC_OLD, "name": "Công ty Cổ phần Đặng Gia", "city": "Huế"})
        uow.insert("contacts", {"id": FIRST, "family_name": "Mai", "given_name": "Hoa"})
        uow.insert("contacts", {"id": LAST, "family_name": "Đỗ", "given_name": "Khoa"})
        uow.commit()
    with store.unit(remote=True) as uow:
        position = {"contact_id": ORPHAN, "account_id": ACC_OLD, "title": "Giám đốc"}
        uow.insert_many("positions", [position])
        uow.commit()


def _page(store: Store) -> None:
    """A page of new accounts, contacts and positions, some of them changed again in it, and
    the newest document removed (the next new one takes its number again)."""
    with store.unit(remote=True) as uow:
        uow.insert_many(
            "accounts",
            [
                {
                    "id": ACC_NEW,
                    "name": "Ngân hàng TMCP Phương Đông",
                    "tax_code": "0100109106",
                    "city": "Hà Nội",
                    "phone": "+842438123456",
                    "email": "info@ocb.vn",
                }
            ],
        )
        uow.insert_many("contacts", _contacts())
        uow.insert_many(
            "positions",
            [
                {"contact_id": HIRED, "account_id": ACC_NEW, "title": "Kế toán trưởng"},
                {"contact_id": LAN, "account_id": ACC_OLD, "influence": 5},
            ],
        )
        uow.update("contacts", EDITED, {"given_name": "Đức", "email": "duc@x.vn"})
        uow.archive("contacts", GONE_NOW)
        uow.purge("contacts", PURGED)
        uow.archive("contacts", LAST)
        uow.commit()


def _documents(store: Store) -> list[tuple[Any, ...]]:
    with store.engine.connect() as conn:
        conn.exec_driver_sql(
            "INSERT INTO search_fts(search_fts, rank) VALUES ('integrity-check', 1)"
        )
        return list(
            conn.exec_driver_sql(
                "SELECT rowid, kind, ref_id, title, subtitle, body FROM search_docs ORDER BY rowid"
            )
        )


def _searches(store: Store) -> list[list[tuple[str, str, str]]]:
    with store.read() as q:
        return [
            [(h.ref_id, h.title, h.subtitle) for h in q.search(typed)]
            for typed in ("nguyen", "dang", "lan.dang", "0912345678", "801234", "anna", "duc")
        ]


def test_documents_of_inserted_rows_equal_those_read_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    known_used: dict[str, set[str]] = {}
    index_accounts, index_contacts = search.index_accounts, search.index_contacts

    def spying(index: Any, kind: str) -> Any:
        def wrapped(session: Any, ids: Iterable[str], known: Mapping[str, Any] | None) -> None:
            known_used[kind] = set(known or {})
            index(session, ids, known)

        return wrapped

    def reading_back(index: Any) -> Any:
        return lambda session, ids, known: index(session, ids, None)

    monkeypatch.setattr(search, "index_accounts", spying(index_accounts, "accounts"))
    monkeypatch.setattr(search, "index_contacts", spying(index_contacts, "contacts"))
    built = Store(tmp_path / "built.db")
    _history(built)
    _page(built)
    # Rows changed again in the page are read back; the others came from the values in hand.
    assert known_used["accounts"] == {ACC_NEW}
    assert {LAN, ORPHAN, HIRED, ANNA} <= known_used["contacts"]
    assert not {GONE_NOW, EDITED, PURGED} & known_used["contacts"]

    monkeypatch.setattr(search, "index_accounts", reading_back(index_accounts))
    monkeypatch.setattr(search, "index_contacts", reading_back(index_contacts))
    read = Store(tmp_path / "read.db")
    _history(read)
    _page(read)

    documents = _documents(built)
    assert documents == _documents(read)
    assert _searches(built) == _searches(read)
    by_ref = {d[2]: d for d in documents}
    assert by_ref[ORPHAN][3:5] == ("Nguye\u0302\u0303n An", "Giám đốc, Công ty Cổ phần Đặng Gia")
    assert by_ref[HIRED][4] == "Kế toán trưởng, Ngân hàng TMCP Phương Đông"
    assert by_ref[EDITED][3:5] == ("Phạm Đức", "duc@x.vn")
    assert by_ref[ANNA][3] == "Anna Maria Schmidt"
    assert not {GONE_NOW, PURGED, LAST} & set(by_ref)
    built.close()
    read.close()


def test_new_documents_are_numbered_as_sqlite_numbers_rows(store: Store) -> None:
    """`search._write` gives new documents their rowids itself (to index them without
    reading the rowids back): the numbers SQLite would have given, the largest plus one."""

    def doc(ref: str, body: str) -> dict[str, str]:
        return search._doc("contact", ref, ref.upper(), "", [body])

    with store.unit() as uow:
        conn = uow.session.connection()
        conn.exec_driver_sql("CREATE TEMP TABLE plain (rowid INTEGER PRIMARY KEY, ref TEXT UNIQUE)")

        def write(docs: list[dict[str, str]], removed: list[str]) -> None:
            search._write(uow.session, docs, removed)
            for ref in removed:
                conn.exec_driver_sql("DELETE FROM plain WHERE ref = ?", (ref,))
            for d in docs:
                conn.exec_driver_sql(
                    "INSERT INTO plain (ref) VALUES (?) ON CONFLICT (ref) DO NOTHING", (d["r"],)
                )

        write([doc("a", "alpha"), doc("b", "beta"), doc("c", "gamma")], [])
        write([doc("d", "delta")], ["c"])  # the newest is removed: its number comes back
        write([doc("a", "alpha two"), doc("b", "beta"), doc("e", "epsilon")], ["d"])
        numbered = dict(conn.exec_driver_sql("SELECT ref_id, rowid FROM search_docs").all())
        assert numbered == dict(conn.exec_driver_sql("SELECT ref, rowid FROM plain").all())
        conn.exec_driver_sql(
            "INSERT INTO search_fts(search_fts, rank) VALUES ('integrity-check', 1)"
        )
        hits = conn.exec_driver_sql(
            "SELECT d.ref_id FROM search_fts JOIN search_docs d ON d.rowid = search_fts.rowid"
            " WHERE search_fts MATCH 'alpha' ORDER BY d.ref_id"
        ).all()
        assert [h[0] for h in hits] == ["a"]
