"""A Workbench sync client as a process of its own, for tests/sync/test_processes.py (SYNC.md
§2.4): real local SQLite file, real `SyncEngine`, real HTTP (to the test's fault proxy).

Run as ``python -m tests.sync.client_proc DB URL`` with the repository root as working
directory. Environment:

- ``WB_SYNC_TOKEN``: the device token (the test signs in once in its own process; no keyring
  is used here);
- ``WB_CLOCK_OFFSET_MS``: added to the wall clock the device's HLC reads
  (``workbench.storage.outbox.now_ms``), for clock-skew scenarios;
- ``WB_AUDIT_DB``: the server database URL; when set, after every sync cycle the device checks
  that it holds every in-scope row version at or below its cursor (see `audit`).

Why a long-lived process driven over stdin instead of one process per action: a Python start
with these imports costs more than a second, and the scenarios need many actions per device.
Each stdin line is one JSON command; each answer is one JSON line on stdout
(``{"id": n, "ok": true, ...}``). Lines with an ``"event"`` key may come in between (the
background writer announces every committed write, so a test that kills this process knows
which writes must survive).
"""

from __future__ import annotations

import json
import os
import random
import sys
import threading
import time
import traceback
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, bindparam, text

from workbench.domain.hlc import system_now_ms
from workbench.storage import outbox
from workbench.storage.store import Store
from workbench.sync.apply import CURSOR_KEY, HEAD_SEQ_KEY
from workbench.sync.client import SyncClient
from workbench.sync.engine import SCOPES_KEY, SyncEngine
from workbench.sync.protocol import PushRequest, PushResponse
from workbench.sync.report import SyncReport
from workbench.sync.server.db import make_engine

AUDITED_TABLES = ("accounts", "contacts", "positions")
_out_lock = threading.Lock()


def emit(message: dict[str, Any]) -> None:
    line = json.dumps(message, default=str)
    with _out_lock:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


class CountingClient(SyncClient):
    """The real client, counting the push answers by status (a replay answers "duplicate")."""

    statuses: Counter[str]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.statuses = Counter()

    def push(self, request: PushRequest) -> PushResponse:
        answer = super().push(request)
        self.statuses.update(r.status for r in answer.results)
        return answer


def audit(store: Store, server: Engine) -> list[str]:
    """SYNC.md P4 at an intermediate point: for every row of an audited table that the server
    log changed at a seq <= this device's cursor in a scope this device holds, the device must
    hold that row with ``row_seq`` at least that seq. A cursor that moved past data it did not
    apply (a lost or cut page) breaks this."""
    cursor = store.sync_state(CURSOR_KEY)
    scopes = json.loads(store.sync_state(SCOPES_KEY) or "[]")
    if not cursor or not scopes:
        return []
    with server.connect() as conn:
        wanted = conn.execute(
            text(
                "SELECT l.tbl, l.row_id, max(l.seq) FROM sync_log l JOIN sync_log_scope s"
                " ON s.seq = l.seq AND s.op_no = l.op_no"
                " WHERE l.seq <= :cursor AND s.scope IN :scopes AND l.tbl IN :tables"
                " GROUP BY l.tbl, l.row_id"
            ).bindparams(bindparam("scopes", expanding=True), bindparam("tables", expanding=True)),
            {"cursor": int(cursor), "scopes": scopes, "tables": list(AUDITED_TABLES)},
        ).all()
    held: dict[tuple[str, str], int | None] = {}
    with store.unit(remote=True) as uow:
        conn = uow.session.connection()
        for table in AUDITED_TABLES:
            for row_id, row_seq in conn.exec_driver_sql(f"SELECT id, row_seq FROM {table}"):
                held[(table, row_id)] = row_seq
    problems = []
    for tbl, row_id, seq in wanted:
        have = held.get((tbl, row_id), -1)
        if have is None or have < seq:
            problems.append(f"cursor {cursor}: {tbl} {row_id} needs seq {seq}, holds {have}")
    return problems


