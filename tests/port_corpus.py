"""Real asyncio code nobody here wrote, and ``port``'s reviewed findings on it (golden files).

Each corpus is installed in the test environment: aioftp (pinned in the ``test``
extra), and the standard library's own asyncio package, the helpers of its
asyncio test suite (``test.test_asyncio``'s ``functional`` and ``utils``) and
``unittest``'s asyncio test case. A golden file holds one line per finding,
``path:line:col severity idiom`` with the path inside the corpus, under a header
naming the version it was taken from. After a review of a changed scanner or a
new version, rewrite them with::

    python -m tests.port_corpus --update
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from rosetta.port.report import Report, build_report

__all__ = ["CORPORA", "GOLDEN", "Corpus", "golden_text"]

GOLDEN = Path(__file__).with_name("port_golden")


def _package(name: str) -> Path:
    spec = importlib.util.find_spec(name)  # locates without running the package
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(f"{name} is not installed")
    return Path(next(iter(spec.submodule_search_locations)))


def _stdlib() -> Path:
    return _package("asyncio").parent


@dataclass(frozen=True)
class Corpus:
    name: str
    version: Callable[[], str]  # what the findings depend on
    root: Callable[[], Path]
    paths: tuple[str, ...]  # inside root

    def report(self) -> Report:
        root = self.root()
        return build_report([str(root / p) for p in self.paths])

    @property
    def golden(self) -> Path:
        return GOLDEN / f"{self.name}.txt"


def _python() -> str:
    return "Python " + ".".join(map(str, sys.version_info[:3]))


CORPORA: tuple[Corpus, ...] = (
    Corpus(
        "aioftp",
        lambda: "aioftp " + metadata.version("aioftp"),
        lambda: _package("aioftp"),
        (".",),
    ),
    Corpus("stdlib-asyncio", _python, lambda: _package("asyncio"), (".",)),
    Corpus(
        "stdlib-asyncio-programs",
        _python,
        _stdlib,
        (
            "test/test_asyncio/functional.py",
            "test/test_asyncio/utils.py",
            "unittest/async_case.py",
        ),
    ),
)


def golden_text(corpus: Corpus) -> str:
    root = corpus.root().resolve()
    report = corpus.report()
    if report.errors:
        raise RuntimeError(f"{corpus.name}: {report.errors[0]}")
    counts = ", ".join(f"{n} {s}" for s, n in report.counts().items())
    lines = [
        f"# port findings on {corpus.name} ({corpus.version()}), reviewed; "
        "regenerate with: python -m tests.port_corpus --update",
        f"# {len(report.files)} files, {len(report.findings)} findings: {counts}",
    ]
    for finding in report.findings:
        inside = Path(finding.path).resolve().relative_to(root).as_posix()
        lines.append(f"{inside}:{finding.line}:{finding.col} {finding.severity} {finding.idiom.id}")
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description="port's golden corpus")
    parser.add_argument("--update", action="store_true", help="rewrite the golden files")
    args = parser.parse_args()
    GOLDEN.mkdir(exist_ok=True)
    for corpus in CORPORA:
        text = golden_text(corpus)
        if args.update:
            corpus.golden.write_text(text, encoding="utf-8")
        print(f"{corpus.name}: {text.splitlines()[1].lstrip('# ')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
