import asyncio
import threading

import anyio
import trio


def events() -> None:
    a = asyncio.Event()  # port: event
    b = threading.Event()
    c = trio.Event()
    d = anyio.Event()
    print(a, b, c, d)
