"""Import accounts and contacts from CSV, export them to CSV or JSON, in the same columns.

Why the same columns both ways: an export is also an import template, and exporting, editing
in a spreadsheet and importing back (or into a fresh database) must lose nothing the columns
carry. Ids are exported and kept on import for that reason, and references go by id
(`parent_id`, `account_id`), which survive renames; the one exception is the account owner,
written as an e-mail because user ids differ between databases while e-mails don't.

Why all-or-nothing by default: a half-imported file is worse than none, because the user can't
tell which rows made it. Every row is checked with the same domain cleaners the dialogs use,
every problem of every row is reported with its line number, and only then is anything written,
in one unit of work. `skip_invalid` writes the good rows and reports the rest.

Nothing here knows Qt or SQLAlchemy: the GUI runs these functions in a worker, passing a
`progress(done, total) -> bool` callback that can cancel by returning False.
"""

from __future__ import annotations

import csv
import difflib
import io
import json
import re
import unicodedata
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Literal, TextIO, cast

from workbench.domain.changes import ChangeSet
from workbench.domain.drafts import (
    AccountDraft,
    ContactDraft,
    PositionDraft,
    clean_account,
    clean_contact,
)
from workbench.domain.errors import FieldError, ValidationError
from workbench.domain.ids import new_id
from workbench.domain.taxcode import TaxCodeKind
from workbench.storage.queries import AccountFilter, ContactFilter, Queries
from workbench.storage.store import Store

Kind = Literal["accounts", "contacts"]
Progress = Callable[[int, int], bool]
"""Called with (done, total); returning False cancels (TransferCancelled is raised)."""

ACCOUNT_COLUMNS: tuple[str, ...] = (
    "id",
    "name",
    "kind",
    "tier",
    "parent_id",
    "owner_email",
    "tax_code",
    "tax_code_kind",
    "industry",
    "city",
    "country",
    "address",
    "website",
    "phone",
    "email",
    "currency",
    "payment_terms_days",
    "notes",
)
CONTACT_COLUMNS: tuple[str, ...] = (
    "id",
    "family_name",
    "middle_name",
    "given_name",
    "name_order",
    "email",
    "phone",
    "mobile",
    "birthday",
    "language",
    "tax_code",
    "notes",
    "account_id",
    "account_name",
    "title",
    "department",
    "stakeholder_role",
    "influence",
    "stance",
    "strength",
)
COLUMNS: dict[str, tuple[str, ...]] = {"accounts": ACCOUNT_COLUMNS, "contacts": CONTACT_COLUMNS}
REQUIRED_COLUMN: dict[str, str] = {"accounts": "name", "contacts": "given_name"}

_POSITION_COLUMNS = ("title", "department", "stakeholder_role", "influence", "stance", "strength")
# The name validator reports the parts as family/middle/given; the file calls them *_name.
_CONTACT_FIELD_COLUMNS = {"family": "family_name", "middle": "middle_name", "given": "given_name"}
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_CHUNK = 500  # rows per insert statement and per lookup, well below SQLite's variable limit
_PROGRESS_EVERY = 200


class TransferFileError(Exception):
    """The file can't be used at all (missing, not UTF-8, bad header); the message says why."""


class TransferCancelled(Exception):
    """The progress callback asked to stop; an import wrote nothing."""


@dataclass(frozen=True)
class ParsedRow:
    """One data row as read: its line in the file and its cells by column name.

    `problems` are faults of the row's shape (more values than columns, a value under a
    column without a name); they are reported with the row's other errors by `check_rows`.
    """

    line: int
    values: Mapping[str, str]
    problems: tuple[FieldError, ...] = ()

    def get(self, column: str) -> str:
        return self.values.get(column, "")


