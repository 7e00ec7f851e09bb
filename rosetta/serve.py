"""``async-rosetta serve echo|ftp``: one server, chosen by ``--impl``, until a signal.

Implementations:

======================  ==============================================================
``asyncio``             ``impl_asyncio.servers.serve_echo`` on asyncio
``uvloop``              the same on uvloop
``trio``                ``impl_trio.servers.serve_echo``
``shared-asyncio``      ``shared.servers.serve_echo`` on AnyIO's asyncio backend
``shared-uvloop``       the same on uvloop
``shared-trio``         the same on AnyIO's Trio backend
``reactor-epoll``       ``fromscratch.reactor.serve_echo``: the from-scratch reactor, epoll
``reactor-poll``        the same with poll
``reactor-select``      the same with select (refuses descriptors >= 1024)
``anchor-uvloop-protocol``  a bare ``asyncio.Protocol`` echo on uvloop, the shape of
                        uvloop's own benchmark: the fastest Python echo server
``anchor-trio-serve-tcp``   plain :func:`trio.serve_tcp` with an echo handler
======================  ==============================================================

``serve ftp`` takes the first six (the FTP server exists in the three packages:
``impl_asyncio.ftp``, ``impl_trio.ftp``, ``shared.ftp``), serves ``--root``
to anonymous users read-only and to ``--user NAME:HASH`` accounts (writing with
``--write``); ``--hash-password`` prints the HASH for a password read on stdin.

The anchors are for the benchmarks: no connection limit, no backpressure of their
own, no grace period (they stop at once). All use the listen backlog
``min(65535, net.core.somaxconn)``.

Output contract (the load generator and ``bench c10k`` parse it): once the server
listens, exactly one line ``listening on HOST:PORT`` on stdout, flushed (an IPv6
HOST in brackets). SIGINT or
SIGTERM shuts the server down gracefully (``--grace`` seconds for open
connections; the reactor stops at once) and the process exits 0. The soft
``RLIMIT_NOFILE`` is raised to the hard limit first.

Error handling
--------------
A port in use: exit status 1 and ``error: cannot listen on HOST:PORT: port PORT is
in use`` on stderr; any other failure to listen: status 1 and ``error: cannot
listen on HOST:PORT: REASON``. An IPv6 HOST is written in brackets (``[::1]:2121``).
An unknown ``--impl``: argparse's exit status 2 with the list of choices.
"""

from __future__ import annotations

import argparse
import asyncio
import errno
import getpass
import ipaddress
import math
import os
import signal
import sys
import threading
from collections.abc import Callable, Coroutine
from functools import partial
from typing import Any, cast

from common.ftp import Config, User, Users, hash_password
from common.ftp_support import ServerOptions
from common.listeners import host_port, raise_fd_limit
from rosetta.columns import Column, column_names, get_column

__all__ = ["FTP_IMPLS", "IMPLS", "add_parser", "host_port", "raise_fd_limit", "run", "run_ftp"]

IMPLS: tuple[str, ...] = (
    *column_names(),
    "reactor-epoll",
    "reactor-poll",
    "reactor-select",
    "anchor-uvloop-protocol",
    "anchor-trio-serve-tcp",
)

#: ``serve ftp`` has no reactor or anchor: the FTP server exists in the three packages.
FTP_IMPLS: tuple[str, ...] = tuple(column_names())

_SIGNALS = (signal.SIGINT, signal.SIGTERM)
Announce = Callable[[str, int], None]


