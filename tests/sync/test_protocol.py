"""Wire protocol models (SYNC.md §1.6, §1.8, §1.9): JSON round trips, the SYNC.md examples,
refusal of malformed and oversized bodies, and the converters to and from the merge domain."""

from __future__ import annotations

import json
from typing import Any, Literal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from workbench.domain.enums import Role
from workbench.domain.hlc import MAX_HLC
from workbench.domain.merge import DELETED, FieldState, IncomingField, Version, merge_row
from workbench.sync.protocol import (
    FIELD_VALUE,
    HTTP_STATUS,
    MAX_BODY_BYTES,
    MAX_CHANGES_PER_PUSH,
    MAX_FIELDS_PER_OP,
    MAX_OPS_PER_CHANGE,
    MAX_OPS_PER_PUSH,
    MAX_SNAPSHOT_SCOPES,
    MAX_VALUE_CHARS,
    PROTOCOL,
    BootstrapRequest,
    BootstrapResponse,
    Change,
    ChangeResult,
    ConflictOut,
    ConflictSide,
    ErrorBody,
    FieldValue,
    LoginRequest,
    LoginResponse,
    Op,
    PulledOp,
    PullRequest,
    PullResponse,
    PushRequest,
    PushResponse,
    ScopeEvent,
    field_value_from_state,
    keyset_token,
    pack_fields,
    to_incoming,
    unpack_fields,
)

OpKind = Literal["upsert", "delete", "restore"]
PROPS = settings(derandomize=True, deadline=None, max_examples=150)

DEV = "0192a3b4-c5d6-7e8f-9a0b-1c2d3e4f5a6b"
DEV2 = "0192a3b4-c5d6-7e8f-9a0b-1c2d3e4f5a6c"
CHG = "0192a3b4-c5d6-7e8f-9a0b-1c2d3e4f5aa1"
ROW = "0191a3b4-c5d6-7e8f-9a0b-1c2d3e4f5a6b"
ROW2 = "0190a3b4-c5d6-7e8f-9a0b-1c2d3e4f5a6b"
ACC = "0189a3b4-c5d6-7e8f-9a0b-1c2d3e4f5a6b"
CONFLICT = "0193a3b4-c5d6-7e8f-9a0b-1c2d3e4f5a6b"
HLC = 1760000000000123


# --- Example payloads from SYNC.md, with the illustrative "…" made valid ---------------------

PUSH_EXAMPLE: dict[str, Any] = {
    "protocol": 1,
    "schema_version": 7,
    "device_id": DEV,
    "hlc": 1760000000000123,
    "changes": [
        {
            "change_id": CHG,
            "device_seq": 4812,
            "hlc": 1760000000000120,
            "ops": [
                {
                    "op": "upsert",
                    "tbl": "contact",
                    "id": ROW,
                    "fields": {"phone": "+49 30 555", "title": "CFO"},
                    "base": {"phone": 88123, "title": 88123},
                },
                {"op": "delete", "tbl": "task", "id": ROW2, "base": {"_deleted": 90001}},
            ],
        }
    ],
}

PUSH_RESPONSE_EXAMPLE: dict[str, Any] = {
    "results": [
        {
            "change_id": CHG,
            "status": "applied",
            "seq": 90412,
            "conflicts": [
                {
                    "id": CONFLICT,
                    "tbl": "contact",
                    "row_id": ROW,
                    "field": "phone",
                    "outcome": "lost",
                    "winner": {"value": "+49 30 777", "user": "maria", "hlc": 1760000000000500},
                }
            ],
        }
    ],
    "acked_device_seq": 4812,
    "server_hlc": 1760000000000555,
}

PULL_EXAMPLE: dict[str, Any] = {
    "device_id": DEV,
    "schema_version": 7,
    "cursor": 90300,
    "scope_set_version": 41,
    "limit": 2000,
    "hlc": 1760000000000600,
}

PULL_RESPONSE_EXAMPLE: dict[str, Any] = {
    "ops": [
        {
            "seq": 90301,
            "tbl": "contact",
            "id": ROW,
            "deleted": False,
            "scopes": [f"account:{ACC}"],
            "packed": {"v": [1760000000000500, "dev-maria", 90301], "f": {"phone": "+49 30 777"}},
        }
    ],
    "scope_events": [
        {"scope": f"account:{ACC}", "event": "added", "bootstrap_as_of": 90412},
        {"scope": f"account:{ROW2}", "event": "removed"},
    ],
    "scope_set_version": 42,
    "cursor": 90412,
    "head_seq": 90412,
    "has_more": False,
    "checksums": {f"account:{ACC}": "c0ffee12"},
    "server_hlc": 1760000000000700,
}


def test_sync_md_push_example_parses() -> None:
    req = PushRequest.model_validate_json(json.dumps(PUSH_EXAMPLE))
    assert req.protocol == PROTOCOL
    upsert, delete = req.changes[0].ops
    assert upsert.fields == {"phone": "+49 30 555", "title": "CFO"}
    assert delete.op == "delete" and delete.fields == {} and delete.base == {DELETED: 90001}