@dataclass(frozen=True)
class RowError:
    """A problem with one row; `error.field` is the file's column name ("" for the row)."""

    line: int
    error: FieldError

    @property
    def column(self) -> str:
        return self.error.field

    @property
    def message(self) -> str:
        return self.error.render()

    def render(self) -> str:
        """`line 7: phone: 12345 is not a valid phone number`, as the command line prints it."""
        if self.column:
            return f"line {self.line}: {self.column}: {self.message}"
        return f"line {self.line}: {self.message}"


@dataclass(frozen=True)
class ImportReport:
    """What a check or an import found and did.

    `importable` rows passed every check; `imported` rows were written (0 for a dry run, and
    for an import that was refused because some rows are invalid and skip_invalid was off).
    """

    kind: Kind
    rows: int
    errors: tuple[RowError, ...]
    importable: int
    imported: int = 0
    changes: ChangeSet = field(default_factory=ChangeSet)

    @property
    def rejected(self) -> int:
        """How many rows have at least one error."""
        return len({e.line for e in self.errors})

    @property
    def ok(self) -> bool:
        return not self.errors


def columns(kind: Kind) -> tuple[str, ...]:
    """The columns import reads and export writes for `kind`, in export order."""
    try:
        return COLUMNS[kind]
    except KeyError:
        raise ValueError(f"unknown kind {kind!r}; expected accounts or contacts") from None


# -- reading -----------------------------------------------------------------------------------


def read_rows(kind: Kind, file: Path | str) -> list[ParsedRow]:
    """Read a UTF-8 CSV file (a BOM is fine: Excel writes one) into rows to check.

    Raises TransferFileError when the file can't be read, isn't UTF-8, or its header names
    unknown columns, repeats one, or lacks the required one (`name` for accounts, `given_name`
    for contacts). Other columns may be left out; they take the defaults a new record gets.
    """
    path = Path(file)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise TransferFileError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise TransferFileError(f"{path}: is a folder, not a CSV file") from None
    except OSError as exc:
        raise TransferFileError(f"{path}: cannot read it ({exc.strerror or exc})") from None
    return parse_rows(kind, data, source=str(path))


