import asyncio
import contextlib


async def work() -> None:
    await asyncio.sleep(1)


async def cancelled_and_left() -> None:
    task = asyncio.create_task(work())  # port: task-never-awaited
    await asyncio.sleep(0)
    task.cancel()  # port: cancel-not-awaited


async def cancelled_and_awaited() -> None:
    task = asyncio.create_task(work())  # port: create-task
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):  # port: swallow-cancelled
        await task


async def awaited_before_is_not_after() -> None:
    task = asyncio.create_task(work())  # port: create-task
    await asyncio.wait_for(asyncio.shield(task), 1)  # port: wait-for shield
    task.cancel()  # port: cancel-not-awaited


async def all_of_them() -> None:
    tasks = asyncio.all_tasks()
    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)  # port: gather-return-exceptions


def sync_shutdown(loop: asyncio.AbstractEventLoop) -> None:
    pending = asyncio.all_tasks(loop)
    for t in pending:
        t.cancel()
    loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))  # port: run-until-complete gather-return-exceptions


def not_tasks(handle: asyncio.TimerHandle, scope: object) -> None:
    handle.cancel()
    for task in [handle]:
        task.cancel()


async def same_name_elsewhere() -> None:
    task = object()
    print(task)