class Agent:
    def __init__(self, db: Path, url: str, token: str) -> None:
        self.store = Store(db)
        self.client = CountingClient(url, token, timeout=20.0)
        self.engine = SyncEngine(self.store, self.client)
        audit_db = os.environ.get("WB_AUDIT_DB")
        self.audit_db = make_engine(audit_db) if audit_db else None
        self.violations: list[str] = []
        self.audits = 0
        self.last_device_seq = self._max_device_seq()
        self.rng = random.Random(0)
        self.writer: threading.Thread | None = None
        self.stop_writer = threading.Event()

    # -- helpers -------------------------------------------------------------------------
    def _sql(self, query: str, *args: Any) -> list[tuple[Any, ...]]:
        with self.store.unit(remote=True) as uow:
            return [tuple(r) for r in uow.session.connection().exec_driver_sql(query, args)]

    def _max_device_seq(self) -> int:
        return int(self._sql("SELECT coalesce(max(device_seq), 0) FROM sync_outbox")[0][0])

    def _new_changes(self) -> list[str]:
        rows = self._sql(
            "SELECT device_seq, change_id FROM sync_outbox WHERE device_seq > ?"
            " ORDER BY device_seq",
            self.last_device_seq,
        )
        if rows:
            self.last_device_seq = rows[-1][0]
        return [r[1] for r in rows]

    def _user(self) -> str:
        return self.store.setting("current_user_id")

    def _report(self, report: SyncReport) -> dict[str, Any]:
        out = {
            "caught_up": report.caught_up,
            "pushed": report.pushed,
            "pulled": report.pulled,
            "conflicts": report.conflicts,
            "rejected": report.rejected,
            "waiting": report.waiting,
            "offline": report.offline,
            "error": report.error,
        }
        if self.audit_db is not None:
            self.audits += 1
            self.violations += audit(self.store, self.audit_db)
        return out

    def _cycle(self) -> dict[str, Any]:
        return self._report(self.engine.sync_once())

    # -- commands ------------------------------------------------------------------------
    def cmd_state(self) -> dict[str, Any]:
        state = dict(self._sql("SELECT k, v FROM sync_state"))
        return {
            "device_id": self.store.device_id(),
            "user_id": self._user(),
            "cursor": int(state.get(CURSOR_KEY) or 0),
            "head": int(state.get(HEAD_SEQ_KEY) or 0),
            "scopes": json.loads(state.get(SCOPES_KEY) or "[]"),
            "waiting": self.engine.waiting(),
            "caught_up": self.engine.caught_up(),
            "push_statuses": dict(self.client.statuses),
            "audits": self.audits,
            "violations": self.violations[:20],
            "hlc": int(state.get("hlc") or 0),
        }

    def cmd_create(
        self, accounts: int, prefix: str, contacts_per_account: int = 0, tax_codes: bool = False
    ) -> dict[str, Any]:
        """Accounts owned by this device's user, each with contacts (and their positions)
        in the same unit of work."""
        account_ids, contact_ids, position_ids = [], [], []
        for i in range(accounts):
            with self.store.unit() as uow:
                values: dict[str, Any] = {
                    "name": f"{prefix} {i}",
                    "owner_id": self._user(),
                    "city": "Hà Nội",
                }
                if tax_codes:
                    values["tax_code"] = f"{abs(hash(prefix)) % 10**6:06d}{i:04d}"
                account = uow.insert("accounts", values)
                for j in range(contacts_per_account):
                    contact = uow.insert(
                        "contacts", {"given_name": f"{prefix} {i}.{j}", "family_name": "Lê"}
                    )
                    position_ids.append(
                        uow.insert(
                            "positions",
                            {"contact_id": contact, "account_id": account, "title": "CFO"},
                        )
                    )
                    contact_ids.append(contact)
                uow.commit()
            account_ids.append(account)
        return {
            "accounts": account_ids,
            "contacts": contact_ids,
            "positions": position_ids,
            "changes": self._new_changes(),
        }

    def cmd_bulk_contacts(
        self, n: int, per_unit: int, prefix: str, notes: str = ""
    ) -> dict[str, Any]:
        """Many contacts, `per_unit` per local transaction (an import)."""
        ids: list[str] = []
        for start in range(0, n, per_unit):
            with self.store.unit() as uow:
                ids += uow.insert_many(
                    "contacts",
                    [
                        {
                            "given_name": f"{prefix} {i}",
                            "family_name": "Phạm",
                            "phone": f"{i}",
                            "notes": notes,
                        }
                        for i in range(start, min(n, start + per_unit))
                    ],
                )
                uow.commit()
        return {"count": len(ids), "first": ids[:3], "changes": self._new_changes()}

    def cmd_edit(self, edits: list[dict[str, Any]]) -> dict[str, Any]:
        """Each edit ``{"tbl", "id", "fields"}`` is one local unit of work."""
        for edit in edits:
            with self.store.unit() as uow:
                uow.update(edit["tbl"], edit["id"], edit["fields"])
                uow.commit()
        return {"changes": self._new_changes()}

    def cmd_work(
        self,
        rounds: int,
        accounts: list[str],
        seed: int,
        tag: str,
        sync: bool = True,
        new_account_at: int | None = None,
    ) -> dict[str, Any]:
        """A user at work: each round one random local change on the given accounts, then
        (usually) a sync cycle, as the app's background sync would. At round
        `new_account_at` the change is a new account with two contacts (a new scope, which
        the user's other devices bootstrap)."""
        rng = random.Random(seed)
        reports = []
        mine: list[str] = []
        changes: list[str] = []
        for i in range(rounds):
            account = rng.choice(accounts)
            kind = rng.random()
            if i == new_account_at:
                made = self.cmd_create(1, f"{tag} mới", contacts_per_account=2)
                changes += made["changes"]
                mine += made["contacts"]
                accounts = [*accounts, *made["accounts"]]
                continue
            with self.store.unit() as uow:
                if kind < 0.6:
                    field = rng.choice(["phone", "city", "notes", "tier", "website"])
                    value = f"{tag}{i}" if field != "tier" else rng.choice(["key", "core", "tail"])
                    uow.update("accounts", account, {field: value})
                elif kind < 0.85 or not mine:
                    contact = uow.insert(
                        "contacts", {"given_name": f"{tag} {i}", "family_name": "Võ"}
                    )
                    uow.insert("positions", {"contact_id": contact, "account_id": account})
                    mine.append(contact)
                else:
                    contact = rng.choice(mine)
                    if rng.random() < 0.5:
                        uow.update("contacts", contact, {"email": f"{tag}{i}@example.vn"})
                    else:
                        uow.archive("contacts", contact)
                uow.commit()
            changes += self._new_changes()  # before a cycle answers and removes them
            if sync and rng.random() < 0.8:
                reports.append(self._cycle())
        return {"reports": reports, "changes": changes, "contacts": mine}

    def cmd_sync(
        self,
        max_cycles: int = 1,
        until_caught_up: bool = False,
        deadline_s: float = 40.0,
        min_s: float = 0.0,
        pause_s: float = 0.05,
        page_limit: int | None = None,
    ) -> dict[str, Any]:
        """Sync cycles: `max_cycles`, or until caught up (and at least `min_s` seconds)."""
        if page_limit is not None:
            self.engine.page_limit = page_limit
        start = time.monotonic()
        reports = []
        for _ in range(max_cycles):
            report = self._cycle()
            reports.append(report)
            elapsed = time.monotonic() - start
            if until_caught_up and report["caught_up"] and elapsed >= min_s:
                break
            if elapsed > deadline_s:
                break
            if not report["caught_up"] or min_s:
                time.sleep(pause_s)
        return {"reports": reports, **self.cmd_state()}

    def cmd_writer(self, prefix: str, interval_s: float = 0.005) -> dict[str, Any]:
        """Start a background "UI" thread creating contacts, announcing each committed one."""

        def run() -> None:
            i = 0
            while not self.stop_writer.is_set():
                with self.store.unit() as uow:
                    row_id = uow.insert(
                        "contacts", {"given_name": f"{prefix} {i}", "family_name": "Đỗ"}
                    )
                    uow.commit()
                emit({"event": "committed", "tbl": "contacts", "id": row_id})
                i += 1
                time.sleep(interval_s)

        self.writer = threading.Thread(target=run, daemon=True)
        self.writer.start()
        return {}

    def cmd_config(
        self, page_limit: int | None = None, snapshot_limit: int | None = None
    ) -> dict[str, Any]:
        if page_limit is not None:
            self.engine.page_limit = page_limit
        if snapshot_limit is not None:
            self.engine.snapshot_limit = snapshot_limit
        return {}

    def cmd_stop_writer(self) -> dict[str, Any]:
        self.stop_writer.set()
        if self.writer is not None:
            self.writer.join(timeout=10)
        return {}

    def close(self) -> None:
        self.cmd_stop_writer()
        self.engine.close()
        self.store.close()
        if self.audit_db is not None:
            self.audit_db.dispose()


def _skew_clock() -> None:
    offset = int(os.environ.get("WB_CLOCK_OFFSET_MS") or 0)
    if offset:
        outbox.now_ms = lambda: system_now_ms() + offset


def main(argv: list[str]) -> int:
    db, url = Path(argv[0]), argv[1]
    _skew_clock()
    agent = Agent(db, url, os.environ["WB_SYNC_TOKEN"])
    handlers: dict[str, Callable[..., dict[str, Any]]] = {
        name[4:]: getattr(agent, name) for name in dir(agent) if name.startswith("cmd_")
    }
    emit({"event": "ready", "pid": os.getpid()})
    try:
        for line in sys.stdin:
            if not line.strip():
                continue
            command = json.loads(line)
            name, ident = command.pop("cmd"), command.pop("id")
            if name == "exit":
                emit({"id": ident, "ok": True})
                break
            try:
                result = handlers[name](**command)
                emit({"id": ident, "ok": True, **result})
            except Exception as exc:
                emit(
                    {"id": ident, "ok": False, "error": repr(exc), "trace": traceback.format_exc()}
                )
    finally:
        agent.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
