"""``port`` cites only what exists: concepts, public names, mapping rows, differs tests, pages.

The catalogue (rosetta/port/idioms.py) names things; the generated index
(rosetta/port/index.json) carries the README's mapping table and the differs
tests to an installed copy. These tests fail when either drifts from the sources.
"""

from __future__ import annotations

import importlib
import json
import re
from pathlib import Path
from typing import Any

import pytest

from rosetta.concepts import concept_names, get_concept, load_sources
from rosetta.port.idioms import IDIOMS, SEVERITIES, TARGETS, Idiom, get_idiom, severity
from rosetta.port.index import INDEX_FILE, ROOT, build_index, index_text, load_index
from rosetta.port.report import build_report, differences_for
from rosetta.site.builder import BuildOptions, build, parse_tests

pytestmark = pytest.mark.concept("port")

FIXTURES = Path(__file__).with_name("port_fixtures")


def test_the_shipped_index_is_what_the_checkout_generates() -> None:
    assert INDEX_FILE.read_text(encoding="utf-8") == index_text(build_index(ROOT)), (
        "rosetta/port/index.json is stale: run `async-rosetta port --update-index`"
    )


def test_the_index_holds_every_differs_test_and_the_whole_mapping_table() -> None:
    index = load_index()
    differs = {t.name: t for t in parse_tests(ROOT).values() if t.differs}
    assert set(index.differences) == set(differs)
    for name, difference in index.differences.items():
        assert difference.id == differs[name].node_id
        assert difference.concept == differs[name].concept
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for label, row in index.mapping.items():
        assert f"| {label} | {row.asyncio} | {row.trio} | {row.anyio} | {row.shared} |" in readme


@pytest.mark.parametrize("idiom", IDIOMS, ids=[i.id for i in IDIOMS])
def test_the_concept_and_public_names_an_idiom_cites_exist(idiom: Idiom) -> None:
    if idiom.concept is None:
        assert idiom.names == (), "public names without a concept module to hold them"
        return
    assert idiom.concept in concept_names()
    for source in load_sources(get_concept(idiom.concept)):
        missing = [n for n in idiom.names if n not in source.names]
        assert not missing, f"{idiom.id}: {missing} not in {source.path}'s __all__"


@pytest.mark.parametrize("idiom", IDIOMS, ids=[i.id for i in IDIOMS])
def test_the_mapping_rows_and_differs_tests_an_idiom_cites_exist(idiom: Idiom) -> None:
    index = load_index()
    assert idiom.mapping, f"{idiom.id} cites no mapping row"
    for label in idiom.mapping:
        assert label in index.mapping, f"{idiom.id}: no mapping row {label!r} in the README"
    tests = parse_tests(ROOT)
    for name in idiom.differences:
        same_name = [t for t in tests.values() if t.name == name]
        assert len(same_name) == 1, f"{idiom.id}: {name} names {len(same_name)} tests"
        [test] = same_name
        assert test.differs, f"{idiom.id}: {test.node_id} is not marked differs"
        assert test.docstring, f"{test.node_id}: a cited difference needs a docstring to quote"


def test_severity_follows_the_asserted_differences() -> None:
    index = load_index()
    for idiom in IDIOMS:
        for target in TARGETS:
            applying = {t for d in differences_for(idiom, (target,), index) for t in d.targets}
            value = severity(idiom, (target,), applying)
            if idiom.base(target) == "rewrite":
                assert value == "rewrite"
            else:
                assert value == ("breaks" if target in applying else "rename"), idiom.id
    # Both targets: the worse of the two.
    gather = get_idiom("gather")
    assert severity(gather, ("trio",), set()) == "rewrite"
    assert severity(gather, TARGETS, {"shared"}) == "breaks"
    assert SEVERITIES.index("breaks") < SEVERITIES.index("rewrite") < SEVERITIES.index("rename")


