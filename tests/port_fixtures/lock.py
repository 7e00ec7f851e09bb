import asyncio
import threading
from asyncio import Condition

import trio


def locks() -> None:
    a = asyncio.Lock()  # port: lock
    b = Condition()  # port: lock
    c = threading.Lock()
    d = trio.Lock()
    print(a, b, c, d)
