"""The JSON every ``async-rosetta bench`` writes, so results of all benches compare.

Schema::

    {"bench": str,
     "machine": {"cpu": str, "cores": int, "python": str, "platform": str, "packages": {...}},
     "rows": [{"column": str, "workload": str, "metric": str, "value": float, "unit": str}]}

One row is one number. Derived numbers (ratios) are rows too, with a metric such
as ``"ratio_vs_asyncio"`` and unit ``"x"``, so a reader never recomputes them.
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

__all__ = ["PACKAGES", "Row", "machine_info", "write_json"]

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


def write_json(path: str | os.PathLike[str], bench: str, rows: Iterable[Row]) -> None:
    """Write *rows* of *bench* with :func:`machine_info` to *path* (indented, UTF-8)."""
    document = {
        "bench": bench,
        "machine": machine_info(),
        "rows": [asdict(row) for row in rows],
    }
    Path(path).write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
