"""Digest two blobs on worker threads, with a heartbeat, the usual asyncio way."""

import asyncio
import hashlib

BLOBS = {"a": b"first blob", "b": b"second blob"}


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:12]


async def heartbeat(period: float, beats: list[float]) -> None:
    loop = asyncio.get_running_loop()
    while True:
        beats.append(loop.time())
        await asyncio.sleep(period)


async def digest_of(name: str) -> tuple[str, str]:
    loop = asyncio.get_running_loop()
    return name, await loop.run_in_executor(None, digest, BLOBS[name])


async def main(period: float = 0.01) -> dict[str, str]:
    beats: list[float] = []
    asyncio.create_task(heartbeat(period, beats))
    try:
        pairs = await asyncio.wait_for(asyncio.gather(*map(digest_of, BLOBS)), timeout=5)
    except asyncio.CancelledError:
        return {}
    return dict(pairs)


if __name__ == "__main__":
    print(asyncio.run(main()))
