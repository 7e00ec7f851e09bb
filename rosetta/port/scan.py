"""Find asyncio idioms in Python source with :mod:`ast`: nothing scanned is imported or run.

A name counts as asyncio's only when the file's imports say so: ``import asyncio``,
``import asyncio as aio``, ``from asyncio import gather``, ``from asyncio import
tasks`` then ``tasks.gather``, and inside the ``asyncio`` package itself its
relative imports and its own top-level definitions. Methods of an event loop
(``call_soon``, ``run_in_executor``, ...) have no import to go by, so they count
in a file that imports asyncio or uvloop; ``create_task``, ``create_server`` and
``create_connection``, which other objects have too (an ``asyncio.TaskGroup``, the
``socket`` module), only on a receiver known to be a loop: assigned from
``get_event_loop()`` / ``get_running_loop()`` / ``new_event_loop()``, or named
``loop`` / ``_loop`` / ``event_loop``.

Whether a task is awaited, or awaited after it was cancelled, is decided within
the function for a local name and anywhere in the file for an attribute
(``self._task`` is often cancelled in ``close()`` and awaited in
``wait_closed()``). A task that leaves the analysis (returned, passed to a
call, stored in a literal) is not called "never awaited": the finding says only
that it has no group.
"""

from __future__ import annotations

import ast
import os
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from importlib.util import decode_source
from pathlib import Path
from typing import TypeGuard

__all__ = [
    "SKIPPED_DIRS",
    "FileScan",
    "Hit",
    "ScanError",
    "iter_python_files",
    "module_name",
    "scan_file",
    "scan_source",
]

#: Directory names a walk never enters (besides any directory whose name starts with
#: a dot, and any virtualenv or conda environment, recognised by its marker file).
SKIPPED_DIRS = frozenset({"__pycache__", "node_modules"})
_ENV_MARKERS = ("pyvenv.cfg", "conda-meta")


@dataclass(frozen=True)
class Hit:
    """One idiom found in one file."""

    line: int  # 1-based
    col: int  # 1-based, in characters
    idiom: str  # an id of rosetta.port.idioms.IDIOMS
    code: str  # the line as the user wrote it, stripped (a periodic loop: header ... sleep)


@dataclass(frozen=True)
class ScanError:
    path: str
    line: int | None
    col: int | None
    message: str

    def __str__(self) -> str:
        where = self.path
        if self.line is not None:
            where += f":{self.line}"
            if self.col is not None:
                where += f":{self.col}"
        return f"{where}: {self.message}"


@dataclass(frozen=True)
class FileScan:
    path: str
    hits: tuple[Hit, ...] = ()
    error: ScanError | None = None


# -- files ---------------------------------------------------------------------------------


def _is_environment(directory: Path) -> bool:
    return any((directory / marker).exists() for marker in _ENV_MARKERS)


def iter_python_files(paths: Sequence[str]) -> Iterator[str]:
    """The files to scan, each once: a file path as given, a directory's ``*.py`` files sorted.

    A walk skips dot-directories (``.git``, ``.venv``, ``.tox``), ``__pycache__``,
    ``node_modules`` and any virtualenv or conda environment below the directory
    given; it does not follow symbolic links to directories. The paths are assumed
    to exist (the command checks them before any work).
    """
    seen: set[Path] = set()
    for given in paths:
        path = Path(given)
        if not path.is_dir():
            key = path.resolve()
            if key not in seen:
                seen.add(key)
                yield given
            continue
        for directory, dirnames, filenames in os.walk(given):
            dirnames[:] = sorted(
                d
                for d in dirnames
                if not d.startswith(".")
                and d not in SKIPPED_DIRS
                and not _is_environment(Path(directory, d))
            )
            for name in sorted(filenames):
                if name.endswith(".py"):
                    full = os.path.join(directory, name)
                    key = Path(full).resolve()
                    if key not in seen:
                        seen.add(key)
                        yield full


def module_name(path: Path) -> str:
    """The dotted module name of *path*, from the ``__init__.py`` files above it."""
    path = path.resolve()
    parts = [] if path.stem == "__init__" else [path.stem]
    directory = path.parent
    while (directory / "__init__.py").is_file():
        parts.append(directory.name)
        directory = directory.parent
    return ".".join(reversed(parts))


