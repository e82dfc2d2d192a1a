"""The sync wire protocol, version 1 (SYNC.md §1.6, §1.8, §1.9): one pydantic model per message.

Why one module shared by client and server: both sides build and parse messages with the same
models, so a message the client can produce is exactly a message the server accepts. The client
should validate every change with ``Change`` *when it writes the outbox row*: a change that
cannot be represented on the wire must fail in the user's transaction (or go to the attention
list), never later inside an upload queue that then wedges on it.

Why strict and bounded: request bodies come from the network and are attacker-controlled.
Every model forbids unknown keys and type coercion (``"1"`` is not ``1``, ``1`` is not
``true``), and every string, list and dict has an upper bound, so a malformed or oversized body
is refused by validation before any database work. ``MAX_BODY_BYTES`` is checked by the server
on the raw (decompressed) body before parsing; the per-field bounds then cap the work any one
accepted body can cause. Strings also refuse NUL and lone surrogates, which PostgreSQL ``text``
and UTF-8 cannot store: such a value would otherwise fail as a server error (retried forever)
instead of being refused once.

Why ``frozen``: a message is a value. The server caches push results and compares replays, the
client keeps pages around while applying them; nothing should mutate them in between.

Ids are canonical lowercase UUID text (``str``), not ``uuid.UUID``: the domain, the storage
tables and ``IncomingField`` all use text ids, and refusing other spellings (upper case, no
hyphens, braces) keeps one row from arriving under two different text keys.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Mapping
from functools import cached_property
from types import MappingProxyType
from typing import Annotated, Any, Final, Literal, NamedTuple

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    StringConstraints,
    TypeAdapter,
    model_validator,
)

from workbench.domain.enums import Role
from workbench.domain.hlc import MAX_HLC
from workbench.domain.merge import DELETED, FieldState, IncomingField, Version

# --- Versions and limits --------------------------------------------------------------------

#: The wire protocol version. A push carries it; an incompatible change to any message here
#: needs a new version (and a new ``/sync/vN`` route), never a silent reinterpretation.
PROTOCOL: Final = 1

#: Largest request body the server accepts (decompressed), checked before parsing (SYNC.md
#: §1.13, answered with ``payload_too_large`` / 413). Bounds the memory of one parse.
MAX_BODY_BYTES: Final = 8 * 1024 * 1024

#: Changes per push (SYNC.md §1.13): keeps one sequencer-locked server transaction short.
MAX_CHANGES_PER_PUSH: Final = 200
#: Ops per change. A local transaction is never split across pushes, so a bulk import must
#: commit in batches of at most this many row ops, or its change could never be pushed.
MAX_OPS_PER_CHANGE: Final = 1000
#: Ops per push over all changes: bounds the work of one request independently of how the
#: client grouped its transactions (200 x 1000 would otherwise be allowed).
MAX_OPS_PER_PUSH: Final = 10_000
#: Fields per op; generous for the widest table, small enough to bound a merge.
MAX_FIELDS_PER_OP: Final = 128
#: Characters of one string value (notes and addresses are the long ones).
MAX_VALUE_CHARS: Final = 65_536
#: Pull page size a client may ask for (SYNC.md §1.8 suggests 2,000).
MAX_PULL_LIMIT: Final = 5000
DEFAULT_PULL_LIMIT: Final = 2000
#: Snapshot page size (SYNC.md §1.9, §1.13).
MAX_SNAPSHOT_LIMIT: Final = 5000
#: Scopes one snapshot stream serves (``BootstrapRequest.scopes``): a batch of scope events
#: adding more is fetched as several streams. Bounds the server's ``IN`` list (well inside
#: SQLite's 32,766 parameters) and the body (~0.5 MB). As large as a batch of scope events,
#: so a new device's whole portfolio is one stream: rows in several scopes (a contact in its
#: account's scope and its author's) then arrive once, where streams of 1,000 scopes sent
#: 18% of a 5,000-account portfolio twice.
MAX_SNAPSHOT_SCOPES: Final = 10_000
#: The admin's scope (``workbench.sync.schema.ALL_SCOPE``): every row, whatever its scopes.
_ALL_SCOPE: Final = "all"
#: Ops in one pull page. Larger than ``MAX_PULL_LIMIT`` because a page always ends on a whole
#: server seq (SYNC.md §1.8), and a server-made change (a cascade) may hold many row ops.
MAX_PAGE_OPS: Final = 50_000
#: Scope keys per row and scope events per page.
MAX_SCOPES_PER_ROW: Final = 64
MAX_SCOPE_EVENTS: Final = 10_000
#: Conflicts reported for one change: at most a few per field of every op.
MAX_CONFLICTS_PER_CHANGE: Final = 2 * MAX_OPS_PER_CHANGE * MAX_FIELDS_PER_OP

_MAX_INT64: Final = 2**63 - 1
_MIN_INT64: Final = -(2**63)

# --- Scalar types ---------------------------------------------------------------------------

_BAD_CHARS = re.compile(r"[\x00\ud800-\udfff]")
_CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f]")


def _storable(value: str) -> str:
    """Refuse characters no database column can hold (see the module docstring)."""
    if _BAD_CHARS.search(value):
        raise ValueError("string contains NUL or an unpaired surrogate")
    return value


def _single_line(value: str) -> str:
    """Names shown in lists and logs: no control characters (log injection, broken layout)."""
    if _CONTROL_CHARS.search(value):
        raise ValueError("control characters are not allowed here")
    return value


def _only_float(value: Any) -> Any:
    # A strict float still takes an integer, so an int past the 64-bit bound would slip into
    # the float member of a scalar union and come back rounded: refuse instead.
    if type(value) is not float:
        raise ValueError("expected a number with a fraction or exponent")
    return value


def _finite(value: float) -> float:
    # JSON has no NaN/Infinity; pydantic would write them as null and break the round trip.
    if not math.isfinite(value):
        raise ValueError("number must be finite")
    return value


_NO_NUL = r"^[^\x00]*$"
_UUID_PATTERN = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
_TABLE_PATTERN = r"[a-z][a-z_]{0,39}"
_NODE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$"

#: Canonical lowercase UUID text (any version; SYNC.md §1.2 asks for v7 but older or imported
#: rows may carry other versions, and the version adds nothing to validity).
UuidStr = Annotated[str, StringConstraints(pattern=rf"^{_UUID_PATTERN}$")]
#: A synced table. Stricter than ``^[a-z_]{1,40}$``: no leading underscore, so local
#: bookkeeping tables (``_sync_outbox``...) can never be named. The server must still check
#: the name against its list of synced tables; this pattern only keeps junk out.
TableName = Annotated[str, StringConstraints(pattern=rf"^{_TABLE_PATTERN}$")]
#: A column a client may write. The leading-underscore names are reserved pseudo-fields.
FieldName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,62}$")]
#: A column or the ``_deleted`` pseudo-field (versions, bases, pulled fields, conflicts).
VersionedFieldName = Annotated[
    str, StringConstraints(pattern=rf"^(?:{DELETED}|[a-z][a-z0-9_]{{0,62}})$")
]
#: An HLC node id: a device id (UUID) or the server's node name; compared as text for ties.
NodeId = Annotated[str, StringConstraints(pattern=_NODE_PATTERN)]
#: ``account:<uuid>``, ``user:<uuid>``, ``finance``, ``ref`` (SYNC.md §1.10).
ScopeKey = Annotated[str, StringConstraints(pattern=rf"^{_TABLE_PATTERN}(?::{_UUID_PATTERN})?$")]
#: Snapshot keyset position ``<tbl>:<id>`` (SYNC.md §1.9): the last row of the previous page.
KeysetToken = Annotated[str, StringConstraints(pattern=rf"^{_TABLE_PATTERN}:{_UUID_PATTERN}$")]
#: A 32-bit per-scope checksum as 8 hex digits (SYNC.md §1.8, phase 2).
Checksum = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{8}$")]

#: A packed HLC as stored in a signed 64-bit column (domain.hlc): 0 < hlc < 2**63.
Hlc = Annotated[int, Field(gt=0, le=MAX_HLC)]
#: An HLC that may still be 0: a fresh client clock that has not ticked yet.
HlcOrZero = Annotated[int, Field(ge=0, le=MAX_HLC)]
#: A server seq (gap-free, from 1).
Seq = Annotated[int, Field(ge=1, le=_MAX_INT64)]
#: A position in the server log; 0 is "before everything".
Cursor = Annotated[int, Field(ge=0, le=_MAX_INT64)]
SchemaVersion = Annotated[int, Field(ge=1, le=2**31 - 1)]

#: Free text sent back to people (messages, reasons, names). Bounded and storable.
ShortText = Annotated[
    str, StringConstraints(min_length=1, max_length=200), AfterValidator(_storable)
]
LongText = Annotated[str, StringConstraints(max_length=2000), AfterValidator(_storable)]

# No NUL, checked by pattern in pydantic's core rather than by `_storable` (a Python call per
# value); pydantic itself refuses unpaired surrogates in any string.
_ValueText = Annotated[
    str, StringConstraints(strict=True, max_length=MAX_VALUE_CHARS, pattern=_NO_NUL)
]

#: A field value: a JSON scalar (SYNC.md's ops carry column values; dates travel as ISO text,
#: money as integer minor units). No lists or objects, so a value is one column. Each member
#: is strict, so ``true`` stays a bool and ``1`` stays an int through a round trip; integers
#: are 64-bit because that is what the databases store, and never turn into floats.
JsonScalar = Annotated[  # strings first on purpose: see the note on left-to-right below
    _ValueText  # noqa: RUF036
    | None
    | Annotated[bool, Field(strict=True)]
    | Annotated[int, Field(strict=True, ge=_MIN_INT64, le=_MAX_INT64)]
    | Annotated[float, BeforeValidator(_only_float), Field(strict=True), AfterValidator(_finite)],
    # Left to right, strings first and floats last: the members are strict and disjoint, so
    # the first match is the only one. Most values are text, so most take one try (a push of
    # 3,000 ops validated 22 % faster than with None first), and neither a string nor a null
    # reaches the float member's Python check (a page of pulled rows holds ~100,000 values).
    Field(union_mode="left_to_right"),
]


class _Wire(BaseModel):
    """Base of every message: unknown keys refused, no coercion, immutable, and validation
    errors that do not echo the input (it may hold a password or megabytes of junk)."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        strict=True,
        allow_inf_nan=False,
        hide_input_in_errors=True,
        str_max_length=MAX_VALUE_CHARS,
    )


