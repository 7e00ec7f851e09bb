import asyncio
from asyncio import TaskGroup

import anyio
import trio


async def work() -> None:
    await asyncio.sleep(0)


async def grouped() -> None:
    async with asyncio.TaskGroup() as tg:  # port: task-group
        tg.create_task(work())
    async with TaskGroup() as tg2:  # port: task-group
        tg2.create_task(work())


async def natives() -> None:
    async with trio.open_nursery() as nursery:
        nursery.start_soon(trio.sleep, 0)
    async with anyio.create_task_group() as group:
        group.start_soon(anyio.sleep, 0)