def scan_file(path: str) -> FileScan:
    """Scan one file; a file that cannot be read, decoded or parsed gives an error, not hits."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        return FileScan(path, error=ScanError(path, None, None, f"cannot read: {exc.strerror}"))
    try:
        source = decode_source(data)
    except (SyntaxError, UnicodeDecodeError) as exc:  # a bad coding cookie is a SyntaxError
        return FileScan(path, error=ScanError(path, None, None, f"cannot decode: {exc}"))
    try:
        hits = scan_source(source, module=module_name(Path(path)), filename=path)
    except SyntaxError as exc:
        return FileScan(
            path,
            error=ScanError(path, exc.lineno, exc.offset, f"syntax error: {exc.msg}"),
        )
    except ValueError as exc:  # 3.11 raises this, not SyntaxError, for NUL bytes
        return FileScan(path, error=ScanError(path, None, None, f"syntax error: {exc}"))
    return FileScan(path, tuple(hits))


# -- names -----------------------------------------------------------------------------------


def _dotted(node: ast.AST) -> str | None:
    """``a.b.c`` for a chain of attributes on a name; None for anything else."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return None if base is None else f"{base}.{node.attr}"
    return None


def _normalise(qualified: str) -> str:
    """``asyncio.tasks.gather`` → ``asyncio.gather``: asyncio re-exports its submodules' names."""
    parts = qualified.split(".")
    if parts[0] == "asyncio" and len(parts) == 3 and parts[1].islower():
        return f"asyncio.{parts[2]}"
    return qualified


_LOOP_GETTERS = frozenset(
    {
        "asyncio.get_event_loop",
        "asyncio.get_running_loop",
        "asyncio.new_event_loop",
        "uvloop.new_event_loop",
    }
)
_LOOP_NAME = re.compile(r"^_*(event_)?loop$")
_TASK_MAKERS = frozenset({"asyncio.create_task", "asyncio.ensure_future", "asyncio.Task"})
_FUTURE_MAKERS = frozenset({"asyncio.Future"})
_CANCELLED = frozenset({"asyncio.CancelledError"})
_PROTOCOLS = frozenset(
    {
        "asyncio.Protocol",
        "asyncio.BaseProtocol",
        "asyncio.BufferedProtocol",
        "asyncio.DatagramProtocol",
        "asyncio.SubprocessProtocol",
        "asyncio.StreamReaderProtocol",
    }
)

#: asyncio functions and classes → idiom (calls).
_CALLS: dict[str, str] = {
    "asyncio.TaskGroup": "task-group",
    "asyncio.wait": "wait",
    "asyncio.as_completed": "wait",
    "asyncio.wait_for": "wait-for",
    "asyncio.timeout": "timeout",
    "asyncio.timeout_at": "timeout",
    "asyncio.shield": "shield",
    "asyncio.Future": "future",
    "asyncio.to_thread": "to-thread",
    "asyncio.Queue": "queue",
    "asyncio.LifoQueue": "queue",
    "asyncio.PriorityQueue": "queue",
    "asyncio.Event": "event",
    "asyncio.Lock": "lock",
    "asyncio.Condition": "lock",
    "asyncio.Semaphore": "semaphore",
    "asyncio.BoundedSemaphore": "semaphore",
    "asyncio.open_connection": "open-connection",
    "asyncio.open_unix_connection": "open-connection",
    "asyncio.start_server": "start-server",
    "asyncio.start_unix_server": "start-server",
    "asyncio.get_event_loop": "get-event-loop",
    "asyncio.get_running_loop": "get-event-loop",
    "asyncio.new_event_loop": "get-event-loop",
    "asyncio.run": "run",
    "asyncio.Runner": "run",
}

#: Event-loop methods → idiom, on any receiver in a file that imports asyncio.
_LOOP_METHODS: dict[str, str] = {
    "create_future": "future",
    "run_in_executor": "run-in-executor",
    "call_soon": "call-soon",
    "call_soon_threadsafe": "call-soon-threadsafe",
    "call_later": "call-later",
    "call_at": "call-later",
    "add_reader": "add-reader",
    "add_writer": "add-reader",
    "run_until_complete": "run-until-complete",
    "run_forever": "run-until-complete",
}
#: ... and those only on a receiver known to be a loop (others share the name).
_STRICT_LOOP_METHODS: dict[str, str] = {
    "create_server": "start-server",
    "create_unix_server": "start-server",
    "create_connection": "open-connection",
    "create_unix_connection": "open-connection",
}

