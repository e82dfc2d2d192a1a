"""Pick one account out of all of them by typing any part of its name.

Why one widget: the parent of an account and the account a person works at are both chosen
from every account in the file (20,000 of them in a large one), and must be chosen the same way.
"ngan hang" finds "Ngân hàng", filtering and filling stay instant at that size, and a typed name
that is no account is reported under the field instead of being silently dropped.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from PySide6.QtCore import (
    QAbstractProxyModel,
    QModelIndex,
    QPersistentModelIndex,
    QStringListModel,
    Qt,
)
from PySide6.QtWidgets import QComboBox, QCompleter, QListView, QWidget

from workbench.domain.errors import FieldError
from workbench.domain.text import fold

Choice = tuple[str, str, str]  # (account id, name, folded name)


def searchable(choices: Iterable[tuple[str, str]]) -> list[Choice]:
    """(id, name) pairs with the folded name added, ready for AccountPicker.set_choices.

    Call it on the worker: folding 20,000 names takes about a fifth of a second, a visible
    pause on the GUI thread.
    """
    return [(account_id, name, fold(name)) for account_id, name in choices]


class AccountCompleter(QCompleter):
    """Finds an account by any part of its name, typed with or without diacritics.

    It matches over "name\\nfolded name" strings in a QStringListModel, so filtering runs in
    C++ and stays instant with 20,000 accounts (and filling it takes milliseconds, where a
    QStandardItem per account is a visible pause); what lands in the field is the name.
    """

    def pathFromIndex(self, index: QModelIndex | QPersistentModelIndex) -> str:
        return str(index.data(Qt.ItemDataRole.DisplayRole) or "").split("\n", 1)[0]


class AccountPicker(QComboBox):
    """An editable combo of account names that completes on any part of a name.

    Empty until set_choices: the accounts are read on the worker while the dialog opens, and
    whatever the user types meanwhile is kept.
    """

    def __init__(self, placeholder: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setEditable(True)
        self.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        # Sizing to contents would measure every one of thousands of names; long names must
        # not widen the dialog either: the popup shows them in full.
        self.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        line = self.lineEdit()
        assert line is not None  # editable combos have one
        line.setPlaceholderText(placeholder)
        line.setClearButtonEnabled(True)
        self._line = line
        self._ids: list[str] = []
        self._rows: dict[str, int] = {}
        self._completer: QCompleter | None = None

    def set_choices(self, choices: Sequence[Choice]) -> None:
        """Names in the combo, "name\\nfolded" in the completer: the same rows in both."""
        self._ids = [account_id for account_id, _, _ in choices]
        self._rows = {account_id: row for row, account_id in enumerate(self._ids)}
        names = QStringListModel([name for _, name, _ in choices], self)
        search = QStringListModel([f"{name}\n{folded}" for _, name, folded in choices], self)
        typed = self.currentText()
        self.setModel(names)
        view = self.view()
        if isinstance(view, QListView):
            view.setUniformItemSizes(True)  # opening the list must not measure every row
        completer = AccountCompleter(search, self)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        completer.setMaxVisibleItems(12)
        # On the line edit, not the combo: the combo would look the picked row up by its
        # text in its own model, not find "name\nfolded" there, and clear the choice.
        self._line.setCompleter(completer)
        self._completer = completer
        completer.activated[QModelIndex].connect(self._picked)  # type: ignore[index]
        self.setCurrentIndex(-1)
        self.setEditText(typed)  # the user may have typed while it loaded

    def _picked(self, index: QModelIndex) -> None:
        """The completer's row is the combo's row: both models list the same accounts."""
        completer = self._completer
        proxy = completer.completionModel() if completer is not None else None
        if isinstance(proxy, QAbstractProxyModel):
            self.setCurrentIndex(proxy.mapToSource(index).row())

    def set_account_id(self, account_id: str | None) -> None:
        """Show this account; an empty field for None or an account not in the list."""
        self.setCurrentIndex(self._rows.get(account_id or "", -1))

    def typed_name(self) -> str:
        return self.currentText().strip()

    def account_id(self) -> str | None:
        """The account whose name is in the field: the picked item, or an exact name match."""
        text = self.typed_name()
        if not text:
            return None
        index = self.currentIndex()
        if index < 0 or self.itemText(index) != text:
            index = self.findText(text, Qt.MatchFlag.MatchFixedString)
        return self._ids[index] if 0 <= index < len(self._ids) else None

    def unknown_name_error(self, field: str, code: str) -> FieldError | None:
        """The error for a typed name that is no account, or None when the field is empty
        or names one: what was typed must not be saved as "no account" without a word."""
        typed = self.typed_name()
        if not typed or self.account_id() is not None:
            return None
        return FieldError(
            field, code, "No account is called {name}; pick one from the list", {"name": typed}
        )
