"""What one sync cycle did, for the command line, the status bar and tests (SYNC.md §1.8).

Why a separate, Qt-free value: the GUI shows it in the status bar, `workbench sync` turns it
into an exit code, and tests assert on it; none of them should need the engine to read it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from workbench.domain.changes import ChangeSet


@dataclass(frozen=True)
class SyncReport:
    """The outcome of one `SyncEngine.sync_once()`.

    ``caught_up`` is SYNC.md's definition, never "the requests returned 200": the outbox is
    empty and the pull cursor equals the server's head. ``offline`` means the server could not
    be reached (nothing is wrong locally; edits wait in the outbox). ``error`` is a message to
    show the user when the cycle stopped early (refused, signed out, protocol error).
    ``changes`` are the local data changes the cycle applied, for the UI's change hub.
    """

    caught_up: bool
    pushed: int = 0  # changes the server answered (applied, duplicate or rejected)
    pulled: int = 0  # pulled ops and snapshot rows applied
    conflicts: int = 0  # conflict records received in this cycle
    rejected: int = 0  # changes moved to the "needs attention" list in this cycle
    waiting: int = 0  # local changes still in the outbox after the cycle
    offline: bool = False
    error: str | None = None
    cancelled: bool = False
    finished_at: datetime | None = None
    changes: list[ChangeSet] = field(default_factory=list)