#: Attributes read off a task or a task collection that neither await nor hand it on.
_INERT_ATTRIBUTES = frozenset(
    {
        "cancel",
        "cancelled",
        "cancelling",
        "uncancel",
        "done",
        "result",
        "exception",
        "add_done_callback",
        "remove_done_callback",
        "get_name",
        "set_name",
        "get_coro",
        "get_loop",
        "get_stack",
        "print_stack",
        "add",
        "append",
        "discard",
        "remove",
        "clear",
    }
)
_ADDERS = frozenset({"add", "append"})
#: Builtins that look at a task or a collection of tasks and keep nothing of it.
_LOOKERS = frozenset({"len", "bool", "print", "repr", "str", "id", "hash", "type", "isinstance"})
_DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)
_Scope = ast.Module | ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda
_Key = tuple[ast.AST, str]


@dataclass
class _Awaited:
    """An await, ``yield from`` or ``loop.run_until_complete(...)``: where, and the names in it."""

    position: tuple[int, int]
    mentions: frozenset[str]


@dataclass
class _Module:
    tree: ast.Module
    lines: list[str]
    aliases: dict[str, str] = field(default_factory=dict)
    uses_asyncio: bool = False
    parents: dict[ast.AST, ast.AST] = field(default_factory=dict)
    # What names hold, keyed by (scope, text) (see scope_for_text): the same local name in
    # two functions is two variables, and self._task in two classes two attributes.
    loops: set[_Key] = field(default_factory=set)
    futures: set[_Key] = field(default_factory=set)
    tasks: set[_Key] = field(default_factory=set)
    collections: set[_Key] = field(default_factory=set)
    _awaits: dict[ast.AST, list[_Awaited]] = field(default_factory=dict)
    _names: dict[ast.AST, dict[str, list[ast.AST]]] = field(default_factory=dict)

    def key(self, text: str, where: ast.AST) -> _Key:
        return (self.scope_for_text(text, where), text)

    def holds(self, kind: set[_Key], text: str | None, where: ast.AST) -> bool:
        """Whether *text*, as seen at *where*, was assigned a *kind* (a local, or a global)."""
        if text is None:
            return False
        return self.key(text, where) in kind or (self.tree, text) in kind

    # -- resolution --------------------------------------------------------------------------

    def qualified(self, node: ast.AST) -> str | None:
        """The imported name *node* stands for (``aio.gather`` → ``asyncio.gather``)."""
        if isinstance(node, ast.Name):
            target = self.aliases.get(node.id)
            return None if target is None else _normalise(target)
        if isinstance(node, ast.Attribute):
            base = self.qualified(node.value)
            return None if base is None else _normalise(f"{base}.{node.attr}")
        return None

    def called(self, node: ast.AST) -> str | None:
        return self.qualified(node.func) if isinstance(node, ast.Call) else None

    def is_loop(self, node: ast.AST) -> bool:
        if isinstance(node, ast.Call):
            return self.called(node) in _LOOP_GETTERS
        if isinstance(node, ast.BoolOp):
            return any(self.is_loop(value) for value in node.values)
        if isinstance(node, ast.IfExp):
            return self.is_loop(node.body) or self.is_loop(node.orelse)
        text = _dotted(node)
        if text is None:
            return False
        return self.holds(self.loops, text, node) or bool(_LOOP_NAME.match(text.rsplit(".", 1)[-1]))

    def foreign_module(self, node: ast.AST) -> bool:
        """True if *node* is an imported module or name other than asyncio's (``socket``)."""
        name = self.qualified(node)
        return name is not None and not name.startswith(("asyncio", "uvloop"))

    def makes_task(self, node: ast.AST) -> bool:
        """An ungrouped task: asyncio.create_task, ensure_future, Task or loop.create_task."""
        if not isinstance(node, ast.Call):
            return False
        if self.called(node) in _TASK_MAKERS:
            return True
        func = node.func
        return (
            isinstance(func, ast.Attribute)
            and func.attr == "create_task"
            and self.is_loop(func.value)
        )

    def makes_future(self, node: ast.AST) -> bool:
        if not isinstance(node, ast.Call):
            return False
        if self.called(node) in _FUTURE_MAKERS:
            return True
        func = node.func
        return (
            self.uses_asyncio
            and isinstance(func, ast.Attribute)
            and func.attr == "create_future"
            and not self.foreign_module(func.value)
        )

    def is_collection(self, node: ast.AST) -> str | None:
        """If *node* is a known collection of tasks (or a view of one): its text, or ""."""
        text = _dotted(node)
        if text is not None:
            return text if self.holds(self.collections, text, node) else None
        if isinstance(node, ast.Call):
            if self.called(node) == "asyncio.all_tasks":
                return ""
            func = node.func
            if isinstance(func, ast.Attribute) and func.attr in {"values", "copy"}:
                return self.is_collection(func.value)
            if isinstance(func, ast.Name) and func.id in {"list", "set", "tuple", "sorted"}:
                return self.is_collection(node.args[0]) if node.args else None
        return None

    # -- scopes ----------------------------------------------------------------------------

    def scope_of(self, node: ast.AST) -> _Scope:
        current = self.parents.get(node)
        while current is not None:
            if isinstance(current, _SCOPES):
                return current
            current = self.parents.get(current)
        return self.tree

    def awaits(self, scope: ast.AST) -> list[_Awaited]:
        found = self._awaits.get(scope)
        if found is None:
            found = [
                _Awaited(
                    (node.lineno, node.col_offset),
                    frozenset(text for sub in ast.walk(node) if (text := _dotted(sub)) is not None),
                )
                for node in ast.walk(scope)
                if _awaits_something(node)
            ]
            self._awaits[scope] = found
        return found

    def names(self, scope: ast.AST) -> dict[str, list[ast.AST]]:
        found = self._names.get(scope)
        if found is None:
            found = {}
            for node in ast.walk(scope):
                if isinstance(node, ast.Name | ast.Attribute) and isinstance(node.ctx, ast.Load):
                    text = _dotted(node)
                    if text is not None:
                        found.setdefault(text, []).append(node)
            self._names[scope] = found
        return found

    def inside_await(self, node: ast.AST, scope: ast.AST) -> bool:
        current = self.parents.get(node)
        while current is not None and current is not scope:
            if _awaits_something(current):
                return True
            current = self.parents.get(current)
        return False

    def scope_for_text(self, text: str, where: ast.AST) -> ast.AST:
        """Where *text* lives: a plain name in its function; ``self.x`` in its class, as
        long as its object, so any method may await it; another attribute in the file."""
        if "." not in text:
            return self.scope_of(where)
        if text.split(".", 1)[0] in {"self", "cls"}:
            current = self.parents.get(where)
            while current is not None:
                if isinstance(current, ast.ClassDef):
                    return current
                current = self.parents.get(current)
        return self.tree

    def consumed(self, text: str, scope: ast.AST, seen: frozenset[str] = frozenset()) -> bool:
        """True unless *text* provably stays in *scope* and is never awaited there."""
        seen = seen | {text}
        for node in self.names(scope).get(text, []):
            if self.inside_await(node, scope):
                return True
            parent = self.parents.get(node)
            if isinstance(parent, ast.Starred):
                node, parent = parent, self.parents.get(parent)
            if isinstance(parent, ast.Attribute):
                if parent.attr in _INERT_ATTRIBUTES:
                    continue
                return True
            if isinstance(parent, ast.Call) and node is not parent.func:
                func = parent.func
                if (
                    isinstance(func, ast.Name)
                    and func.id in _LOOKERS
                    and func.id not in self.aliases
                ):
                    continue
                if isinstance(func, ast.Attribute) and func.attr in _ADDERS:
                    holder = _dotted(func.value)
                    if holder is not None and holder not in seen:
                        if self.consumed(holder, self.scope_for_text(holder, parent), seen):
                            return True
                        continue
                return True
            if isinstance(parent, ast.Assign | ast.AnnAssign | ast.NamedExpr):
                targets = parent.targets if isinstance(parent, ast.Assign) else [parent.target]
                others = [_dotted(t) for t in targets]
                if all(o is not None for o in others):
                    for other in others:
                        assert other is not None
                        if other not in seen and self.consumed(
                            other, self.scope_for_text(other, parent), seen
                        ):
                            return True
                    continue
                return True
            if isinstance(
                parent,
                ast.If | ast.While | ast.BoolOp | ast.UnaryOp | ast.Compare | ast.IfExp | ast.Expr,
            ):
                continue  # tested or named, not handed on
            if isinstance(parent, ast.Delete):
                continue
            return True  # returned, yielded, iterated, stored in a literal: out of sight
        return False