def test_sync_md_push_response_example_parses() -> None:
    resp = PushResponse.model_validate_json(json.dumps(PUSH_RESPONSE_EXAMPLE))
    (result,) = resp.results
    assert result.status == "applied" and result.seq == 90412
    (conflict,) = result.conflicts
    assert conflict.kind == "concurrent_update" and conflict.outcome == "lost"
    assert conflict.winner.value == "+49 30 777" and conflict.winner.user == "maria"


def test_sync_md_pull_example_parses() -> None:
    req = PullRequest.model_validate_json(json.dumps(PULL_EXAMPLE))
    assert req.cursor == 90300 and req.limit == 2000


def test_sync_md_pull_response_example_parses() -> None:
    resp = PullResponse.model_validate_json(json.dumps(PULL_RESPONSE_EXAMPLE))
    phone = resp.ops[0].fields["phone"]
    assert (phone.value, phone.hlc, phone.node, phone.seq) == (
        "+49 30 777",
        1760000000000500,
        "dev-maria",
        90301,
    )
    assert [e.event for e in resp.scope_events] == ["added", "removed"]
    assert resp.scope_events[1].bootstrap_as_of is None
    assert not resp.has_more and resp.cursor == resp.head_seq


# --- Round trips of every message -------------------------------------------------------------


def _fv(value: Any, hlc: int = HLC, node: str = DEV, seq: int | None = None) -> FieldValue:
    return FieldValue(value=value, hlc=hlc, node=node, seq=seq)


def _pulled(seq: int, row: str = ROW, **fields: FieldValue) -> PulledOp:
    return PulledOp.build(
        seq=seq, tbl="contact", id=row, deleted=False, scopes=[f"account:{ACC}"], fields=fields
    )


SAMPLES: list[BaseModel] = [
    LoginRequest(user="anh@workbench.vn", password="hunter2 ✓", device_id=DEV, device_name="Anh"),
    LoginResponse(
        token="tok_abcdefghijklmnop", user_id=ROW, role=Role.FINANCE, device_id=DEV, server_hlc=HLC
    ),
    ErrorBody(code="rate_limited", message="slow down", retry_after=2.5),
    ErrorBody(code="unauthorized", wipe=True),
    PushRequest.model_validate_json(json.dumps(PUSH_EXAMPLE)),
    Op(op="restore", tbl="task", id=ROW2),
    Change(
        change_id=CHG,
        device_seq=1,
        hlc=1,
        ops=[Op(op="upsert", tbl="contact", id=ROW, fields={"a": True, "b": 1, "c": 1.0})],
    ),
    PushResponse.model_validate_json(json.dumps(PUSH_RESPONSE_EXAMPLE)),
    PushResponse(
        results=[
            ChangeResult(change_id=CHG, status="rejected", seq=7, reason="no_access"),
            ChangeResult(
                change_id=DEV, status="duplicate", seq=5, original_status="rejected", reason="x"
            ),
            ChangeResult(change_id=DEV2, status="gap"),
        ],
        acked_device_seq=0,
        server_hlc=HLC,
    ),
    ConflictOut(
        id=CONFLICT,
        tbl="contact",
        row_id=ROW,
        field=DELETED,
        kind="delete_on_updated",
        outcome="won",
        winner=ConflictSide(value=True, hlc=HLC, node=DEV),
        loser=ConflictSide(value=False, hlc=HLC - 1, node="server", user="Trần Minh Anh"),
    ),
    ScopeEvent(scope="finance", event="added", bootstrap_as_of=0),
    PullRequest.model_validate_json(json.dumps(PULL_EXAMPLE)),
    PullRequest(device_id=DEV, schema_version=1, cursor=0, scope_set_version=0, hlc=0),
    PullResponse.model_validate_json(json.dumps(PULL_RESPONSE_EXAMPLE)),
    PullResponse(
        ops=[
            _pulled(3, name=_fv("A", seq=2), n=_fv(7)),
            PulledOp.build(
                seq=3,
                tbl="task",
                id=ROW2,
                deleted=True,
                scopes=["ref", f"user:{DEV}"],
                fields={DELETED: _fv(True)},
            ),
        ],
        scope_set_version=1,
        cursor=3,
        head_seq=9,
        has_more=True,
        server_hlc=HLC,
    ),
    BootstrapRequest(scopes=[f"account:{ACC}"]),
    BootstrapRequest(scopes=["ref", f"account:{ACC}"], as_of=12, after=f"contact:{ROW}", limit=10),
    BootstrapResponse(
        rows=[_pulled(4, ROW2, name=_fv("B", seq=4)), _pulled(9, ROW, name=_fv("A", seq=2))],
        next=f"contact:{ROW}",
        as_of=8,
    ),
    BootstrapResponse(rows=[], as_of=0),
]


@pytest.mark.parametrize("message", SAMPLES, ids=lambda m: type(m).__name__)
def test_json_round_trip(message: BaseModel) -> None:
    again = type(message).model_validate_json(message.model_dump_json())
    assert again == message
    # Equality treats True == 1 == 1.0; the JSON must keep the exact types as well.
    assert again.model_dump_json() == message.model_dump_json()


