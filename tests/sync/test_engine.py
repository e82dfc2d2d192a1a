"""The sync cycle end to end, in process: real server app and database, real client engines on
SQLite files (tests/sync/harness.py). Real sockets and processes are in test_processes.py."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.sync.harness import Device, Team, make_team, server_projection, snapshot_of
from workbench.storage.store import Store
from workbench.sync import engine as engine_module
from workbench.sync.server.rows import load_fields


@pytest.fixture
def team(tmp_path: Path) -> Iterator[Team]:
    team = make_team(tmp_path)
    team.add_user("lan", "am")
    team.add_user("minh", "am")
    team.add_user("thu", "finance")
    yield team
    team.close()


def new_account(device: Device, name: str, **values: object) -> str:
    with device.store.unit() as uow:
        account_id = uow.insert(
            "accounts", {"name": name, "owner_id": device.user_id, "city": "Hà Nội", **values}
        )
        uow.commit()
    return account_id


def edit(device: Device, table: str, row_id: str, **values: object) -> None:
    with device.store.unit() as uow:
        uow.update(table, row_id, values)
        uow.commit()


def test_an_offline_edit_reaches_the_other_laptop_of_the_same_user(team: Team) -> None:
    a, b = team.device("a", "lan"), team.device("b", "lan")
    acc = new_account(a, "Ngân hàng Á Châu")
    assert a.sync().caught_up
    report = b.sync()
    assert report.caught_up and b.value("accounts", acc, "name") == "Ngân hàng Á Châu"
    edit(b, "accounts", acc, city="Đà Nẵng")  # offline on b
    assert b.sync().caught_up and a.sync().caught_up
    assert a.value("accounts", acc, "city") == "Đà Nẵng"
    assert a.sync().pulled == 0  # a no-op cycle


def test_a_user_only_receives_their_own_accounts(team: Team) -> None:
    lan, minh, thu = (
        team.device("lan", "lan"),
        team.device("minh", "minh"),
        team.device("thu", "thu"),
    )
    mine = new_account(lan, "Công ty Lan")
    theirs = new_account(minh, "Công ty Minh")
    for d in (lan, minh, lan, minh, thu):
        d.sync()
    assert mine in lan.ids("accounts") and theirs not in lan.ids("accounts")
    assert theirs in minh.ids("accounts") and mine not in minh.ids("accounts")
    assert {mine, theirs} <= thu.ids("accounts")  # finance: account basics of everyone
    assert set(team.users.values()) <= lan.ids("users")  # the user directory is for all


def test_a_concurrent_edit_lands_in_the_losers_conflicts_with_both_values(team: Team) -> None:
    a, b = team.device("a", "lan"), team.device("b", "lan")
    acc = new_account(a, "Vinamilk")
    a.sync(), b.sync()
    edit(a, "accounts", acc, phone="+84 24 1111")
    edit(b, "accounts", acc, phone="+84 24 2222")  # later: wins
    a.sync(), b.sync(), a.sync()
    assert a.value("accounts", acc, "phone") == b.value("accounts", acc, "phone") == "+84 24 2222"
    (conflict,) = a.conflicts()
    assert conflict["field"] == "phone" and conflict["kind"] == "concurrent_update"
    assert json.loads(conflict["loser_value"]) == "+84 24 1111"
    assert json.loads(conflict["winner_value"]) == "+84 24 2222"
    assert b.conflicts()[0]["id"] == conflict["id"]


def test_reassigning_an_account_moves_it_between_devices_after_pending_edits(team: Team) -> None:
    lan, minh = team.device("lan", "lan"), team.device("minh", "minh")
    acc = new_account(lan, "FPT")
    with lan.store.unit() as uow:
        contact = uow.insert("contacts", {"given_name": "Hùng", "family_name": "Nguyễn"})
        uow.insert("positions", {"contact_id": contact, "account_id": acc, "title": "CFO"})
        uow.commit()
    lan.sync(), minh.sync()
    edit(lan, "accounts", acc, notes="gọi lại thứ Hai")  # offline, then the account moves
    team.assign(acc, "minh")
    lan.sync_until_caught_up()
    minh.sync_until_caught_up()
    assert acc not in lan.ids("accounts")  # left the old owner's device
    assert acc in minh.ids("accounts") and contact in minh.ids("contacts")
    assert minh.value("accounts", acc, "owner_id") == team.users["minh"]
    # The offline edit was answered before the account left: refused, values kept.
    (item,) = lan.attention()
    assert item[1] == "no_access"
    ops = json.loads(lan.sql("SELECT ops FROM sync_attention")[0][0])
    assert ops[0]["fields"] == {"notes": "gọi lại thứ Hai"}
    assert contact in lan.ids("contacts")  # also in lan's own scope: created by her


def test_a_new_device_bootstraps_from_a_snapshot_not_the_log(team: Team, tmp_path: Path) -> None:
    a = team.device("a", "lan")
    accounts = [new_account(a, f"Khách hàng {i}") for i in range(30)]
    for acc in accounts[:10]:
        edit(a, "accounts", acc, tier="key")
    a.sync()
    fresh = team.device("fresh", "lan")
    report = fresh.sync()
    assert report.caught_up
    assert set(accounts) <= fresh.ids("accounts")
    assert fresh.value("accounts", accounts[0], "tier") == "key"
    state = dict(fresh.sql("SELECT k, v FROM sync_state"))
    assert int(state["cursor"]) == team.head()


def test_a_refused_change_is_kept_for_attention_and_undone_locally(team: Team) -> None:
    lan, minh = team.device("lan", "lan"), team.device("minh", "minh")
    theirs = new_account(minh, "Viettel")
    minh.sync()
    # lan forges a position under minh's account: refused, her values kept, row gone.
    with lan.store.unit() as uow:
        contact = uow.insert("contacts", {"given_name": "An"})
        uow.commit()
    with lan.store.unit(remote=True) as uow:  # the account is not lan's to see; fake a copy
        uow.insert("accounts", {"id": theirs, "name": "Viettel", "owner_id": team.users["minh"]})
        uow.commit()
    with lan.store.unit() as uow:
        position = uow.insert("positions", {"contact_id": contact, "account_id": theirs})
        uow.commit()
    report = lan.sync()
    assert report.rejected == 1 and report.waiting == 0
    assert [r for _, r in lan.attention()] == ["no_access"]
    assert position not in lan.ids("positions")
    assert contact in lan.ids("contacts")  # the separate, allowed change stays
    assert position not in {k[1] for k in team.rows(("positions",))}


def test_a_replayed_push_is_answered_from_the_ledger(team: Team) -> None:
    a = team.device("a", "lan")
    new_account(a, "Masan")
    a.transport.inject_once("drop_response")
    report = a.sync()
    assert report.offline and report.waiting == 1
    report = a.sync()
    assert report.caught_up and report.waiting == 0
    assert len(team.rows(("accounts",))) == 1


def test_a_truncated_page_moves_nothing(team: Team) -> None:
    a, b = team.device("a", "lan"), team.device("b", "lan")
    new_account(a, "Hòa Phát")
    a.sync()
    b.sync()
    new_account(a, "Hòa Phát 2")
    a.sync()
    cursor = b.sql("SELECT v FROM sync_state WHERE k = 'cursor'")
    b.transport.inject_once("truncate_page")
    report = b.sync()
    assert report.error and not report.caught_up
    assert b.sql("SELECT v FROM sync_state WHERE k = 'cursor'") == cursor
    assert b.sync().caught_up and len(b.ids("accounts")) == 2


def test_unsendable_local_change_goes_to_attention_without_wedging(team: Team) -> None:
    a = team.device("a", "lan")
    acc = new_account(a, "Sabeco")
    edit(a, "accounts", acc, notes="x" * 70_000)  # longer than a wire value may be
    new_account(a, "Sabeco 2")
    report = a.sync()
    assert report.caught_up and report.rejected == 1
    assert [r for _, r in a.attention()] == ["invalid_value"]
    assert len(team.rows(("accounts",))) == 2


def test_closing_and_reopening_keeps_the_position(team: Team, tmp_path: Path) -> None:
    a = team.device("a", "lan")
    new_account(a, "PV Oil")
    a.sync()
    a.close()
    again = Store(tmp_path / "a.db")
    state = dict(again.engine.connect().exec_driver_sql("SELECT k, v FROM sync_state").fetchall())
    again.close()
    assert int(state["cursor"]) == team.head()


# -- bootstrap: one snapshot stream for many scopes ---------------------------------------------


class SnapshotRecorder(httpx.BaseTransport):
    """Records every snapshot request body; can lose the answer of one page: ``lose_answer``
    = (stream, page), both counted from 0 (a stream: a scope list, in order of first use)."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner
        self.requests: list[dict[str, Any]] = []
        self.lose_answer: tuple[int, int] | None = None
        self.streams: list[list[str]] = []
        self.pages: list[int] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        if request.url.path.endswith("/snapshot"):
            body = json.loads(request.read())
            self.requests.append(body)
            if body["scopes"] not in self.streams:
                self.streams.append(body["scopes"])
                self.pages.append(0)
            stream = self.streams.index(body["scopes"])
            self.pages[stream] += 1
            if self.lose_answer == (stream, self.pages[stream] - 1):
                self.lose_answer = None
                response.read()
                raise httpx.ReadError("injected: snapshot answer lost after the server sent it")
        return response

    def since(self, start: int) -> list[dict[str, Any]]:
        return self.requests[start:]