def _awaits_something(node: ast.AST) -> TypeGuard[ast.Await | ast.YieldFrom | ast.Call]:
    if isinstance(node, ast.Await | ast.YieldFrom):
        return True
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "run_until_complete"
    )


def _package_of(module: str, is_package: bool, level: int) -> str:
    parts = module.split(".") if module else []
    if not is_package and parts:
        parts = parts[:-1]
    if level > 1:
        parts = parts[: len(parts) - (level - 1)] if level - 1 <= len(parts) else []
    return ".".join(parts)


def _bind(aliases: dict[str, str], local: str, target: str) -> None:
    """Record an import; of two for one name, asyncio's wins, whatever their order.

    ``try: from siosocks.io.asyncio import open_connection`` / ``except ImportError:
    from asyncio import open_connection``: either way the code is written against
    asyncio's function.
    """
    if local in aliases and aliases[local].split(".")[0] in {"asyncio", "uvloop"}:
        return
    aliases[local] = target


def _collect(module: _Module, name: str, is_package: bool) -> None:
    """First pass: imports, parents, and what is assigned a loop, a future, a task."""
    tree = module.tree
    assignments: list[tuple[ast.AST, ast.AST]] = []  # (target, value)
    adds: list[ast.Call] = []
    subscript_stores: list[tuple[ast.Subscript, ast.AST]] = []
    waits: list[tuple[ast.Tuple, ast.AST]] = []
    # One walk that records parents as it goes (ast.walk would list the children a
    # second time: the profile of a scan of asyncio showed that pass as its largest cost).
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        for child in ast.iter_child_nodes(node):
            module.parents[child] = node
            stack.append(child)
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    _bind(module.aliases, alias.asname, alias.name)
                else:
                    top = alias.name.split(".")[0]
                    _bind(module.aliases, top, top)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                package = _package_of(name, is_package, node.level)
                base = ".".join(p for p in (package, node.module or "") if p)
            for alias in node.names:
                if alias.name != "*":
                    _bind(module.aliases, alias.asname or alias.name, f"{base}.{alias.name}")
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Subscript):
                    subscript_stores.append((target, node.value))
                elif isinstance(target, ast.Tuple):
                    waits.append((target, node.value))
                else:
                    assignments.append((target, node.value))
        elif isinstance(node, ast.AnnAssign | ast.NamedExpr) and node.value is not None:
            assignments.append((node.target, node.value))
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in _ADDERS
            and len(node.args) == 1
        ):
            adds.append(node)
    if name == "asyncio" or name.startswith("asyncio."):
        # Inside asyncio itself, its top-level definitions are asyncio's names.
        for statement in tree.body:
            if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                module.aliases.setdefault(statement.name, f"{name}.{statement.name}")
    module.uses_asyncio = any(
        target.split(".")[0] in {"asyncio", "uvloop"} for target in module.aliases.values()
    )

    for assigned, value in assignments:
        text = _dotted(assigned)
        if text is None:
            continue
        if module.is_loop(value):
            module.loops.add(module.key(text, assigned))
        elif module.makes_future(value):
            module.futures.add(module.key(text, assigned))
        elif module.makes_task(value):
            module.tasks.add(module.key(text, assigned))
        elif _holds_tasks(module, value) or module.called(value) == "asyncio.all_tasks":
            module.collections.add(module.key(text, assigned))
    for subscript, value in subscript_stores:
        holder = _dotted(subscript.value)
        if holder is not None and module.makes_task(value):
            module.collections.add(module.key(holder, subscript))
    for pair, value in waits:
        # done, pending = await asyncio.wait(...): both are sets of tasks.
        if isinstance(value, ast.Await) and module.called(value.value) == "asyncio.wait":
            for element in pair.elts:
                text = _dotted(element)
                if text is not None:
                    module.collections.add(module.key(text, element))
    for call in adds:
        assert isinstance(call.func, ast.Attribute)
        holder = _dotted(call.func.value)
        item = call.args[0]
        if holder is not None and (
            module.makes_task(item) or module.holds(module.tasks, _dotted(item), item)
        ):
            module.collections.add(module.key(holder, call))


