"""The JSON every ``async-rosetta bench`` writes, so results of all benches compare.

Schema::

    {"bench": str,
     "machine": {"cpu": str, "cores": int, "python": str, "platform": str, "packages": {...}},
     "rows": [{"column": str, "workload": str, "metric": str, "value": float, "unit": str}],
     "quick": bool}

One row is one number. Derived numbers (ratios) are rows too, with a metric such
as ``"ratio_vs_asyncio"`` and unit ``"x"``, so a reader never recomputes them.
Settings are rows of column ``"*"`` (the counts a run used among them).
``"quick"`` is true for a ``--quick`` run (counts divided by 10: a smoke test, not
a measurement); files written before it existed lack it, and readers take them as
full runs.
"""

from __future__ import annotations

import json
import os
import platform
import sys
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

__all__ = ["PACKAGES", "Row", "check_output_path", "machine_info", "write_json"]

# The distributions whose versions decide the numbers.
PACKAGES: tuple[str, ...] = ("async-rosetta", "anyio", "trio", "uvloop", "outcome", "sniffio")


@dataclass(frozen=True)
class Row:
    """One measured or derived number."""

    column: str
    workload: str
    metric: str
    value: float
    unit: str


def _cpu_model() -> str:
    # /proc/cpuinfo names the CPU on Linux; platform.processor() is often empty there.
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _version(distribution: str) -> str | None:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return None


def machine_info() -> dict[str, Any]:
    """What a reader needs to judge whether two result files are comparable."""
    affinity = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else None
    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "usable_cores": len(affinity) if affinity is not None else os.cpu_count(),
        "python": sys.version.split()[0],
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "packages": {name: _version(name) for name in PACKAGES},
    }


def check_output_path(option: str, path: Path, *, suffix: str | None = None) -> str | None:
    """Why ``OPTION PATH`` could not be written at the end of a run, or None if it can.

    Checked before any work starts, so a typo does not cost a whole benchmark run:
    the directory must exist already (nothing is created) and be writable, the path
    must not be a directory, and with *suffix* it must end in it.
    """
    where = f"{option} {path}"
    if suffix is not None and path.suffix.lower() != suffix:
        return f"{where}: the file name must end in {suffix}"
    if path.is_dir():
        return f"{where}: is a directory; give a file name"
    parent = path.parent
    if not parent.is_dir():
        return f"{where}: the directory {parent} does not exist (it is not created)"
    if not os.access(parent, os.W_OK | os.X_OK) or (path.exists() and not os.access(path, os.W_OK)):
        return f"{where}: not writable"
    return None


def write_json(
    path: str | os.PathLike[str], bench: str, rows: Iterable[Row], *, quick: bool = False
) -> None:
    """Write *rows* of *bench* with :func:`machine_info` to *path* (indented, UTF-8);
    *quick* marks a ``--quick`` run."""
    document = {
        "bench": bench,
        "machine": machine_info(),
        "rows": [asdict(row) for row in rows],
        "quick": quick,
    }
    Path(path).write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
