import asyncio
from asyncio import CancelledError

import trio


async def reraised() -> None:
    try:
        await asyncio.sleep(1)
    except asyncio.CancelledError:  # port: except-cancelled
        print("cleaning up")
        raise


async def in_a_tuple() -> None:
    try:
        await asyncio.sleep(1)
    except (CancelledError, KeyboardInterrupt) as exc:  # port: except-cancelled
        raise RuntimeError("stopped") from exc


def a_result_not_a_cancellation(fut: "asyncio.Future[int]") -> int:
    # Nothing here suspends, so this is a cancelled future's result, not this task's cancellation.
    try:
        return fut.result()
    except asyncio.CancelledError:  # port: except-cancelled
        return 0


async def trio_native() -> None:
    try:
        await trio.sleep(1)
    except trio.Cancelled:
        raise