def _holds_tasks(module: _Module, value: ast.AST) -> bool:
    if isinstance(value, ast.List | ast.Set | ast.Tuple):
        return any(module.makes_task(element) for element in value.elts)
    if isinstance(value, ast.ListComp | ast.SetComp | ast.GeneratorExp):
        return module.makes_task(value.elt)
    if isinstance(value, ast.DictComp):
        return module.makes_task(value.value)
    return False


# -- the visitor ------------------------------------------------------------------------------


class _Finder(ast.NodeVisitor):
    def __init__(self, module: _Module) -> None:
        self.m = module
        self.hits: dict[tuple[int, int, str], Hit] = {}
        # for-loop variables bound to the elements of a task collection: name -> keys
        self.bound: list[dict[str, frozenset[str] | None]] = []

    # -- output ------------------------------------------------------------------------------

    def _line(self, lineno: int) -> str:
        return self.m.lines[lineno - 1] if 0 < lineno <= len(self.m.lines) else ""

    def emit(self, idiom: str, lineno: int, col_offset: int, code: str | None = None) -> None:
        line = self._line(lineno)
        # ast columns count UTF-8 bytes; a reader counts characters.
        col = len(line.encode("utf-8")[:col_offset].decode("utf-8", errors="replace")) + 1
        key = (lineno, col, idiom)
        if key not in self.hits:
            self.hits[key] = Hit(lineno, col, idiom, code if code is not None else line.strip())

    def emit_method(self, idiom: str, call: ast.Call) -> None:
        func = call.func
        assert isinstance(func, ast.Attribute)
        # Point at the method's name, not at the start of the receiver.
        if func.end_lineno is not None and func.end_col_offset is not None:
            self.emit(idiom, func.end_lineno, func.end_col_offset - len(func.attr.encode()))
        else:
            self.emit(idiom, call.lineno, call.col_offset)

    # -- calls ---------------------------------------------------------------------------------

    def visit_Call(self, node: ast.Call) -> None:
        m = self.m
        name = m.called(node)
        if name is not None:
            self._function_call(node, name)
        elif isinstance(node.func, ast.Attribute) and m.uses_asyncio:
            self._method_call(node, node.func)
        self.generic_visit(node)

    def _function_call(self, node: ast.Call, name: str) -> None:
        if name in _TASK_MAKERS:
            default = "ensure-future" if name == "asyncio.ensure_future" else "create-task"
            self.emit(self._task_idiom(node, default), node.lineno, node.col_offset)
        elif name == "asyncio.gather":
            self.emit(_gather_idiom(node), node.lineno, node.col_offset)
        elif name in _CALLS:
            self.emit(_CALLS[name], node.lineno, node.col_offset)
        elif name == "contextlib.suppress" and any(
            self.m.qualified(arg) in _CANCELLED for arg in node.args
        ):
            item = self.m.parents.get(node)
            block = self.m.parents.get(item) if isinstance(item, ast.withitem) else None
            own = isinstance(block, ast.With) and _suspends(block.body)
            self.emit(
                "swallow-cancelled" if own else "except-cancelled", node.lineno, node.col_offset
            )

    def _method_call(self, node: ast.Call, func: ast.Attribute) -> None:
        m = self.m
        attr = func.attr
        receiver = func.value
        if m.foreign_module(receiver):
            return  # socket.create_connection, concurrent.futures...: not a loop
        if attr == "create_task":
            if m.is_loop(receiver):
                self.emit(self._task_idiom(node, "create-task"), node.lineno, node.col_offset)
        elif attr in _LOOP_METHODS:
            self.emit_method(_LOOP_METHODS[attr], node)
        elif attr in _STRICT_LOOP_METHODS:
            if m.is_loop(receiver):
                self.emit_method(_STRICT_LOOP_METHODS[attr], node)
        elif attr == "add_done_callback":
            self.emit_method("add-done-callback", node)
        elif attr in {"set_result", "set_exception"}:
            if m.holds(m.futures, _dotted(receiver), receiver):
                self.emit_method("set-result", node)
        elif attr == "cancel":
            self._cancel(node, receiver)

    def _task_idiom(self, call: ast.Call, default: str) -> str:
        """``task-never-awaited`` when the task provably is never awaited, else *default*."""
        m = self.m
        parent = m.parents.get(call)
        if isinstance(parent, ast.Expr):
            return "task-never-awaited"
        holder: str | None = None
        anchor: ast.AST = call
        if isinstance(parent, ast.Assign) and len(parent.targets) == 1:
            holder, anchor = _dotted(parent.targets[0]), parent
        elif isinstance(parent, ast.AnnAssign | ast.NamedExpr):
            holder, anchor = _dotted(parent.target), parent
        elif (
            isinstance(parent, ast.Call)
            and isinstance(parent.func, ast.Attribute)
            and parent.func.attr in _ADDERS
            and call in parent.args
        ):
            holder, anchor = _dotted(parent.func.value), parent
        elif isinstance(parent, ast.ListComp | ast.SetComp | ast.GeneratorExp):
            outer = m.parents.get(parent)
            if isinstance(outer, ast.Assign) and len(outer.targets) == 1:
                holder, anchor = _dotted(outer.targets[0]), outer
        if holder is None:
            return default
        if m.consumed(holder, m.scope_for_text(holder, anchor)):
            return default
        return "task-never-awaited"

    def _cancel(self, node: ast.Call, receiver: ast.AST) -> None:
        m = self.m
        keys = self._task_keys(receiver)
        if keys is None:
            return
        local = all("." not in key for key in keys)
        # The widest place one of the keys lives (a task collection on self: the class).
        wide = [m.scope_for_text(key, node) for key in keys if "." in key]
        scope = m.scope_of(node) if local else wide[0]
        position = (node.lineno, node.col_offset)
        for awaited in m.awaits(scope):
            if local and awaited.position <= position:
                continue  # an await before the cancel does not wait for it
            if awaited.mentions & keys:
                return
        self.emit_method("cancel-not-awaited", node)

    def _task_keys(self, receiver: ast.AST) -> frozenset[str] | None:
        m = self.m
        text = _dotted(receiver)
        if text is not None:
            # The innermost binding wins: a loop variable over a task collection first.
            for frame in reversed(self.bound):
                if text in frame:
                    return frame[text]  # None: a loop variable over something else
            if m.holds(m.tasks, text, receiver):
                return frozenset({text})
            return None
        if isinstance(receiver, ast.Subscript):
            holder = m.is_collection(receiver.value)
            if holder:
                return frozenset({holder})
        return None

    # -- statements ------------------------------------------------------------------------

    def visit_For(self, node: ast.For) -> None:
        self._loop(node)

    def visit_AsyncFor(self, node: ast.AsyncFor) -> None:
        self._loop(node)

    def _loop(self, node: ast.For | ast.AsyncFor) -> None:
        holder = self.m.is_collection(node.iter)
        frame: dict[str, frozenset[str] | None] = {}
        if isinstance(node.target, ast.Name):
            frame[node.target.id] = (
                None if holder is None else frozenset(k for k in (node.target.id, holder) if k)
            )
        self.bound.append(frame)
        self.generic_visit(node)
        self.bound.pop()

    def visit_While(self, node: ast.While) -> None:
        sleeps = [s for s in _top_statements(node.body) if self._is_period_sleep(s)]
        if (
            sleeps
            and len(list(_top_statements(node.body))) > len(sleeps)
            and not _retries(node, sleeps[0])
        ):
            # The loop's header and its sleep, as code: the lines between elided.
            header = self._line(node.lineno)
            margin = len(header) - len(header.lstrip())
            sleep = self._line(sleeps[0].lineno)[margin:]
            body = " " * (len(sleep) - len(sleep.lstrip()))
            code = f"{header.strip()}\n{body}...\n{sleep.rstrip()}"
            self.emit("sleep-loop", node.lineno, node.col_offset, code)
        self.generic_visit(node)

    def _is_period_sleep(self, statement: ast.stmt) -> bool:
        if not (isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Await)):
            return False
        call = statement.value.value
        if not isinstance(call, ast.Call) or self.m.called(call) != "asyncio.sleep":
            return False
        delay = call.args[0] if call.args else None
        if delay is None:
            delay = next((k.value for k in call.keywords if k.arg == "delay"), None)
        # sleep(0) yields to the loop; it is not a period.
        return not (isinstance(delay, ast.Constant) and delay.value == 0)

    def visit_ExceptHandler(self, node: ast.ExceptHandler) -> None:
        if node.type is not None and self._catches_cancelled(node.type):
            raises = any(isinstance(n, ast.Raise) for n in _walk_without_definitions(node.body))
            guarded = self.m.parents.get(node)
            own = isinstance(guarded, ast.Try | ast.TryStar) and _suspends(guarded.body)
            idiom = "swallow-cancelled" if own and not raises else "except-cancelled"
            self.emit(idiom, node.lineno, node.col_offset)
        self.generic_visit(node)

    def _catches_cancelled(self, node: ast.expr) -> bool:
        if isinstance(node, ast.Tuple):
            return any(self._catches_cancelled(e) for e in node.elts)
        return self.m.qualified(node) in _CANCELLED

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        for base in node.bases:
            if self.m.qualified(base) in _PROTOCOLS:
                self.emit("protocol", base.lineno, base.col_offset)
        self.generic_visit(node)


