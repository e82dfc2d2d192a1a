"""`workbench import` / `workbench export` end to end, on real SQLite files."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

from tests.cli.conftest import Cli, add_user, write_csv
from workbench.domain.drafts import AccountDraft, ContactDraft, PositionDraft
from workbench.domain.names import NameOrder
from workbench.services.accounts import create_account, update_account
from workbench.services.contacts import create_contact
from workbench.services.transfer import ACCOUNT_COLUMNS, CONTACT_COLUMNS
from workbench.storage.queries import AccountFilter, ContactFilter
from workbench.storage.store import Store

CONTACT_HEADER = (
    "family_name,middle_name,given_name,email,phone,mobile,birthday,account_name,title,"
    "stakeholder_role,tax_code"
)


def _account(store: Store, name: str, **kw: Any) -> str:
    return create_account(store, AccountDraft(name=name, **kw)).id


def _counts(store: Store) -> tuple[int, int]:
    with store.read() as q:
        return q.account_count(AccountFilter()), q.contact_count(ContactFilter())


def test_import_valid_contacts(cli: Cli, store: Store, db: Path, tmp_path: Path) -> None:
    acme = _account(store, "Công ty TNHH Minh Phát")
    other = _account(store, "Ngân hàng Á Châu")
    csv_file = write_csv(
        tmp_path / "contacts.csv",
        "family_name,middle_name,given_name,email,mobile,birthday,account_id,account_name,"
        "title,stakeholder_role,influence\n"
        "Nguyễn,Thị Ngọc,Ánh,anh.nguyen@minhphat.vn,0912 345 678,1988-03-08,,"
        "Công ty TNHH Minh Phát,Giám đốc tài chính,decision_maker,5\n"
        f"Trần,Văn,Bình,,0903 123 456,,{other},,Trưởng phòng IT,technical,\n"
        "Lê,,Hoa,hoa@example.vn,,,,,,,\n",
    )
    code, out, err = cli("import", "contacts", csv_file, "--db", db)
    assert (code, out, err) == (0, "imported 3 contacts\n", "")
    assert _counts(store) == (2, 3)
    with store.read() as q:
        stakeholders = q.stakeholders(acme)
        assert [(s.name, s.title, s.role, s.influence) for s in stakeholders] == [
            ("Nguyễn Thị Ngọc Ánh", "Giám đốc tài chính", "decision_maker", 5)
        ]
        assert stakeholders[0].phone == "+84912345678"
        assert [s.name for s in q.stakeholders(other)] == ["Trần Văn Bình"]
        # The search index is kept in step by the same unit of work.
        assert [h.title for h in q.search("anh nguyen")] == ["Nguyễn Thị Ngọc Ánh"]


def test_bad_rows_reject_the_whole_file(cli: Cli, store: Store, db: Path, tmp_path: Path) -> None:
    _account(store, "Công ty Cổ phần Hoà Bình")
    before = cli("export", "contacts", "--db", db)
    csv_file = write_csv(
        tmp_path / "contacts.csv",
        f"{CONTACT_HEADER}\n"
        "Phạm,Minh,Tuấn,tuan@hoabinh.vn,,0987 654 321,,Công ty Cổ phần Hoà Bình,Kế toán,user,\n"
        "Đặng,Thu,Trang,,,,,,,,0100109107\n"
        "Võ,,Khoa,,,,1979-12-01,,,,0101243150\n"
        "Bùi,,Lan,,12345,,,,,,\n"
        "Hoàng,Văn,,,,,,,,,\n"
        "Ngô,Bảo,Châu,,,,,,,,\n",
    )
    code, out, err = cli("import", "contacts", csv_file, "--db", db)
    assert code == 1
    assert err.splitlines() == [
        "line 3: tax_code: Tax code 0100109107 has a wrong check digit",
        "line 5: phone: 12345 is not a valid phone number",
        "line 6: given_name: A given name is required",
    ]
    assert out == (
        "imported nothing: 3 of 6 rows rejected "
        "(fix them, or pass --skip-invalid to import the other 3 contacts)\n"
    )
    assert _counts(store) == (1, 0)
    assert cli("export", "contacts", "--db", db) == before


def test_skip_invalid_imports_the_good_rows(
    cli: Cli, store: Store, db: Path, tmp_path: Path
) -> None:
    csv_file = write_csv(
        tmp_path / "contacts.csv",
        "given_name,family_name,phone,tax_code\n"
        "An,Nguyễn,024 3825 1234,\n"
        "Bình,Trần,12345,\n"
        ",Lê,,\n"
        "Chi,Phạm,,0100109107\n"
        "Dũng,Hồ,,079123456789\n",
    )
    code, out, err = cli("import", "contacts", csv_file, "--skip-invalid", "--db", db)
    assert code == 1
    assert out == "imported 2 contacts, rejected 3 rows\n"
    assert [line.split(":")[0] for line in err.splitlines()] == ["line 3", "line 4", "line 5"]
    with store.read() as q:
        rows = q.contact_page(ContactFilter())
    assert sorted(r.given_name for r in rows) == ["An", "Dũng"]


def test_dry_run_writes_nothing(cli: Cli, store: Store, db: Path, tmp_path: Path) -> None:
    csv_file = write_csv(
        tmp_path / "accounts.csv",
        "name,tax_code,phone\n"
        "Công ty Cổ phần Sữa Việt Nam,0300588569,028 5415 5555\n"
        "Tổng công ty Bưu điện Việt Nam,0100109106,\n",
    )
    assert cli("import", "accounts", csv_file, "--dry-run", "--db", db) == (
        0,
        "would import 2 accounts\n",
        "",
    )
    assert _counts(store) == (0, 0)
    bad = write_csv(tmp_path / "bad.csv", "name,phone\nCông ty A,12345\nCông ty B,\n")
    code, out, err = cli("import", "accounts", bad, "--dry-run", "--skip-invalid", "--db", db)
    assert (code, out) == (1, "would import 1 account, would reject 1 row\n")
    assert err == "line 2: phone: 12345 is not a valid phone number\n"
    assert _counts(store) == (0, 0)


def _source_database(store: Store) -> None:
    """Accounts in a hierarchy, owners, contacts with positions; Vietnamese throughout."""
    quan = add_user(store, "Trần Minh Quân", "quan@workbench.vn")
    add_user(store, "Lê Thu Hà", "ha@workbench.vn")
    # The branch is created before its parent, so in the export (id order) the child comes
    # first and the import has to put the parent in first.
    branch = _account(
        store,
        "Chi nhánh Đà Nẵng – Công ty Cổ phần Thép Hoà Phát",
        tax_code="0300588569-001",
        city="Đà Nẵng",
        tier="key",
    )
    group = _account(
        store,
        "Tập đoàn Hoà Phát",
        tax_code="0300588569",
        owner_id=quan,
        tier="strategic",
        industry="Thép",
        city="Hà Nội",
        address="66 Nguyễn Du, Hai Bà Trưng",
        website="https://hoaphat.com.vn",
        phone="024 3825 1234",
        email="lienhe@hoaphat.com.vn",
        payment_terms_days=45,
        notes='Khách hàng chiến lược, "ưu tiên" số 1\nGặp lại vào quý 3, trước Tết',
    )
    update_account(
        store,
        branch,
        AccountDraft(
            name="Chi nhánh Đà Nẵng – Công ty Cổ phần Thép Hoà Phát",
            tax_code="0300588569-001",
            city="Đà Nẵng",
            tier="key",
            parent_id=group,
        ),
    )
    _account(
        store,
        "Deutsche Handelsgesellschaft mbH",
        kind="company",
        country="DE",
        currency="EUR",
        tax_code="DE123456789",
        tax_code_kind="foreign",
    )
    household = _account(store, "Gia đình ông Đỗ Văn Hùng", kind="household", tier="small")
    create_contact(
        store,
        ContactDraft(
            family_name="Nguyễn",
            middle_name="Thị Ngọc",
            given_name="Ánh",
            email="anh.nguyen@hoaphat.com.vn",
            mobile="0912 345 678",
            phone="024 3825 1235",
            birthday=date(1988, 3, 8),
            tax_code="079123456789",
            notes="Thích trà sen; gọi sau 9 giờ",
            position=PositionDraft(
                account_id=group,
                title="Giám đốc tài chính",
                department="Tài chính – Kế toán",
                stakeholder_role="decision_maker",
                influence=5,
                stance="supporter",
                strength=3,
            ),
        ),
    )
    create_contact(
        store,
        ContactDraft(
            family_name="Schmidt",
            given_name="Anna",
            middle_name="Maria",
            name_order=NameOrder.GIVEN_FIRST,
            language="en",
            email="anna.schmidt@example.de",
            position=PositionDraft(account_id=branch, title="Procurement", stance="skeptic"),
        ),
    )
    create_contact(store, ContactDraft(family_name="Đỗ", middle_name="Văn", given_name="Hùng"))
    create_contact(
        store,
        ContactDraft(
            given_name="Sơn",
            family_name="Đỗ",
            position=PositionDraft(account_id=household, stakeholder_role="influencer"),
        ),
    )


def test_export_import_round_trip_is_lossless(cli: Cli, store: Store, tmp_path: Path) -> None:
    _source_database(store)
    source = store.path
    exports = {}
    for kind in ("accounts", "contacts"):
        for fmt in ("csv", "json"):
            target = tmp_path / f"{kind}.{fmt}"
            code, stdout, _ = cli("export", kind, "--format", fmt, "-o", target, "--db", source)
            assert code == 0
            assert stdout == f"exported 4 {kind} to {target}\n"
            exports[kind, fmt] = target.read_bytes()

    copy_db = tmp_path / "copy.db"
    copy = Store(copy_db)
    # Same people, new user ids: owners travel by e-mail.
    add_user(copy, "Lê Thu Hà", "ha@workbench.vn")
    add_user(copy, "Trần Minh Quân", "quan@workbench.vn")
    copy.close()
    for kind in ("accounts", "contacts"):
        code, out, err = cli("import", kind, tmp_path / f"{kind}.csv", "--db", copy_db)
        assert (code, out, err) == (0, f"imported 4 {kind}\n", "")
    for kind in ("accounts", "contacts"):
        for fmt in ("csv", "json"):
            again = tmp_path / f"again-{kind}.{fmt}"
            assert cli("export", kind, "--format", fmt, "-o", again, "--db", copy_db)[0] == 0
            assert again.read_bytes() == exports[kind, fmt], (kind, fmt)

    accounts = json.loads(exports["accounts", "json"])
    by_name = {a["name"]: a for a in accounts}
    group = by_name["Tập đoàn Hoà Phát"]
    assert group["owner_email"] == "quan@workbench.vn"
    assert group["notes"] == 'Khách hàng chiến lược, "ưu tiên" số 1\nGặp lại vào quý 3, trước Tết'
    branch = by_name["Chi nhánh Đà Nẵng – Công ty Cổ phần Thép Hoà Phát"]
    assert branch["parent_id"] == group["id"]
    assert accounts.index(branch) < accounts.index(group)  # the import had to reorder
    contacts = {c["given_name"]: c for c in json.loads(exports["contacts", "json"])}
    assert contacts["Ánh"]["account_id"] == group["id"]
    assert contacts["Ánh"]["birthday"] == "1988-03-08"
    assert contacts["Anna"]["account_name"] == branch["name"]
    assert contacts["Hùng"]["account_id"] == ""

    with Store(copy_db).read() as q:
        detail = q.account_detail(group["id"])
        assert detail is not None
        assert detail.owner_name == "Trần Minh Quân"
        assert [t.role for t in detail.team] == ["owner"]  # as create_account does
        assert [s.name for s in detail.stakeholders] == ["Nguyễn Thị Ngọc Ánh"]


def test_json_export_parses(cli: Cli, store: Store, db: Path) -> None:
    _source_database(store)
    code, out, err = cli("export", "contacts", "--format", "json", "--db", db)
    assert code == 0
    assert err == "exported 4 contacts\n"
    assert "Nguyễn" in out  # not \u-escaped
    rows = json.loads(out)
    assert len(rows) == 4
    assert all(list(r) == list(CONTACT_COLUMNS) for r in rows)
    assert all(isinstance(v, str) for r in rows for v in r.values())
    code, out, _ = cli("export", "accounts", "--format", "json", "--db", db)
    assert [list(r) for r in json.loads(out)] == [list(ACCOUNT_COLUMNS)] * 4


def test_empty_export(cli: Cli, store: Store, db: Path) -> None:
    assert cli("export", "accounts", "--format", "json", "--db", db)[1] == "[]\n"
    assert cli("export", "accounts", "--db", db)[1] == ",".join(ACCOUNT_COLUMNS) + "\n"


def test_excel_bom_header_is_accepted(cli: Cli, store: Store, db: Path, tmp_path: Path) -> None:
    csv_file = write_csv(
        tmp_path / "excel.csv", "name,city\r\nCông ty Điện lực Hà Nội,Hà Nội\r\n", bom=True
    )
    assert cli("import", "accounts", csv_file, "--db", db)[:2] == (0, "imported 1 account\n")
    with store.read() as q:
        assert [(a.name, a.city) for a in q.account_page(AccountFilter())] == [
            ("Công ty Điện lực Hà Nội", "Hà Nội")
        ]


def test_semicolon_csv_from_vietnamese_excel(
    cli: Cli, store: Store, db: Path, tmp_path: Path
) -> None:
    csv_file = write_csv(
        tmp_path / "excel.csv", "name;city;notes\r\nCông ty Á Đông;Huế;số 1, số 2\r\n", bom=True
    )
    assert cli("import", "accounts", csv_file, "--db", db)[0] == 0
    with store.read() as q:
        detail = q.account_detail(q.account_page(AccountFilter())[0].id)
    assert detail is not None
    assert (detail.city, detail.notes) == ("Huế", "số 1, số 2")


def test_unknown_column_is_an_unusable_file(
    cli: Cli, store: Store, db: Path, tmp_path: Path
) -> None:
    csv_file = write_csv(tmp_path / "c.csv", "given_name,phon\nAn,0912345678\n")
    code, out, err = cli("import", "contacts", csv_file, "--db", db)
    assert (code, out) == (2, "")
    assert "unknown column 'phon' (did you mean 'phone'?)" in err
    assert str(csv_file) in err
    assert _counts(store) == (0, 0)


def test_unusable_files(cli: Cli, store: Store, db: Path, tmp_path: Path) -> None:
    missing = tmp_path / "nope.csv"
    code, _, err = cli("import", "accounts", missing, "--db", db)
    assert (code, err) == (2, f"workbench: {missing}: no such file\n")

    legacy = tmp_path / "cp1258.csv"
    legacy.write_bytes("name\nCông ty Hoa Sen\n".encode("cp1258"))
    code, _, err = cli("import", "accounts", legacy, "--db", db)
    assert code == 2
    assert "line 2 is not UTF-8" in err

    no_name = write_csv(tmp_path / "no-name.csv", "city\nHà Nội\n")
    code, _, err = cli("import", "accounts", no_name, "--db", db)
    assert code == 2
    assert "no 'name' column" in err

    empty = write_csv(tmp_path / "empty.csv", "\n\n")
    assert cli("import", "accounts", empty, "--db", db)[0] == 2

    twice = write_csv(tmp_path / "twice.csv", "name,Name\nA,B\n")
    code, _, err = cli("import", "accounts", twice, "--db", db)
    assert code == 2
    assert "column 'name' appears more than once" in err


def test_line_numbers_count_lines_in_quoted_cells(
    cli: Cli, store: Store, db: Path, tmp_path: Path
) -> None:
    csv_file = write_csv(
        tmp_path / "a.csv",
        'name,notes,phone\nCông ty A,"dòng 1\ndòng 2\ndòng 3",\n\nCông ty B,,12345\n',
    )
    code, _, err = cli("import", "accounts", csv_file, "--db", db)
    assert code == 1
    assert err == "line 6: phone: 12345 is not a valid phone number\n"


def test_existing_and_duplicate_ids(cli: Cli, store: Store, db: Path, tmp_path: Path) -> None:
    existing = _account(store, "Công ty Đã Có")
    new = "0190a5c4-8d2e-7c3b-9f1a-2b3c4d5e6f70"
    csv_file = write_csv(
        tmp_path / "a.csv",
        f"id,name\n{existing},Công ty Đã Có\n{new},Công ty Mới\n{new.upper()},Công ty Trùng\n"
        "xyz,Công ty Lạ\n",
    )
    code, out, err = cli("import", "accounts", csv_file, "--skip-invalid", "--db", db)
    assert code == 1
    assert err.splitlines() == [
        f"line 2: id: an account with id {existing} already exists in the database",
        f"line 4: id: id {new} is also used on line 3",
        "line 5: id: xyz is not a valid id (a UUID such as 01937c8e-5f4a-7b2c-9d3e-4f5a6b7c8d9e)",
    ]
    assert out == "imported 1 account, rejected 3 rows\n"
    with store.read() as q:
        assert q.account_names([new]) == {new: "Công ty Mới"}


def test_account_hierarchy_in_one_file(cli: Cli, store: Store, db: Path, tmp_path: Path) -> None:
    ids = [f"0190a5c4-8d2e-7c3b-9f1a-2b3c4d5e6f7{i}" for i in range(6)]
    csv_file = write_csv(
        tmp_path / "a.csv",
        "id,name,parent_id\n"
        f"{ids[0]},Cháu,{ids[1]}\n"  # line 2: grandchild before its parents
        f"{ids[1]},Con,{ids[2]}\n"
        f"{ids[2]},Mẹ,\n"
        f"{ids[3]},Vòng A,{ids[4]}\n"  # line 5-6: a loop
        f"{ids[4]},Vòng B,{ids[3]}\n"
        f"{ids[5]},Mồ côi,0190a5c4-0000-7000-8000-000000000000\n",
    )
    code, out, err = cli("import", "accounts", csv_file, "--skip-invalid", "--db", db)
    assert code == 1
    assert err.splitlines() == [
        "line 5: parent_id: the accounts on lines 5, 6 are each other's parents",
        "line 6: parent_id: the accounts on lines 5, 6 are each other's parents",
        "line 7: parent_id: no account with id 0190a5c4-0000-7000-8000-000000000000 "
        "in the database or in this file",
    ]
    assert out == "imported 3 accounts, rejected 3 rows\n"
    with store.read() as q:
        child = q.account_detail(ids[0])
        assert child is not None
        assert child.parent_name == "Con"


def test_rejected_parent_rejects_its_children(
    cli: Cli, store: Store, db: Path, tmp_path: Path
) -> None:
    parent = "0190a5c4-8d2e-7c3b-9f1a-2b3c4d5e6f70"
    csv_file = write_csv(
        tmp_path / "a.csv",
        f"id,name,parent_id,phone\n,Con,{parent},\n{parent},Mẹ,,12345\n",
    )
    code, out, err = cli("import", "accounts", csv_file, "--skip-invalid", "--db", db)
    assert err.splitlines() == [
        "line 2: parent_id: the parent account on line 3 is rejected",
        "line 3: phone: 12345 is not a valid phone number",
    ]
    assert (code, out) == (1, "imported 0 accounts, rejected 2 rows\n")


def test_owner_and_account_lookups(cli: Cli, store: Store, db: Path, tmp_path: Path) -> None:
    add_user(store, "Phan Thanh", "thanh@workbench.vn")
    add_user(store, "Phan Thanh (cũ)", "dup@workbench.vn")
    add_user(store, "Phan Thanh (mới)", "dup@workbench.vn")
    _account(store, "Công ty Trùng Tên")
    _account(store, "Công ty Trùng Tên")
    accounts = write_csv(
        tmp_path / "a.csv",
        "name,owner_email,tier,tax_code_kind\n"
        "Công ty X,Thanh@Workbench.vn,Strategic,\n"
        "Công ty Y,ai@workbench.vn,vip,\n"
        "Công ty Z,dup@workbench.vn,,mst99\n",
    )
    code, _, err = cli("import", "accounts", accounts, "--db", db)
    assert code == 1
    assert err.splitlines() == [
        "line 3: owner_email: no user has the e-mail ai@workbench.vn",
        "line 3: tier: vip is not a valid choice",
        "line 4: owner_email: 2 users have the e-mail dup@workbench.vn",
        "line 4: tax_code_kind: mst99 is not a valid choice",
    ]
    contacts = write_csv(
        tmp_path / "c.csv",
        "given_name,account_id,account_name,title,influence\n"
        "An,,Công ty Trùng Tên,,\n"
        "Bình,,Công ty Không Có,,9\n"
        "Chi,,,Kế toán trưởng,\n"
        "Dung,0190a5c4,Công ty Trùng Tên,,\n"
        "Em,0190a5c4-8d2e-7c3b-9f1a-2b3c4d5e6f70,,,\n",
    )
    code, _, err = cli("import", "contacts", contacts, "--db", db)
    assert code == 1
    assert err.splitlines() == [
        "line 2: account_name: 2 accounts are named Công ty Trùng Tên; give account_id instead",
        "line 3: account_name: no account is named Công ty Không Có",
        "line 3: influence: Between 1 and 5",
        "line 4: account_id: position columns (title) need account_id or account_name",
        "line 5: account_id: 0190a5c4 is not a valid id "
        "(a UUID such as 01937c8e-5f4a-7b2c-9d3e-4f5a6b7c8d9e)",
        "line 6: account_id: no account with id 0190a5c4-8d2e-7c3b-9f1a-2b3c4d5e6f70 "
        "in the database",
    ]


def test_real_subprocess_import_and_export(store: Store, db: Path, tmp_path: Path) -> None:
    acme = _account(store, "Công ty Cổ phần Ánh Dương")
    csv_file = write_csv(
        tmp_path / "c.csv",
        f"given_name,family_name,middle_name,account_id,phone\n"
        f"Thảo,Vũ,Phương,{acme},0912 345 678\n"
        "Long,Đinh,,,12345\n",
    )

    def run(*args: str | Path) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run(
            [sys.executable, "-m", "workbench", *map(str, args)],
            capture_output=True,
            check=False,
            timeout=120,
        )

    done = run("import", "contacts", csv_file, "--db", db)
    assert done.returncode == 1
    assert done.stderr.decode() == "line 3: phone: 12345 is not a valid phone number\n"
    assert _counts(store) == (1, 0)
    done = run("import", "contacts", csv_file, "--skip-invalid", "--db", db)
    assert (done.returncode, done.stdout) == (1, b"imported 1 contact, rejected 1 row\n")
    done = run("export", "contacts", "--db", db)
    assert done.returncode == 0
    lines = done.stdout.decode("utf-8").splitlines()
    assert lines[0] == ",".join(CONTACT_COLUMNS)
    assert "Vũ,Phương,Thảo" in lines[1]
    assert "Công ty Cổ phần Ánh Dương" in lines[1]
    assert done.stderr == b"exported 1 contact\n"


def test_export_to_an_unwritable_place(cli: Cli, store: Store, db: Path, tmp_path: Path) -> None:
    _account(store, "Công ty Hải Âu")
    target = tmp_path / "no-such-folder" / "accounts.csv"
    code, out, err = cli("export", "accounts", "-o", target, "--db", db)
    assert (code, out) == (2, "")
    assert err.startswith(f"workbench: cannot write {target}: ")
    assert not target.parent.exists()
