import asyncio


class Reactor:
    """Not asyncio: a call_soon of its own, in a file that does not import asyncio, is ignored
    (see call_soon_trio_native.py); here it is asyncio's loop."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop

    def later(self) -> None:
        self.loop.call_soon(print, "soon")  # port: call-soon
