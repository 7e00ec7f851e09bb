"""Password hashing (scrypt) and the user table: no plain passwords stored anywhere.

A stored hash reads ``scrypt$n$r$p$salt_hex$hash_hex``, so the cost parameters
travel with the hash and can be raised later without invalidating old entries.

Error handling
--------------
:func:`verify_password` never raises on a malformed stored hash: it returns
``False`` (a corrupt user entry must not crash a session, nor log anyone in).
:func:`hash_password` raises :class:`ValueError` for invalid cost parameters.
"""

from __future__ import annotations

import ctypes
import hashlib
import hmac
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass

__all__ = ["ANONYMOUS_NAMES", "User", "Users", "hash_password", "verify_password"]

ANONYMOUS_NAMES = frozenset({"anonymous", "ftp"})
_DKLEN = 32
# scrypt needs 128 * n * r bytes; allow a bit over the default's 16 MiB.
_MAXMEM = 64 * 1024 * 1024
#: Blocks of this size or more are served by mmap and unmapped when freed (glibc only).
MMAP_THRESHOLD = 4 * 1024 * 1024
_M_MMAP_THRESHOLD = -3  # mallopt's parameter number, from glibc's <malloc.h>
_mapping_checked = False


def _map_large_blocks() -> None:
    """Make glibc's malloc map (and on free unmap) blocks of :data:`MMAP_THRESHOLD` or more.

    Each check allocates scrypt's 16 MiB (``128 * n * r``) inside OpenSSL. glibc
    maps the first such block, and when it is freed raises its mmap threshold above
    it, so every later one comes from the calling thread's arena and stays resident
    there after the check: 16 MiB per worker thread that ever checked a password
    (measured, one check at a time: 6 threads +96 MiB, 40 threads +449 MiB).
    Setting the threshold fixes it (and turns that adjustment off), so the block
    goes back to the system when the check ends. It is process-wide, as every
    malloc setting is; blocks below 4 MiB (upload buffers, listings) are not
    affected. Elsewhere than glibc, nothing is changed.
    """
    global _mapping_checked
    if _mapping_checked:
        return
    _mapping_checked = True
    try:
        if not os.confstr("CS_GNU_LIBC_VERSION"):
            return
        ctypes.CDLL(None).mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)
    except (ValueError, OSError, AttributeError):
        pass  # no glibc: its arenas are not there either


def hash_password(password: str, *, n: int = 2**14, r: int = 8, p: int = 1) -> str:
    """Hash *password* with a fresh random salt; return ``scrypt$n$r$p$salt$hash``.

    Error handling: raises :class:`ValueError` if *n* is not a power of two > 1,
    or the parameters need more memory than allowed.
    """
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=_MAXMEM, dklen=_DKLEN
    )
    return f"scrypt${n}${r}${p}${salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str) -> bool:
    """Whether *password* matches *stored* (a :func:`hash_password` result).

    The digests are compared with :func:`hmac.compare_digest` (constant time).

    Error handling: a malformed *stored* value, or parameters scrypt rejects,
    yields ``False``.
    """
    _map_large_blocks()
    try:
        scheme, n, r, p, salt_hex, hash_hex = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = bytes.fromhex(hash_hex)
        digest = hashlib.scrypt(
            password.encode("utf-8", "surrogateescape"),
            salt=bytes.fromhex(salt_hex),
            n=int(n),
            r=int(r),
            p=int(p),
            maxmem=_MAXMEM,
            dklen=len(expected) or _DKLEN,
        )
    except (ValueError, OverflowError, UnicodeError):
        return False
    return hmac.compare_digest(digest, expected)


@dataclass(frozen=True, slots=True)
class User:
    """A named account: its password hash and whether it may write."""

    password_hash: str
    write: bool = False


class Users:
    """Who may log in: named users (by hash) and, optionally, anonymous (read-only).

    Error handling: :meth:`check` never raises; an unknown name costs one scrypt
    run like a known one, so timing does not reveal which names exist.
    """

    def __init__(self, users: Mapping[str, User] | None = None, *, anonymous: bool = True) -> None:
        self._users = dict(users or {})
        self.anonymous = anonymous

    def is_anonymous(self, name: str) -> bool:
        """Whether *name* logs in anonymously (no password hash to check)."""
        return name.lower() in ANONYMOUS_NAMES and name not in self._users

    def check(self, name: str, password: str) -> tuple[bool, bool]:
        """Return ``(ok, may_write)`` for a login attempt."""
        if self.is_anonymous(name):
            return self.anonymous, False
        user = self._users.get(name)
        if user is None:
            # Burn the same work as a real check (against any stored hash) and fail.
            if self._users:
                verify_password(password, next(iter(self._users.values())).password_hash)
            return False, False
        if verify_password(password, user.password_hash):
            return True, user.write
        return False, False
