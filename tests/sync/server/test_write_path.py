"""The server's single write path (SYNC.md §1.5): the change log explains every stored row, and
the LWW result does not depend on the order pushes arrive in (P5)."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from tests.sync.harness import Device, Team, make_team
from workbench.domain.hlc import pack
from workbench.domain.ids import new_id
from workbench.sync import protocol
from workbench.sync.server import db, service
from workbench.sync.server.app import ServerClock
from workbench.sync.server.rows import load_fields


@pytest.fixture
def team(tmp_path: Path) -> Iterator[Team]:
    team = make_team(tmp_path)
    team.add_user("lan", "am")
    team.add_user("minh", "am")
    yield team
    team.close()


def replay_log(team: Team) -> dict[tuple[str, str], dict[str, Any]]:
    """Every row rebuilt from the change log alone, in seq order."""
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    with team.engine.connect() as conn:
        for entry in conn.execute(
            select(db.sync_log).order_by(db.sync_log.c.seq, db.sync_log.c.op_no)
        ):
            fields = rows.setdefault((entry.tbl, entry.row_id), {})
            fields.update(load_fields(entry.fields))
    return rows


def edit(device: Device, table: str, row_id: str, **values: object) -> None:
    with device.store.unit() as uow:
        uow.update(table, row_id, values)
        uow.commit()


def test_the_change_log_explains_every_stored_row(team: Team) -> None:
    a, b = team.device("a", "lan"), team.device("b", "lan")
    with a.store.unit() as uow:
        acc = uow.insert("accounts", {"name": "Techcombank", "owner_id": a.user_id})
        person = uow.insert("contacts", {"given_name": "Mai", "family_name": "Trần"})
        uow.insert("positions", {"contact_id": person, "account_id": acc, "title": "CIO"})
        uow.commit()
    a.sync(), b.sync()
    edit(a, "accounts", acc, phone="+84 28 1")
    edit(b, "accounts", acc, phone="+84 28 2")  # a conflict record, itself a synced row
    with b.store.unit() as uow:
        uow.archive("contacts", person)
        uow.commit()
    a.sync(), b.sync(), a.sync()
    team.assign(acc, "minh")  # a server-side write takes the same path
    stored = {key: load_fields(row.fields) for key, row in team.rows().items()}
    assert replay_log(team) == stored
    assert ("sync_conflict" in {t for t, _ in stored}) and len(stored) >= 5


def _op(row_id: str, field: str, value: str) -> protocol.Op:
    return protocol.Op(op="upsert", tbl="accounts", id=row_id, fields={field: value}, base={})


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    writes=st.lists(
        st.tuples(
            st.integers(0, 2),  # which device
            st.integers(0, 2),  # which row
            st.sampled_from(["city", "phone", "notes"]),
            st.text("abcđê", max_size=3),
            st.integers(1, 40),  # HLC millisecond
        ),
        min_size=2,
        max_size=25,
    ),
    order=st.randoms(use_true_random=False),
)
def test_lww_fields_do_not_depend_on_arrival_order(
    writes: list[tuple[int, int, str, str, int]], order: Any
) -> None:
    """P5: the same writes pushed in two arrival orders give the same fields and losers."""
    rows = [new_id() for _ in range(3)]

    def run(sequence: list[tuple[int, int, str, str, int]]) -> tuple[Any, Any]:
        with tempfile.TemporaryDirectory() as tmp:
            engine = db.make_engine(Path(tmp) / "s.db")
            db.upgrade(engine)
            clock = ServerClock()
            ops = [
                protocol.Op(
                    op="upsert",
                    tbl="accounts",
                    id=r,
                    fields={"name": "x", "owner_id": None},
                    base={},
                )
                for r in rows
            ]
            service.server_write(engine, clock, ops)
            devices = [new_id() for _ in range(3)]
            with db.write_transaction(engine) as conn:
                user = new_id()
                conn.execute(
                    db.users.insert().values(
                        id=user,
                        name="admin",
                        role="admin",
                        password_hash="x",
                        created_at=db.now_utc(),
                    )
                )
                for d in devices:
                    conn.execute(
                        db.devices.insert().values(
                            device_id=d,
                            user_id=user,
                            name="d",
                            token_hash=d.replace("-", "") + "0" * 32,
                            created_at=db.now_utc(),
                        )
                    )
            for n, (dev, row, field, value, ms) in enumerate(sequence):
                change = protocol.Change(
                    change_id=new_id(),
                    device_seq=n + 1,
                    hlc=pack(1_760_000_000_000 + ms, dev),
                    ops=[_op(rows[row], field, value)],
                )
                request = protocol.PushRequest(
                    protocol=1,
                    schema_version=1,
                    device_id=devices[dev],
                    hlc=change.hlc,
                    changes=[change],
                )
                caller = service.Caller(user_id=user, role="admin", device_id=devices[dev])
                service.push(engine, caller, request, clock)
            state = {
                (r.row_id, f): v[0]
                for r in service.all_rows(engine, ["accounts"])
                for f, v in load_fields(r.fields).items()
            }
            # Per field: the values kept anywhere (current or a conflict's loser). Which
            # losers are recorded can depend on order when values repeat (an overwrite by an
            # equal value is no conflict), but no value may be kept in one order and not in
            # the other.
            kept: dict[tuple[str, str], set[str]] = {}
            for r in service.all_rows(engine, ["sync_conflict"]):
                f = load_fields(r.fields)
                key = (f["row_id"][0], f["field"][0])
                kept.setdefault(key, set()).add(json.loads(f["loser_value"][0]))
            for (row_id, name), value in state.items():
                kept.setdefault((row_id, name), set()).add(value)
            engine.dispose()
            return state, kept

    # Distinct HLCs per write: the order among equal keys is the tie-break's job, tested in
    # tests/domain; here the device seq of a device must increase in its own order.
    unique = list({(w[4], w[0]): w for w in writes}.values())

    # Another arrival order: devices interleave differently, but each device still sends
    # its own writes in its own (HLC) order, as a real client does.
    def per_device_in_hlc_order(seq: list[tuple[int, int, str, str, int]]) -> list[Any]:
        queues = {d: sorted((w for w in seq if w[0] == d), key=lambda w: w[4]) for d in range(3)}
        return [queues[w[0]].pop(0) for w in seq]

    unique = per_device_in_hlc_order(unique)
    shuffled = list(unique)
    order.shuffle(shuffled)
    shuffled = per_device_in_hlc_order(shuffled)
    state_a, kept_a = run(unique)
    state_b, kept_b = run(shuffled)
    assert state_a == state_b
    # Every device's last value of a field is current or kept as a loser, in any order. Not
    # required: an earlier value its own author overwrote (no loss; whether it was also
    # recorded as a loser depends on whether another device's write arrived in between), and
    # a value another device also wrote (an equal value replacing it is no conflict).
    last: dict[tuple[str, str], dict[int, tuple[int, str]]] = {}
    writers: dict[tuple[tuple[str, str], str], set[int]] = {}
    for dev, row, name, value, ms in unique:
        mine = last.setdefault((rows[row], name), {})
        if dev not in mine or ms > mine[dev][0]:
            mine[dev] = (ms, value)
        writers.setdefault(((rows[row], name), value), set()).add(dev)
    for key, by_device in last.items():
        required = {value for _, value in by_device.values() if len(writers[(key, value)]) == 1}
        assert required <= kept_a.get(key, set())
        assert required <= kept_b.get(key, set())
