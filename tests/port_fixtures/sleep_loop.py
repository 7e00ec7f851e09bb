import asyncio
import asyncio as aio
from asyncio import sleep

import trio


def work() -> None:
    print("tick")


async def periodic(period: float) -> None:
    while True:  # port: sleep-loop
        work()
        await asyncio.sleep(period)


async def aliased(stop: asyncio.Event) -> None:
    while not stop.is_set():  # port: sleep-loop
        try:
            work()
        finally:
            await aio.sleep(0.5)


async def imported_name() -> None:
    n = 0
    while n < 10:  # port: sleep-loop
        n += 1
        await sleep(1)


async def only_sleeps() -> None:
    while True:
        await asyncio.sleep(1)


async def yields_with_zero() -> None:
    while True:
        work()
        await asyncio.sleep(0)


async def back_off() -> None:
    delay = 0.1
    while True:
        work()
        delay = min(delay * 2, 5.0)
        await asyncio.sleep(delay)


async def retry() -> None:
    while True:
        try:
            work()
            break
        except OSError:
            pass
        await asyncio.sleep(1)


async def sleep_in_a_branch(ready: bool) -> None:
    while True:
        work()
        if not ready:
            await asyncio.sleep(1)


async def trio_drifts_too_but_is_not_asyncio() -> None:
    while True:
        work()
        await trio.sleep(1)