# --- Login ----------------------------------------------------------------------------------


class LoginRequest(_Wire):
    """Registers (or re-registers) a device for a user and asks for a device token.

    ``device_id`` is made by the client (SYNC.md §1.2) and bound to the user server-side; the
    password is bounded because a password hash over megabytes is a cheap denial of service.
    """

    user: Annotated[
        str, StringConstraints(min_length=1, max_length=254), AfterValidator(_single_line)
    ]
    password: Annotated[str, StringConstraints(min_length=1, max_length=1024)] = Field(repr=False)
    device_id: UuidStr
    device_name: Annotated[
        str, StringConstraints(min_length=1, max_length=100), AfterValidator(_single_line)
    ]


class LoginResponse(_Wire):
    """The device token and who the server thinks we are. ``server_hlc`` seeds the client
    clock before its first write, so that write already orders after the server's state."""

    token: Annotated[
        str,
        StringConstraints(min_length=16, max_length=512, pattern=r"^[A-Za-z0-9_.~+/=-]+$"),
    ] = Field(repr=False)
    user_id: UuidStr
    role: Role
    device_id: UuidStr
    server_hlc: Hlc


class MeResponse(_Wire):
    """``GET /sync/v1/me``: who the bearer token belongs to (user and device), so a client can
    check a stored token and show "signed in as" without logging in again."""

    user_id: UuidStr
    user: Annotated[
        str, StringConstraints(min_length=1, max_length=254), AfterValidator(_single_line)
    ]
    role: Role
    device_id: UuidStr
    device_name: Annotated[
        str, StringConstraints(min_length=1, max_length=200), AfterValidator(_single_line)
    ]


