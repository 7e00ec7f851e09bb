import asyncio
import asyncio as aio

import anyio


async def blocks() -> None:
    async with asyncio.timeout(1):  # port: timeout
        await asyncio.sleep(0)
    loop = asyncio.get_running_loop()  # port: get-event-loop
    async with aio.timeout_at(loop.time() + 1):  # port: timeout
        pass


async def natives() -> None:
    with anyio.move_on_after(1):
        await anyio.sleep(0)
