"""LIST (``ls -l`` style), NLST and MLSD/MLST (RFC 3659 facts) lines from stat results.

Pure formatting: the stat results come from the :class:`FileSystem` the
connection was given. Month names are fixed English (no locale), owner and
group are numeric (no passwd lookup, which would be I/O).

Error handling
--------------
None raised: every function formats what it is given. Names are encoded as
UTF-8 with ``surrogateescape``, so undecodable names round-trip byte for byte.
"""

from __future__ import annotations

import stat
import time
from collections.abc import Iterable

from common.ftp._paths import StatLike

__all__ = ["DEFAULT_FACTS", "SUPPORTED_FACTS", "list_line", "mlsx_line"]

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_SIX_MONTHS = 182 * 24 * 3600
SUPPORTED_FACTS = ("type", "size", "modify", "perm", "unix.mode")
DEFAULT_FACTS = frozenset(SUPPORTED_FACTS)


def _clean(name: str) -> str:
    # A CR or LF in a file name would end the listing line (or a control reply) early.
    return name.replace("\r", "?").replace("\n", "?")


def list_line(name: str, st: StatLike, now: float) -> str:
    """One ``ls -l`` line (without CRLF): mode, links, owner, group, size, date, name.

    Dates within six months show the time, older (or future) ones the year, as ls does.
    """
    t = time.gmtime(st.st_mtime)
    recent = 0 <= now - st.st_mtime < _SIX_MONTHS
    when = f"{t.tm_hour:02d}:{t.tm_min:02d}" if recent else f" {t.tm_year:4d}"
    return (
        f"{stat.filemode(st.st_mode)} {st.st_nlink:3d} {st.st_uid:<8d} {st.st_gid:<8d} "
        f"{st.st_size:>12d} {_MONTHS[t.tm_mon - 1]} {t.tm_mday:2d} {when:>5} {_clean(name)}"
    )


def mlsx_line(
    name: str, st: StatLike, *, facts: Iterable[str], writable: bool, kind: str | None = None
) -> str:
    """One MLSD/MLST entry (without CRLF): ``fact=value;...; name``.

    *kind* overrides the ``type`` fact (``cdir``/``pdir`` for ``.``/``..``).
    *writable* adds the write permissions (RFC 3659 §7.5.5) the user has.
    """
    is_dir = stat.S_ISDIR(st.st_mode)
    wanted = set(facts)
    parts: list[str] = []
    if "type" in wanted:
        parts.append(f"type={kind or ('dir' if is_dir else 'file')}")
    if "size" in wanted and not is_dir:
        parts.append(f"size={st.st_size}")
    if "modify" in wanted:
        parts.append("modify=" + time.strftime("%Y%m%d%H%M%S", time.gmtime(st.st_mtime)))
    if "perm" in wanted:
        perm = (
            ("el" + ("cmpf" if writable else ""))
            if is_dir
            else ("r" + ("adfw" if writable else ""))
        )
        parts.append(f"perm={perm}")
    if "unix.mode" in wanted:
        parts.append(f"unix.mode=0{stat.S_IMODE(st.st_mode):o}")
    return "".join(p + ";" for p in parts) + " " + _clean(name)