# --- Errors ---------------------------------------------------------------------------------

ErrorCode = Literal[
    "upgrade_required",
    "device_forked",
    "unauthorized",
    "forbidden",
    "rate_limited",
    "payload_too_large",
    "invalid",
    "resync_required",
]

#: The HTTP status that goes with each error code, so every route answers the same way. Clients
#: act on ``code``, not the status: SYNC.md §1.13 retries a "409-lock" but ``device_forked`` is
#: also a 409 and must re-register instead; of these codes only ``rate_limited`` is retried, and
#: ``resync_required`` starts the §1.11 procedure.
HTTP_STATUS: Final[Mapping[ErrorCode, int]] = MappingProxyType(
    {
        "upgrade_required": 426,
        "device_forked": 409,
        "unauthorized": 401,
        "forbidden": 403,
        "rate_limited": 429,
        "payload_too_large": 413,
        "invalid": 422,
        "resync_required": 410,
    }
)


class ErrorBody(_Wire):
    """The body of every non-2xx answer.

    ``retry_after`` mirrors the ``Retry-After`` header for clients that only read bodies.
    ``wipe`` is the remote-wipe flag of a revoked device (SYNC.md §1.10: a stolen laptop gets
    401 plus the flag); only meaningful with ``unauthorized``.
    """

    code: ErrorCode
    message: LongText = ""
    retry_after: Annotated[float, Field(ge=0, le=86_400)] | None = None
    wipe: bool = False

    @model_validator(mode="after")
    def _consistent(self) -> ErrorBody:
        if self.wipe and self.code != "unauthorized":
            raise ValueError("wipe is only sent with 'unauthorized'")
        return self


# --- Push (SYNC.md §1.6) --------------------------------------------------------------------


class Op(_Wire):
    """One row operation of a change, as stored in ``_sync_outbox.ops``.

    ``upsert`` writes ``fields``. ``delete``/``restore`` write the ``_deleted`` pseudo-field
    (True/False) and may write ``fields`` too, so whatever one local transaction did to a row
    ("restore and fix the phone") fits one op; see ``Change`` for why there is only one.
    ``base`` holds, per written field, the server seq the writer had seen (missing or null:
    none, e.g. a new row); it may only name fields the op writes, ``_deleted`` included.
    """

    op: Literal["upsert", "delete", "restore"]
    tbl: TableName
    id: UuidStr
    fields: Annotated[dict[FieldName, JsonScalar], Field(max_length=MAX_FIELDS_PER_OP)] = {}
    base: Annotated[dict[VersionedFieldName, Seq | None], Field(max_length=MAX_FIELDS_PER_OP)] = {}

    @model_validator(mode="after")
    def _shape(self) -> Op:
        if self.op == "upsert" and not self.fields:
            raise ValueError("an upsert writes at least one field")
        if not self.base:  # a new row's ops (most of a big push): nothing more to check
            return self
        written = self.fields.keys() if self.op == "upsert" else {*self.fields, DELETED}
        stray = [name for name in self.base if name not in written]
        if stray:
            raise ValueError(f"base names fields the op does not write: {sorted(stray)}")
        return self