def _announce(host: str, port: int) -> None:
    print(f"listening on {host_port(host, port)}", flush=True)


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"port must be 0..65535 (0: any free port); got {port}")
    return port


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1; got {value}")
    return value


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"must be a finite number of seconds >= 0; got {text}")
    return value


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``serve echo`` on the CLI's subparsers."""
    parser = sub.add_parser("serve", help="run a server until SIGINT or SIGTERM")
    servers = parser.add_subparsers(dest="server", required=True, metavar="SERVER")
    echo = servers.add_parser(
        "echo",
        help="the echo server of one implementation",
        description="Echo every byte back. Prints 'listening on HOST:PORT' once ready.",
    )
    echo.add_argument(
        "--impl",
        required=True,
        choices=IMPLS,
        metavar="IMPL",
        help=f"which server to run, one of: {', '.join(IMPLS)}",
    )
    echo.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    echo.add_argument("--port", required=True, type=_port, help="port to bind; 0: any free port")
    echo.add_argument(
        "--max-connections",
        type=_positive_int,
        default=10_000,
        metavar="N",
        help="open connections beyond this are refused (default 10000)",
    )
    echo.add_argument(
        "--grace",
        type=_seconds,
        default=5.0,
        metavar="SECONDS",
        help="on shutdown, how long open connections are still served (default 5)",
    )
    echo.set_defaults(func=run)
    _add_ftp_parser(servers)


def _user(text: str) -> tuple[str, str]:
    name, sep, password_hash = text.partition(":")
    if not sep or not name or not password_hash.startswith("scrypt$"):
        raise argparse.ArgumentTypeError(
            f"expected NAME:HASH with HASH from 'serve ftp --hash-password'; got {text!r}"
        )
    return name, password_hash


def _port_range(text: str) -> tuple[int, int]:
    first, sep, last = text.partition("-")
    try:
        ports = (int(first), int(last))
    except ValueError:
        ports = (0, 0)
    if not sep or not 1024 <= ports[0] <= ports[1] <= 65535:
        raise argparse.ArgumentTypeError(
            f"expected FIRST-LAST with 1024 <= FIRST <= LAST <= 65535; got {text!r}"
        )
    return ports


def _ipv4(text: str) -> str:
    try:
        return str(ipaddress.IPv4Address(text))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"PASV announces IPv4 addresses only; not one: {text!r}"
        ) from None


def _timeout(text: str) -> float:
    # One bound, one message: -1 and 0 are refused alike (not ">= 0", then "> 0").
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"must be a finite number of seconds > 0; got {text}")
    return value


