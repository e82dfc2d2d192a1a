"""What a write service returns: the id it made or touched, and its change set."""

from __future__ import annotations

from dataclasses import dataclass

from workbench.domain.changes import ChangeSet


@dataclass(frozen=True)
class Saved:
    id: str
    changes: ChangeSet
