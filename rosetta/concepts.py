"""The registry of concepts, and the source of each concept in the three packages.

A concept is one module file that exists, with the same public names in the same
order, in ``impl_asyncio``, ``impl_trio`` and ``shared``. ``show`` lines the three
files up by those names; ``tour`` runs each concept's scenarios. The files are
read with :mod:`ast`, never imported, so ``show`` does not need a working backend.
"""

from __future__ import annotations

import ast
import importlib.util
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "CONCEPTS",
    "PACKAGES",
    "Concept",
    "ModuleSource",
    "Package",
    "Segment",
    "alignment_problems",
    "concept_names",
    "get_concept",
    "load_sources",
    "parse_module",
    "row_names",
]


@dataclass(frozen=True)
class Package:
    """One implementation package and the label its column gets."""

    name: str  # the importable name: "impl_asyncio", "impl_trio", "shared"
    label: str

    @property
    def directory(self) -> Path:
        # find_spec locates a top-level package without executing its __init__.
        spec = importlib.util.find_spec(self.name)
        if spec is None or not spec.submodule_search_locations:
            raise RuntimeError(f"package {self.name!r} is not importable")
        return Path(next(iter(spec.submodule_search_locations)))


PACKAGES: tuple[Package, ...] = (
    Package("impl_asyncio", "asyncio"),
    Package("impl_trio", "Trio"),
    Package("shared", "shared (AnyIO)"),
)


@dataclass(frozen=True)
class Concept:
    """A concept: one module file in each package."""

    name: str
    title: str
    summary: str
    module: str  # the file name, the same in every package

    def file(self, package: Package) -> str:
        """The concept's file, relative to *package*'s directory."""
        return self.module

    def where(self, package: Package) -> str:
        """``package/file``, as messages and pages name it."""
        return f"{package.name}/{self.file(package)}"

    def path(self, package: Package) -> Path:
        return package.directory / self.file(package)