def test_every_message_type_has_a_round_trip_sample() -> None:
    messages = {
        LoginRequest,
        LoginResponse,
        ErrorBody,
        Op,
        Change,
        PushRequest,
        ConflictSide,
        ConflictOut,
        ChangeResult,
        PushResponse,
        PulledOp,
        ScopeEvent,
        PullRequest,
        PullResponse,
        BootstrapRequest,
        BootstrapResponse,
    }
    covered: set[type] = set()

    def walk(obj: object) -> None:
        if isinstance(obj, BaseModel):
            covered.add(type(obj))
            for name in type(obj).model_fields:
                walk(getattr(obj, name))
        elif isinstance(obj, list):
            for item in obj:
                walk(item)
        elif isinstance(obj, dict):
            for item in obj.values():
                walk(item)

    for sample in SAMPLES:
        walk(sample)
    assert messages <= covered


@pytest.mark.parametrize("value", [_fv(None, seq=3), _fv(0.0), _fv(True), _fv(-(2**63))])
def test_field_value_json_round_trip(value: FieldValue) -> None:
    again = FIELD_VALUE.validate_json(FIELD_VALUE.dump_json(value))
    assert again == value
    assert FIELD_VALUE.dump_json(again) == FIELD_VALUE.dump_json(value)


def test_field_value_is_an_array_on_the_wire() -> None:
    assert json.loads(FIELD_VALUE.dump_json(_fv("x"))) == ["x", HLC, DEV]
    assert json.loads(FIELD_VALUE.dump_json(_fv("x", seq=5))) == ["x", HLC, DEV, 5]
    assert FIELD_VALUE.validate_json(f'[true, {HLC}, "server", 5]') == _fv(
        True, node="server", seq=5
    )


@pytest.mark.parametrize(
    "raw",
    [
        f"[1, {HLC}]",
        f'[1, {HLC}, "n", 5, 6]',
        f'[[1], {HLC}, "n"]',
        f'[{{"a": 1}}, {HLC}, "n"]',
        f'[9223372036854775808, {HLC}, "n"]',  # past 64 bits: not silently a float
        f'[-9223372036854775809, {HLC}, "n"]',
        f'[1e400, {HLC}, "n"]',
        '[1, 0, "n"]',
        f'[1, {HLC}, ""]',
        f'[1, {HLC}, "n", 0]',
        f'["1", "{HLC}", "n"]',
    ],
)
def test_malformed_field_values_are_refused(raw: str) -> None:
    with pytest.raises(ValidationError):
        FIELD_VALUE.validate_json(raw)


def test_scalar_types_survive_json() -> None:
    op = Op.model_validate_json(
        json.dumps(
            {
                "op": "upsert",
                "tbl": "t",
                "id": ROW,
                "fields": {"b": True, "i": 1, "f": 1.0, "s": "1", "n": None},
            }
        )
    )
    assert {k: type(v) for k, v in op.fields.items()} == {
        "b": bool,
        "i": int,
        "f": float,
        "s": str,
        "n": type(None),
    }


# --- Refusal of malformed and oversized bodies ------------------------------------------------


def _push(**change_overrides: Any) -> dict[str, Any]:
    body = json.loads(json.dumps(PUSH_EXAMPLE))
    body["changes"][0].update(change_overrides)
    return body


def _upsert(row: str = ROW, tbl: str = "contact", **fields: Any) -> dict[str, Any]:
    return {"op": "upsert", "tbl": tbl, "id": row, "fields": fields or {"name": "x"}}


def _uuid(n: int) -> str:
    return f"{n:08x}-0000-7000-8000-000000000000"


def _refused(body: Any, model: type[BaseModel] = PushRequest) -> ValidationError:
    raw = body if isinstance(body, str | bytes) else json.dumps(body)
    with pytest.raises(ValidationError) as info:
        model.model_validate_json(raw)
    return info.value


def _with(path: list[Any], value: Any, base: dict[str, Any] | None = None) -> dict[str, Any]:
    body = json.loads(json.dumps(base if base is not None else PUSH_EXAMPLE))
    target = body
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return body


OP0 = ["changes", 0, "ops", 0]


@pytest.mark.parametrize(
    ("path", "value"),
    [
        # extra keys, at every level
        (["extra"], 1),
        (["changes", 0, "extra"], 1),
        ([*OP0, "extra"], 1),
        # wrong types: no coercion
        (["protocol"], "1"),
        (["protocol"], 2),
        (["schema_version"], "7"),
        (["schema_version"], 7.0),
        (["schema_version"], 0),
        (["hlc"], True),
        (["changes"], {}),
        (["changes"], []),
        (["changes", 0, "device_seq"], 0),
        (["changes", 0, "device_seq"], "4812"),
        (["changes", 0, "ops"], []),
        ([*OP0, "op"], "merge"),
        ([*OP0, "op"], "UPSERT"),
        ([*OP0, "fields"], []),
        ([*OP0, "fields"], {"phone": ["a"]}),
        ([*OP0, "fields"], {"phone": {"a": 1}}),
        ([*OP0, "fields"], {"phone": 2**63}),
        ([*OP0, "fields"], {"phone": "a\x00b"}),
        ([*OP0, "fields"], {"Phone": "x"}),
        ([*OP0, "fields"], {"_deleted": True}),
        ([*OP0, "fields"], {}),
        ([*OP0, "base"], {"phone": "88123"}),
        ([*OP0, "base"], {"phone": 0}),
        ([*OP0, "base"], {"email": 1}),
        (["changes", 0, "ops", 1, "base"], {"name": 1}),
        (["changes", 0, "ops", 1, "fields"], {"_deleted": False}),
        # hlc out of range
        (["hlc"], 0),
        (["hlc"], -1),
        (["hlc"], 2**63),
        (["changes", 0, "hlc"], 0),
        (["changes", 0, "hlc"], MAX_HLC + 1),
        # bad table names
        ([*OP0, "tbl"], "Contact"),
        ([*OP0, "tbl"], "_sync_outbox"),
        ([*OP0, "tbl"], "contact; drop table x"),
        ([*OP0, "tbl"], "contacts2"),
        ([*OP0, "tbl"], ""),
        ([*OP0, "tbl"], "a" * 41),
        # bad UUIDs
        (["device_id"], DEV.upper()),
        (["device_id"], DEV.replace("-", "")),
        (["device_id"], "{" + DEV + "}"),
        (["device_id"], "0192…"),
        (["changes", 0, "change_id"], 4812),
        ([*OP0, "id"], DEV + " "),
        # oversized strings
        ([*OP0, "fields"], {"notes": "x" * (MAX_VALUE_CHARS + 1)}),
        ([*OP0, "fields"], {"a" * 64: "x"}),
    ],
)
def test_malformed_push_is_refused(path: list[Any], value: Any) -> None:
    body = _with(path, value)
    if path == [*OP0, "fields"]:
        body = _with([*OP0, "base"], {}, body)  # refused for the fields, not a stray base
    _refused(body)