def _add_ftp_parser(servers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    ftp = servers.add_parser(
        "ftp",
        help="the FTP server of one implementation",
        description=(
            "Serve --root over FTP: anonymous read-only, plus named users from --user. "
            "Prints 'listening on HOST:PORT' once ready."
        ),
        # --impl and --root are required unless --hash-password, which argparse cannot
        # say (run_ftp checks it): the usage says it instead of showing them in brackets.
        usage=("%(prog)s --impl IMPL --root DIR [options]\n       %(prog)s --hash-password"),
    )
    ftp.add_argument(
        "--impl",
        choices=FTP_IMPLS,
        metavar="IMPL",
        help=f"which server to run, one of: {', '.join(FTP_IMPLS)} (required)",
    )
    ftp.add_argument("--root", metavar="DIR", help="the directory clients see as / (required)")
    ftp.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    ftp.add_argument("--port", type=_port, default=2121, help="port to bind (default 2121)")
    ftp.add_argument(
        "--user",
        type=_user,
        action="append",
        default=[],
        metavar="NAME:HASH",
        help="a named user (repeatable); HASH from --hash-password (default: none, anonymous only)",
    )
    ftp.add_argument(
        "--write", action="store_true", help="the --user accounts may write (anonymous never)"
    )
    ftp.add_argument(
        "--no-anonymous", action="store_true", help="refuse anonymous logins (needs --user)"
    )
    ftp.add_argument(
        "--passive-ports",
        type=_port_range,
        metavar="A-B",
        help="port range for PASV/EPSV listeners (default: any free port)",
    )
    ftp.add_argument(
        "--masquerade",
        type=_ipv4,
        metavar="ADDR",
        help="the IPv4 address PASV announces (default: the server's own address on the "
        "control connection)",
    )
    defaults = ServerOptions()
    for flag, kind, default, text in (
        ("--max-connections", _positive_int, defaults.max_connections, "open sessions"),
        ("--max-per-address", _positive_int, defaults.max_per_address, "sessions per client"),
        ("--idle-timeout", _timeout, defaults.idle_timeout, "seconds a silent session lives"),
        ("--data-timeout", _timeout, defaults.data_timeout, "seconds a stalled transfer lives"),
        (
            "--passive-timeout",
            _timeout,
            defaults.passive_timeout,
            "seconds a PASV/EPSV listener waits for the client's data connection",
        ),
        ("--login-delay", _seconds, defaults.core.login_delay, "seconds after a failed login"),
    ):
        ftp.add_argument(
            flag,
            type=kind,
            default=default,
            metavar="N" if kind is _positive_int else "SECONDS",
            help=f"{text} (default {default:g})",
        )
    ftp.add_argument(
        "--hash-password",
        action="store_true",
        help="ask for a password (on a terminal: twice, not echoed; else one line of stdin), "
        "print its scrypt hash for --user, and exit",
    )
    ftp.set_defaults(func=run_ftp, parser=ftp)


def run_ftp(args: argparse.Namespace) -> int:
    """``serve ftp``: check the arguments that depend on each other, then :func:`run`."""
    parser: argparse.ArgumentParser = args.parser
    if args.hash_password:
        if sys.stdin.isatty():
            # A terminal: prompt without echo, twice, as passwd does; a pipe is read as is.
            try:
                password = getpass.getpass("Password: ")
                again = getpass.getpass("The same password again: ")
            except EOFError:
                parser.error("--hash-password: no password given")
            if password != again:
                parser.error("--hash-password: the two passwords differ; nothing was hashed")
        else:
            password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            parser.error("--hash-password: no password given (an empty one is not accepted)")
        print(hash_password(password))
        return 0
    if args.impl is None or args.root is None:
        parser.error("--impl and --root are required (or --hash-password)")
    if not os.path.isdir(args.root):
        parser.error(f"--root must be an existing directory; got {args.root!r}")
    if not args.user:
        if args.no_anonymous:
            parser.error("--no-anonymous without --user: nobody could log in; add --user NAME:HASH")
        if args.write:
            parser.error(
                "--write without --user would change nothing: it lets the --user accounts "
                "write, and anonymous users are always read-only; add --user NAME:HASH"
            )
    args.users = Users(
        {name: User(password_hash, write=args.write) for name, password_hash in args.user},
        anonymous=not args.no_anonymous,
    )
    args.options = ServerOptions(
        idle_timeout=args.idle_timeout,
        data_timeout=args.data_timeout,
        passive_timeout=args.passive_timeout,
        max_connections=args.max_connections,
        max_per_address=args.max_per_address,
        passive_ports=args.passive_ports,
        core=Config(login_delay=args.login_delay, masquerade=args.masquerade),
    )
    return run(args)


# -- the packages ----------------------------------------------------------------------------


def _server(args: argparse.Namespace, column: Column) -> Callable[[], Coroutine[Any, Any, None]]:
    """The server *args* ask for, from *column*'s package, as a coroutine function."""
    if args.server == "ftp":
        serve_ftp = column.module("ftp").serve_ftp
        return partial(
            serve_ftp,
            args.root,
            args.host,
            args.port,
            users=args.users,
            options=args.options,
            ready=_announce,
        )
    serve_echo = column.module("servers").serve_echo
    return partial(
        serve_echo,
        args.host,
        args.port,
        max_connections=args.max_connections,
        ready=_announce,
        grace_period=args.grace,
    )


def _run_column(args: argparse.Namespace, column: Column) -> None:
    column.serve_until_signal(_server(args, column))


def _run_reactor(args: argparse.Namespace, mechanism: str) -> None:
    # Imported here: the reactor is optional for every other --impl.
    from fromscratch import reactor

    stop = threading.Event()
    previous = {signum: signal.signal(signum, lambda *_: stop.set()) for signum in _SIGNALS}
    try:
        reactor.serve_echo(
            args.host,
            args.port,
            mechanism=mechanism,
            max_connections=args.max_connections,
            ready=lambda address: _announce(address[0], address[1]),
            stop=stop,
        )
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


# -- the anchors -----------------------------------------------------------------------------


class _AnchorEchoProtocol(asyncio.Protocol):
    """uvloop's benchmark server: write back whatever arrives, nothing else."""

    transport: asyncio.Transport

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        transport = cast(asyncio.Transport, transport)  # uvloop's is no subclass
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.transport.write(data)


def _run_anchor_uvloop(args: argparse.Namespace) -> None:
    import uvloop

    from impl_asyncio.servers import listen_backlog

    async def main() -> None:
        loop = asyncio.get_running_loop()
        server = await loop.create_server(
            _AnchorEchoProtocol, args.host, args.port, backlog=listen_backlog()
        )
        stopped = asyncio.Event()
        for signum in _SIGNALS:
            loop.add_signal_handler(signum, stopped.set)
        host, port = server.sockets[0].getsockname()[:2]
        _announce(host, port)
        await stopped.wait()
        server.close()
        await server.wait_closed()

    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        runner.run(main())


def _run_anchor_trio(args: argparse.Namespace) -> None:
    import trio

    from impl_trio.servers import listen_backlog

    async def echo(stream: trio.SocketStream) -> None:
        try:
            async for data in stream:
                await stream.send_all(data)
        except trio.BrokenResourceError:
            pass

    async def main() -> None:
        with trio.open_signal_receiver(*_SIGNALS) as signals:
            async with trio.open_nursery() as nursery:
                listeners = await nursery.start(
                    partial(
                        trio.serve_tcp, echo, args.port, host=args.host, backlog=listen_backlog()
                    )
                )
                host, port = listeners[0].socket.getsockname()[:2]
                _announce(host, port)
                async for _ in signals:
                    nursery.cancel_scope.cancel()
                    break

    trio.run(main)


def _dispatch(args: argparse.Namespace) -> None:
    impl: str = args.impl
    if impl in FTP_IMPLS:
        _run_column(args, get_column(impl))
    elif impl.startswith("reactor-"):
        _run_reactor(args, impl.removeprefix("reactor-"))
    elif impl == "anchor-uvloop-protocol":
        _run_anchor_uvloop(args)
    elif impl == "anchor-trio-serve-tcp":
        _run_anchor_trio(args)
    else:  # pragma: no cover - argparse's choices= rejects it first
        raise ValueError(f"unknown --impl {impl!r}; choose from: {', '.join(IMPLS)}")


def _os_error(exc: BaseException) -> OSError | None:
    """The OSError behind *exc*: itself, or the only error of a (nested) ExceptionGroup."""
    while isinstance(exc, BaseExceptionGroup) and len(exc.exceptions) == 1:
        exc = exc.exceptions[0]
    return exc if isinstance(exc, OSError) else None


def run(args: argparse.Namespace) -> int:
    raise_fd_limit()
    try:
        _dispatch(args)
    except (OSError, BaseExceptionGroup) as exc:
        error = _os_error(exc)
        if error is None:
            raise
        where = host_port(args.host, args.port)
        if error.errno == errno.EADDRINUSE:
            message = f"cannot listen on {where}: port {args.port} is in use"
        elif error.strerror and error.strerror.startswith("cannot listen on"):
            message = error.strerror  # the server named the address already
        else:  # the host, so a typo in --host is not left to guess from the errno
            message = f"cannot listen on {where}: {error.strerror or error}"
        print(f"error: {message}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:  # a SIGINT before the handlers were installed
        pass
    return 0
