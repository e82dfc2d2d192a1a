"""services.transfer directly: what the GUI will call (reports, progress, cancel)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.cli.conftest import add_user
from workbench.domain.drafts import AccountDraft
from workbench.services.accounts import create_account
from workbench.services.transfer import (
    ACCOUNT_COLUMNS,
    ParsedRow,
    TransferCancelled,
    TransferFileError,
    check_rows,
    export_rows,
    import_rows,
    parse_rows,
)
from workbench.storage.queries import AccountFilter, ContactFilter
from workbench.storage.store import Store


def _recorder(calls: list[tuple[int, int]]) -> Callable[[int, int], bool]:
    def progress(done: int, total: int) -> bool:
        calls.append((done, total))
        return True

    return progress


def _many_accounts(n: int) -> str:
    lines = ["name,city,tier"]
    lines += [f"Công ty số {i},Cần Thơ,{'key' if i % 2 else 'core'}" for i in range(n)]
    return "\n".join(lines) + "\n"


def test_report_and_change_set(store: Store) -> None:
    quan = add_user(store, "Trần Minh Quân", "quan@workbench.vn")
    rows = parse_rows("accounts", "name,owner_email,phone\nCông ty A,quan@workbench.vn,\nB,,1\n")
    checked = check_rows(store, "accounts", rows)
    assert (checked.rows, checked.importable, checked.rejected, checked.imported) == (2, 1, 1, 0)
    [error] = checked.errors
    assert (error.line, error.column, error.error.code) == (3, "phone", "phone.invalid")
    assert error.error.params == {"value": "1"}

    report = import_rows(store, "accounts", rows, skip_invalid=True)
    assert report.imported == 1
    [account_id] = report.changes.ids("accounts")
    assert report.changes.touches("account_team")
    assert report.changes.accounts == {account_id}
    with store.read() as q:
        detail = q.account_detail(account_id)
    assert detail is not None
    assert (detail.owner_id, [t.user_id for t in detail.team]) == (quan, [quan])


def test_import_progress_and_cancel(store: Store) -> None:
    rows = parse_rows("accounts", _many_accounts(1200))
    calls: list[tuple[int, int]] = []

    def cancel_while_writing(done: int, total: int) -> bool:
        calls.append((done, total))
        return done <= len(rows)  # stop once writing has started

    with pytest.raises(TransferCancelled):
        import_rows(store, "accounts", rows, progress=cancel_while_writing)
    assert calls[-1][0] > len(rows)
    with store.read() as q:
        assert q.account_count(AccountFilter()) == 0  # rolled back, nothing half-written

    calls.clear()
    report = import_rows(store, "accounts", rows, progress=_recorder(calls))
    assert report.imported == 1200
    assert all(total == 3600 for _, total in calls)
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)
    assert calls[-1] == (3600, 3600)
    with store.read() as q:
        assert q.account_count(AccountFilter()) == 1200
        assert len(q.search("can tho", limit=2000)) == 1200


def test_cancel_while_checking(store: Store) -> None:
    rows = parse_rows("accounts", _many_accounts(500))
    with pytest.raises(TransferCancelled):
        check_rows(store, "accounts", rows, progress=lambda done, total: False)


def test_export_pages_progress_and_cancel(store: Store) -> None:
    for i in range(23):
        create_account(store, AccountDraft(name=f"Công ty {i:02}"))
    seen: list[tuple[int, int]] = []
    rows = list(export_rows(store, "accounts", page_size=5, progress=_recorder(seen)))
    assert [r["name"] for r in rows] == [f"Công ty {i:02}" for i in range(23)]
    assert all(list(r) == list(ACCOUNT_COLUMNS) for r in rows)
    assert seen == [(0, 23), (5, 23), (10, 23), (15, 23), (20, 23), (23, 23)]

    it = export_rows(store, "accounts", page_size=5, progress=lambda d, t: d < 10)
    with pytest.raises(TransferCancelled):
        for _ in it:
            pass
    assert list(export_rows(store, "contacts")) == []
    with store.read() as q:
        assert q.contact_count(ContactFilter()) == 0


def test_parse_rows_shapes() -> None:
    rows = parse_rows("contacts", "given_name\tfamily_name\nAn\tLê\n\n\t\nBình\tĐỗ\textra\n")
    assert rows == [
        ParsedRow(2, {"given_name": "An", "family_name": "Lê"}),
        ParsedRow(5, rows[1].values, rows[1].problems),
    ]
    assert [p.code for p in rows[1].problems] == ["import.extra_values"]
    [row] = parse_rows("contacts", "given_name,,email\nAn,x,\n")
    assert [p.render() for p in row.problems] == ["column 2 has a value but no name in the header"]
    # Decomposed (NFD) text, as macOS and some input methods send it, is stored composed.
    [row] = parse_rows("accounts", "name\nCo\u0302ng ty\n".encode())
    assert row.get("name") == "Công ty"
    with pytest.raises(TransferFileError, match="UTF-16"):
        parse_rows("accounts", "name\nA\n".encode("utf-16"))
    with pytest.raises(ValueError, match="unknown kind"):
        parse_rows("users", "name\n")  # type: ignore[arg-type]
