import asyncio
import asyncio as aio
from asyncio import create_task as spawn


async def work() -> int:
    return 1


async def awaited_later() -> int:
    task = asyncio.create_task(work())  # port: create-task
    return await task


async def aliased() -> None:
    t = aio.create_task(work())  # port: create-task
    u = spawn(work())  # port: create-task
    await aio.gather(t, u)  # port: gather


async def on_the_loop() -> None:
    loop = asyncio.get_running_loop()  # port: get-event-loop
    task = loop.create_task(work())  # port: create-task
    await task


async def returned() -> asyncio.Task[int]:
    return asyncio.create_task(work())  # port: create-task


async def grouped_is_not_ungrouped() -> None:
    async with asyncio.TaskGroup() as tg:  # port: task-group
        tg.create_task(work())
        keep = tg.create_task(work())
        keep.cancel()


class Holder:
    def __init__(self, group: "asyncio.TaskGroup") -> None:
        self._group = group

    def start(self) -> None:
        # A task group kept on an attribute: not a loop, so not an ungrouped task.
        self._group.create_task(work())
