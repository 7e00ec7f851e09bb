import asyncio
from asyncio import FIRST_COMPLETED, as_completed, wait


async def one() -> int:
    return 1


async def race() -> None:
    a = asyncio.create_task(one())  # port: create-task
    b = asyncio.create_task(one())  # port: create-task
    done, pending = await wait({a, b}, return_when=FIRST_COMPLETED)  # port: wait
    for task in pending:
        task.cancel()  # port: cancel-not-awaited
    for fut in as_completed([one()]):  # port: wait
        print(await fut)


def not_asyncio(lock: object) -> None:
    import threading

    threading.Event().wait(0)
