"""User-interface language: English source strings, Vietnamese from a JSON catalogue.

Why JSON and not Qt's .ts/.qm: the catalogue is edited by people without Qt tools, reviewed in
plain diffs, and checked at load: a translation that drops or invents a `{placeholder}` is
ignored (and reported by the tests), so a bad entry can never crash a format call.

A language's catalogue is `<lang>.json` plus any `<lang>.<area>.json` beside it (one per area
of the app, e.g. `vi.plans.json`), merged in name order: an area's strings are reviewed with
that area, and people translating different areas never edit the same file.
"""

from __future__ import annotations

import json
import locale as _locale
import re
import string
from pathlib import Path

RESOURCES = Path(__file__).resolve().parents[3] / "resources"
TRANSLATIONS = RESOURCES / "translations"
_PLACEHOLDER = re.compile(r"\{(\w+)\}")

_catalog: dict[str, str] = {}
_lang = "en"


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def load_catalog(lang: str) -> tuple[dict[str, str], list[str]]:
    """The catalogue for `lang` and the keys rejected for placeholder mismatches."""
    if lang == "en":
        return {}, []
    raw: dict[str, str] = {}
    for path in catalog_files(lang):
        raw.update(json.loads(path.read_text(encoding="utf-8")))
    good: dict[str, str] = {}
    bad: list[str] = []
    for source, target in raw.items():
        if source.startswith("_"):
            continue
        if placeholders(source) != placeholders(target):
            bad.append(source)
        else:
            good[source] = target
    return good, bad


def catalog_files(lang: str) -> list[Path]:
    """The files of `lang`'s catalogue: the main one first, then the areas' in name order."""
    return [TRANSLATIONS / f"{lang}.json", *sorted(TRANSLATIONS.glob(f"{lang}.*.json"))]


def system_language() -> str:
    loc = _locale.getlocale()[0] or ""
    return "vi" if loc.lower().startswith("vi") else "en"


def set_language(lang: str) -> None:
    global _catalog, _lang
    _catalog, _ = load_catalog(lang)
    _lang = lang


def language() -> str:
    return _lang


def locale_name() -> str:
    """The Babel locale used to format dates, numbers and money."""
    return "vi_VN" if _lang == "vi" else "en_US"


def tr(source: str, **params: object) -> str:
    """Translate `source` and fill its `{placeholders}`."""
    text = _catalog.get(source, source)
    return text.format(**params) if params else text
