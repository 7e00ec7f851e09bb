"""The same program on shared: it runs unchanged on asyncio and on Trio."""

import hashlib
import sys

import anyio

from shared.cancellation import wait_for
from shared.executors import run_in_executor
from shared.tasks import TaskGroup, gather
from shared.timers import interval

BLOBS = {"a": b"first blob", "b": b"second blob"}


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:12]


async def heartbeat(period: float, beats: list[float]) -> None:
    async for _ in interval(period):  # tick n at start + n periods: no drift
        beats.append(anyio.current_time())


async def digest_of(name: str) -> tuple[str, str]:
    return name, await run_in_executor(None, digest, BLOBS[name])


async def main(period: float = 0.01) -> dict[str, str]:
    beats: list[float] = []
    async with TaskGroup() as tg:  # the heartbeat belongs to this block
        beat = tg.create_task(heartbeat(period, beats))
        try:
            pairs = await wait_for(gather(*map(digest_of, BLOBS)), 5)
        finally:
            beat.cancel()  # the group waits for it to stop
    return dict(pairs)


if __name__ == "__main__":
    print(anyio.run(main, backend=sys.argv[1] if len(sys.argv) > 1 else "asyncio"))
