import asyncio
from asyncio import Future

import anyio


async def made_here() -> None:
    loop = asyncio.get_running_loop()  # port: get-event-loop
    a = loop.create_future()  # port: future
    b: asyncio.Future[int] = asyncio.Future()  # port: future
    c = Future()  # port: future
    a.set_result(1)  # port: set-result
    b.set_exception(ValueError())  # port: set-result
    c.cancel()


def annotations_are_not_futures(fut: asyncio.Future[int]) -> asyncio.Future[int]:
    return fut


async def anyio_future() -> None:
    fut = anyio.Future()  # type: ignore[attr-defined]
    fut.set_result(1)
