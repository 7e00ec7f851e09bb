"""The virtual root (a jail) and the filesystem protocol the core is given.

Paths are handled in two spaces:

* **virtual** paths, what the client sees: POSIX, absolute, rooted at ``/``,
  normalised so ``..`` can never climb above ``/``;
* **real** paths, what the filesystem sees: the root joined with the virtual
  path, then resolved with the provider's ``realpath`` and checked to still lie
  inside the (resolved) root, so a symlink cannot lead out.

The core never imports :mod:`os` for I/O: it is given a :class:`FileSystem`
(the shells pass a thin wrapper over :mod:`os`, the tests a dictionary).

Error handling
--------------
:meth:`Jail.resolve` raises :class:`PathError` with the FTP reply to send
(501 for a NUL byte, 550 for an escape). :class:`FileSystem` methods raise
:class:`OSError`; the connection turns those into 550 replies.
"""

from __future__ import annotations

import posixpath
from typing import Protocol

__all__ = ["FileSystem", "Jail", "PathError", "StatLike", "normalize_virtual"]


class StatLike(Protocol):
    """The fields of :class:`os.stat_result` the core reads (``os.stat_result`` fits)."""

    @property
    def st_mode(self) -> int: ...
    @property
    def st_size(self) -> int: ...
    @property
    def st_mtime(self) -> float: ...
    @property
    def st_nlink(self) -> int: ...
    @property
    def st_uid(self) -> int: ...
    @property
    def st_gid(self) -> int: ...


class FileSystem(Protocol):
    """Metadata operations the core performs synchronously (they are quick).

    Bulk data never goes through here: reading and writing file contents are
    actions for the shell. Every method raises :class:`OSError` on failure.
    """

    def realpath(self, path: str) -> str:
        """Resolve symlinks, non-strictly (a missing last part is fine), like ``os.path``."""
        ...

    def stat(self, path: str) -> StatLike: ...
    def listdir(self, path: str) -> list[str]: ...
    def mkdir(self, path: str) -> None: ...
    def rmdir(self, path: str) -> None: ...
    def remove(self, path: str) -> None: ...
    def rename(self, src: str, dst: str) -> None: ...


class PathError(Exception):
    """A client path that must be refused; carries the reply code and text."""

    def __init__(self, code: int, text: str) -> None:
        super().__init__(f"{code} {text}")
        self.code = code
        self.text = text


def normalize_virtual(cwd: str, arg: str) -> str:
    """The absolute, normalised virtual path of *arg* seen from *cwd*.

    ``..`` stops at ``/`` (``posixpath.normpath("/..") == "/"``), and an
    absolute *arg* is taken from the virtual root, never from the real one.

    Error handling: raises :class:`PathError` (501) for a NUL byte.
    """
    if "\0" in arg:
        raise PathError(501, "NUL byte in path.")
    joined = posixpath.join(cwd, arg) if arg else cwd
    path = posixpath.normpath("/" + joined)
    # normpath keeps a leading "//" (POSIX allows it a meaning); the jail does not.
    return "/" + path.lstrip("/")


class Jail:
    """Maps virtual paths to real ones inside *root*, refusing anything that escapes."""

    def __init__(self, fs: FileSystem, root: str) -> None:
        self.fs = fs
        self._root = root
        self._real_root: str | None = None

    @property
    def real_root(self) -> str:
        # Resolved lazily and once: the root itself may be reached through a symlink.
        if self._real_root is None:
            self._real_root = self.fs.realpath(self._root)
        return self._real_root

    def resolve(self, cwd: str, arg: str) -> tuple[str, str]:
        """Return ``(virtual, real)`` for *arg* seen from *cwd*.

        Error handling: raises :class:`PathError` — 501 for a NUL byte, 550 if
        the real path lies outside the root (a symlink out) or cannot be resolved.
        """
        virtual = normalize_virtual(cwd, arg)
        return virtual, self.contain(posixpath.join(self.real_root, virtual.lstrip("/")))

    def resolve_entry(self, cwd: str, arg: str) -> tuple[str, str]:
        """Like :meth:`resolve`, but the last component is not followed if it is a symlink.

        For DELE, RMD, MKD, RNFR and RNTO, which act on a directory entry itself:
        deleting or renaming a link must not touch what it points to.

        Error handling: as :meth:`resolve`; also 550 for the root itself.
        """
        virtual = normalize_virtual(cwd, arg)
        if virtual == "/":
            raise PathError(550, "Permission denied.")
        parent, name = posixpath.split(virtual)
        real_parent = self.contain(posixpath.join(self.real_root, parent.lstrip("/")))
        return virtual, posixpath.join(real_parent, name)

    def contain(self, path: str) -> str:
        """Resolve the real *path* and return it if it lies inside the root.

        This is the one place the jail depends on the filesystem (symlinks).

        Error handling: raises :class:`PathError` (550) if it lies outside, or
        ``realpath`` fails.
        """
        root = self.real_root
        try:
            real = self.fs.realpath(path)
        except (OSError, ValueError):
            raise PathError(550, "No such file or directory.") from None
        if real != root and not real.startswith(root.rstrip("/") + "/"):
            raise PathError(550, "Permission denied.")
        return real
