import asyncio
from asyncio import wait_for as within

import trio


async def one() -> int:
    return 1


async def limited() -> None:
    await asyncio.wait_for(one(), timeout=1)  # port: wait-for
    await within(one(), 2)  # port: wait-for


async def trio_native() -> None:
    with trio.fail_after(1):
        await trio.sleep(0)