def _gather_idiom(call: ast.Call) -> str:
    for keyword in call.keywords:
        if keyword.arg == "return_exceptions":
            value = keyword.value
            if isinstance(value, ast.Constant) and value.value is True:
                return "gather-return-exceptions"
    return "gather"


def _top_statements(body: Iterable[ast.stmt]) -> Iterator[ast.stmt]:
    """The statements of a loop body, looking into ``try`` and ``with`` blocks, not into
    ``if`` branches or ``except`` handlers (a sleep there is a back-off, not a period)."""
    for statement in body:
        if isinstance(statement, ast.Try | ast.TryStar):
            yield from _top_statements(statement.body)
            yield from _top_statements(statement.orelse)
            yield from _top_statements(statement.finalbody)
        elif isinstance(statement, ast.With | ast.AsyncWith):
            yield from _top_statements(statement.body)
        else:
            yield statement


def _retries(loop: ast.While, sleep: ast.stmt) -> bool:
    """A retry loop, not a periodic one: it breaks out of a ``try`` when the attempt
    succeeds, or its delay changes inside the loop (a back-off)."""
    for statement in loop.body:
        if isinstance(statement, ast.Try | ast.TryStar) and any(
            isinstance(n, ast.Break) for n in _walk_in_loop(statement.body)
        ):
            return True
    delay_names = {n.id for n in ast.walk(sleep) if isinstance(n, ast.Name)}
    for node in _walk_in_loop(loop.body):
        if isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(t, ast.Name) and t.id in delay_names for t in targets):
                return True
    return False


