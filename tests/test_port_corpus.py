"""``port`` on code nobody here wrote: reviewed findings pinned; none on Trio's or AnyIO's."""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path

import pytest

from rosetta.port.report import build_report
from tests.port_corpus import CORPORA, Corpus, golden_text

pytestmark = pytest.mark.concept("port")


@pytest.mark.timeout(120)
@pytest.mark.parametrize("corpus", CORPORA, ids=[c.name for c in CORPORA])
def test_findings_on_real_asyncio_code_match_the_reviewed_golden_file(corpus: Corpus) -> None:
    golden = corpus.golden.read_text(encoding="utf-8")
    header = golden.splitlines()[0]
    assert f"({corpus.version()})" in header, (
        f"{corpus.golden.name} was reviewed for {header}; installed: {corpus.version()}. "
        "Review the findings and regenerate with `python -m tests.port_corpus --update`."
    )
    assert golden_text(corpus) == golden


def _imports_asyncio(path: Path) -> bool:
    tree = ast.parse(path.read_bytes())
    for node in ast.walk(tree):
        if isinstance(node, ast.Import) and any(
            a.name.split(".")[0] == "asyncio" for a in node.names
        ):
            return True
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "asyncio":
            return True
    return False


@pytest.mark.timeout(120)
@pytest.mark.parametrize("package", ["trio", "anyio"])
def test_trio_and_anyio_native_code_gives_no_asyncio_findings(package: str) -> None:
    """Every finding in Trio's and AnyIO's own source is in a file that imports asyncio
    (Trio's guest-mode tests, AnyIO's asyncio backend): asyncio code, found as such."""
    spec = importlib.util.find_spec(package)
    assert spec is not None
    assert spec.submodule_search_locations
    root = Path(next(iter(spec.submodule_search_locations)))
    report = build_report([str(root)])
    assert report.errors == []
    assert len(report.files) > 40
    with_findings = {Path(f.path) for f in report.findings}
    native = [p for p in with_findings if not _imports_asyncio(p)]
    assert native == [], f"findings in {package} files that never import asyncio: {native}"