def parse_rows(kind: Kind, data: bytes | str, source: str = "input") -> list[ParsedRow]:
    """`read_rows` for content already in memory (a GUI preview, a test).

    Line numbers are those of the file, counting the header as line 1, so a message points at
    the line a text editor shows even when a quoted cell spans several lines. Blank rows (also
    Excel's rows of empty cells) are skipped. The delimiter is taken from the header line:
    comma, or semicolon or tab, which Excel writes where the list separator is not a comma
    (the Vietnamese regional settings among them).
    """
    wanted = columns(kind)
    text = _decode(data, source) if isinstance(data, bytes) else data.removeprefix("\ufeff")
    first = next((ln for ln in text.splitlines() if ln.strip()), "")
    if not first:
        raise TransferFileError(
            f"{source}: the file is empty; its first line must name the columns "
            f"({', '.join(wanted)})"
        )
    delimiter = max((",", ";", "\t"), key=first.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header: list[str | None] | None = None
    rows: list[ParsedRow] = []
    end = 0
    try:
        for cells in reader:
            line, end = end + 1, reader.line_num
            if not any(c.strip() for c in cells):
                continue
            if header is None:
                header = _header(kind, cells, source)
            else:
                rows.append(_row(header, cells, line))
    except csv.Error as exc:
        raise TransferFileError(f"{source}: line {reader.line_num}: {exc}") from None
    if header is None:
        raise TransferFileError(f"{source}: the first line must name the columns")
    return rows


def _decode(data: bytes, source: str) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise TransferFileError(
            f"{source}: the file is UTF-16 text (Excel's 'Unicode Text'); save it as "
            "'CSV UTF-8 (Comma delimited)' instead"
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise TransferFileError(
            f"{source}: line {line} is not UTF-8 text; save the file as "
            "'CSV UTF-8 (Comma delimited)' (Excel: File > Save As)"
        ) from None


def _header(kind: Kind, cells: list[str], source: str) -> list[str | None]:
    wanted = columns(kind)
    names = [unicodedata.normalize("NFC", c).strip().lower() for c in cells]
    problems: list[str] = []
    for name in dict.fromkeys(n for n in names if n and n not in wanted):
        close = difflib.get_close_matches(name, wanted, n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        problems.append(f"unknown column '{name}'{hint}")
    for name in dict.fromkeys(n for n in names if n and names.count(n) > 1):
        problems.append(f"column '{name}' appears more than once")
    required = REQUIRED_COLUMN[kind]
    if required not in names:
        problems.append(f"no '{required}' column; {kind} need one")
    if problems:
        raise TransferFileError(
            f"{source}: {'; '.join(problems)}. The {kind} columns are: {', '.join(wanted)}"
        )
    return [n or None for n in names]


def _row(header: list[str | None], cells: list[str], line: int) -> ParsedRow:
    values: dict[str, str] = {}
    problems: list[FieldError] = []
    for i, cell in enumerate(cells):
        name = header[i] if i < len(header) else None
        if name is not None:
            # NFC: Vietnamese text from some input methods and from macOS arrives decomposed,
            # and would then not compare equal to the same name typed elsewhere.
            values[name] = unicodedata.normalize("NFC", cell)
        elif not cell.strip():
            continue
        elif i >= len(header):
            problems.append(
                FieldError(
                    "",
                    "import.extra_values",
                    "the row has {n} values but the header names {m} columns",
                    {"n": str(len(cells)), "m": str(len(header))},
                )
            )
            break
        else:
            problems.append(
                FieldError(
                    "",
                    "import.unnamed_column",
                    "column {n} has a value but no name in the header",
                    {"n": str(i + 1)},
                )
            )
    return ParsedRow(line, values, tuple(problems))


# -- checking ----------------------------------------------------------------------------------


@dataclass
class _Plan:
    """What one valid row will write."""

    line: int
    id: str
    values: dict[str, Any]
    parent_line: int | None = None  # accounts: the line in this file holding the parent
    position: dict[str, Any] | None = None  # contacts: the current position to add


@dataclass
class _Context:
    """Everything the rows refer to, looked up once for the whole file."""

    existing: set[str]  # ids of the file's rows already in the database
    first_line: dict[str, int]  # id -> first line in the file using it
    accounts: set[str]  # referenced account ids present in the database (archived too)
    users: dict[str, list[str]]  # folded e-mail -> live user ids
    account_names: dict[str, list[str]]  # name key -> live account ids


def check_rows(
    store: Store, kind: Kind, rows: list[ParsedRow], *, progress: Progress | None = None
) -> ImportReport:
    """Check every row as an import would, and write nothing (the dry run)."""
    with store.read() as q:
        errors, plans = _check(q, kind, rows, progress, len(rows))
    return ImportReport(kind, len(rows), errors, len(plans))


def import_rows(
    store: Store,
    kind: Kind,
    rows: list[ParsedRow],
    skip_invalid: bool = False,
    *,
    progress: Progress | None = None,
) -> ImportReport:
    """Check every row, then write the valid ones in one unit of work.

    With any invalid row and `skip_invalid` False nothing is written. Given ids are kept, so
    an export imports back losslessly; a row whose id is already in the database is an error
    (import adds records, it never updates them). Accounts are written parents first, so a
    file may hold a whole hierarchy in any order. An account's owner also becomes an owner
    on its team and a contact's account a current position, as when created in the dialogs.

    Progress runs over 3 x rows: checking, writing, then committing (which also brings the
    search index up to date, a step with no progress of its own; cancelling is no longer
    possible once it starts, and it is reported when done).
    """
    columns(kind)
    total = 3 * len(rows)
    with store.unit() as uow:
        errors, plans = _check(uow.q, kind, rows, progress, total)
        if not plans or (errors and not skip_invalid):
            return ImportReport(kind, len(rows), errors, len(plans))
        written = 0
        for start in range(0, len(plans), _CHUNK):
            chunk = plans[start : start + _CHUNK]
            if kind == "accounts":
                uow.insert_many("accounts", [{"id": p.id, **p.values} for p in chunk])
                team = [
                    {"account_id": p.id, "user_id": p.values["owner_id"], "role": "owner"}
                    for p in chunk
                    if p.values["owner_id"]
                ]
                if team:
                    uow.insert_many("account_team", team)
            else:
                uow.insert_many("contacts", [{"id": p.id, **p.values} for p in chunk])
                positions = [{**p.position, "contact_id": p.id} for p in chunk if p.position]
                if positions:
                    uow.insert_many("positions", positions)
            written += len(chunk)
            _report(progress, len(rows) + written * len(rows) // len(plans), total)
        changes = uow.commit()
    if progress is not None:
        progress(total, total)
    return ImportReport(kind, len(rows), errors, len(plans), len(plans), changes)


def _report(progress: Progress | None, done: int, total: int) -> None:
    if progress is not None and progress(done, total) is False:
        raise TransferCancelled


def _check(
    q: Queries, kind: Kind, rows: list[ParsedRow], progress: Progress | None, total: int
) -> tuple[tuple[RowError, ...], list[_Plan]]:
    columns(kind)
    ctx = _context(q, kind, rows)
    found: list[RowError] = []
    plans: list[_Plan] = []
    check = _check_account if kind == "accounts" else _check_contact
    for i, row in enumerate(rows, 1):
        errors = list(row.problems)
        plan = check(row, ctx, errors)
        if errors:
            found += [RowError(row.line, e) for e in errors]
        elif plan is not None:
            plans.append(plan)
        if i % _PROGRESS_EVERY == 0:
            _report(progress, i, total)
    if kind == "accounts":
        plans = _parents_first(plans, found)
    _report(progress, len(rows), total)
    found.sort(key=lambda e: e.line)  # stable: a row's errors keep their order
    return tuple(found), plans


def _context(q: Queries, kind: Kind, rows: list[ParsedRow]) -> _Context:
    first_line: dict[str, int] = {}
    for row in rows:
        row_id = _uuid(row.get("id"))
        if row_id:
            first_line.setdefault(row_id, row.line)
    ref_column = "parent_id" if kind == "accounts" else "account_id"
    refs = sorted({r for row in rows if (r := _uuid(row.get(ref_column)))})
    known: set[str] = set()
    for start in range(0, len(refs), _CHUNK):
        known.update(q.account_names(refs[start : start + _CHUNK]))
    users: dict[str, list[str]] = {}
    if kind == "accounts" and any(row.get("owner_email").strip() for row in rows):
        for u in q.users():
            if u.email.strip():
                users.setdefault(u.email.strip().casefold(), []).append(u.id)
    names: dict[str, list[str]] = {}
    if kind == "contacts" and any(
        row.get("account_name").strip() and not row.get("account_id").strip() for row in rows
    ):
        for account_id, name in q.account_choices():
            names.setdefault(_name_key(name), []).append(account_id)
    existing = q.existing_ids(kind, list(first_line))
    return _Context(existing, first_line, known, users, names)


def _check_id(row: ParsedRow, ctx: _Context, exists: str, errors: list[FieldError]) -> str | None:
    """The row's id, if it has one; `exists` is the message for an id already in use."""
    row_id = _parse_id(row.get("id"), "id", errors)
    if row_id is None:
        return None
    if row_id in ctx.existing:
        errors.append(
            FieldError(
                "id",
                "import.exists",
                exists,
                {"value": row_id},
            )
        )
    elif ctx.first_line[row_id] != row.line:
        errors.append(
            FieldError(
                "id",
                "import.duplicate_id",
                "id {value} is also used on line {line}",
                {"value": row_id, "line": str(ctx.first_line[row_id])},
            )
        )
    return row_id


def _check_account(row: ParsedRow, ctx: _Context, errors: list[FieldError]) -> _Plan | None:
    d = AccountDraft()
    row_id = _check_id(
        row, ctx, "an account with id {value} already exists in the database", errors
    )
    parent_id = _parse_id(row.get("parent_id"), "parent_id", errors)
    parent_line: int | None = None
    if parent_id is not None:
        if parent_id == row_id:
            errors.append(
                FieldError(
                    "parent_id", "account.parent_self", "An account cannot be its own parent"
                )
            )
        elif parent_id in ctx.accounts:
            pass
        elif parent_id in ctx.first_line:
            parent_line = ctx.first_line[parent_id]
        else:
            errors.append(_no_account(parent_id, "parent_id", "in the database or in this file"))
    owner_id: str | None = None
    email = row.get("owner_email").strip()
    if email:
        owners = ctx.users.get(email.casefold(), [])
        if len(owners) == 1:
            owner_id = owners[0]
        elif not owners:
            errors.append(
                FieldError(
                    "owner_email",
                    "import.unknown_user",
                    "no user has the e-mail {value}",
                    {"value": email},
                )
            )
        else:
            errors.append(
                FieldError(
                    "owner_email",
                    "import.ambiguous_user",
                    "{n} users have the e-mail {value}",
                    {"n": str(len(owners)), "value": email},
                )
            )
    tax_kind = _choice(row, "tax_code_kind", "")
    if tax_kind and tax_kind not in TaxCodeKind._value2member_map_:
        errors.append(_bad_choice("tax_code_kind", tax_kind))
        tax_kind = ""
    draft = AccountDraft(
        name=row.get("name"),
        kind=_choice(row, "kind", d.kind),
        tier=_choice(row, "tier", d.tier),
        owner_id=owner_id,
        parent_id=parent_id if parent_id != row_id else None,
        tax_code=row.get("tax_code"),
        tax_code_kind=tax_kind,
        industry=row.get("industry"),
        city=row.get("city"),
        country=row.get("country").strip() or d.country,
        address=row.get("address"),
        website=row.get("website"),
        phone=row.get("phone"),
        email=row.get("email"),
        currency=row.get("currency").strip() or d.currency,
        payment_terms_days=_int(row, "payment_terms_days", d.payment_terms_days, errors),
        notes=row.get("notes"),
    )
    try:
        values = clean_account(draft)
    except ValidationError as exc:
        errors.extend(exc.errors)
        return None
    return _Plan(row.line, row_id or new_id(), values, parent_line=parent_line)


def _check_contact(row: ParsedRow, ctx: _Context, errors: list[FieldError]) -> _Plan | None:
    d = ContactDraft()
    p = PositionDraft(account_id="")
    row_id = _check_id(row, ctx, "a contact with id {value} already exists in the database", errors)
    birthday: date | None = None
    raw_birthday = row.get("birthday").strip()
    if raw_birthday:
        try:
            if not _ISO_DATE.fullmatch(raw_birthday):
                raise ValueError
            birthday = date.fromisoformat(raw_birthday)
        except ValueError:
            errors.append(
                FieldError(
                    "birthday",
                    "import.date",
                    "{value} is not a date in the form yyyy-mm-dd (such as 1990-05-12)",
                    {"value": raw_birthday},
                )
            )
    account_id = _contact_account(row, ctx, errors)
    position: PositionDraft | None = None
    if account_id is not None or row.get("account_id").strip() or row.get("account_name").strip():
        # Also when the account was not found (that error is recorded): the position's other
        # columns are still checked, so one pass reports every problem of the row.
        position = PositionDraft(
            account_id=account_id or "?",
            title=row.get("title"),
            department=row.get("department"),
            stakeholder_role=_choice(row, "stakeholder_role", p.stakeholder_role),
            influence=_int(row, "influence", p.influence, errors),
            stance=_choice(row, "stance", p.stance),
            strength=_int(row, "strength", p.strength, errors),
        )
    else:
        given = [c for c in _POSITION_COLUMNS if row.get(c).strip()]
        if given:
            errors.append(
                FieldError(
                    "account_id",
                    "import.position_without_account",
                    "position columns ({columns}) need account_id or account_name",
                    {"columns": ", ".join(given)},
                )
            )
    draft = ContactDraft(
        family_name=row.get("family_name"),
        middle_name=row.get("middle_name"),
        given_name=row.get("given_name"),
        name_order=_choice(row, "name_order", d.name_order),
        email=row.get("email"),
        phone=row.get("phone"),
        mobile=row.get("mobile"),
        birthday=birthday,
        language=_choice(row, "language", d.language),
        tax_code=row.get("tax_code"),
        notes=row.get("notes"),
        position=position,
    )
    try:
        values = clean_contact(draft)
    except ValidationError as exc:
        errors.extend(
            FieldError(_CONTACT_FIELD_COLUMNS.get(e.field, e.field), e.code, e.message, e.params)
            for e in exc.errors
        )
        return None
    position_values = values.pop("position", None)
    return _Plan(row.line, row_id or new_id(), values, position=position_values)


def _contact_account(row: ParsedRow, ctx: _Context, errors: list[FieldError]) -> str | None:
    """The account of the contact's position: by id, else by exact name; None if neither."""
    if row.get("account_id").strip():
        account_id = _parse_id(row.get("account_id"), "account_id", errors)
        if account_id is None:
            return None
        if account_id not in ctx.accounts:
            errors.append(_no_account(account_id, "account_id", "in the database"))
            return None
        return account_id
    name = row.get("account_name").strip()
    if not name:
        return None
    matches = ctx.account_names.get(_name_key(name), [])
    if len(matches) == 1:
        return matches[0]
    if not matches:
        errors.append(
            FieldError(
                "account_name",
                "import.unknown_account",
                "no account is named {value}",
                {"value": name},
            )
        )
    else:
        errors.append(
            FieldError(
                "account_name",
                "import.ambiguous_account",
                "{n} accounts are named {value}; give account_id instead",
                {"n": str(len(matches)), "value": name},
            )
        )
    return None


def _parents_first(plans: list[_Plan], found: list[RowError]) -> list[_Plan]:
    """Valid accounts ordered parents before children; rows whose parent in the file was
    rejected, or whose parents loop, are rejected too (their insert would break the key)."""
    by_line = {p.line: p for p in plans}
    status: dict[int, bool] = {}  # line -> will be written
    ordered: list[_Plan] = []
    for start in plans:
        path: list[_Plan] = []
        on_path: dict[int, int] = {}
        node: _Plan | None = start
        ok = True
        while node is not None:
            if node.line in status:
                ok = status[node.line]
                break
            if node.line in on_path:
                cycle = path[on_path[node.line] :]
                lines = ", ".join(str(n) for n in sorted(p.line for p in cycle))
                for member in cycle:
                    status[member.line] = False
                    found.append(
                        RowError(
                            member.line,
                            FieldError(
                                "parent_id",
                                "account.parent_cycle",
                                "the accounts on lines {lines} are each other's parents",
                                {"lines": lines},
                            ),
                        )
                    )
                path = path[: on_path[node.line]]
                ok = False
                break
            on_path[node.line] = len(path)
            path.append(node)
            if node.parent_line is None:
                break
            node = by_line.get(node.parent_line)
            ok = node is not None  # None: the parent's row has errors
        for member in reversed(path):
            status[member.line] = ok
            if ok:
                ordered.append(member)
            else:
                found.append(
                    RowError(
                        member.line,
                        FieldError(
                            "parent_id",
                            "import.parent_rejected",
                            "the parent account on line {line} is rejected",
                            {"line": str(member.parent_line)},
                        ),
                    )
                )
    return ordered


def _parse_id(raw: str, column: str, errors: list[FieldError]) -> str | None:
    text = raw.strip()
    if not text:
        return None
    parsed = _uuid(text)
    if parsed is None:
        errors.append(
            FieldError(
                column,
                "import.id",
                "{value} is not a valid id (a UUID such as 01937c8e-5f4a-7b2c-9d3e-4f5a6b7c8d9e)",
                {"value": text},
            )
        )
    return parsed


def _uuid(raw: str) -> str | None:
    """The canonical lower-case form of a UUID, so differently written ids compare equal."""
    try:
        return str(uuid.UUID(raw.strip())) if raw.strip() else None
    except ValueError:
        return None


def _int(row: ParsedRow, column: str, default: int, errors: list[FieldError]) -> int:
    text = row.get(column).strip()
    if not text:
        return default
    try:
        return int(text)
    except ValueError:
        errors.append(
            FieldError(column, "import.number", "{value} is not a whole number", {"value": text})
        )
        return default


def _choice(row: ParsedRow, column: str, default: str) -> str:
    """An enumerated value, lower-cased ("Strategic" is "strategic"); empty means the default."""
    return row.get(column).strip().lower() or str(default)


def _bad_choice(column: str, value: str) -> FieldError:
    return FieldError(column, "choice.invalid", "{value} is not a valid choice", {"value": value})


def _no_account(account_id: str, column: str, where: str) -> FieldError:
    return FieldError(
        column,
        "import.unknown_account",
        "no account with id {value} " + where,
        {"value": account_id},
    )


def _name_key(name: str) -> str:
    """Account names compare exactly, up to Unicode form and runs of spaces (which the account
    cleaner collapses on save)."""
    return " ".join(unicodedata.normalize("NFC", name).split())


# -- exporting ---------------------------------------------------------------------------------


def export_rows(
    store: Store, kind: Kind, *, progress: Progress | None = None, page_size: int = 1000
) -> Iterator[dict[str, str]]:
    """Every live account or contact as text in `columns(kind)`, in id (creation) order.

    Values are written as import reads them (dates ISO, numbers plain, nothing blank that
    import would not fill in the same way), so importing the output into an empty database and
    exporting again gives the same file. Progress is reported after each page.
    """
    wanted = columns(kind)
    with store.read() as q:
        if kind == "accounts":
            total = q.account_count(AccountFilter())
            fetch = q.account_export_page
        else:
            total = q.contact_count(ContactFilter())
            fetch = q.contact_export_page
        _report(progress, 0, total)
        done, after = 0, ""
        while page := fetch(after, page_size):
            for record in page:
                yield {c: _text(record.get(c)) for c in wanted}
            done += len(page)
            after = cast(str, page[-1]["id"])
            _report(progress, min(done, total), total)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def write_csv(kind: Kind, rows: Iterable[Mapping[str, str]], stream: TextIO) -> int:
    """Write a header and the rows as CSV; returns the row count.

    Open files with `newline=""` so that line breaks inside notes survive as written.
    """
    writer = csv.DictWriter(stream, fieldnames=columns(kind), lineterminator="\n")
    writer.writeheader()
    n = 0
    for row in rows:
        writer.writerow(row)
        n += 1
    return n


def write_json(rows: Iterable[Mapping[str, str]], stream: TextIO) -> int:
    """Write a JSON list of objects, one per line, streamed; returns the row count.

    Values stay text, as in the CSV, so both formats carry exactly the same data.
    """
    n = 0
    stream.write("[")
    for row in rows:
        stream.write(",\n" if n else "\n")
        stream.write(json.dumps(row, ensure_ascii=False))
        n += 1
    stream.write("\n]\n" if n else "]\n")
    return n
