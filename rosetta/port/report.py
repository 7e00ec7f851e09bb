"""Findings: a scanner hit joined with the catalogue and the index, for the chosen targets."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from rosetta.concepts import get_concept
from rosetta.port.idioms import SEVERITIES, TARGETS, Idiom, Severity, Target, get_idiom, severity
from rosetta.port.index import Difference, Index, load_index
from rosetta.port.scan import Hit, ScanError, iter_python_files, scan_file

__all__ = [
    "Finding",
    "Report",
    "build_report",
    "differences_for",
    "equivalent",
    "make_finding",
    "targets_of",
]


def targets_of(choice: str) -> tuple[Target, ...]:
    """``--to``'s value as targets: ``trio``, ``shared`` or ``both``."""
    if choice == "both":
        return TARGETS
    if choice in TARGETS:
        return (choice,)
    raise ValueError(f"unknown target {choice!r}; choose from trio, shared, both")


def equivalent(idiom: Idiom, target: Target, index: Index) -> str:
    """The idiom's equivalent for *target*: its mapping rows' cells, joined.

    Error handling
    --------------
    :exc:`RuntimeError` if a row the catalogue names is not in the index (the
    consistency test prevents that in a release).
    """
    cells = []
    for label in idiom.mapping:
        row = index.mapping.get(label)
        if row is None:
            raise RuntimeError(f"idiom {idiom.id}: no mapping row {label!r} in the index")
        cells.append(row.equivalent(target))
    if target == "trio" and idiom.concept and idiom.names and all(c == "—" for c in cells):
        # Trio itself has none; impl_trio has the concept's API (the same as shared's).
        module = get_concept(idiom.concept).module.removesuffix(".py")
        names = ", ".join(f"`{name}`" for name in idiom.names)
        return f"none in Trio itself; in this project, `impl_trio.{module}`: {names}"
    return "; ".join(cells)


def differences_for(idiom: Idiom, targets: Iterable[Target], index: Index) -> list[Difference]:
    """The idiom's cited differences that assert something for one of *targets*."""
    wanted = set(targets)
    found = []
    for name in idiom.differences:
        difference = index.differences.get(name)
        if difference is None:
            raise RuntimeError(f"idiom {idiom.id}: no differs test {name!r} in the index")
        if wanted & set(difference.targets):
            found.append(difference)
    return found


@dataclass(frozen=True)
class Finding:
    path: str
    line: int
    col: int
    idiom: Idiom
    severity: Severity
    code: str  # the user's line
    equivalents: dict[Target, str]  # the chosen targets only
    differences: tuple[Difference, ...]

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}:{self.col}"

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "line": self.line,
            "col": self.col,
            "idiom": self.idiom.id,
            "concept": self.idiom.concept,
            "severity": self.severity,
            "asyncio": self.code,
            "trio": self.equivalents.get("trio"),
            "shared": self.equivalents.get("shared"),
            "differences": [d.id for d in self.differences],
            "page": self.idiom.page,
        }


def make_finding(path: str, hit: Hit, targets: Sequence[Target], index: Index) -> Finding:
    idiom = get_idiom(hit.idiom)
    differences = differences_for(idiom, targets, index)
    applying = {t for d in differences for t in d.targets}
    return Finding(
        path=path,
        line=hit.line,
        col=hit.col,
        idiom=idiom,
        severity=severity(idiom, targets, applying),
        code=hit.code,
        equivalents={t: equivalent(idiom, t, index) for t in targets},
        differences=tuple(differences),
    )


@dataclass
class Report:
    targets: tuple[Target, ...]
    files: list[str] = field(default_factory=list)  # scanned (read and parsed)
    findings: list[Finding] = field(default_factory=list)
    errors: list[ScanError] = field(default_factory=list)

    def by_file(self) -> dict[str, list[Finding]]:
        grouped: dict[str, list[Finding]] = {}
        for finding in self.findings:
            grouped.setdefault(finding.path, []).append(finding)
        return grouped

    def counts(self) -> dict[Severity, int]:
        counted = Counter(f.severity for f in self.findings)
        return {s: counted[s] for s in SEVERITIES}

    def summary(self) -> str:
        """One line: how many findings of each severity in how many files."""
        files = len(self.files)
        noun = "file" if files == 1 else "files"
        if not self.findings:
            line = f"no asyncio idioms found in {files} {noun}"
        else:
            counts = ", ".join(f"{n} {s}" for s, n in self.counts().items() if n)
            with_findings = len(self.by_file())
            line = (
                f"{len(self.findings)} finding{'s' if len(self.findings) != 1 else ''} "
                f"in {with_findings} of {files} {noun}: {counts}"
            )
        to = " and ".join("Trio" if t == "trio" else "shared" for t in self.targets)
        line += f" (porting to {to})"
        if self.errors:
            bad = len(self.errors)
            line += f"; {bad} file{'s' if bad != 1 else ''} could not be scanned"
        return line

    def to_json(self) -> dict[str, Any]:
        return {"files": len(self.files), "findings": [f.to_json() for f in self.findings]}


def build_report(
    paths: Sequence[str], targets: Sequence[Target] = TARGETS, index: Index | None = None
) -> Report:
    """Scan *paths* (files, or directories walked for ``*.py``) and join each hit with its answers.

    A file that cannot be read or parsed goes to :attr:`Report.errors` and the scan
    goes on. The paths must exist (the command refuses missing ones first).
    """
    index = index if index is not None else load_index()
    report = Report(tuple(targets))
    for path in iter_python_files(paths):
        scanned = scan_file(path)
        if scanned.error is not None:
            report.errors.append(scanned.error)
            continue
        report.files.append(path)
        report.findings.extend(make_finding(path, hit, targets, index) for hit in scanned.hits)
    return report