CONCEPTS: tuple[Concept, ...] = (
    Concept(
        name="futures",
        title="Futures: a result that arrives later",
        summary=(
            "A Future stands in for a value that does not exist yet. It starts out "
            "pending and settles exactly once: with a result, with an exception, or by "
            "being cancelled; any second attempt is refused. Awaiting it suspends the "
            "caller until it settles, and callbacks registered on it are run by the "
            "event loop afterwards, never from inside the call that settled it. asyncio "
            "ships a Future; Trio has none, so impl_trio assembles one from an Event and "
            "an outcome; shared keeps anyio.Future's states and Event but not the class "
            "(its exception is a property where asyncio has a method), under asyncio's "
            "method names."
        ),
        module="futures.py",
    ),
    Concept(
        name="tasks",
        title="Tasks, ensure_future and gather",
        summary=(
            "A Task is a Future whose result can only come from the coroutine it runs; "
            "cancel() asks that coroutine to stop by raising the backend's cancellation "
            "at its next await. asyncio lets a task float on the loop with nothing "
            "waiting for it, while Trio and AnyIO require every task to belong to a "
            "nursery or task group. That single rule is why ensure_future needs a group "
            "outside asyncio, and why gather cancels the losers there instead of leaving "
            "them running."
        ),
        module="tasks.py",
    ),
    Concept(
        name="executors",
        title="run_in_executor: blocking work on a thread",
        summary=(
            "run_in_executor hands a blocking function to a worker thread and returns a "
            "Future straight away; it is not a Task, because no coroutine is involved. "
            "When the function returns or raises, the outcome is passed back to the "
            "event loop's thread, and that thread, not the worker, settles the Future. "
            "Whether context variables follow the function onto the worker depends on "
            "the package: asyncio's run_in_executor never copied them."
        ),
        module="executors.py",
    ),
    Concept(
        name="cancellation",
        title="Cancellation and timeouts: edge-triggered or level-triggered",
        summary=(
            "asyncio cancels a task: Task.cancel() throws one CancelledError at the next "
            "await and is then spent, so a coroutine may catch it and carry on, and an "
            "await in its cleanup runs normally; asyncio.timeout counts requests with "
            "cancelling() and uncancel() to know which one is its own. Trio and AnyIO "
            "cancel a block: a cancel scope, once cancelled, raises at every checkpoint "
            "until the block is left, so cleanup that must await needs a shield. The "
            "same words (move_on_after, fail_after, wait_for, shielded) therefore lose "
            "or keep a result, run or skip a finally, at different moments."
        ),
        module="cancellation.py",
    ),
    Concept(
        name="timers",
        title="Periodic timers: setInterval and AS3's Timer, without drift",
        summary=(
            "None of asyncio, Trio or AnyIO has a repeating timer, and the loop people "
            "write instead, work then sleep one period, falls behind by the work and by "
            "every late wake-up, tick after tick. Timer computes tick n's deadline as "
            "start + n periods on the backend's clock, so lateness never adds up. When a "
            "callback overruns, passed ticks are skipped and counted, or delivered in a "
            "burst. The timer runs in a task group the caller gives it, so an exception "
            "in a callback reaches the caller; set_interval, set_timeout and interval "
            "are built on the same schedule. Times are in seconds: AS3's Timer(1000, 5) "
            "is Timer(1.0, 5)."
        ),
        module="timers.py",
    ),
    Concept(
        name="readiness",
        title="Readiness: a callback, or an await, for 'this socket is ready'",
        summary=(
            "Every event loop is built on one system call that waits until some of many "
            "descriptors are ready (select, poll, epoll; see fromscratch/reactor.py). asyncio "
            "exposes it as callbacks: loop.add_reader(fd, callback) runs the callback each "
            "time fd is readable until it is removed, and awaiting readiness means "
            "resolving a Future from that callback and unregistering afterwards. Trio "
            "exposes it as an await, trio.lowlevel.wait_readable, a checkpoint like any "
            "other; AnyIO's wait_readable is the same await on either backend. A second "
            "waiter on one socket is refused by Trio and AnyIO; asyncio would silently "
            "replace the first callback, so impl_asyncio refuses it too."
        ),
        module="readiness.py",
    ),
    Concept(
        name="servers",
        title="Echo servers for ten thousand clients: batches, limits, backpressure, shutdown",
        summary=(
            "One thread serves every connection: asyncio with a Protocol whose callbacks "
            "the loop runs, Trio and AnyIO with a task per connection. What decides "
            "whether a storm of connects is absorbed is how fast the kernel's accept "
            "queue is emptied: accepting one connection per pass of the scheduler lets "
            "it overflow, dropped SYNs come back only after 1, 3, 7 seconds, so each "
            "server accepts until EAGAIN whenever the listener is readable. A client "
            "that sends but never reads stops being read from, past the connection "
            "limit a client is told busy and closed, and cancelling the server stops "
            "accepting, gives open connections a grace period, then cuts them."
        ),
        module="servers.py",
    ),
    Concept(
        name="ftp",
        title="An FTP server: one sans-I/O core, three thin shells, ABOR as cancellation",
        summary=(
            "The source text's C10k problem names FTP. The protocol is written once, in the "
            "manner of h11: common/ftp's Connection takes the control connection's "
            "bytes and hands back actions (a reply to send, a listener to open, a file "
            "to move, a password to check off the loop), with no socket and no await "
            "inside, and what a session does with them is written once beside it "
            "(common/ftp_shell.py). Each shell only performs the actions: a session is "
            "one task, the control loop; a transfer is a second task, which wakes the "
            "loop's wait when it ends (asyncio resolves the future the loop awaits; Trio "
            "and AnyIO cancel the scope of the wait), and ABOR cancels the transfer. What "
            "differs between the shells is how a task is owned, how a timeout is written "
            "and how a cancellation is waited for: asyncio awaits the cancelled task; Trio "
            "and AnyIO cancel a scope and shield the cleanup."
        ),
        module="ftp.py",
    ),
)


def concept_names() -> list[str]:
    return [concept.name for concept in CONCEPTS]


def get_concept(name: str) -> Concept:
    """The concept called *name*.

    Error handling
    --------------
    An unknown name raises :exc:`ValueError` listing the concept names.
    """
    for concept in CONCEPTS:
        if concept.name == name:
            return concept
    raise ValueError(f"unknown concept {name!r}; choose from: {', '.join(concept_names())}")


# -- sources ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Segment:
    """The top-level statement that defines one public name, as written in the file."""

    name: str
    source: str
    start_line: int  # 1-based line of the first line of *source* in the file


@dataclass(frozen=True)
class ModuleSource:
    """One module file: its docstring, its ``__all__`` and the source of each public name."""

    package: Package
    path: Path
    docstring: str | None
    names: tuple[str, ...]  # __all__, in order; empty if there is none
    has_all: bool
    segments: Mapping[str, Segment]  # public names only; a name defined nowhere is absent


def _bound_names(node: ast.stmt) -> list[str]:
    """The module-level names a top-level statement binds."""
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return [node.name]
    if isinstance(node, ast.Assign):
        return [
            n.id for target in node.targets for n in ast.walk(target) if isinstance(n, ast.Name)
        ]
    if isinstance(node, ast.AnnAssign | ast.AugAssign) and isinstance(node.target, ast.Name):
        return [node.target.id]
    if isinstance(node, ast.Import | ast.ImportFrom):
        return [(alias.asname or alias.name).split(".")[0] for alias in node.names]
    return []