def test_maximal_strings_and_fields_are_accepted() -> None:
    fields = {f"f{i}": "x" * 100 for i in range(MAX_FIELDS_PER_OP - 1)}
    fields["notes"] = "ế" * MAX_VALUE_CHARS
    body = _with([*OP0, "fields"], fields)
    body["changes"][0]["ops"][0]["base"] = {}
    PushRequest.model_validate_json(json.dumps(body))


def test_too_many_fields_are_refused() -> None:
    fields = {f"f{i}": 1 for i in range(MAX_FIELDS_PER_OP + 1)}
    _refused(_with([*OP0, "base"], {}, _with([*OP0, "fields"], fields)))
    del fields["f0"]
    PushRequest.model_validate_json(
        json.dumps(_with([*OP0, "base"], {}, _with([*OP0, "fields"], fields)))
    )


def test_missing_keys_are_refused() -> None:
    for key in ("protocol", "schema_version", "device_id", "hlc", "changes"):
        body = json.loads(json.dumps(PUSH_EXAMPLE))
        del body[key]
        _refused(body)


@pytest.mark.parametrize(
    "raw",
    ["", "null", "[]", '"push"', "{", '{"protocol": 1,}', b"\xff\xfe", '{"hlc": NaN}'],
)
def test_non_objects_and_broken_json_are_refused(raw: str | bytes) -> None:
    _refused(raw)


def test_too_many_changes_are_refused() -> None:
    def change(n: int) -> dict[str, Any]:
        return {"change_id": _uuid(n), "device_seq": n + 1, "hlc": HLC, "ops": [_upsert()]}

    ok = _with(["changes"], [change(n) for n in range(MAX_CHANGES_PER_PUSH)])
    PushRequest.model_validate_json(json.dumps(ok))
    _refused(_with(["changes"], [change(n) for n in range(MAX_CHANGES_PER_PUSH + 1)]))


def test_too_many_ops_are_refused() -> None:
    ops = [_upsert(_uuid(n)) for n in range(MAX_OPS_PER_CHANGE + 1)]
    _refused(_push(ops=ops))
    PushRequest.model_validate_json(json.dumps(_push(ops=ops[:-1])))


def test_too_many_ops_per_push_are_refused() -> None:
    per_change = MAX_OPS_PER_CHANGE
    n_changes = MAX_OPS_PER_PUSH // per_change + 1
    ops = [_upsert(_uuid(n)) for n in range(per_change)]
    changes = [
        {"change_id": _uuid(n), "device_seq": n + 1, "hlc": HLC, "ops": ops}
        for n in range(n_changes)
    ]
    error = _refused(_with(["changes"], changes))
    assert "ops in one push" in str(error)


def test_duplicate_change_ids_and_device_seqs_are_refused() -> None:
    change = PUSH_EXAMPLE["changes"][0]
    _refused(_with(["changes"], [change, {**change, "device_seq": 4813}]))
    _refused(_with(["changes"], [change, {**change, "change_id": DEV2}]))


def test_two_ops_on_one_row_are_refused() -> None:
    error = _refused(_push(ops=[_upsert(phone="a"), _upsert(phone="b")]))
    assert "two ops" in str(error)
    # The same id in two tables is two rows.
    PushRequest.model_validate_json(json.dumps(_push(ops=[_upsert(), _upsert(tbl="task")])))


def test_errors_do_not_echo_the_input() -> None:
    body = {"user": "u", "password": "hunter2-secret", "device_id": "bad", "device_name": "x"}
    error = _refused(body, LoginRequest)
    assert "hunter2" not in str(error)
    assert "hunter2" not in repr(
        LoginRequest(user="u", password="hunter2-secret", device_id=DEV, device_name="x")
    )