def test_a_difference_is_cited_only_for_the_targets_it_differs_on() -> None:
    index = load_index()
    for idiom in IDIOMS:
        for target in TARGETS:
            for difference in differences_for(idiom, (target,), index):
                assert target in difference.targets, (idiom.id, difference.name, target)
        # Every difference an idiom names is cited for each target it differs on.
        for name in idiom.differences:
            difference = index.differences[name]
            for target in difference.targets:
                assert difference in differences_for(idiom, (target,), index), (idiom.id, name)


_QUALIFIED = re.compile(r"\b((?:trio|anyio)(?:\.[A-Za-z_][A-Za-z0-9_]*)+)")


def _resolve(dotted: str) -> object:
    parts = dotted.split(".")
    obj: object = importlib.import_module(parts[0])
    for depth, part in enumerate(parts[1:], start=2):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            obj = importlib.import_module(".".join(parts[:depth]))
    return obj


def test_every_trio_and_anyio_name_in_the_mapping_table_exists() -> None:
    names: set[str] = set()
    for row in load_index().mapping.values():
        for cell in (row.trio, row.anyio, row.shared):
            for span in re.findall(r"`([^`]+)`", cell):
                names.update(m.rstrip(".") for m in _QUALIFIED.findall(span))
    assert "trio.open_nursery" in names
    assert "anyio.to_thread.run_sync" in names
    for name in sorted(names):
        try:
            _resolve(name)
        except (ImportError, AttributeError) as exc:
            pytest.fail(f"the mapping table names {name}, which does not exist ({exc})")


def _fixture_findings() -> list[dict[str, Any]]:
    report = build_report([str(FIXTURES)])
    assert report.errors == []
    findings: list[dict[str, Any]] = report.to_json()["findings"]
    return findings


def test_every_finding_cites_a_concept_test_id_and_page_that_exist() -> None:
    findings = _fixture_findings()
    assert {f["idiom"] for f in findings} == {i.id for i in IDIOMS}
    differs = {t.node_id for t in parse_tests(ROOT).values() if t.differs}
    for finding in findings:
        assert finding["concept"] is None or finding["concept"] in concept_names()
        assert set(finding["differences"]) <= differs
        if finding["severity"] == "breaks":
            assert finding["differences"], finding
        if finding["severity"] == "rename":
            assert not finding["differences"], finding


@pytest.fixture(scope="module")
def site_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    outdir = tmp_path_factory.mktemp("site")
    build(BuildOptions(outdir=outdir))
    return outdir


def _anchors(page: Path) -> set[str]:
    return set(re.findall(r'\bid="([^"]+)"', page.read_text(encoding="utf-8")))


def test_every_page_a_finding_or_a_difference_links_exists_in_the_built_site(
    site_dir: Path,
) -> None:
    links = {f["page"] for f in _fixture_findings()}
    links |= {d.page for d in load_index().differences.values()}
    links |= {f"porting.html#idiom-{i.id}" for i in IDIOMS}
    for link in sorted(str(link) for link in links):
        page, _, anchor = link.partition("#")
        assert (site_dir / page).is_file(), f"{link}: no page {page}"
        if anchor:
            assert anchor in _anchors(site_dir / page), f"{link}: no anchor #{anchor}"


def test_the_porting_page_links_only_inside_the_site(site_dir: Path) -> None:
    page = site_dir / "porting.html"
    text = page.read_text(encoding="utf-8")
    assert 'aria-current="page">Porting<' in text
    for href in re.findall(r'href="([^"]+)"', text):
        target, _, anchor = href.partition("#")
        resolved = page if not target else (site_dir / target)
        assert resolved.is_file(), href
        if anchor:
            assert anchor in _anchors(resolved), href


def test_the_json_page_field_is_the_idioms_page() -> None:
    for finding in _fixture_findings():
        idiom = get_idiom(str(finding["idiom"]))
        assert finding["page"] == idiom.page
        expected = json.loads(json.dumps(finding))
        assert expected == finding  # plain JSON types only