class Change(_Wire):
    """One local transaction: the unit of idempotency (``change_id``), of ordering per device
    (``device_seq``) and of atomicity on the server (one savepoint). All its ops share ``hlc``.

    Two ops on the same row are refused: the server merges both at the same seq with the same
    ``(hlc, node)``, so the second op's values would tie with the first and be dropped without
    a conflict record. The client coalesces a transaction's edits to one op per row: the last
    value of each field, and ``delete``/``restore`` if the tombstone ended up changed.
    """

    change_id: UuidStr
    device_seq: Seq
    hlc: Hlc
    ops: Annotated[list[Op], Field(min_length=1, max_length=MAX_OPS_PER_CHANGE)]

    @model_validator(mode="after")
    def _one_op_per_row(self) -> Change:
        seen: set[tuple[str, str]] = set()
        for op in self.ops:
            key = (op.tbl, op.id)
            if key in seen:
                raise ValueError(f"two ops on {op.tbl}/{op.id} in one change")
            seen.add(key)
        return self


class PullPosition(_Wire):
    """Where the pushing device's pulls stand (``PullRequest``'s fields of the same names)."""

    cursor: Cursor
    scope_set_version: Cursor
    answered_through: Cursor = 0


class PushRequest(_Wire):
    """A batch of outbox changes (SYNC.md §1.6).

    ``device_id`` must equal the device of the bearer token; the server checks that and uses
    the token's device, never this field, as the HLC node. ``hlc`` is the client's clock after
    stamping these changes; the server folds it into its own clock.
    """

    protocol: Literal[1]
    schema_version: SchemaVersion
    device_id: UuidStr
    hlc: Hlc
    changes: Annotated[list[Change], Field(min_length=1, max_length=MAX_CHANGES_PER_PUSH)]
    #: Given, the answer says whether a pull from there would bring anything but the
    #: device's own answered changes (``PushResponse.caught_up_to``).
    position: PullPosition | None = None

    @model_validator(mode="after")
    def _bounded_and_unique(self) -> PushRequest:
        if sum(len(ch.ops) for ch in self.changes) > MAX_OPS_PER_PUSH:
            raise ValueError(f"more than {MAX_OPS_PER_PUSH} ops in one push")
        if len({ch.change_id for ch in self.changes}) != len(self.changes):
            raise ValueError("duplicate change_id in one push")
        if len({ch.device_seq for ch in self.changes}) != len(self.changes):
            raise ValueError("duplicate device_seq in one push")
        return self


ConflictKindName = Literal["concurrent_update", "update_on_deleted", "delete_on_updated"]


class ConflictSide(_Wire):
    """One side of a conflict: the value, when and by whom (a display name or id, for "Maria
    changed this"). For the delete kinds the deleting side's value is ``true``. ``node`` is
    optional because SYNC.md's example and ``sync_conflict`` keep only hlc and user."""

    value: JsonScalar
    hlc: Hlc
    node: NodeId | None = None
    user: ShortText | None = None


class ConflictOut(_Wire):
    """A conflict the pushed change took part in, as the pusher sees it (SYNC.md §1.6).

    ``outcome`` is the pusher's: ``lost`` means ``winner`` is someone else's value now current
    (the pusher's own value is in its outbox); ``won`` means the pusher's value replaced
    ``loser``, which the server kept. ``loser`` is optional because the first case needs none.
    """

    id: UuidStr
    tbl: TableName
    row_id: UuidStr
    field: VersionedFieldName
    kind: ConflictKindName = "concurrent_update"
    outcome: Literal["won", "lost"]
    winner: ConflictSide
    loser: ConflictSide | None = None


ChangeStatus = Literal["applied", "duplicate", "rejected", "device_forked", "gap"]


class ChangeResult(_Wire):
    """The terminal (or stop) answer for one change.

    - ``applied``/``rejected`` consumed a server ``seq``; ``rejected`` has a ``reason`` and no
      conflicts (its effects were rolled back).
    - ``duplicate`` is a replay of a recorded change: the cached ``seq``, ``reason`` and
      ``conflicts`` come back, and ``original_status`` says whether the first attempt was
      applied or rejected, because the client must move a rejected change to the attention
      list even when the first response was lost.
    - ``device_forked``/``gap`` stop the batch; they carry no seq.
    """

    change_id: UuidStr
    status: ChangeStatus
    seq: Seq | None = None
    reason: ShortText | None = None
    conflicts: Annotated[list[ConflictOut], Field(max_length=MAX_CONFLICTS_PER_CHANGE)] = []
    original_status: Literal["applied", "rejected"] | None = None
    #: Rows (``"tbl:id"``) whose log entries repeat this change exactly, with the scopes the
    #: server filed each under. The device's pulls leave those entries out
    #: (``PullRequest.answered_through``): it holds their values already, and records the
    #: scopes and the seq with this answer.
    echoes: Annotated[
        dict[KeysetToken, Annotated[list[ScopeKey], Field(max_length=MAX_SCOPES_PER_ROW)]],
        Field(max_length=MAX_OPS_PER_CHANGE),
    ] = {}

    @model_validator(mode="after")
    def _consistent(self) -> ChangeResult:
        consumed = self.status in ("applied", "duplicate", "rejected")
        if consumed != (self.seq is not None):
            raise ValueError(f"status {self.status!r} {'needs' if consumed else 'has no'} seq")
        if (self.status == "duplicate") != (self.original_status is not None):
            raise ValueError("original_status is set exactly for 'duplicate'")
        was_rejected = self.status == "rejected" or self.original_status == "rejected"
        if self.status in ("applied", "rejected", "duplicate") and was_rejected != (
            self.reason is not None
        ):
            raise ValueError("a reason is given exactly for rejected changes")
        if (was_rejected or self.status in ("device_forked", "gap")) and self.conflicts:
            raise ValueError(f"a {self.status!r} change reports no conflicts")
        if (was_rejected or self.status in ("device_forked", "gap")) and self.echoes:
            raise ValueError(f"a {self.status!r} change has no echoes")
        return self