@pytest.mark.parametrize(
    "body",
    [
        {"user": "", "password": "p", "device_id": DEV, "device_name": "x"},
        {"user": "u", "password": "", "device_id": DEV, "device_name": "x"},
        {"user": "u", "password": "p" * 1025, "device_id": DEV, "device_name": "x"},
        {"user": "u\nadmin", "password": "p", "device_id": DEV, "device_name": "x"},
        {"user": "u", "password": "p", "device_id": DEV, "device_name": "x" * 101},
        {"user": "u", "password": "p", "device_id": DEV, "device_name": "a\x1b[2J"},
        {"user": "u", "password": "p", "device_id": DEV, "device_name": "x", "role": "admin"},
    ],
)
def test_malformed_login_is_refused(body: dict[str, Any]) -> None:
    _refused(body, LoginRequest)


def test_login_response_refuses_unknown_roles_and_short_tokens() -> None:
    good = LoginResponse(
        token="t" * 16, user_id=ROW, role=Role.AM, device_id=DEV, server_hlc=HLC
    ).model_dump(mode="json")
    LoginResponse.model_validate_json(json.dumps(good))
    _refused(good | {"role": "root"}, LoginResponse)
    _refused(good | {"token": "short"}, LoginResponse)
    _refused(good | {"token": "t" * 20 + " x"}, LoginResponse)


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("cursor", -1),
        ("cursor", "90300"),
        ("cursor", 2**63),
        ("limit", 0),
        ("limit", 5001),
        ("hlc", -1),
        ("hlc", 2**63),
        ("scope_set_version", -1),
        ("schema_version", 0),
        ("device_id", "not-a-uuid"),
        ("extra", True),
    ],
)
def test_malformed_pull_request_is_refused(key: str, value: Any) -> None:
    _refused({**PULL_EXAMPLE, key: value}, PullRequest)


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (["cursor"], 90411),  # has_more false, yet not caught up
        (["has_more"], True),  # cursor == head_seq, yet "more"
        (["head_seq"], 90400),  # cursor past head
        (["cursor"], -1),
        (["ops", 0, "seq"], 90413),  # op past the page cursor
        (["ops", 0, "seq"], 0),
        (["ops", 0, "scopes"], []),
        (["ops", 0, "scopes"], ["account:…"]),
        (["ops", 0, "scopes"], [f"account:{ACC}", f"account:{ACC}"]),
        (["ops", 0, "packed", "v"], [1, "dev-maria", 90500]),  # row seq > op seq
        (["ops", 0, "packed", "x"], {"phone": [1, "dev-maria", 90500]}),  # field seq > op seq
        (["ops", 0, "packed", "x"], {"title": [1, "dev-maria", 5]}),  # a version, no value
        (["ops", 0, "packed", "v"], [1, "dev-maria"]),  # no seq
        (["ops", 0, "packed", "v"], None),  # fields without a row version
        (["ops", 0, "packed", "f", "_deleted"], True),  # disagrees with deleted
        (["ops", 0, "packed", "f", "_deleted"], 0),
        (["ops", 0, "packed", "f", "_other"], 0),
        (["ops", 0, "packed", "y"], {}),
        (["ops", 0, "deleted"], 0),
        (["scope_events", 1, "bootstrap_as_of"], 5),  # removed with a snapshot position
        (["scope_events", 0, "bootstrap_as_of"], None),  # added without one
        (["scope_events", 0, "event"], "changed"),
        (["checksums"], {f"account:{ACC}": "C0FFEE12"}),
        (["checksums"], {f"account:{ACC}": "c0ffee1"}),
        (["server_hlc"], 0),
        (["extra"], 1),
    ],
)
def test_malformed_pull_response_is_refused(path: list[Any], value: Any) -> None:
    _refused(_with(path, value, PULL_RESPONSE_EXAMPLE), PullResponse)


def test_pull_response_refuses_disordered_and_duplicate_ops() -> None:
    base = PULL_RESPONSE_EXAMPLE["ops"][0]
    later = {**base, "seq": 90302}
    _refused(_with(["ops"], [later, base], PULL_RESPONSE_EXAMPLE), PullResponse)
    _refused(_with(["ops"], [base, base], PULL_RESPONSE_EXAMPLE), PullResponse)
    other_row = {**base, "id": ROW2}
    PullResponse.model_validate_json(
        json.dumps(_with(["ops"], [base, other_row, later], PULL_RESPONSE_EXAMPLE))
    )


def test_pull_response_check_follows() -> None:
    resp = PullResponse.model_validate_json(json.dumps(PULL_RESPONSE_EXAMPLE))
    req = PullRequest.model_validate_json(json.dumps(PULL_EXAMPLE))
    resp.check_follows(req)
    with pytest.raises(ValueError, match="at or before"):
        resp.check_follows(req.model_copy(update={"cursor": 90301}))
    with pytest.raises(ValueError, match="before the request cursor"):
        resp.check_follows(req.model_copy(update={"cursor": 90413}))


