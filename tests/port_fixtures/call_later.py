import asyncio


async def delayed() -> None:
    loop = asyncio.get_running_loop()  # port: get-event-loop
    handle = loop.call_later(1.0, print, "later")  # port: call-later
    loop.call_at(loop.time() + 2, print, "at")  # port: call-later
    handle.cancel()
