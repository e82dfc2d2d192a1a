"""Device tokens go to a secure keyring or nowhere: never a plain file, never into a message.

Every test selects its backend explicitly (``keyring.set_keyring`` or, in a subprocess,
``PYTHON_KEYRING_BACKEND``); the user's real keyring is never touched.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import chainer, fail, null
from keyring.compat import properties
from keyring.errors import PasswordDeleteError

from workbench import credentials
from workbench.credentials import (
    SERVICE,
    NoSecureStoreError,
    delete_token,
    describe_backend,
    load_token,
    secure_backend,
    store_token,
)

URL = "https://sync.example.vn"
USER = "anh@workbench.vn"
TOKEN = "wb-device-7f3a9c1e-SECRET-do-not-leak"


class MemoryKeyring(KeyringBackend):
    """A secure-looking test backend: priority 1 and a dict, like a real OS keyring."""

    @properties.classproperty
    def priority(cls) -> float:
        return 1

    def __init__(self) -> None:
        super().__init__()
        self.entries: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.entries.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.entries[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if self.entries.pop((service, username), None) is None:
            raise PasswordDeleteError("not found")


class LowPriorityKeyring(MemoryKeyring):
    """Stores fine but declares itself unsuitable (priority 0), so Workbench must not use it."""

    @properties.classproperty
    def priority(cls) -> float:
        return 0


class UnviableKeyring(MemoryKeyring):
    """Raises from ``priority``, which is how keyring says "not usable on this machine"."""

    @properties.classproperty
    def priority(cls) -> float:
        raise RuntimeError("no D-Bus session")


def _chainer(members: list[KeyringBackend]) -> chainer.ChainerBackend:
    """A chainer over exactly ``members`` instead of whatever keyring discovers on this box."""

    class FixedChainer(chainer.ChainerBackend):
        backends = members

    return FixedChainer()


@pytest.fixture(autouse=True)
def _restore_keyring() -> Iterator[None]:
    """Whatever a test selects with ``keyring.set_keyring`` is undone afterwards."""
    previous = keyring.get_keyring()
    yield
    keyring.set_keyring(previous)


@pytest.fixture
def memory() -> MemoryKeyring:
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    return backend


def _plaintext(tmp_path: Path) -> KeyringBackend:
    """keyrings.alt's plain-text backend, writing under tmp_path if it ever writes."""
    file = pytest.importorskip("keyrings.alt.file")
    backend: KeyringBackend = file.PlaintextKeyring()
    backend.file_path = str(tmp_path / "python_keyring" / "keyring_pass.cfg")  # type: ignore[attr-defined]
    return backend


def _files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


# --- a secure backend ---------------------------------------------------------------------


def test_round_trip_store_load_delete(memory: MemoryKeyring) -> None:
    assert secure_backend() is memory
    store_token(URL, USER, TOKEN)
    assert memory.entries == {(SERVICE, f"{URL}|{USER}"): TOKEN}
    assert load_token(URL, USER) == TOKEN
    delete_token(URL, USER)
    assert load_token(URL, USER) is None
    assert memory.entries == {}


def test_storing_again_replaces_the_token(memory: MemoryKeyring) -> None:
    store_token(URL, USER, "old")
    store_token(URL, USER, "new")
    assert load_token(URL, USER) == "new"


def test_delete_is_idempotent(memory: MemoryKeyring) -> None:
    delete_token(URL, USER)
    store_token(URL, USER, TOKEN)
    delete_token(URL, USER)
    delete_token(URL, USER)
    assert load_token(URL, USER) is None


def test_tokens_are_kept_per_server_and_user(memory: MemoryKeyring) -> None:
    other_url = "https://sync2.example.vn"
    store_token(URL, USER, "a")
    store_token(URL, "binh@workbench.vn", "b")
    store_token(other_url, USER, "c")
    assert (load_token(URL, USER), load_token(URL, "binh@workbench.vn")) == ("a", "b")
    assert load_token(other_url, USER) == "c"
    delete_token(URL, USER)
    assert load_token(other_url, USER) == "c"


@pytest.mark.parametrize(("url", "user"), [("", USER), (URL, ""), ("https://a|b", USER)])
def test_ambiguous_or_empty_keys_are_refused(memory: MemoryKeyring, url: str, user: str) -> None:
    with pytest.raises(ValueError):
        store_token(url, user, TOKEN)
    assert memory.entries == {}


def test_describe_a_secure_backend(memory: MemoryKeyring) -> None:
    assert describe_backend() == "tests.test_credentials.MemoryKeyring (secure)"


