"""The index ``port`` reads its answers from: the README's mapping table and the ``differs`` tests.

Neither source is installed: ``README.md`` and ``tests/`` live in the checkout,
not in the wheel. So they are read here once, at development time, into
``rosetta/port/index.json``, which ships as package data, and an installed
``async-rosetta port`` reads only that file. The index is generated, never
edited: ``async-rosetta port --update-index`` rewrites it from the checkout, and
``tests/test_port_catalogue.py`` fails while it differs from what the checkout
would produce, as the README's claims section is kept by ``site --update-readme``.
(Reading the checkout at run time instead would make the command's answers
depend on where it is run from, and leave an installed copy with none.)

What the index holds:

* ``mapping``: every row of the table under :data:`MAPPING_HEADING`, cells as
  written (Markdown code spans included);
* ``differences``: every test marked ``differs`` (parsed with the site's
  :func:`rosetta.site.builder.parse_tests`), with its node id, concept, a one-line
  summary (the docstring's first paragraph), the site anchor of the concept page
  that shows it, and the targets whose expected value differs from asyncio's in
  one of its ``expect(column, {...})`` calls.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from rosetta.port.idioms import TARGETS, Target

__all__ = [
    "INDEX_FILE",
    "MAPPING_HEADING",
    "ROOT",
    "Difference",
    "Index",
    "MappingRow",
    "build_index",
    "index_text",
    "load_index",
    "parse_mapping",
    "update_index",
]

#: The checkout: README.md and tests/ (rosetta/port/ is two levels below it).
ROOT = Path(__file__).resolve().parents[2]
INDEX_FILE = Path(__file__).with_name("index.json")
MAPPING_HEADING = "## Mapping: asyncio ↔ Trio ↔ AnyIO ↔ shared"
_COLUMNS = ("concept", "asyncio", "trio", "anyio", "shared")
#: A `shared` cell meaning "shared adds nothing: use AnyIO's own" (the README says so).
ANYIOS = "(AnyIO's)"
_PACKAGE_OF: dict[Target, str] = {"trio": "impl_trio", "shared": "shared"}


@dataclass(frozen=True)
class MappingRow:
    concept: str
    asyncio: str
    trio: str
    anyio: str
    shared: str

    def equivalent(self, target: Target) -> str:
        if target == "trio":
            return self.trio
        if self.shared == ANYIOS:
            return f"AnyIO's: {self.anyio}"
        return self.shared


@dataclass(frozen=True)
class Difference:
    id: str  # the pytest node id: tests/test_tasks.py::test_...
    name: str
    concept: str
    summary: str
    page: str  # site anchor
    targets: tuple[Target, ...]  # where the expected value is not asyncio's


@dataclass(frozen=True)
class Index:
    mapping: Mapping[str, MappingRow]  # by the first column
    differences: Mapping[str, Difference]  # by test function name


# -- building (in a checkout) ------------------------------------------------------------------


def _cells(line: str) -> list[str]:
    # The table's cells hold no "|" (code spans included), so a plain split is exact.
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def parse_mapping(readme: str) -> list[MappingRow]:
    """The rows of the first table after :data:`MAPPING_HEADING` in *readme*.

    Error handling
    --------------
    :exc:`ValueError` if the heading or the table is missing, or the table does
    not have the five columns concept, asyncio, Trio, AnyIO, shared.
    """
    start = readme.find(MAPPING_HEADING)
    if start < 0:
        raise ValueError(f"README has no {MAPPING_HEADING!r} section")
    lines = readme[start:].splitlines()[1:]
    table: list[str] = []
    for line in lines:
        if line.startswith("|"):
            table.append(line)
        elif table or line.startswith("#"):
            break
    if len(table) < 3:
        raise ValueError(f"no table under {MAPPING_HEADING!r}")
    header = [cell.lower() for cell in _cells(table[0])]
    expected = ["concept", "asyncio", "trio", "anyio", "shared"]
    if len(header) != 5 or not all(want in got for want, got in zip(expected, header, strict=True)):
        raise ValueError(
            f"the mapping table's columns are {header}; expected concept, asyncio, Trio, "
            "AnyIO, shared"
        )
    rows = []
    for line in table[2:]:
        cells = _cells(line)
        if len(cells) != 5:
            raise ValueError(f"mapping row with {len(cells)} cells, not 5: {line}")
        rows.append(MappingRow(*cells))
    return rows


def _summary(docstring: str | None, name: str) -> str:
    if not docstring:
        # The site heads a difference the same way when its test has no docstring.
        words = name.removeprefix("test_").replace("_", " ")
        return words[:1].upper() + words[1:] + "."
    first = re.split(r"\n\s*\n", docstring.strip())[0]
    return " ".join(first.split())


def _targets(expected: Sequence[Sequence[tuple[str, str]]]) -> list[Target]:
    if not expected:
        return list(TARGETS)  # asserted some other way: assume it differs for both
    found: list[Target] = []
    for target in TARGETS:
        for call in expected:
            values = dict(call)
            if values.get(_PACKAGE_OF[target]) != values.get("impl_asyncio"):
                found.append(target)
                break
    return found


def build_index(root: Path = ROOT) -> dict[str, Any]:
    """The index document for the checkout at *root*.

    Error handling
    --------------
    :exc:`FileNotFoundError` naming what is missing when *root* is not a checkout
    (an installed package has no README.md and no tests/); :exc:`ValueError`
    from :func:`parse_mapping`.
    """
    readme = root / "README.md"
    tests = root / "tests"
    if not readme.is_file() or not tests.is_dir():
        raise FileNotFoundError(
            f"{root} is not a checkout of async-rosetta (needs README.md and tests/): "
            "the index is generated from the sources, not from an installed copy"
        )
    # Imported here: the site pulls in pygments and the benches, which scanning never needs.
    from rosetta.concepts import concept_names
    from rosetta.site.builder import parse_tests

    mapping = parse_mapping(readme.read_text(encoding="utf-8"))
    concepts = set(concept_names())
    differences = []
    for test in parse_tests(root).values():
        if not test.differs:
            continue
        page = (
            f"{test.concept}.html#differs-{test.name}"
            if test.concept in concepts
            else f"checks.html#{test.anchor}"
        )
        differences.append(
            {
                "id": test.node_id,
                "name": test.name,
                "concept": test.concept,
                "summary": _summary(test.docstring, test.name),
                "page": page,
                "targets": _targets(test.expected),
            }
        )
    return {
        "about": (
            "Generated by `async-rosetta port --update-index` from README.md's mapping table "
            "and the tests marked differs; do not edit."
        ),
        "mapping": [dict(zip(_COLUMNS, _row_values(row), strict=True)) for row in mapping],
        "differences": differences,
    }


def _row_values(row: MappingRow) -> tuple[str, str, str, str, str]:
    return (row.concept, row.asyncio, row.trio, row.anyio, row.shared)


def index_text(document: Mapping[str, Any]) -> str:
    return json.dumps(document, indent=1, ensure_ascii=False) + "\n"


def update_index(root: Path = ROOT, path: Path = INDEX_FILE) -> bool:
    """Rewrite the index file from the checkout at *root*; True if it changed."""
    text = index_text(build_index(root))
    try:
        old = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        old = None
    if old == text:
        return False
    path.write_text(text, encoding="utf-8")
    return True


# -- loading (anywhere) ----------------------------------------------------------------------


def _parse(document: Mapping[str, Any]) -> Index:
    mapping = {
        str(r["concept"]): MappingRow(*(str(r[c]) for c in _COLUMNS)) for r in document["mapping"]
    }
    differences = {}
    for d in document["differences"]:
        targets = tuple(t for t in TARGETS if t in d["targets"])
        differences[str(d["name"])] = Difference(
            id=str(d["id"]),
            name=str(d["name"]),
            concept=str(d["concept"]),
            summary=str(d["summary"]),
            page=str(d["page"]),
            targets=targets,
        )
    return Index(mapping, differences)


@cache
def load_index() -> Index:
    """The index shipped with the package.

    Error handling
    --------------
    :exc:`RuntimeError` if the file is missing or not the document
    :func:`build_index` writes (a broken install).
    """
    try:
        text = resources.files("rosetta.port").joinpath("index.json").read_text(encoding="utf-8")
        return _parse(json.loads(text))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise RuntimeError(
            f"rosetta/port/index.json is missing or damaged ({exc}); in a checkout, "
            "regenerate it with `async-rosetta port --update-index`"
        ) from exc
