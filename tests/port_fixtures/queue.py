import asyncio
from asyncio import LifoQueue, PriorityQueue

import trio


async def queues() -> None:
    q: asyncio.Queue[int] = asyncio.Queue()  # port: queue
    lifo: LifoQueue[int] = LifoQueue(2)  # port: queue
    prio: PriorityQueue[int] = PriorityQueue()  # port: queue
    send, receive = trio.open_memory_channel[int](0)
    print(q, lifo, prio, send, receive)


def annotation_only(q: asyncio.Queue[int]) -> None:
    print(q)
