"""Keeps the PySide6 6.12.0 / Python 3.11 abort (none_dealloc) in view.

PySide6 6.12.0 on Python 3.11 aborts the interpreter after a few thousand calls to Qt methods
that return None. pyproject.toml pins 6.11.x on 3.11 because of it. This runs the one-line repro
in a subprocess: it passes on the pinned version, and the day it passes on a newer release the
pin can be lifted (change the range, let CI run this test on it).
"""

from __future__ import annotations

import subprocess
import sys

import PySide6

REPRO = (
    "from PySide6.QtCore import QObject; o = QObject(); "
    "[o.setObjectName('x') for _ in range(100000)]; print('survived')"
)


def test_installed_pyside_survives_many_void_calls() -> None:
    result = subprocess.run(
        [sys.executable, "-c", REPRO], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, (
        f"PySide6 {PySide6.__version__} on Python {sys.version.split()[0]} aborted "
        f"(exit {result.returncode}): keep it out of the dependency range.\n{result.stderr}"
    )
    assert result.stdout.strip() == "survived"


def test_dependency_range_excludes_the_crashing_combination() -> None:
    if sys.version_info[:2] == (3, 11):
        major, minor = (int(p) for p in PySide6.__version__.split(".")[:2])
        assert (major, minor) < (6, 12), "PySide6 6.12 aborts on Python 3.11; see pyproject.toml"
