"""The Vietnamese catalogue covers every string the UI shows, with the same placeholders.

Sources are found by reading the code (ast), so a new `tr("...")`, column title, vocabulary
label or validation message without a translation fails here, not in front of a user.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

from workbench.ui import fmt
from workbench.ui.i18n import load_catalog, placeholders, set_language, tr

SRC = Path(__file__).resolve().parents[2] / "src" / "workbench"


def _call_name(node: ast.Call) -> str:
    f = node.func
    return f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else ""


def _strings(node: ast.AST) -> list[str]:
    """String literals, with implicit concatenation already joined by the parser."""
    return [node.value] if isinstance(node, ast.Constant) and isinstance(node.value, str) else []


def ui_sources() -> set[str]:
    found: set[str] = set()
    for path in (SRC / "ui").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            name = _call_name(node)
            if name == "tr":
                found.update(_strings(node.args[0]))
            elif name in ("Column", "DockSpec", "Perspective") and len(node.args) > 1:
                found.update(_strings(node.args[1]))
            elif name in ("add", "_action") and node.args:
                found.update(s for s in _strings(node.args[0]) if s[:1].isupper() or s[:1] == "&")
    found.update(fmt.LABELS.values())
    found.update(v for labels in fmt.VOCABULARY_LABELS.values() for v in labels.values())
    found.update(fmt.STRENGTH)
    return found


def domain_messages() -> set[str]:
    """English validation messages: the literals passed next to a dotted error code."""
    found: set[str] = set()
    # transfer.py speaks to the command line, which is English; everything else reaches dialogs.
    services = [p for p in (SRC / "services").rglob("*.py") if p.name != "transfer.py"]
    for path in [*(SRC / "domain").rglob("*.py"), *services]:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        constants = {
            t.id: n.value.value
            for n in ast.walk(tree)
            if isinstance(n, ast.Assign) and isinstance(n.value, ast.Constant)
            for t in n.targets
            if isinstance(t, ast.Name) and t.id.startswith("_MSG")
        }
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            args = node.args
            for i, arg in enumerate(args[:-1]):
                if _strings(arg) and "." in arg.value and " " not in arg.value:  # type: ignore[attr-defined]
                    nxt = args[i + 1]
                    if isinstance(nxt, ast.Name) and nxt.id in constants:
                        found.add(constants[nxt.id])
                    found.update(_strings(nxt))
    return {m for m in found if " " in m}


def test_catalogue_placeholders_match_their_sources() -> None:
    catalog, bad = load_catalog("vi")
    assert bad == []
    assert len(catalog) > 200


@pytest.mark.parametrize("collect", [ui_sources, domain_messages])
def test_every_source_string_has_a_vietnamese_translation(collect: object) -> None:
    catalog, _ = load_catalog("vi")
    sources = collect()  # type: ignore[operator]
    assert sources, "the collector found nothing; the test would prove nothing"
    missing = sorted(s for s in sources if s not in catalog)
    assert missing == []


def test_a_translation_that_drops_a_placeholder_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from workbench.ui import i18n

    (tmp_path / "xx.json").write_text(
        '{"{n} accounts": "khách hàng", "Open": "Mở"}', encoding="utf-8"
    )
    monkeypatch.setattr(i18n, "TRANSLATIONS", tmp_path)
    catalog, bad = load_catalog("xx")
    assert bad == ["{n} accounts"] and catalog == {"Open": "Mở"}


def test_area_files_join_the_main_catalogue_and_no_key_is_defined_twice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from workbench.ui import i18n

    (tmp_path / "xx.json").write_text('{"Open": "Mở"}', encoding="utf-8")
    (tmp_path / "xx.plans.json").write_text('{"Plan": "Kế hoạch"}', encoding="utf-8")
    (tmp_path / "xy.json").write_text('{"Plan": "wrong language"}', encoding="utf-8")
    monkeypatch.setattr(i18n, "TRANSLATIONS", tmp_path)
    catalog, bad = load_catalog("xx")
    assert bad == [] and catalog == {"Open": "Mở", "Plan": "Kế hoạch"}


def test_no_source_is_translated_in_two_files() -> None:
    from workbench.ui import i18n

    seen: dict[str, str] = {}
    twice = []
    for path in i18n.catalog_files("vi"):
        for key in json.loads(path.read_text(encoding="utf-8")):
            if key in seen and not key.startswith("_"):
                twice.append((key, seen[key], path.name))
            seen[key] = path.name
    assert twice == []


def test_tr_fills_placeholders_in_both_languages() -> None:
    set_language("vi")
    try:
        assert tr("{n} accounts", n=5) == "5 khách hàng"
        assert placeholders("{n} days ago") == {"n"}
    finally:
        set_language("en")
    assert tr("{n} days ago", n=3) == "3 days ago"
