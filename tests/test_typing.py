"""The public API's types, as a library user's type checker sees them.

``gather`` carries typeshed's overloads for ``asyncio.gather`` in all three packages:
each awaitable's result type, by position, for up to six awaitables. The
``assert_type`` lines below are checked by ``mypy`` (the suite's own type check);
:func:`test_mypy_sees_precise_gather_types` runs mypy on a user's snippet, so the
suite itself fails if the overloads go.
"""

from __future__ import annotations

import asyncio
import textwrap
from pathlib import Path
from typing import assert_type

import anyio
import anyio.lowlevel
import pytest
import trio

import impl_asyncio
import impl_trio
import shared

pytestmark = pytest.mark.concept("tasks")

ROOT = Path(__file__).resolve().parent.parent


async def _number() -> int:
    await anyio.lowlevel.checkpoint()
    return 1


async def _text() -> str:
    await anyio.lowlevel.checkpoint()
    return "a"


async def _fails() -> bytes:
    await anyio.lowlevel.checkpoint()
    raise ValueError("no bytes")


async def _impl_asyncio() -> None:
    pair = await impl_asyncio.gather(_number(), _text())
    assert_type(pair, tuple[int, str])
    mixed = await impl_asyncio.gather(_number(), _fails(), return_exceptions=True)
    assert_type(mixed, tuple[int | BaseException, bytes | BaseException])
    many = await impl_asyncio.gather(*[_number() for _ in range(8)])
    assert_type(many, list[int])
    assert list(pair) == [1, "a"]
    assert mixed[0] == 1
    assert isinstance(mixed[1], ValueError)
    assert many == [1] * 8


async def _impl_trio() -> None:
    pair = await impl_trio.gather(_number(), _text())
    assert_type(pair, tuple[int, str])
    mixed = await impl_trio.gather(_number(), _fails(), return_exceptions=True)
    assert_type(mixed, tuple[int | BaseException, bytes | BaseException])
    many = await impl_trio.gather(*[_number() for _ in range(8)])
    assert_type(many, list[int])
    assert list(pair) == [1, "a"]
    assert mixed[0] == 1
    assert isinstance(mixed[1], ValueError)
    assert many == [1] * 8


async def _shared() -> None:
    pair = await shared.gather(_number(), _text())
    assert_type(pair, tuple[int, str])
    mixed = await shared.gather(_number(), _fails(), return_exceptions=True)
    assert_type(mixed, tuple[int | BaseException, bytes | BaseException])
    many = await shared.gather(*[_number() for _ in range(8)])
    assert_type(many, list[int])
    assert list(pair) == [1, "a"]
    assert mixed[0] == 1
    assert isinstance(mixed[1], ValueError)
    assert many == [1] * 8


def test_gather_results_have_the_types_declared() -> None:
    """The values behind the ``assert_type`` lines, in each package's own loop."""
    asyncio.run(_impl_asyncio())
    trio.run(_impl_trio)
    anyio.run(_shared, backend="asyncio")
    anyio.run(_shared, backend="trio")


@pytest.mark.timeout(300)  # mypy, cold, analyses anyio and trio: 30 s or more on a busy machine
def test_mypy_sees_precise_gather_types(tmp_path: Path) -> None:
    api = pytest.importorskip("mypy.api", reason="mypy is in the [dev] extra")
    snippet = tmp_path / "user.py"
    snippet.write_text(
        textwrap.dedent(
            """
            import impl_asyncio, impl_trio, shared

            async def number() -> int:
                return 1

            async def text() -> str:
                return "a"

            async def main() -> None:
                reveal_type(await impl_asyncio.gather(number(), text()))
                reveal_type(await impl_asyncio.gather(number(), text(), return_exceptions=True))
                reveal_type(await impl_asyncio.gather(*[number(), number()]))
                reveal_type(await impl_trio.gather(number(), text()))
                reveal_type(await impl_trio.gather(number(), text(), return_exceptions=True))
                reveal_type(await impl_trio.gather(*[number(), number()]))
                reveal_type(await shared.gather(number(), text()))
                reveal_type(await shared.gather(number(), text(), return_exceptions=True))
                reveal_type(await shared.gather(*[number(), number()]))
            """
        ),
        encoding="utf-8",
    )
    stdout, stderr, status = api.run(
        ["--strict", "--no-error-summary", f"--cache-dir={ROOT / '.mypy_cache'}", str(snippet)]
    )
    assert status == 0, stdout + stderr
    revealed = [line.split("Revealed type is ", 1)[1] for line in stdout.splitlines()]
    assert (
        revealed
        == [
            '"tuple[int, str]"',
            '"tuple[int | BaseException, str | BaseException]"',
            '"list[int]"',
        ]
        * 3
    ), stdout