def test_change_result_consistency() -> None:
    ChangeResult(change_id=CHG, status="applied", seq=1)
    ChangeResult(change_id=CHG, status="duplicate", seq=1, original_status="applied")
    ChangeResult(change_id=CHG, status="device_forked", reason="device_seq 3 reused")
    bad: list[dict[str, Any]] = [
        {"status": "applied"},  # no seq
        {"status": "applied", "seq": 1, "reason": "why"},
        {"status": "rejected", "seq": 1},  # no reason
        {"status": "duplicate", "seq": 1},  # original status unknown
        {"status": "duplicate", "seq": 1, "original_status": "rejected"},  # no reason
        {"status": "gap", "seq": 1},
        {"status": "applied", "seq": 1, "original_status": "applied"},
        {"status": "done", "seq": 1},
    ]
    for fields in bad:
        _refused({"change_id": CHG, **fields}, ChangeResult)
    conflict = PUSH_RESPONSE_EXAMPLE["results"][0]["conflicts"][0]
    _refused(
        {"change_id": CHG, "status": "rejected", "seq": 1, "reason": "x", "conflicts": [conflict]},
        ChangeResult,
    )


def test_push_response_refuses_duplicate_results() -> None:
    result = PUSH_RESPONSE_EXAMPLE["results"][0]
    _refused(_with(["results"], [result, result], PUSH_RESPONSE_EXAMPLE), PushResponse)
    _refused(_with(["acked_device_seq"], -1, PUSH_RESPONSE_EXAMPLE), PushResponse)


def test_error_body() -> None:
    assert set(HTTP_STATUS) >= {
        "upgrade_required",
        "device_forked",
        "unauthorized",
        "forbidden",
        "rate_limited",
        "payload_too_large",
        "invalid",
    }
    assert HTTP_STATUS["payload_too_large"] == 413 and HTTP_STATUS["upgrade_required"] == 426
    _refused({"code": "teapot", "message": ""}, ErrorBody)
    _refused({"code": "rate_limited", "retry_after": -1}, ErrorBody)
    _refused({"code": "rate_limited", "retry_after": "5"}, ErrorBody)
    _refused({"code": "forbidden", "wipe": True}, ErrorBody)
    _refused({"code": "invalid", "message": "x" * 2001}, ErrorBody)
    assert ErrorBody.model_validate_json('{"code": "rate_limited", "retry_after": 5}').retry_after


def test_body_limit_constant() -> None:
    assert MAX_BODY_BYTES == 8 * 1024 * 1024


# --- Bootstrap --------------------------------------------------------------------------------


def _row(row: str, seq: int = 4, tbl: str = "contact") -> dict[str, Any]:
    return {
        "seq": seq,
        "tbl": tbl,
        "id": row,
        "deleted": False,
        "scopes": ["ref"],
        "packed": {"v": [HLC, DEV, seq], "f": {"name": "x"}},
    }


def test_bootstrap_response_order_and_token() -> None:
    first, second = _row(ROW2), _row(ROW)  # ROW2 < ROW as text
    ok = {"rows": [first, second], "next": f"contact:{ROW}", "as_of": 9}
    page = BootstrapResponse.model_validate_json(json.dumps(ok))
    assert page.next == keyset_token(page.rows[-1])
    _refused(ok | {"rows": [second, first]}, BootstrapResponse)
    _refused(ok | {"rows": [first, first]}, BootstrapResponse)
    _refused(ok | {"next": f"contact:{ROW2}"}, BootstrapResponse)  # skips a row
    _refused({"rows": [], "next": f"contact:{ROW}", "as_of": 9}, BootstrapResponse)
    no_seq = _row(ROW) | {"packed": {"v": [HLC, DEV], "f": {"name": "x"}}}
    _refused({"rows": [no_seq], "as_of": 9}, BootstrapResponse)
    # tables sort before ids
    BootstrapResponse.model_validate_json(
        json.dumps({"rows": [_row(ROW, tbl="account"), _row(ROW2)], "as_of": 9})
    )


def test_bootstrap_check_follows() -> None:
    page = BootstrapResponse.model_validate_json(
        json.dumps({"rows": [_row(ROW)], "next": f"contact:{ROW}", "as_of": 9})
    )
    page.check_follows(BootstrapRequest(scopes=["ref"]))
    page.check_follows(BootstrapRequest(scopes=["finance", "ref"]))  # any requested scope
    page.check_follows(BootstrapRequest(scopes=["all"]))  # an admin's: any row
    page.check_follows(BootstrapRequest(scopes=["ref"], as_of=9, after=f"contact:{ROW2}"))
    with pytest.raises(ValueError, match="another snapshot"):
        page.check_follows(BootstrapRequest(scopes=["ref"], as_of=8))
    with pytest.raises(ValueError, match="outside"):
        page.check_follows(BootstrapRequest(scopes=["finance", f"user:{DEV}"]))
    with pytest.raises(ValueError, match="resume position"):
        page.check_follows(BootstrapRequest(scopes=["ref"], as_of=9, after=f"contact:{ROW}"))
    two = BootstrapResponse.model_validate_json(
        json.dumps({"rows": [_row(ROW2), _row(ROW)], "next": f"contact:{ROW}", "as_of": 9})
    )
    with pytest.raises(ValueError, match="limit"):
        two.check_follows(BootstrapRequest(scopes=["ref"], limit=1))


