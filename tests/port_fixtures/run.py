import asyncio as aio

import anyio
import trio


async def main() -> None:
    await aio.sleep(0)


if __name__ == "__main__":
    aio.run(main())  # port: run
    with aio.Runner() as runner:  # port: run
        runner.run(main())
    trio.run(trio.sleep, 0)
    anyio.run(anyio.sleep, 0)