class PushResponse(_Wire):
    """Per-change results plus the highest ``device_seq`` the server has recorded for this
    device (the client may drop acknowledged outbox rows once their effects are committed)."""

    results: Annotated[list[ChangeResult], Field(max_length=MAX_CHANGES_PER_PUSH)]
    acked_device_seq: Cursor
    server_hlc: Hlc
    #: The log head after this push, when a pull from the request's ``position`` would bring
    #: nothing but the device's own changes answered here or before (their scopes are in
    #: ``ChangeResult.echoes``) and its scope set is unchanged: the device may store it as
    #: its cursor and skip that pull. Null when not asked, or when there is more to pull.
    caught_up_to: Cursor | None = None

    @model_validator(mode="after")
    def _unique(self) -> PushResponse:
        if len({r.change_id for r in self.results}) != len(self.results):
            raise ValueError("duplicate change_id in results")
        return self


# --- Pull (SYNC.md §1.8) --------------------------------------------------------------------


class FieldValue(NamedTuple):
    """A field's value and version, on the wire as ``[value, hlc, node]`` (SYNC.md §1.8) or
    ``[value, hlc, node, seq]``.

    Why the optional ``seq``: a writer's ``base`` must be the seq of the change that wrote the
    value it saw. In a pull op that is normally the op's own seq, so it is omitted. A snapshot
    row (§1.9 asks for per-field ``(hlc, node, seq)``) or a log entry that repeats an older
    value must say which seq wrote each field, or the client's next edit would carry the wrong
    base and the server would report a conflict the user never had.

    Why a named tuple and not a model: a pull page or a snapshot page holds ~10 of these per
    row, tens of thousands per page. Pydantic validates a tuple from a JSON array in its core,
    without calling Python per value, which made parsing a page about twice as fast. Validate
    one on its own with ``FIELD_VALUE`` (strict, like every message); constructing one from
    Python checks nothing. Writers always send the array; a reader also takes the object form
    ``{"value": ..., "hlc": ..., "node": ...}`` (pydantic's named-tuple rule; refusing it would
    cost a Python call per value), with the same checks on every item.
    """

    value: JsonScalar
    hlc: Hlc
    node: NodeId
    seq: Seq | None = None

    def to_state(self, op_seq: int) -> FieldState:
        """The domain state of this value as the client stores it (``merge_remote``).

        ``op_seq`` fills a missing per-field seq. The device is the node: for client writes
        they are the same id (SYNC.md §1.2), and a client only orders by ``(hlc, node)``.
        """
        seq = self.seq if self.seq is not None else op_seq
        return FieldState(self.value, Version(self.hlc, self.node, seq), self.node)


def _field_to_array(fv: FieldValue) -> list[Any]:
    """The wire form: the seq only when it is set."""
    out: list[Any] = [fv.value, fv.hlc, fv.node]
    if fv.seq is not None:
        out.append(fv.seq)
    return out


#: A field value with its version, on its own: validated from a 3- or 4-item array, written
#: without a trailing null seq (messages carry fields packed, `RowFields`).
WireFieldValue = Annotated[FieldValue, PlainSerializer(_field_to_array)]

#: Validates and writes one field value on its own (tests, `field_value_from_state`).
FIELD_VALUE: Final = TypeAdapter(
    WireFieldValue, config=ConfigDict(strict=True, hide_input_in_errors=True)
)


class FieldVersion(NamedTuple):
    """Who wrote a field, when, and at which server seq: ``[hlc, node, seq]`` on the wire."""

    hlc: Hlc
    node: NodeId
    seq: Seq