def test_bootstrap_request_is_a_bounded_json_body() -> None:
    req = BootstrapRequest(
        scopes=[f"account:{ACC}", "ref"], as_of=12, after=f"contact:{ROW}", limit=10
    )
    assert json.loads(req.model_dump_json()) == {
        "scopes": [f"account:{ACC}", "ref"],
        "as_of": 12,
        "after": f"contact:{ROW}",
        "limit": 10,
    }
    assert BootstrapRequest.model_validate_json('{"scopes": ["ref"]}').limit == 5000
    many = [f"account:{uuid}" for uuid in _uuids(MAX_SNAPSHOT_SCOPES + 1)]
    assert len(BootstrapRequest(scopes=many[:-1]).scopes) == MAX_SNAPSHOT_SCOPES
    for body in (
        {},
        {"scopes": []},
        {"scopes": many},  # more than one stream may serve
        {"scopes": ["ref", "ref"]},
        {"scopes": "ref"},
        {"scopes": ["REF"]},
        {"scopes": ["account:../../etc"]},
        {"scopes": ["x" * 41]},
        {"scopes": [f"account:{ACC}x"]},
        {"scopes": [5]},
        {"scopes": ["ref"], "limit": "5"},
        {"scopes": ["ref"], "limit": 0},
        {"scopes": ["ref"], "limit": 5001},
        {"scopes": ["ref"], "as_of": -1},
        {"scopes": ["ref"], "as_of": 1.0},
        {"scopes": ["ref"], "after": f"contact:{ROW}"},  # resume needs as_of
        {"scopes": ["ref"], "as_of": 1, "after": "contact"},
        {"scopes": ["ref"], "scope": "ref"},
        {"scopes": ["ref"], "sort": "id"},
    ):
        _refused(body, BootstrapRequest)


def _uuids(n: int) -> list[str]:
    return [f"{i:08x}-0000-4000-8000-000000000000" for i in range(n)]


# --- Converters -------------------------------------------------------------------------------


def _change(*ops: Op, hlc: int = HLC) -> Change:
    return Change(change_id=CHG, device_seq=1, hlc=hlc, ops=list(ops))


def test_to_incoming_upsert() -> None:
    op = Op(
        op="upsert",
        tbl="contact",
        id=ROW,
        fields={"phone": "+84", "title": None},
        base={"phone": 88},
    )
    assert to_incoming(op, _change(op), node=DEV, device=DEV2) == [
        IncomingField("phone", "+84", HLC, DEV, DEV2, 88),
        IncomingField("title", None, HLC, DEV, DEV2, None),
    ]


@pytest.mark.parametrize(("kind", "value"), [("delete", True), ("restore", False)])
def test_to_incoming_delete_and_restore(kind: str, value: bool) -> None:
    op = Op.model_validate({"op": kind, "tbl": "task", "id": ROW, "base": {DELETED: 9}})
    assert to_incoming(op, _change(op), node=DEV, device=DEV) == [
        IncomingField(DELETED, value, HLC, DEV, DEV, 9)
    ]
    bare = Op.model_validate({"op": kind, "tbl": "task", "id": ROW})
    assert to_incoming(bare, _change(bare), node=DEV, device=DEV)[0].base_seq is None


def test_to_incoming_restore_with_fields() -> None:
    op = Op(op="restore", tbl="task", id=ROW, fields={"title": "call"}, base={DELETED: 4})
    assert to_incoming(op, _change(op), node=DEV, device=DEV2) == [
        IncomingField("title", "call", HLC, DEV, DEV2, None),
        IncomingField(DELETED, False, HLC, DEV, DEV2, 4),
    ]


def test_upsert_base_may_not_name_deleted() -> None:
    with pytest.raises(ValidationError, match="does not write"):
        Op(op="upsert", tbl="task", id=ROW, fields={"title": "x"}, base={DELETED: 1})


def test_to_incoming_uses_a_restamped_hlc() -> None:
    op = Op(op="delete", tbl="task", id=ROW)
    (inc,) = to_incoming(op, _change(op, hlc=MAX_HLC), node=DEV, device=DEV, hlc=HLC)
    assert inc.hlc == HLC


def test_to_incoming_feeds_merge_row() -> None:
    """A delete then a restore from the wire merge as the domain expects."""
    upsert = Op(op="upsert", tbl="task", id=ROW, fields={"title": "call"})
    row, _ = merge_row({}, to_incoming(upsert, _change(upsert, hlc=10), DEV, DEV), seq=1)
    delete = Op(op="delete", tbl="task", id=ROW, base={DELETED: None})
    row, _ = merge_row(row, to_incoming(delete, _change(delete, hlc=11), DEV, DEV), seq=2)
    assert row[DELETED].value is True
    restore = Op(op="restore", tbl="task", id=ROW, base={DELETED: 2})
    row, conflicts = merge_row(row, to_incoming(restore, _change(restore, hlc=12), DEV2, DEV2), 3)
    assert row[DELETED].value is False and row["title"].value == "call" and conflicts == []


def test_field_value_from_state_and_back() -> None:
    state = FieldState("+84 90", Version(HLC, DEV, 17), DEV)
    fv = field_value_from_state(state)
    assert json.loads(FIELD_VALUE.dump_json(fv)) == ["+84 90", HLC, DEV, 17]
    assert fv.to_state(op_seq=99) == state
    implicit = FIELD_VALUE.validate_json(f'["+84 90", {HLC}, "{DEV}"]')
    assert implicit.to_state(op_seq=17) == state


