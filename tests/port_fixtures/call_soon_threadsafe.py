import asyncio
import threading


def from_a_thread(loop: asyncio.AbstractEventLoop) -> None:
    loop.call_soon_threadsafe(print, "hello")  # port: call-soon-threadsafe


async def main() -> None:
    loop = asyncio.get_running_loop()  # port: get-event-loop
    threading.Thread(target=from_a_thread, args=(loop,)).start()
