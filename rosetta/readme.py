"""Generated parts of the README: text between two HTML comments, written by code.

The claims (:mod:`rosetta.site.claims`), the library program (:mod:`rosetta.library`)
and the porting walk-through (:mod:`rosetta.port.walkthrough`) each own one such part;
their tests fail when it is stale, and ``--update-readme`` rewrites it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["GeneratedSection"]


@dataclass(frozen=True)
class GeneratedSection:
    """The README text between *start* and *end*, as *render* writes it."""

    start: str
    end: str
    render: Callable[[], str]
    _pattern: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        pattern = re.compile(re.escape(self.start) + r".*?" + re.escape(self.end), re.DOTALL)
        object.__setattr__(self, "_pattern", pattern)

    def replace(self, text: str) -> str:
        """*text* with this section rendered anew.

        Error handling
        --------------
        :exc:`ValueError` if the markers are missing or out of order.
        """
        if not self._pattern.search(text):
            raise ValueError(f"the README has no {self.start} ... {self.end} section")
        block = f"{self.start}\n{self.render()}\n{self.end}"
        return self._pattern.sub(lambda _: block, text, count=1)

    def is_current(self, path: Path) -> bool:
        text = path.read_text(encoding="utf-8")
        return self.replace(text) == text

    def update(self, path: Path) -> bool:
        """Rewrite this section of the README at *path*; True if it changed."""
        text = path.read_text(encoding="utf-8")
        new = self.replace(text)
        if new == text:
            return False
        path.write_text(new, encoding="utf-8")
        return True
