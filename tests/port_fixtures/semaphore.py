import asyncio
import threading
from asyncio import BoundedSemaphore

import anyio


def semaphores() -> None:
    a = asyncio.Semaphore(3)  # port: semaphore
    b = BoundedSemaphore(3)  # port: semaphore
    c = threading.Semaphore(3)
    d = anyio.Semaphore(3)
    print(a, b, c, d)
