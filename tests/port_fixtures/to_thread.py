import asyncio
from asyncio import to_thread

import trio


async def blocking() -> None:
    await asyncio.to_thread(print, "x")  # port: to-thread
    await to_thread(print, "y")  # port: to-thread


async def trio_native() -> None:
    await trio.to_thread.run_sync(print, "z")
