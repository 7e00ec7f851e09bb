import asyncio
from asyncio import shield

import trio


async def cleanup() -> None:
    await asyncio.sleep(0)


async def protected() -> None:
    await asyncio.shield(cleanup())  # port: shield
    await shield(cleanup())  # port: shield


async def trio_native() -> None:
    with trio.CancelScope(shield=True):
        await trio.sleep(0)