def pack_fields(fields: Mapping[str, Any]) -> dict[str, Any]:
    """``{name: (value, hlc, node, seq)}`` as the packed form of `RowFields` (plain JSON-able
    dicts and lists, the keys ``v``, ``f`` and ``x``): the row version is the version most of
    the fields share, and only the fields written at another version list their own.

    The server stores every row and log entry in this form and prints it into pages as is.
    """
    values: dict[str, Any] = {}
    others: dict[str, list[Any]] = {}
    row: tuple[Any, ...] | None = None
    for name, (value, hlc, node, seq) in fields.items():
        values[name] = value
        if row is None:
            row = (hlc, node, seq)
        elif (hlc, node, seq) != row:
            others[name] = [hlc, node, seq]
    if row is None:
        return {"v": None, "f": {}}
    if 2 * len(others) > len(values):  # the first field was not the common case: count
        counts = Counter((h, n, s) for _, h, n, s in fields.values())
        row = counts.most_common(1)[0][0]
        others = {name: [h, n, s] for name, (_, h, n, s) in fields.items() if (h, n, s) != row}
    packed: dict[str, Any] = {"v": list(row), "f": values}
    if others:
        packed["x"] = others
    return packed


def unpack_fields(packed: Mapping[str, Any]) -> dict[str, list[Any]]:
    """The inverse of `pack_fields`: ``{name: [value, hlc, node, seq]}``."""
    row = packed["v"]
    others = packed.get("x") or {}
    return {name: [value, *others.get(name, row)] for name, value in packed["f"].items()}


class RowFields(_Wire):
    """A row's field values and their versions, packed (SYNC.md §1.8, changed; docs/sync.md,
    departure 9): ``{"v": [hlc, node, seq], "f": {field: value}, "x": {field: [hlc, node,
    seq]}}``. ``v`` is the version of every field ``x`` does not list.

    Why packed rather than ``{field: [value, hlc, node, seq]}``: one change writes all the
    fields of its op with one version, and most rows of a page (every row of a bootstrap of
    fresh data) were written by one change. Repeating the version per field made a page of
    10,000 contacts 2.5 MB instead of 1.2, and validating 130,000 versions (the node id
    against its pattern each time) was three quarters of parsing it.
    """

    model_config = ConfigDict(validate_by_name=True, serialize_by_alias=True)

    version: Annotated[FieldVersion | None, Field(alias="v")]
    values: Annotated[
        dict[VersionedFieldName, JsonScalar], Field(alias="f", max_length=MAX_FIELDS_PER_OP)
    ]
    versions: Annotated[
        dict[VersionedFieldName, FieldVersion],
        # A factory, not ``= {}``: pydantic deep-copies a mutable default for every instance.
        Field(alias="x", max_length=MAX_FIELDS_PER_OP, default_factory=dict),
    ]

    # Consistency (a row version exactly when there are fields, no version without a value)
    # is checked by `PulledOp`, the only message holding these: one Python call per row.

    def version_of(self, name: str) -> FieldVersion:
        """The version of field ``name`` (one of `values`)."""
        found = self.versions.get(name) or self.version
        assert found is not None  # there are fields, so there is a row version
        return found

    def max_hlc(self) -> int:
        if self.version is None:
            return 0
        if not self.versions:
            return self.version.hlc
        return max(self.version.hlc, *(v.hlc for v in self.versions.values()))


class PulledOp(_Wire):
    """One row version from the log (or, in a snapshot, the row's current state).

    ``deleted`` is the row's resulting tombstone state; when this op changed it, the fields
    also carry ``_deleted`` with its version, which the client needs to merge it against a
    pending local delete or restore. Both must then agree.
    """

    seq: Seq
    tbl: TableName
    id: UuidStr
    deleted: bool
    scopes: Annotated[list[ScopeKey], Field(min_length=1, max_length=MAX_SCOPES_PER_ROW)]
    packed: RowFields

    @model_validator(mode="after")
    def _consistent(self) -> PulledOp:
        if len(set(self.scopes)) != len(self.scopes):
            raise ValueError("duplicate scope")
        packed = self.packed
        if (packed.version is None) != (not packed.values):
            raise ValueError("a row version is given exactly when there are fields")
        if packed.versions and not packed.values.keys() >= packed.versions.keys():
            raise ValueError("a field version without a value")
        if DELETED in packed.values and packed.values[DELETED] is not self.deleted:
            raise ValueError(f"{DELETED} must be a bool equal to 'deleted'")
        if packed.version is not None and packed.version.seq > self.seq:
            raise ValueError("the row version has a seq after its op's seq")
        for name, fv in packed.versions.items():
            if fv.seq > self.seq:
                raise ValueError(f"field {name!r} has a seq after its op's seq")
        return self

    @classmethod
    def build(
        cls,
        *,
        seq: int,
        tbl: str,
        id: str,
        deleted: bool,
        scopes: list[str],
        fields: Mapping[str, FieldValue],
    ) -> PulledOp:
        """An op from unpacked field values (tests, tools); a missing field seq is ``seq``."""
        raw = {
            name: (fv.value, fv.hlc, fv.node, seq if fv.seq is None else fv.seq)
            for name, fv in fields.items()
        }
        return cls.model_validate(
            {
                "seq": seq,
                "tbl": tbl,
                "id": id,
                "deleted": deleted,
                "scopes": scopes,
                "packed": RowFields.model_validate(pack_fields(raw)),
            }
        )

    @cached_property
    def fields(self) -> dict[str, FieldValue]:
        """Every field with its own version (the merge path; new rows read `packed`)."""
        packed = self.packed
        return {
            name: FieldValue(value, *packed.version_of(name))
            for name, value in packed.values.items()
        }

    @property
    def key(self) -> tuple[str, str]:
        """The row's identity and snapshot sort key."""
        return (self.tbl, self.id)


