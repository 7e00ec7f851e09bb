"""The command table, and the reply formatter.

One row per command drives everything generic about it, before its handler
runs: whether it needs a login, its argument syntax, the permission it needs,
whether it is accepted while a transfer runs, and its HELP text. Handlers
(in :mod:`common.ftp._connection`) only do what is specific to the command.

Error handling
--------------
:func:`check_syntax` returns ``False`` for a malformed argument (the caller
answers 501); :func:`format_reply` never raises, and strips CR/LF from reply
text so a file name can never inject a reply line.
"""

from __future__ import annotations

import enum
import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass

__all__ = [
    "COMMANDS",
    "NOT_IMPLEMENTED",
    "Arg",
    "CommandSpec",
    "Perm",
    "check_syntax",
    "format_reply",
]


class Arg(enum.Enum):
    NONE = "NONE"  # an argument is a syntax error
    OPTIONAL = "OPTIONAL"
    REQUIRED = "REQUIRED"


class Perm(enum.Enum):
    NONE = "NONE"  # no file access (still may need a login)
    READ = "READ"
    WRITE = "WRITE"  # named users given write access only


@dataclass(frozen=True, slots=True)
class CommandSpec:
    name: str
    arg: Arg
    login: bool = True
    perm: Perm = Perm.NONE
    #: A full match the argument must satisfy (case-insensitive), beyond *arg*.
    pattern: re.Pattern[str] | None = None
    #: Accepted while a transfer runs (RFC 959 §4.1.3: ABOR, STAT; plus NOOP and QUIT).
    during_transfer: bool = False
    help: str = ""


def _re(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


_SPECS = [
    CommandSpec("USER", Arg.REQUIRED, login=False, help="USER <name>"),
    CommandSpec("PASS", Arg.OPTIONAL, login=False, help="PASS <password>"),
    CommandSpec("QUIT", Arg.NONE, login=False, during_transfer=True, help="QUIT"),
    CommandSpec("NOOP", Arg.NONE, login=False, during_transfer=True, help="NOOP"),
    CommandSpec("SYST", Arg.NONE, login=False, help="SYST"),
    CommandSpec("FEAT", Arg.NONE, login=False, help="FEAT"),
    CommandSpec("OPTS", Arg.REQUIRED, login=False, help="OPTS UTF8 ON | OPTS MLST <facts>"),
    CommandSpec("HELP", Arg.OPTIONAL, login=False, help="HELP [<command>]"),
    CommandSpec("PWD", Arg.NONE, help="PWD"),
    CommandSpec("CWD", Arg.REQUIRED, perm=Perm.READ, help="CWD <path>"),
    CommandSpec("CDUP", Arg.NONE, perm=Perm.READ, help="CDUP"),
    CommandSpec("TYPE", Arg.REQUIRED, pattern=_re(r"[AIEL](?: [NTC8])?"), help="TYPE A | I"),
    CommandSpec("MODE", Arg.REQUIRED, pattern=_re(r"[SBC]"), help="MODE S"),
    CommandSpec("STRU", Arg.REQUIRED, pattern=_re(r"[FRP]"), help="STRU F"),
    CommandSpec("PASV", Arg.NONE, help="PASV"),
    CommandSpec("EPSV", Arg.OPTIONAL, pattern=_re(r"ALL|\d{1,3}"), help="EPSV [1 | 2 | ALL]"),
    CommandSpec(
        "PORT", Arg.REQUIRED, pattern=_re(r"\d{1,3}(?:,\d{1,3}){5}"), help="PORT h,h,h,h,p,p"
    ),
    CommandSpec("EPRT", Arg.REQUIRED, help="EPRT |proto|address|port|"),
    CommandSpec("LIST", Arg.OPTIONAL, perm=Perm.READ, help="LIST [-la] [<path>]"),
    CommandSpec("NLST", Arg.OPTIONAL, perm=Perm.READ, help="NLST [<path>]"),
    CommandSpec("MLSD", Arg.OPTIONAL, perm=Perm.READ, help="MLSD [<path>]"),
    CommandSpec("MLST", Arg.OPTIONAL, perm=Perm.READ, help="MLST [<path>]"),
    CommandSpec("RETR", Arg.REQUIRED, perm=Perm.READ, help="RETR <path>"),
    CommandSpec("STOR", Arg.REQUIRED, perm=Perm.WRITE, help="STOR <path>"),
    CommandSpec("APPE", Arg.REQUIRED, perm=Perm.WRITE, help="APPE <path>"),
    CommandSpec("REST", Arg.REQUIRED, pattern=_re(r"\d{1,19}"), help="REST <offset>"),
    CommandSpec("SIZE", Arg.REQUIRED, perm=Perm.READ, help="SIZE <path>"),
    CommandSpec("MDTM", Arg.REQUIRED, perm=Perm.READ, help="MDTM <path>"),
    CommandSpec("ABOR", Arg.NONE, during_transfer=True, help="ABOR"),
    CommandSpec("DELE", Arg.REQUIRED, perm=Perm.WRITE, help="DELE <path>"),
    CommandSpec("MKD", Arg.REQUIRED, perm=Perm.WRITE, help="MKD <path>"),
    CommandSpec("RMD", Arg.REQUIRED, perm=Perm.WRITE, help="RMD <path>"),
    CommandSpec("RNFR", Arg.REQUIRED, perm=Perm.WRITE, help="RNFR <path>"),
    CommandSpec("RNTO", Arg.REQUIRED, perm=Perm.WRITE, help="RNTO <path>"),
    CommandSpec("STAT", Arg.OPTIONAL, perm=Perm.READ, during_transfer=True, help="STAT [<path>]"),
    CommandSpec("ALLO", Arg.OPTIONAL, help="ALLO <size>"),
]
COMMANDS: Mapping[str, CommandSpec] = {spec.name: spec for spec in _SPECS}

#: Recognised (RFC 959 and friends) but not offered: 502, not 500.
NOT_IMPLEMENTED = frozenset(
    {"ACCT", "SMNT", "REIN", "STOU", "SITE", "XCUP", "XMKD", "XPWD", "XRMD", "XCWD"}
    | {"AUTH", "PBSZ", "PROT", "CCC", "ADAT", "LANG", "HOST", "MIC", "CONF", "ENC"}
)


def check_syntax(spec: CommandSpec, arg: str) -> bool:
    """Whether *arg* is well-formed for *spec* (presence, then pattern)."""
    if spec.arg is Arg.NONE:
        return not arg
    if spec.arg is Arg.REQUIRED and not arg:
        return False
    return spec.pattern is None or not arg or spec.pattern.fullmatch(arg) is not None


# Most replies are constants (a login sends four): formatted once, not ~3 us each time.
@functools.lru_cache(maxsize=512)
def format_reply(code: int, text: str) -> bytes:
    """The wire form of a reply: ``"NNN text\\r\\n"``, or multi-line with ``NNN-``.

    Each ``\\n`` in *text* starts a new line; inner lines get a leading space
    (RFC 959 §4.2) so none can be mistaken for the last one.
    """
    lines = [line.replace("\r", "") for line in text.split("\n")] or [""]
    if len(lines) == 1:
        out = f"{code} {lines[0]}\r\n"
    else:
        middle = "".join(f" {line}\r\n" for line in lines[1:-1])
        out = f"{code}-{lines[0]}\r\n{middle}{code} {lines[-1]}\r\n"
    try:
        return out.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # a lone surrogate that did not come from our decoding
        return out.encode("utf-8", "backslashreplace")
