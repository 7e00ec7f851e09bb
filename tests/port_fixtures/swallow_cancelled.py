import asyncio
import asyncio as aio
from contextlib import suppress


async def swallowed() -> str:
    try:
        await asyncio.sleep(1)
    except asyncio.CancelledError:  # port: swallow-cancelled
        return "stopped"
    return "done"


async def aliased() -> None:
    try:
        await aio.sleep(1)
    except aio.CancelledError:  # port: swallow-cancelled
        pass


async def suppressed() -> None:
    with suppress(asyncio.CancelledError):  # port: swallow-cancelled
        await asyncio.sleep(1)


async def raise_in_a_nested_function_does_not_count() -> None:
    try:
        await asyncio.sleep(1)
    except asyncio.CancelledError:  # port: swallow-cancelled

        def later() -> None:
            raise RuntimeError

        print(later)


async def other_exceptions() -> None:
    try:
        await asyncio.sleep(1)
    except ValueError:
        pass