class ScopeEvent(_Wire):
    """A change of the device's scope set (SYNC.md §1.10). ``added`` says where the new scope's
    snapshot starts (``bootstrap_as_of``); ``removed`` has none."""

    scope: ScopeKey
    event: Literal["added", "removed"]
    bootstrap_as_of: Cursor | None = None

    @model_validator(mode="after")
    def _consistent(self) -> ScopeEvent:
        if (self.event == "added") != (self.bootstrap_as_of is not None):
            raise ValueError("bootstrap_as_of is set exactly for 'added'")
        return self


class PullRequest(_Wire):
    """Ask for log entries after ``cursor`` in the device's scopes.

    ``hlc`` may be 0: a freshly registered client has not ticked yet.
    """

    device_id: UuidStr
    schema_version: SchemaVersion
    cursor: Cursor
    scope_set_version: Cursor
    limit: Annotated[int, Field(ge=1, le=MAX_PULL_LIMIT)] = DEFAULT_PULL_LIMIT
    hlc: HlcOrZero
    #: The newest seq of this device's own changes whose push answers this database has
    #: recorded (0: none). Log entries at or before it that repeat such a change exactly
    #: (``ChangeResult.echoes``) are left out of the pages. A database restored from an older
    #: copy says less, so the changes it lost come back.
    answered_through: Cursor = 0


class PullResponse(_Wire):
    """One page of the log (SYNC.md §1.8).

    The invariants checked here are the ones whose violation silently loses data on the
    client: ops are in seq order and not past the new ``cursor``; the cursor never passes
    ``head_seq``; and ``has_more`` is false exactly when ``cursor == head_seq``, so "the page
    said it was done" and "the client is caught up" can never disagree (SYNC.md's gap failure).
    """

    ops: Annotated[list[PulledOp], Field(max_length=MAX_PAGE_OPS)]
    scope_events: Annotated[list[ScopeEvent], Field(max_length=MAX_SCOPE_EVENTS)] = []
    scope_set_version: Cursor
    cursor: Cursor
    head_seq: Cursor
    has_more: bool
    server_hlc: Hlc
    checksums: Annotated[dict[ScopeKey, Checksum], Field(max_length=MAX_SCOPE_EVENTS)] = {}

    @model_validator(mode="after")
    def _consistent(self) -> PullResponse:
        if self.cursor > self.head_seq:
            raise ValueError("cursor is past head_seq")
        if self.has_more != (self.cursor < self.head_seq):
            raise ValueError("has_more must be true exactly when cursor < head_seq")
        previous = 0
        seen: set[tuple[int, str, str]] = set()
        for op in self.ops:
            if op.seq < previous:
                raise ValueError("ops are not in seq order")
            if op.seq > self.cursor:
                raise ValueError("op seq is past the page cursor")
            if (op.seq, *op.key) in seen:
                raise ValueError(f"row {op.tbl}/{op.id} appears twice at seq {op.seq}")
            seen.add((op.seq, *op.key))
            previous = op.seq
        if len({e.scope for e in self.scope_events}) != len(self.scope_events):
            raise ValueError("two events for one scope")
        return self

    def check_follows(self, request: PullRequest) -> None:
        """Raise ``ValueError`` unless this page answers ``request``: nothing at or before the
        request's cursor and a cursor that did not move backwards. A client calls this before
        applying, because a page from the wrong position would move the cursor past data."""
        if self.cursor < request.cursor:
            raise ValueError("page cursor is before the request cursor")
        if any(op.seq <= request.cursor for op in self.ops):
            raise ValueError("page holds ops at or before the request cursor")


# --- Bootstrap (SYNC.md §1.9, as built: one stream for many scopes) ------------------------


class BootstrapRequest(_Wire):
    """One snapshot page of the union of ``scopes`` (``POST /sync/v1/snapshot``).

    A device bootstraps all the scopes one batch of scope events added with one stream (in
    streams of at most ``MAX_SNAPSHOT_SCOPES`` scopes), not one stream per scope: an account
    manager holding 5,000 accounts would otherwise make 5,000+ requests. Every scope must be
    one the caller holds (else ``forbidden``, nothing returned); ``all`` is the admin's.

    ``as_of`` is null on the first page (the server answers with its ``head_seq``) and the
    returned value on every later page; ``after`` is the previous page's ``next`` token. A
    POST with a JSON body, because the scope list may be long (SYNC.md §1.9 has a GET of one
    scope).
    """

    scopes: Annotated[list[ScopeKey], Field(min_length=1, max_length=MAX_SNAPSHOT_SCOPES)]
    as_of: Cursor | None = None
    after: KeysetToken | None = None
    limit: Annotated[int, Field(ge=1, le=MAX_SNAPSHOT_LIMIT)] = MAX_SNAPSHOT_LIMIT

    @model_validator(mode="after")
    def _consistent(self) -> BootstrapRequest:
        if len(set(self.scopes)) != len(self.scopes):
            raise ValueError("duplicate scope")
        if self.after is not None and self.as_of is None:
            raise ValueError("resuming after a row needs the snapshot's as_of")
        return self