# --- no secure backend ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "name", "reason"),
    [
        (null.Keyring, "keyring.backends.null.Keyring", "stores nothing"),
        (fail.Keyring, "keyring.backends.fail.Keyring", "no keyring available"),
        (LowPriorityKeyring, "tests.test_credentials.LowPriorityKeyring", "priority 0"),
        (UnviableKeyring, "tests.test_credentials.UnviableKeyring", "backend not usable here"),
    ],
)
def test_insecure_backends_refuse_to_store(
    make: type[KeyringBackend], name: str, reason: str
) -> None:
    backend = make()
    keyring.set_keyring(backend)
    assert secure_backend() is None
    assert describe_backend() == f"{name} (not secure: {reason})"
    with pytest.raises(NoSecureStoreError) as caught:
        store_token(URL, USER, TOKEN)
    assert name in str(caught.value)
    assert TOKEN not in str(caught.value)
    assert load_token(URL, USER) is None
    delete_token(URL, USER)
    if isinstance(backend, MemoryKeyring):
        assert backend.entries == {}


def test_the_conftest_null_backend_is_not_secure() -> None:
    """The suite-wide PYTHON_KEYRING_BACKEND loads a backend Workbench will not use."""
    assert os.environ["PYTHON_KEYRING_BACKEND"] == "keyring.backends.null.Keyring"
    loaded = keyring.core.load_env()
    assert loaded is not None
    keyring.set_keyring(loaded)
    assert secure_backend() is None
    with pytest.raises(NoSecureStoreError, match=r"keyring\.backends\.null\.Keyring"):
        store_token(URL, USER, TOKEN)


def test_plaintext_file_backend_writes_nothing_and_reads_nothing(tmp_path: Path) -> None:
    plaintext = _plaintext(tmp_path)
    keyring.set_keyring(plaintext)
    assert secure_backend() is None
    assert describe_backend() == "keyrings.alt.file.PlaintextKeyring (not secure: plain file)"
    with pytest.raises(NoSecureStoreError) as caught:
        store_token(URL, USER, TOKEN)
    message = str(caught.value)
    assert "keyrings.alt.file.PlaintextKeyring" in message
    assert "will not write your token to a plain file" in message
    assert "GNOME Keyring" in message
    assert _files(tmp_path) == []

    # A token some other program left in the plain file is not picked up either.
    plaintext.set_password(SERVICE, f"{URL}|{USER}", TOKEN)
    assert _files(tmp_path) != []
    assert load_token(URL, USER) is None


def test_any_file_backend_built_on_keyrings_alt_is_not_secure(tmp_path: Path) -> None:
    """EncryptedKeyring and custom subclasses share keyrings.alt.file_base: still a file."""
    file_base = pytest.importorskip("keyrings.alt.file_base")

    class RotKeyring(file_base.Keyring):  # type: ignore[name-defined]
        filename = "rot.cfg"
        scheme = "rot"
        version = "1.0"
        priority = 5

        def encrypt(self, password: bytes, assoc: bytes | None = None) -> bytes:
            return password[::-1]

        def decrypt(self, password_encrypted: bytes, assoc: bytes | None = None) -> bytes:
            return password_encrypted[::-1]

    backend = RotKeyring()
    backend.file_path = str(tmp_path / "rot.cfg")
    keyring.set_keyring(backend)
    assert secure_backend() is None
    assert describe_backend().endswith("(not secure: keyrings.alt file backend)")
    with pytest.raises(NoSecureStoreError):
        store_token(URL, USER, TOKEN)
    assert _files(tmp_path) == []


