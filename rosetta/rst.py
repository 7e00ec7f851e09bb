"""Docstrings as what they are, reStructuredText, read with docutils.

The site shows them through docutils' HTML writer (:func:`to_html`); ``show``
draws the same document tree in the terminal with rich (:func:`to_rich`): docutils
has no plain-text writer, so the tree is walked here, one rich renderable per
block (paragraph, list, table, literal block, section).

Docstrings use Sphinx's Python roles (``:class:``, ``:func:``, ``:exc:``, ...),
which plain docutils does not know; they are registered here as inline code
showing their target (``:class:`~shared.futures.Future``` shows ``Future``, as
Sphinx does). A single-backquoted `name` is inline code too, not a title
reference. Markup errors never stop a page: docutils' reports are silenced and
the text they concern is kept as written.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

from docutils import nodes
from docutils.core import publish_doctree, publish_parts
from docutils.parsers.rst import roles
from docutils.writers import html5_polyglot
from rich import box
from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.measure import Measurement
from rich.padding import Padding
from rich.rule import Rule
from rich.syntax import Syntax
from rich.table import Table
from rich.text import Text

__all__ = ["PYTHON_ROLES", "HangingCode", "to_html", "to_rich"]

#: Sphinx's Python-domain roles that docstrings here use, shown as inline code.
PYTHON_ROLES: tuple[str, ...] = (
    "attr",
    "class",
    "const",
    "data",
    "exc",
    "func",
    "meth",
    "mod",
    "obj",
)

# Docstrings are read, not published: no report may reach stderr, none may stop it.
_SETTINGS: dict[str, Any] = {
    "report_level": 5,
    "halt_level": 5,
    "warning_stream": False,
    "doctitle_xform": False,  # "Error handling" with its underline stays a section
    "sectsubtitle_xform": False,
    "file_insertion_enabled": False,  # a docstring cannot pull files in
    "raw_enabled": False,
    "syntax_highlight": "none",
    "input_encoding": "unicode",
}

_N = TypeVar("_N", bound=nodes.Node)

_PREAMBLE = ".. default-role:: literal\n\n"  # `name`: inline code, as in the docstrings


def _python_role(
    name: str,
    rawtext: str,
    text: str,
    lineno: int,
    inliner: object,
    options: dict[str, Any] | None = None,
    content: Sequence[str] = (),
) -> tuple[list[nodes.Node], list[nodes.system_message]]:
    target = text.strip()
    shown = target.lstrip("!")
    if shown.startswith("~"):  # Sphinx: show the last component only
        shown = shown[1:].rsplit(".", 1)[-1]
    explicit = re.fullmatch(r"(.+?)\s*<[^>]+>", shown)  # "title <target>"
    if explicit:
        shown = explicit.group(1)
    return [nodes.literal(rawtext, shown)], []


for _role in PYTHON_ROLES:
    roles.register_local_role(_role, _python_role)  # type: ignore[arg-type]
    roles.register_local_role(f"py:{_role}", _python_role)  # type: ignore[arg-type]


def _doctree(text: str) -> nodes.document:
    return publish_doctree(_PREAMBLE + text, settings_overrides=_SETTINGS)


# -- HTML: docutils' own writer -------------------------------------------------------------


def to_html(text: str, *, id_prefix: str = "", header_level: int = 4) -> str:
    """*text* as an HTML fragment from docutils' HTML5 writer.

    *id_prefix* keeps the ids of several docstrings on one page apart (a section
    title becomes an id); section titles start at ``<h{header_level}>``.
    """
    settings = {
        **_SETTINGS,
        "id_prefix": id_prefix,
        "initial_header_level": header_level,
        "embed_stylesheet": False,
        "stylesheet_path": "",
        "math_output": "HTML",
    }
    parts = publish_parts(
        _PREAMBLE + text, writer=html5_polyglot.Writer(), settings_overrides=settings
    )
    return str(parts["fragment"]).strip()


# -- the terminal: the tree, drawn with rich ----------------------------------------------------

_CODE_THEME = "ansi_dark"  # the terminal's own palette: readable on dark and light backgrounds
_INLINE_STYLES = {
    nodes.literal: "bold",
    nodes.emphasis: "italic",
    nodes.strong: "bold",
    nodes.title_reference: "italic",
}


def _children(node: nodes.Element, kind: type[_N]) -> list[_N]:
    """The children of *node* of type *kind* (``findall`` would search the whole subtree)."""
    return [child for child in node.children if isinstance(child, kind)]


def _inline(node: nodes.Element) -> Text:
    text = Text()
    for child in node.children:
        if isinstance(child, nodes.system_message):
            continue
        if isinstance(child, nodes.Text):
            text.append(str(child).replace("\n", " "))
        elif isinstance(child, nodes.reference) and child.get("refuri"):
            label = child.astext()
            text.append(label, style="underline")
            if child["refuri"] != label:
                text.append(f" ({child['refuri']})")
        elif isinstance(child, nodes.footnote_reference):
            text.append(f"[{child.astext()}]")
        elif isinstance(child, nodes.Element):
            start = len(text)
            text.append_text(_inline(child))
            style = next((s for t, s in _INLINE_STYLES.items() if isinstance(child, t)), "")
            if style:
                text.stylize(style, start, len(text))
    return text


def _list_table(items: Iterator[tuple[str, nodes.Element]]) -> Table:
    """Bullets or numbers beside their items: continuation lines stay under the item."""
    grid = Table.grid(padding=(0, 1, 0, 0))
    grid.add_column(no_wrap=True)
    grid.add_column(ratio=1)
    for marker, item in items:
        grid.add_row(marker, Group(*_spaced(item.children)))
    return grid


def _table(node: nodes.table) -> Table:
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, expand=True)
    head = next(node.findall(nodes.thead), None)
    body = next(node.findall(nodes.tbody), None)
    columns = len(list(node.findall(nodes.colspec)))
    head_rows = list(head.findall(nodes.row)) if head is not None else []
    titles = [entry.astext() for entry in head_rows[0].findall(nodes.entry)] if head_rows else []
    for index in range(columns):
        # fold: a long identifier breaks across lines; the table is never cut off
        table.add_column(titles[index] if index < len(titles) else "", overflow="fold")
    if not head_rows:
        table.show_header = False
    for row in body.findall(nodes.row) if body is not None else ():
        cells: list[RenderableType] = [
            Group(*_spaced(entry.children)) for entry in _children(row, nodes.entry)
        ]
        table.add_row(*cells)
    return table


def _block(node: nodes.Node) -> RenderableType | None:
    if isinstance(node, nodes.paragraph):
        return _inline(node)
    if isinstance(node, nodes.section):
        title = node.next_node(nodes.title)
        heading = Text(title.astext() if title is not None else "", style="bold underline")
        rest = [child for child in node.children if not isinstance(child, nodes.title)]
        return Group(heading, *_spaced(rest))
    if isinstance(node, nodes.bullet_list):
        return _list_table(("•", item) for item in _children(node, nodes.list_item))
    if isinstance(node, nodes.enumerated_list):
        start = int(node.get("start", 1))
        items = _children(node, nodes.list_item)
        return _list_table((f"{start + index}.", item) for index, item in enumerate(items))
    if isinstance(node, nodes.literal_block | nodes.doctest_block):
        return HangingCode(node.astext())
    if isinstance(node, nodes.table):
        return _table(node)
    if isinstance(node, nodes.definition_list):
        parts: list[RenderableType] = []
        for item in _children(node, nodes.definition_list_item):
            term = item.next_node(nodes.term)
            parts.append(_inline(term) if term is not None else Text())
            definition = item.next_node(nodes.definition)
            if definition is not None:
                parts.append(Padding(Group(*_spaced(definition.children)), (0, 0, 0, 4)))
        return Group(*parts)
    if isinstance(node, nodes.field_list):
        grid = Table.grid(padding=(0, 1, 0, 0))
        grid.add_column(style="bold", no_wrap=True)
        grid.add_column(ratio=1)
        for field in _children(node, nodes.field):
            name, body = field.children[0], field.children[1]
            grid.add_row(name.astext() + ":", Group(*_spaced(body.children)))
        return grid
    if isinstance(node, nodes.block_quote | nodes.Admonition | nodes.line_block):
        return Padding(Group(*_spaced(node.children)), (0, 0, 0, 4))
    if isinstance(node, nodes.line):
        return _inline(node)
    if isinstance(node, nodes.transition):
        return Rule(style="dim")
    if isinstance(
        node,
        nodes.system_message | nodes.comment | nodes.target | nodes.substitution_definition,
    ):
        return None
    if isinstance(node, nodes.TextElement):
        return _inline(node)
    if isinstance(node, nodes.Element):
        return Group(*_spaced(node.children))
    return Text(node.astext())


def _spaced(children: Sequence[nodes.Node]) -> list[RenderableType]:
    """The blocks of *children*, a blank line between two."""
    out: list[RenderableType] = []
    for child in children:
        block = _block(child)
        if block is None:
            continue
        if out:
            out.append(Text())
        out.append(block)
    return out


def to_rich(text: str) -> RenderableType:
    """*text* drawn for the terminal: prose wraps to the width it gets, code keeps its
    indentation, tables are laid out as tables, roles are inline code."""
    return Group(*_spaced(_doctree(text).children))


class HangingCode:
    """Python source, highlighted, that wraps with a hanging indent.

    Rich's own wrapping restarts a long line at the left edge, where it reads as
    a new statement. Here a line that does not fit continues under its own
    indentation plus four columns (as the site's code does), with the line number,
    if shown, only on its first row.
    """

    def __init__(
        self,
        source: str,
        *,
        line_numbers: bool = False,
        start_line: int = 1,
        theme: str = _CODE_THEME,
        highlight: Callable[[str], Text] | None = None,
    ) -> None:
        self.source = source.rstrip("\n")
        self.line_numbers = line_numbers
        self.start_line = start_line
        syntax = Syntax(self.source, "python", theme=theme, background_color="default")
        self._highlight = highlight or syntax.highlight

    def _lines(self) -> list[Text]:
        lines = self._highlight(self.source).split("\n", allow_blank=True)
        while len(lines) > 1 and not lines[-1].plain.strip():
            lines.pop()
        return list(lines)

    def _gutter(self, count: int) -> int:
        return len(str(self.start_line + count - 1)) + 1 if self.line_numbers else 0

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        lines = self._lines()
        widest = max((line.cell_len for line in lines), default=0) + self._gutter(len(lines))
        return Measurement(min(widest, 24), widest).clamp(max_width=options.max_width)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        lines = self._lines()
        gutter = self._gutter(len(lines))
        width = max(1, options.max_width - gutter)
        for number, line in enumerate(lines, self.start_line):
            plain = line.plain
            indent = len(plain) - len(plain.lstrip(" "))
            rows = [line]
            if line.cell_len > width:
                hang = min(indent + 4, width // 2)
                body = line[indent:]
                pieces = body.wrap(console, max(1, width - hang), overflow="fold")
                rows = [Text(" " * min(indent, width - 1)) + pieces[0]]
                rows += [Text(" " * hang) + piece for piece in pieces[1:]]
            for index, row in enumerate(rows):
                if gutter:
                    label = f"{number:>{gutter - 1}} " if index == 0 else " " * gutter
                    row = Text(label, style="dim") + row
                row.no_wrap = True
                row.overflow = "fold"
                yield row
