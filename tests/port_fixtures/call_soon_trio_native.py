"""A reactor of its own: loop-method names, no asyncio import, so no finding."""


class Reactor:
    def call_soon(self, fn: object) -> None:
        print(fn)

    def add_reader(self, fd: int, fn: object) -> None:
        print(fd, fn)


def use(loop: Reactor) -> None:
    loop.call_soon(print)
    loop.add_reader(0, print)