def portfolio(team: Team, accounts: int = 4) -> list[str]:
    """lan's accounts, each with a contact positioned there, pushed to the server."""
    a = team.device("seed", "lan")
    made = []
    for i in range(accounts):
        acc = new_account(a, f"Khách hàng {i}")
        with a.store.unit() as uow:
            person = uow.insert("contacts", {"given_name": f"Người {i}", "family_name": "Lê"})
            uow.insert("positions", {"contact_id": person, "account_id": acc})
            uow.commit()
        made.append(acc)
    assert a.sync().caught_up
    a.close()
    return made


def boot_state(device: Device) -> dict[str, str]:
    return {k: v for k, v in device.sql("SELECT k, v FROM sync_state") if k.startswith("boot")}


def held(device: Device) -> set[str]:
    return set(json.loads(dict(device.sql("SELECT k, v FROM sync_state"))["scopes"]))


def assert_holds_its_projection(team: Team, device: Device) -> None:
    tables = ("accounts", "contacts", "positions", "users")
    assert snapshot_of(device, tables) == server_projection(team, held(device), tables)


def test_a_new_device_fetches_all_its_scopes_in_one_stream(team: Team) -> None:
    accounts = portfolio(team, accounts=6)
    recorder = SnapshotRecorder(team.client._transport)
    fresh = team.device("fresh", "lan", transport=recorder)
    assert fresh.sync().caught_up
    (request,) = recorder.requests  # 6 accounts, ref, the user's own: one request
    assert sorted(request["scopes"]) == sorted(held(fresh))
    assert {f"account:{a}" for a in accounts} <= set(request["scopes"])
    assert boot_state(fresh) == {}
    assert_holds_its_projection(team, fresh)