def _read_all(tree: ast.Module) -> tuple[str, ...] | None:
    for node in tree.body:
        if isinstance(node, ast.Assign | ast.AnnAssign) and "__all__" in _bound_names(node):
            if node.value is None:
                return None
            try:
                value = ast.literal_eval(node.value)
            except ValueError:
                return None  # computed: not something a reader can line up
            if isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
                return tuple(value)
            return None
    return None


def _is_string_expr(node: ast.stmt) -> bool:
    return (
        isinstance(node, ast.Expr)
        and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, str)
    )


def parse_module(package: Package, path: Path) -> ModuleSource:
    """Parse *path* and cut out the top-level statement of every name in its ``__all__``.

    A segment runs from the comment block directly above the statement (a comment
    often says why an alias exists) and its decorators, through the statement, and
    for an assignment through the string right below it (an attribute docstring);
    a function's ``@overload`` stubs and its implementation make one segment.

    Error handling
    --------------
    :exc:`OSError` if the file cannot be read, :exc:`SyntaxError` if it does not parse.
    """
    text = path.read_text(encoding="utf-8")
    tree = ast.parse(text, filename=str(path))
    lines = text.splitlines()
    names = _read_all(tree)
    public = set(names or ())
    segments: dict[str, Segment] = {}
    for index, node in enumerate(tree.body):
        wanted = [n for n in _bound_names(node) if n in public and n not in segments]
        if not wanted:
            continue
        start = node.lineno
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            start = min([start, *(d.lineno for d in node.decorator_list)])
        while start > 1 and lines[start - 2].lstrip().startswith("#"):
            start -= 1
        end = node.end_lineno or node.lineno
        after = index + 1
        # An @overload stub is followed by the other stubs and the implementation, all
        # bound to the same name: they are one definition, shown together.
        while (
            after < len(tree.body)
            and isinstance(tree.body[after], ast.FunctionDef | ast.AsyncFunctionDef)
            and _bound_names(tree.body[after]) == wanted
        ):
            end = tree.body[after].end_lineno or end
            after += 1
        following = tree.body[after] if after < len(tree.body) else None
        if (
            isinstance(node, ast.Assign | ast.AnnAssign)
            and following is not None
            and _is_string_expr(following)
        ):
            end = following.end_lineno or end
        source = "\n".join(lines[start - 1 : end])
        for name in wanted:
            segments[name] = Segment(name, source, start)
    return ModuleSource(
        package=package,
        path=path,
        docstring=ast.get_docstring(tree),
        names=names or (),
        has_all=names is not None,
        segments=segments,
    )


def load_sources(concept: Concept) -> list[ModuleSource]:
    """The concept's module in each package, in :data:`PACKAGES` order."""
    return [parse_module(package, concept.path(package)) for package in PACKAGES]


def row_names(sources: list[ModuleSource]) -> list[str]:
    """The names to show, one per row: the first module's order, then any extras."""
    rows: list[str] = []
    for source in sources:
        rows.extend(name for name in source.names if name not in rows)
    return rows


def alignment_problems(concept: Concept, sources: list[ModuleSource] | None = None) -> list[str]:
    """Why the concept's three modules do not line up; an empty list if they do.

    They line up when each has a literal ``__all__``, every name in it is defined
    at the top level, and the three ``__all__`` lists are equal, order included.
    """
    if sources is None:
        sources = load_sources(concept)
    problems: list[str] = []
    for source in sources:
        where = concept.where(source.package)
        if not source.has_all:
            problems.append(f"{where}: no literal __all__")
        undefined = [name for name in source.names if name not in source.segments]
        if undefined:
            problems.append(f"{where}: in __all__ but not defined: {', '.join(undefined)}")
    reference = sources[0]
    ref_where = concept.where(reference.package)
    for source in sources[1:]:
        where = concept.where(source.package)
        missing = [name for name in reference.names if name not in source.names]
        extra = [name for name in source.names if name not in reference.names]
        if missing:
            problems.append(f"{where}: lacks {', '.join(missing)} (from {ref_where})")
        if extra:
            problems.append(f"{where}: has extra {', '.join(extra)} (not in {ref_where})")
        common = [name for name in source.names if name in reference.names]
        ref_common = [name for name in reference.names if name in source.names]
        if common != ref_common:
            problems.append(
                f"{where}: order {', '.join(common)} differs from "
                f"{ref_where}: {', '.join(ref_common)}"
            )
    return problems
