import asyncio
from asyncio import ensure_future

background: set[asyncio.Task[int]] = set()


async def work() -> int:
    return 1


async def fire_and_forget() -> None:
    asyncio.create_task(work())  # port: task-never-awaited
    ensure_future(work())  # port: task-never-awaited


async def kept_in_a_set() -> None:
    task = asyncio.create_task(work())  # port: task-never-awaited
    background.add(task)
    task.add_done_callback(background.discard)  # port: add-done-callback


async def kept_and_awaited() -> None:
    tasks = []
    for _ in range(3):
        tasks.append(asyncio.create_task(work()))  # port: create-task
    await asyncio.gather(*tasks)  # port: gather


async def comprehension_awaited() -> None:
    tasks = [asyncio.create_task(work()) for _ in range(3)]  # port: create-task
    await asyncio.wait(tasks)  # port: wait


async def comprehension_never() -> None:
    tasks = [asyncio.create_task(work()) for _ in range(3)]  # port: task-never-awaited
    print(len(tasks))


class Service:
    def start(self) -> None:
        loop = asyncio.get_event_loop()  # port: get-event-loop
        self._task = loop.create_task(work())  # port: task-never-awaited

    def stop(self) -> None:
        self._task.cancel()  # port: cancel-not-awaited


class AwaitedElsewhere:
    def start(self) -> None:
        self._task = asyncio.create_task(work())  # port: create-task

    async def wait_closed(self) -> None:
        await self._task


async def handed_on(sink: list[asyncio.Task[int]]) -> None:
    t = asyncio.create_task(work())  # port: create-task
    register(t)


def register(task: asyncio.Task[int]) -> None:
    print(task)