def test_more_scopes_than_a_stream_serves_take_several_streams(
    team: Team, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(engine_module, "MAX_SNAPSHOT_SCOPES", 3)
    portfolio(team, accounts=5)  # 7 scopes: streams of 3, 3 and 1
    recorder = SnapshotRecorder(team.client._transport)
    fresh = team.device("fresh", "lan", transport=recorder)
    fresh.engine.snapshot_limit = 2
    recorder.lose_answer = (1, 1)  # the second page of the second stream
    assert fresh.sync().offline
    first, second = recorder.streams
    assert len(first) == 3 and recorder.pages[0] >= 2  # paged
    assert len(boot_state(fresh)) == 2  # the first stream done, the second under way
    before = len(recorder.requests)
    assert fresh.sync().caught_up
    again = recorder.since(before)
    assert again[0]["scopes"] == second, "a finished stream was fetched again"
    assert again[0].get("after") is not None, "the cut-off stream restarted"
    assert [len(s) for s in recorder.streams] == [3, 3, 1]
    assert sorted(s for stream in recorder.streams for s in stream) == sorted(held(fresh))
    assert boot_state(fresh) == {}
    assert_holds_its_projection(team, fresh)


def test_a_broken_off_bootstrap_resumes_the_same_scope_set(team: Team) -> None:
    portfolio(team)
    recorder = SnapshotRecorder(team.client._transport)
    fresh = team.device("fresh", "lan", transport=recorder)
    fresh.engine.snapshot_limit = 2
    recorder.lose_answer = (0, 2)  # the third page: two were applied
    report = fresh.sync()
    assert report.offline and not report.caught_up
    (position,) = boot_state(fresh).values()
    as_of, after = position.split(" ")
    assert after == recorder.requests[2]["after"]
    assert "cursor" not in dict(fresh.sql("SELECT k, v FROM sync_state"))
    before = len(recorder.requests)
    report = fresh.sync()
    assert report.caught_up
    resumed = recorder.since(before)[0]
    assert (resumed["as_of"], resumed["after"]) == (int(as_of), after)
    assert resumed["scopes"] == recorder.requests[0]["scopes"]
    assert boot_state(fresh) == {}
    assert_holds_its_projection(team, fresh)
    assert int(dict(fresh.sql("SELECT k, v FROM sync_state"))["cursor"]) == team.head()


def test_a_broken_off_bootstrap_restarts_when_the_scope_set_changed(team: Team) -> None:
    accounts = portfolio(team)
    team.add_user("tam", "am")
    recorder = SnapshotRecorder(team.client._transport)
    fresh = team.device("fresh", "lan", transport=recorder)
    fresh.engine.snapshot_limit = 2
    recorder.lose_answer = (0, 2)
    assert fresh.sync().offline
    (stale,) = boot_state(fresh)
    assert f"account:{accounts[0]}" in recorder.requests[0]["scopes"]
    # The first pages were applied (account rows sort first, the oldest account first); the
    # account moves away before the next cycle, so no scope event will name it again.
    assert accounts[0] in fresh.ids("accounts")
    team.assign(accounts[0], "tam")
    before = len(recorder.requests)
    report = fresh.sync_until_caught_up()
    assert report.caught_up
    restarted = recorder.since(before)[0]
    assert f"account:{accounts[0]}" not in restarted["scopes"]
    assert restarted["after"] is None and restarted["as_of"] is None  # from the start
    assert stale not in boot_state(fresh) and boot_state(fresh) == {}
    assert accounts[0] not in fresh.ids("accounts")
    assert set(accounts[1:]) <= fresh.ids("accounts")
    assert_holds_its_projection(team, fresh)


# -- echoes of a device's own writes, pipelined pushes (docs/sync.md departures 13, 14) ---------


def _pull_from_start(device: Device, answered_through: int) -> list[Any]:
    from workbench.storage import outbox
    from workbench.sync.protocol import PullRequest

    request = PullRequest(
        device_id=device.store.device_id(),
        schema_version=outbox.SYNC_SCHEMA_VERSION,
        cursor=0,
        scope_set_version=int(device.store.sync_state("scope_set_version") or 0),
        hlc=0,
        answered_through=answered_through,
    )
    return list(device.engine.client.pull(request).ops)


def test_pulls_leave_out_a_devices_own_answered_writes_whose_scopes_came_with_the_answer(
    team: Team,
) -> None:
    a, b = team.device("a", "lan"), team.device("b", "lan")
    acc = new_account(a, "Vinamilk")
    assert a.sync().caught_up and b.sync().caught_up
    edit(b, "accounts", acc, city="Cần Thơ")
    assert b.sync().caught_up
    answered = int(a.store.sync_state(engine_module.ANSWERED_KEY) or 0)
    assert answered > 0
    # a's creation is not in its pages; b's edit is, and b gets a's creation.
    ops = [op for op in _pull_from_start(a, answered) if op.tbl == "accounts"]
    assert [op.fields["city"].value for op in ops] == ["Cần Thơ"]
    assert any(op.seq <= answered and op.tbl == "accounts" for op in _pull_from_start(b, 0))
    assert any(op.seq <= answered for op in _pull_from_start(a, 0))  # claiming less: all
    # The scopes of the left-out row were recorded with the push answer, and its seq.
    ((scopes, seq),) = a.sql(
        "SELECT scopes, seq FROM sync_version WHERE tbl = 'accounts' AND row_id = ?", acc
    )
    assert f"account:{acc}" in json.loads(scopes) and seq is not None
    assert a.value("accounts", acc, "row_seq") is not None
    assert a.sync().caught_up and a.value("accounts", acc, "city") == "Cần Thơ"


def test_a_database_restored_from_an_older_copy_gets_its_own_later_writes_back(
    team: Team, tmp_path: Path
) -> None:
    a = team.device("a", "lan")
    acc = new_account(a, "Hòa Bình")
    assert a.sync().caught_up
    a.store.engine.dispose()
    backup = tmp_path / "a-backup.db"
    backup.write_bytes((tmp_path / "a.db").read_bytes())  # WAL checkpointed by the dispose
    edit(a, "accounts", acc, city="Đà Lạt", phone="0263 123 456")
    assert a.sync().caught_up
    restored = Store(backup)
    try:
        engine = engine_module.SyncEngine(restored, a.engine.client)
        assert engine.sync_once().caught_up
        row = restored.engine.connect().exec_driver_sql(
            "SELECT city, phone FROM accounts WHERE id = ?", (acc,)
        )
        assert row.one() == ("Đà Lạt", "0263 123 456")
    finally:
        restored.close()


class CountingFaults(httpx.BaseTransport):
    """Passes requests on; loses the answer of the push numbered ``lose_push`` (from 1)."""

    def __init__(self, inner: httpx.BaseTransport, lose_push: int) -> None:
        self.inner, self.lose_push, self.pushes = inner, lose_push, 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        if request.url.path.endswith("/push"):
            self.pushes += 1
            if self.pushes == self.lose_push:
                response.read()
                raise httpx.ReadError("injected: answer lost after the server committed")
        return response


@pytest.mark.parametrize("lose_push", [0, 1, 2, 3])
def test_a_pipelined_push_of_many_batches_arrives_whole_and_in_order(
    team: Team, monkeypatch: pytest.MonkeyPatch, lose_push: int
) -> None:
    monkeypatch.setattr(engine_module, "PUSH_BYTES", 600)  # a few changes per batch
    faults = CountingFaults(team.client._transport, lose_push)
    a = team.device("a", "lan", transport=faults)
    names = [f"Công ty {i:02d}" for i in range(24)]
    for name in names:
        new_account(a, name)  # one change each
    report = a.sync()
    if lose_push:
        assert report.offline and report.waiting > 0
        report = a.sync()
    assert report.caught_up and report.waiting == 0 and faults.pushes >= 4
    # Every change once, in the order the device made them.
    applied = team_sql(
        team, "SELECT change_id FROM sync_change WHERE device_id IS NOT NULL ORDER BY seq"
    )
    assert len(applied) == len(set(applied)) == len(names)
    assert a.sql("SELECT change_id FROM sync_outbox") == []  # every answer recorded
    logged = team_sql(team, "SELECT fields FROM sync_log WHERE tbl = 'accounts' ORDER BY seq")
    assert [load_fields(text)["name"][0] for text in logged] == names


def team_sql(team: Team, query: str) -> list[Any]:
    with team.engine.connect() as conn:
        return [r[0] for r in conn.exec_driver_sql(query)]


def test_a_push_answer_that_leaves_nothing_to_pull_saves_the_pull(team: Team) -> None:
    a, b = team.device("a", "lan"), team.device("b", "lan")
    acc = new_account(a, "Traphaco")
    assert a.sync().caught_up and b.sync().caught_up
    edit(a, "accounts", acc, phone="024 3681 1717")
    before = a.transport.requests
    report = a.sync()
    assert report.caught_up and report.pushed == 1
    assert a.transport.requests - before == 1  # the push only: its answer moved the cursor
    assert a.sql("SELECT v FROM sync_state WHERE k = 'cursor'") == [(str(team.head()),)]
    # Someone else's change in between: the answer does not say caught up, a pull follows.
    edit(b, "accounts", acc, city="Hải Phòng")
    assert b.sync().caught_up
    edit(a, "accounts", acc, phone="024 3681 1718")
    before = a.transport.requests
    report = a.sync()
    assert report.caught_up and a.transport.requests - before == 2
    assert a.value("accounts", acc, "city") == "Hải Phòng"
    # A new account changes a's scope set: its scope event still comes with a pull.
    other = new_account(a, "Traphaco 2")
    assert a.sync().caught_up and b.sync().caught_up
    assert b.value("accounts", other, "name") == "Traphaco 2"
    assert f"account:{other}" in json.loads(
        a.sql("SELECT v FROM sync_state WHERE k = 'scopes'")[0][0]
    )


def test_a_push_logging_more_than_its_echoes_is_not_caught_up_by_itself(
    team: Team, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The device was at the head when it pushed, but the server re-stamped its change (a
    clock a year fast): the log entry is not an echo, so the answer must not stand in for the
    pull (the shortcut that skips the log query for a push of echoes only) and the pull
    brings the server's version of the field."""
    a, b = team.device("a", "lan"), team.device("b", "lan")
    acc = new_account(a, "Traphaco")
    assert a.sync().caught_up and b.sync().caught_up
    from workbench.storage import outbox

    real = outbox.now_ms
    monkeypatch.setattr(outbox, "now_ms", lambda: real() + 365 * 24 * 3600 * 1000)
    edit(a, "accounts", acc, phone="024 3681 1717")
    before = a.transport.requests
    report = a.sync()
    assert report.caught_up and report.pushed == 1
    assert a.transport.requests - before == 2  # the push, then the pull
    (stamped,) = team_sql(team, "SELECT fields FROM sync_row WHERE tbl = 'accounts'")
    server_hlc = load_fields(stamped)["phone"][1]
    (held,) = a.sql("SELECT fields, hlc FROM sync_version WHERE tbl = 'accounts'")
    versions = json.loads(held[0])
    assert (versions["phone"][0] if "phone" in versions else held[1]) == server_hlc
    assert b.sync().caught_up and b.value("accounts", acc, "phone") == "024 3681 1717"


def test_an_admins_new_rows_stay_on_the_admins_device(team: Team) -> None:
    """An admin holds the single scope ``all``: the clean-up of creations moved away before
    the first pull must not take its own new rows for such."""
    team.add_user("boss", "admin")
    admin = team.device("boss", "boss")
    assert admin.sync().caught_up
    acc = new_account(admin, "Tổng Công ty Điện lực")
    with admin.store.unit() as uow:
        contact = uow.insert("contacts", {"given_name": "Hùng", "family_name": "Phạm"})
        uow.commit()
    for _ in range(2):
        assert admin.sync().caught_up
    assert admin.value("accounts", acc, "name") == "Tổng Công ty Điện lực"
    assert admin.value("contacts", contact, "given_name") == "Hùng"