def test_keyring_failing_to_choose_a_backend_counts_as_none(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken() -> KeyringBackend:
        raise ModuleNotFoundError("no module named 'nosuch'")

    monkeypatch.setattr(keyring, "get_keyring", broken)
    assert secure_backend() is None
    assert "keyring failed to load a backend: ModuleNotFoundError" in describe_backend()
    with pytest.raises(NoSecureStoreError):
        store_token(URL, USER, TOKEN)
    assert load_token(URL, USER) is None
    delete_token(URL, USER)


# --- chainers -------------------------------------------------------------------------------


def test_chainer_of_only_insecure_backends_is_not_secure(tmp_path: Path) -> None:
    keyring.set_keyring(_chainer([_plaintext(tmp_path), null.Keyring()]))
    assert secure_backend() is None
    assert "chains only insecure backends" in describe_backend()
    with pytest.raises(NoSecureStoreError):
        store_token(URL, USER, TOKEN)
    assert _files(tmp_path) == []


def test_empty_chainer_is_not_secure() -> None:
    keyring.set_keyring(_chainer([]))
    assert secure_backend() is None
    assert describe_backend().endswith("(not secure: chains no backends)")


def test_chainer_uses_only_its_secure_member(tmp_path: Path) -> None:
    """keyrings.alt next to a real keyring makes keyring pick a chainer; plain files stay out."""
    plaintext = _plaintext(tmp_path)
    plaintext.set_password(SERVICE, f"{URL}|{USER}", "stale-from-a-plain-file")
    before = (tmp_path / "python_keyring" / "keyring_pass.cfg").read_text(encoding="utf-8")
    secure = MemoryKeyring()
    keyring.set_keyring(_chainer([plaintext, secure]))

    assert secure_backend() is secure
    assert "(secure via tests.test_credentials.MemoryKeyring)" in describe_backend()
    assert load_token(URL, USER) is None
    store_token(URL, USER, TOKEN)
    assert load_token(URL, USER) == TOKEN
    delete_token(URL, USER)
    assert secure.entries == {}
    after = (tmp_path / "python_keyring" / "keyring_pass.cfg").read_text(encoding="utf-8")
    assert after == before


# --- the token never leaks ------------------------------------------------------------------


def test_token_never_appears_in_errors_or_logs(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    keyring.set_keyring(_plaintext(tmp_path))
    with caplog.at_level("DEBUG"), pytest.raises(NoSecureStoreError) as caught:
        store_token(URL, USER, TOKEN)
    error = caught.value
    for text in (str(error), repr(error), *map(str, error.args), error.backend, caplog.text):
        assert TOKEN not in text
    assert error.__cause__ is None
    assert error.__context__ is None


# --- through the environment variable, in a fresh interpreter ------------------------------

_PROBE = """
import json, keyring
from workbench import credentials
result = {"secure": credentials.secure_backend() is not None,
          "describe": credentials.describe_backend()}
try:
    credentials.store_token("https://sync.example.vn", "anh", "TOKEN-IN-SUBPROCESS")
except credentials.NoSecureStoreError as exc:
    result["error"] = str(exc)
result["loaded"] = credentials.load_token("https://sync.example.vn", "anh")
try:
    result["file_path"] = keyring.get_keyring().file_path
except Exception:
    result["file_path"] = None
print(json.dumps(result))
"""


def _probe(tmp_path: Path, backend: str) -> dict[str, object]:
    home = tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("KEYRING_PROPERTY_")}
    env.update(
        PYTHON_KEYRING_BACKEND=backend,
        HOME=str(home),
        XDG_DATA_HOME=str(home / "data"),
        XDG_CONFIG_HOME=str(home / "config"),
        PYTHONDONTWRITEBYTECODE="1",
    )
    done = subprocess.run(
        [sys.executable, "-c", _PROBE], env=env, capture_output=True, text=True, check=True
    )
    result: dict[str, object] = json.loads(done.stdout)
    return result


def test_plaintext_backend_from_the_environment_writes_nothing(tmp_path: Path) -> None:
    pytest.importorskip("keyrings.alt.file")
    result = _probe(tmp_path, "keyrings.alt.file.PlaintextKeyring")
    assert result["secure"] is False
    assert result["describe"] == "keyrings.alt.file.PlaintextKeyring (not secure: plain file)"
    assert "keyrings.alt.file.PlaintextKeyring" in str(result["error"])
    assert "TOKEN-IN-SUBPROCESS" not in str(result["error"])
    assert result["loaded"] is None
    # The plain-text backend would have written under tmp_path, and nothing is there.
    assert str(result["file_path"]).startswith(str(tmp_path))
    assert _files(tmp_path) == []


def test_unloadable_backend_from_the_environment_is_none(tmp_path: Path) -> None:
    result = _probe(tmp_path, "nosuch.module.Keyring")
    assert result["secure"] is False
    assert str(result["describe"]).startswith("none (not secure: keyring failed")
    assert "error" in result
    assert result["loaded"] is None
    assert _files(tmp_path) == []


def test_credentials_does_not_pull_in_qt() -> None:
    """workbench.credentials is not in the import-linter Qt contract, so check it here."""
    code = (
        "import sys, workbench.credentials\n"
        "print(any(m == 'PySide6' or m.startswith('PySide6.') for m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"
    assert credentials.__name__ == "workbench.credentials"