def test_field_value_from_state_refuses_non_wire_values() -> None:
    with pytest.raises(ValidationError):
        field_value_from_state(FieldState(["a"], Version(HLC, DEV, 1), DEV))
    with pytest.raises(ValidationError):
        field_value_from_state(FieldState(float("nan"), Version(HLC, DEV, 1), DEV))


# --- Properties -------------------------------------------------------------------------------

uuids = st.uuids().map(str)
tables = st.from_regex(r"[a-z][a-z_]{0,39}", fullmatch=True)
field_names = st.from_regex(r"[a-z][a-z0-9_]{0,62}", fullmatch=True)
hlcs = st.integers(1, MAX_HLC)
seqs = st.integers(1, 2**63 - 1)
texts = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=40)
scalars = st.one_of(
    st.booleans(),
    st.integers(-(2**63), 2**63 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
    texts,
    st.none(),
)


@st.composite
def ops(draw: st.DrawFn) -> Op:
    kinds: tuple[OpKind, ...] = ("upsert", "delete", "restore")
    kind = draw(st.sampled_from(kinds))
    upsert = kind == "upsert"
    fields = draw(st.dictionaries(field_names, scalars, min_size=int(upsert), max_size=6))
    written = sorted(fields) if upsert else [*sorted(fields), DELETED]
    base_keys = draw(st.lists(st.sampled_from(written), unique=True))
    base = {k: draw(st.none() | seqs) for k in base_keys}
    return Op(op=kind, tbl=draw(tables), id=draw(uuids), fields=fields, base=base)


changes = st.builds(
    Change,
    change_id=uuids,
    device_seq=seqs,
    hlc=hlcs,
    ops=st.lists(ops(), min_size=1, max_size=5, unique_by=lambda o: (o.tbl, o.id)),
)

push_requests = st.builds(
    PushRequest,
    protocol=st.just(PROTOCOL),
    schema_version=st.integers(1, 2**31 - 1),
    device_id=uuids,
    hlc=hlcs,
    changes=st.lists(
        changes,
        min_size=1,
        max_size=5,
        unique_by=(lambda c: c.change_id, lambda c: c.device_seq),
    ),
)


@PROPS
@given(push_requests)
def test_any_valid_push_request_round_trips(req: PushRequest) -> None:
    wire = req.model_dump_json()
    again = PushRequest.model_validate_json(wire)
    assert again == req
    assert again.model_dump_json() == wire


field_values = st.builds(
    FieldValue, value=scalars, hlc=hlcs, node=uuids | st.just("server"), seq=st.none()
)


@st.composite
def pull_responses(draw: st.DrawFn) -> PullResponse:
    row_seqs = sorted(draw(st.lists(st.integers(1, 1000), max_size=6)))
    pulled = []
    for seq in row_seqs:
        deleted = draw(st.booleans())
        fields = draw(st.dictionaries(field_names, field_values, max_size=4))
        if draw(st.booleans()):
            fields[DELETED] = FieldValue(
                value=deleted, hlc=draw(hlcs), node="server", seq=draw(st.integers(1, seq))
            )
        pulled.append(
            PulledOp.build(
                seq=seq,
                tbl=draw(tables),
                id=draw(uuids),
                deleted=deleted,
                scopes=draw(
                    st.lists(
                        st.just("ref") | uuids.map("account:{}".format),
                        min_size=1,
                        max_size=3,
                        unique=True,
                    )
                ),
                fields=fields,
            )
        )
    cursor = draw(st.integers(row_seqs[-1] if row_seqs else 0, 2000))
    head = draw(st.integers(cursor, 3000))
    return PullResponse(
        ops=pulled,
        scope_set_version=draw(st.integers(0, 100)),
        cursor=cursor,
        head_seq=head,
        has_more=cursor < head,
        server_hlc=draw(hlcs),
    )


@PROPS
@given(pull_responses())
def test_any_valid_pull_response_round_trips(resp: PullResponse) -> None:
    wire = resp.model_dump_json()
    again = PullResponse.model_validate_json(wire)
    assert again == resp
    assert again.model_dump_json() == wire


# A row's fields as the server holds them: a few writers, so rows mix versions.
versions = st.tuples(
    st.sampled_from([HLC, HLC + 1, HLC + 2]), st.sampled_from([DEV, "server"]), st.integers(1, 3)
)
stored_fields = st.dictionaries(
    field_names, st.tuples(scalars, versions).map(lambda t: [t[0], *t[1]]), max_size=8
)


@PROPS
@given(stored_fields)
def test_packed_fields_unpack_to_what_was_packed(fields: dict[str, list[Any]]) -> None:
    packed = pack_fields(fields)
    assert unpack_fields(json.loads(json.dumps(packed))) == fields
    # The row version is the one most fields share: no field listed apart could be saved.
    listed = packed.get("x", {})
    assert len(listed) <= len(fields) - max(
        (sum(1 for v in fields.values() if v[1:] == w[1:]) for w in fields.values()), default=0
    )
    # field_names never makes `_deleted`, so any such row is a valid op at its newest seq
    seq = max((v[3] for v in fields.values()), default=1)
    wire = {"seq": seq, "tbl": "contact", "id": ROW, "deleted": False, "scopes": ["ref"]}
    op = PulledOp.model_validate_json(json.dumps(wire | {"packed": packed}))
    assert {n: [fv.value, fv.hlc, fv.node, fv.seq] for n, fv in op.fields.items()} == fields
