import asyncio
import asyncio as aio
from asyncio import gather as run_all

import anyio


async def one() -> int:
    return 1


async def plain() -> None:
    await asyncio.gather(one(), one())  # port: gather
    await aio.gather(one(), return_exceptions=False)  # port: gather
    await run_all(one())  # port: gather


async def depends_on_a_variable(flag: bool) -> None:
    # Not a literal True: it may stop at the first failure, so the worse case is reported.
    await asyncio.gather(one(), return_exceptions=flag)  # port: gather


async def anyio_has_its_own() -> None:
    await anyio.gather(one(), one())  # type: ignore[attr-defined]
