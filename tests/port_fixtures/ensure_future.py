import asyncio
from asyncio import tasks


async def work() -> int:
    return 1


async def coerce(value: "asyncio.Future[int]") -> int:
    fut = asyncio.ensure_future(value)  # port: ensure-future
    return await fut


async def from_submodule() -> int:
    fut = tasks.ensure_future(work())  # port: ensure-future
    return await fut


async def trio_and_anyio_have_none() -> None:
    import anyio

    async with anyio.create_task_group() as tg:
        tg.start_soon(work)
