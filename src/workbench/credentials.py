"""Device tokens for the team sync server, kept only in the operating system's keyring.

A device token is as good as a password for the sync server, so it must never land in a file
another program or a backup can read. The ``keyring`` library does not promise that by itself:
on a headless Linux box there is no secure backend at all, and when ``keyrings.alt`` is
installed its *plain-text file* backend is chosen by default (priority 0.5 beats the fail
backend). This module therefore decides for itself which backends count as secure and refuses
to store, or read, a token anywhere else.

What counts as "no secure store":

* ``keyring.backends.fail.Keyring`` and ``keyring.backends.null.Keyring``: nothing is kept.
* Every backend from the ``keyrings.alt`` package, recognised by the module of any class in
  its MRO so ``keyrings.alt`` (an optional dependency) is never imported here. The file-based
  ones are the reason: ``PlaintextKeyring`` writes the token as-is, and ``EncryptedKeyring``
  still writes a file and asks for its master password with ``getpass`` on a terminal that a
  desktop app does not have. The remaining ``keyrings.alt`` backends (Google Docs, the Windows
  registry, legacy GNOME bindings, keyczar) are described by the package itself as "less
  secure" alternatives and are never needed: every platform Workbench ships on has a native
  backend with a higher priority.
* Any backend whose priority is ``<= 0`` or cannot be read (``keyring`` signals "not usable
  here" by raising from ``priority``).
* A chainer (``keyring.backends.chainer.ChainerBackend``) with no secure member. A chainer
  *with* a secure member is not used as a whole, because its ``get_password`` falls through to
  every member, plain files included; Workbench uses its highest-priority secure member alone.

Nothing here logs, formats or keeps the token, so it cannot leak through a message or repr.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

import keyring
from keyring.backend import KeyringBackend
from keyring.backends import chainer, fail, null
from keyring.errors import PasswordDeleteError

__all__ = [
    "SERVICE",
    "NoSecureStoreError",
    "delete_token",
    "describe_backend",
    "load_token",
    "secure_backend",
    "store_token",
    "token_key",
]

SERVICE = "workbench"
"""The keyring service name; one entry per server URL and user lives under it."""

_SEPARATOR = "|"
_ALT_PACKAGE = "keyrings.alt"
_ALT_FILE_MODULES = frozenset({"keyrings.alt.file", "keyrings.alt.file_base"})


class NoSecureStoreError(RuntimeError):
    """Raised instead of storing a token when only an insecure keyring backend is available.

    The message is meant for the user: it names the backend that was found (so support can see
    why) and says what to install, because the fix is outside Workbench. It never contains the
    token, since the token is never passed in.
    """

    def __init__(self, backend: str) -> None:
        self.backend = backend
        super().__init__(
            "Workbench found no secure place to keep your sign-in token "
            f"(keyring backend: {backend}). "
            "Workbench will not write your token to a plain file. "
            "On Linux, install and unlock a Secret Service provider such as GNOME Keyring or "
            "KWallet (it needs a running desktop session / D-Bus), then sign in again. "
            "If PYTHON_KEYRING_BACKEND or a keyringrc.cfg selects a file backend, remove "
            "that setting."
        )


@dataclass(frozen=True)
class _Verdict:
    """The outcome of judging one backend: the backend to use (or None) and why."""

    use: KeyringBackend | None
    reason: str


def _name(backend: KeyringBackend) -> str:
    cls = type(backend)
    return f"{cls.__module__}.{cls.__qualname__}"


def _modules(backend: KeyringBackend) -> set[str]:
    return {cls.__module__ for cls in type(backend).__mro__}


def _is_alt(modules: set[str]) -> bool:
    return any(m == _ALT_PACKAGE or m.startswith(_ALT_PACKAGE + ".") for m in modules)


def _is_plaintext(backend: KeyringBackend) -> bool:
    return any(
        cls.__module__ == "keyrings.alt.file" and cls.__name__ == "PlaintextKeyring"
        for cls in type(backend).__mro__
    )


def _priority(backend: KeyringBackend) -> float | None:
    """The backend's priority, or None when it raises (keyring's "not viable here" signal)."""
    try:
        value = backend.priority
    except Exception:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _judge(backend: KeyringBackend) -> _Verdict:
    """Decide whether Workbench may keep a token in ``backend``, and which object to use."""
    if isinstance(backend, fail.Keyring):
        return _Verdict(None, "not secure: no keyring available")
    if isinstance(backend, null.Keyring):
        return _Verdict(None, "not secure: stores nothing")
    modules = _modules(backend)
    if _is_plaintext(backend):
        return _Verdict(None, "not secure: plain file")
    if modules & _ALT_FILE_MODULES:
        return _Verdict(None, "not secure: keyrings.alt file backend")
    if _is_alt(modules):
        return _Verdict(None, "not secure: keyrings.alt backend")
    if isinstance(backend, chainer.ChainerBackend):
        return _judge_chainer(backend)
    priority = _priority(backend)
    if priority is None:
        return _Verdict(None, "not secure: backend not usable here")
    if priority <= 0:
        return _Verdict(None, f"not secure: priority {priority:g}")
    return _Verdict(backend, "secure")


def _judge_chainer(backend: chainer.ChainerBackend) -> _Verdict:
    """A chainer is only as good as its best secure member, which is then used on its own."""
    try:
        members: list[KeyringBackend] = list(backend.backends)
    except Exception:
        return _Verdict(None, "not secure: chained backends unavailable")
    if not members:
        return _Verdict(None, "not secure: chains no backends")
    secure = [m for m in members if _judge(m).use is not None]
    if not secure:
        names = ", ".join(_name(m) for m in members)
        return _Verdict(None, f"not secure: chains only insecure backends ({names})")
    best = max(secure, key=lambda m: _priority(m) or 0.0)
    return _Verdict(best, f"secure via {_name(best)}")


def _active() -> KeyringBackend | Exception:
    """The active backend, or the error ``keyring`` raised choosing one (bad config, say)."""
    try:
        return keyring.get_keyring()
    except Exception as exc:
        return exc


def secure_backend() -> KeyringBackend | None:
    """The backend Workbench may keep tokens in, or None when there is no secure one.

    Usually that is the active keyring backend itself; for a chainer it is the chainer's
    highest-priority secure member (see the module docstring). A ``keyring`` that fails to
    choose a backend at all counts as none.
    """
    active = _active()
    if isinstance(active, Exception):
        return None
    return _judge(active).use


def describe_backend() -> str:
    """One line for diagnostics and error messages: the active backend and the verdict on it.

    For example ``keyring.backends.SecretService.Keyring (secure)`` or
    ``keyrings.alt.file.PlaintextKeyring (not secure: plain file)``.
    """
    active = _active()
    if isinstance(active, Exception):
        return f"none (not secure: keyring failed to load a backend: {type(active).__name__})"
    return f"{_name(active)} ({_judge(active).reason})"


def token_key(url: str, user: str) -> str:
    """The keyring username under :data:`SERVICE` for one server and user: ``"{url}|{user}"``.

    A ``|`` in the URL is refused (a valid URL percent-encodes it) so that no two
    (url, user) pairs can share a key. The URL is used as given: callers pass the
    server URL exactly as configured.
    """
    if not url or not user:
        raise ValueError("server URL and user must both be non-empty")
    if _SEPARATOR in url:
        raise ValueError("server URL must not contain '|'")
    return f"{url}{_SEPARATOR}{user}"


def store_token(url: str, user: str, token: str) -> None:
    """Keep ``token`` for ``user`` on the server at ``url`` in the secure keyring.

    Raises :class:`NoSecureStoreError` when there is no secure backend; there is deliberately
    no fallback to a file. Errors from a secure backend itself (a locked keyring whose unlock
    prompt was dismissed, say) propagate as ``keyring.errors.KeyringError``.
    """
    key = token_key(url, user)
    backend = secure_backend()
    if backend is None:
        raise NoSecureStoreError(describe_backend())
    backend.set_password(SERVICE, key, token)


def load_token(url: str, user: str) -> str | None:
    """The stored token, or None when there is none or no secure backend to look in.

    With no secure backend nothing is read at all, so a token some other program left in a
    plain-text keyring file is never picked up.
    """
    key = token_key(url, user)
    backend = secure_backend()
    if backend is None:
        return None
    return backend.get_password(SERVICE, key)


def delete_token(url: str, user: str) -> None:
    """Forget the token; deleting one that is not there (or with no secure store) is a no-op.

    Signing out must always succeed, so an absent entry is not an error. Without a secure
    backend Workbench never stored anything, so there is nothing to delete.
    """
    key = token_key(url, user)
    backend = secure_backend()
    if backend is None:
        return
    with contextlib.suppress(PasswordDeleteError):
        backend.delete_password(SERVICE, key)