def _walk_in_loop(body: Iterable[ast.stmt]) -> Iterator[ast.AST]:
    """The nodes of a loop body, not those of nested loops or definitions."""
    stack: list[ast.AST] = list(body)
    while stack:
        node = stack.pop()
        yield node
        if not isinstance(node, (ast.For, ast.AsyncFor, ast.While, *_DEFINITIONS)):
            stack.extend(ast.iter_child_nodes(node))


def _suspends(body: Iterable[ast.stmt]) -> bool:
    """Whether *body* has an await, the only place a task's own cancellation can arrive.

    A CancelledError caught around code that never suspends is a cancelled future's
    result (``fut.result()``, ``task.exception()``), not the task being cancelled.
    """
    return any(
        isinstance(n, ast.Await | ast.AsyncFor | ast.AsyncWith)
        for n in _walk_without_definitions(body)
    )


def _walk_without_definitions(body: Iterable[ast.stmt]) -> Iterator[ast.AST]:
    """The nodes of *body*, not those inside a nested function, lambda or class."""
    stack: list[ast.AST] = list(body)
    while stack:
        node = stack.pop()
        yield node
        if not isinstance(node, _DEFINITIONS):
            stack.extend(ast.iter_child_nodes(node))


def scan_source(source: str, *, module: str = "", filename: str = "<string>") -> list[Hit]:
    """The asyncio idioms in *source*, in the order of the file.

    *module* is the dotted name of the module, for its relative imports.

    Error handling
    --------------
    :exc:`SyntaxError` if *source* does not parse (:exc:`ValueError` for NUL bytes).
    """
    tree = ast.parse(source, filename=filename)
    facts = _Module(tree, source.splitlines())
    is_package = Path(filename).name == "__init__.py"
    _collect(facts, module, is_package)
    finder = _Finder(facts)
    finder.visit(tree)
    return sorted(finder.hits.values(), key=lambda h: (h.line, h.col, h.idiom))
