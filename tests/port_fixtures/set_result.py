import asyncio
import concurrent.futures


class Waiter:
    def __init__(self) -> None:
        self._loop = asyncio.get_event_loop()  # port: get-event-loop
        self._waiter = self._loop.create_future()  # port: future

    def wake(self) -> None:
        self._waiter.set_result(None)  # port: set-result


def unknown_receiver(fut: "asyncio.Future[int]") -> None:
    # Made elsewhere: not flagged (nothing here says it is a future of this file's).
    fut.set_result(1)


def threads() -> None:
    work: concurrent.futures.Future[int] = concurrent.futures.Future()
    work.set_result(1)


def same_name_other_function() -> None:
    waiter = object()
    print(waiter)