class BootstrapResponse(_Wire):
    """A snapshot page: current rows ordered by ``(tbl, id)``, each row once however many of
    the requested scopes hold it, ``next`` = the last row's key (null when the stream is
    done), ``as_of`` = the log position the snapshot started at. A row's ``scopes`` are all
    its scopes the caller holds, requested or not.

    Every field version carries its seq (``RowFields``), because a snapshot row's fields
    were written by different changes. ``next`` must name the last row, so a server bug
    that skipped rows between pages cannot hide behind an opaque token. A page may hold fewer
    rows than the limit and still have a ``next``.
    """

    rows: Annotated[list[PulledOp], Field(max_length=MAX_SNAPSHOT_LIMIT)]
    next: KeysetToken | None = None
    as_of: Cursor

    @model_validator(mode="after")
    def _consistent(self) -> BootstrapResponse:
        for earlier, later in zip(self.rows, self.rows[1:], strict=False):
            if not earlier.key < later.key:
                raise ValueError("rows are not in strictly increasing (tbl, id) order")
        if self.next is not None:
            if not self.rows:
                raise ValueError("an empty page has no next token")
            if self.next != keyset_token(self.rows[-1]):
                raise ValueError("next must be the key of the last row")
        return self

    def check_follows(self, request: BootstrapRequest) -> None:
        """Raise ``ValueError`` unless this page answers ``request``: same snapshot, no more
        rows than asked for, each in one of the requested scopes (any row for ``all``), all
        after the resume position."""
        if request.as_of is not None and self.as_of != request.as_of:
            raise ValueError("page belongs to another snapshot")
        if len(self.rows) > request.limit:
            raise ValueError("page holds more rows than the request's limit")
        if _ALL_SCOPE not in request.scopes:
            asked = set(request.scopes)
            if any(asked.isdisjoint(row.scopes) for row in self.rows):
                raise ValueError("page holds a row outside the requested scopes")
        if request.after is not None and self.rows:
            tbl, _, row_id = request.after.partition(":")
            if not self.rows[0].key > (tbl, row_id):
                raise ValueError("page starts at or before the resume position")


def keyset_token(row: PulledOp) -> str:
    """The ``<tbl>:<id>`` resume token naming ``row``."""
    return f"{row.tbl}:{row.id}"


# --- Converters between the wire and the domain ---------------------------------------------


def to_incoming(
    op: Op, change: Change, node: str, device: str, *, hlc: int | None = None
) -> list[IncomingField]:
    """The fields ``merge_row`` merges for one pushed op.

    ``node`` and ``device`` come from the caller, not the body: the server takes them from the
    authenticated device token, so a client cannot write under another device's name. ``hlc``
    overrides ``change.hlc`` when the server re-stamped a skewed change (``restamp_if_skewed``).
    A delete or restore adds the ``_deleted`` pseudo-field (True / False), after its fields.
    """
    stamp = change.hlc if hlc is None else hlc
    items: list[tuple[str, Any]] = list(op.fields.items())
    if op.op != "upsert":
        items.append((DELETED, op.op == "delete"))
    return [
        IncomingField(
            field=name, value=value, hlc=stamp, node=node, device=device, base_seq=op.base.get(name)
        )
        for name, value in items
    ]


def field_value_from_state(state: FieldState) -> FieldValue:
    """The wire form of a stored field (server ``sync_field`` → pull op or snapshot row).

    Carries the state's seq, which a pull op may leave implicit but a snapshot needs.
    """
    return FIELD_VALUE.validate_python(
        FieldValue(state.value, state.version.hlc, state.version.node, state.version.seq)
    )


__all__ = [
    "DEFAULT_PULL_LIMIT",
    "FIELD_VALUE",
    "HTTP_STATUS",
    "MAX_BODY_BYTES",
    "MAX_CHANGES_PER_PUSH",
    "MAX_FIELDS_PER_OP",
    "MAX_OPS_PER_CHANGE",
    "MAX_OPS_PER_PUSH",
    "MAX_PAGE_OPS",
    "MAX_PULL_LIMIT",
    "MAX_SNAPSHOT_LIMIT",
    "MAX_SNAPSHOT_SCOPES",
    "MAX_VALUE_CHARS",
    "PROTOCOL",
    "BootstrapRequest",
    "BootstrapResponse",
    "Change",
    "ChangeResult",
    "ConflictOut",
    "ConflictSide",
    "ErrorBody",
    "ErrorCode",
    "FieldValue",
    "FieldVersion",
    "LoginRequest",
    "LoginResponse",
    "MeResponse",
    "Op",
    "PullPosition",
    "PullRequest",
    "PullResponse",
    "PulledOp",
    "PushRequest",
    "PushResponse",
    "RowFields",
    "ScopeEvent",
    "field_value_from_state",
    "keyset_token",
    "pack_fields",
    "to_incoming",
    "unpack_fields",
]
