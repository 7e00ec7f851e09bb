import asyncio


async def work() -> int:
    return 1


async def callbacks() -> None:
    task = asyncio.ensure_future(work())  # port: ensure-future
    task.add_done_callback(print)  # port: add-done-callback
    await task
