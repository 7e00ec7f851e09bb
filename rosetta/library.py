"""The front door for library users: how to use ``shared`` in your own code.

One source for the README's section "Use `shared` in your own code" (between the
``library`` markers, rewritten by ``async-rosetta site --update-readme``; a test
fails when it is stale) and the site's ``library.html``. The README's code blocks
are run by ``tests/test_readme.py``, the program below included, so the page
cannot drift from what ``shared`` does.
"""

from __future__ import annotations

from dataclasses import dataclass

from rosetta.readme import GeneratedSection

__all__ = [
    "INSTALL",
    "INTRO",
    "NOTES",
    "OFFERS",
    "OUTPUT",
    "PROGRAM",
    "PROGRAM_ABOUT",
    "README_END",
    "README_START",
    "TITLE",
    "Offer",
    "readme_is_current",
    "readme_section",
    "replace_readme_section",
    "update_readme",
]

README_START = "<!-- library:start -->"
README_END = "<!-- library:end -->"

TITLE = "Use `shared` in your own code"

INTRO = (
    "`shared` is the backend-agnostic package: asyncio's names (`Future`, `TaskGroup`, "
    "`gather`, `run_in_executor`, `wait_for`, ...) built on AnyIO, so one library runs "
    "unchanged on asyncio, on uvloop and on Trio, whichever loop its caller runs. "
    "Depending on the distribution brings the three concept packages and what they need "
    "(anyio, trio, outcome) and nothing for the command line, which is the `cli` extra."
)

PROGRAM_ABOUT = (
    "This program uses a task group, `gather`, a Future, a timeout and a Timer. Its `main` "
    'runs unchanged under `anyio.run(main, backend="asyncio")`, '
    '`anyio.run(main, backend="trio")`, `asyncio.run(main())` and `trio.run(main)`: the '
    "test suite runs it under all four."
)

#: How to install the library alone (a shell block: the README test does not run it).
INSTALL = 'pip install .  # from a checkout; the command line too: pip install ".[cli]"'

PROGRAM = """\
import anyio

import shared


async def fetch(name: str, seconds: float) -> str:
    await anyio.sleep(seconds)  # stands for any I/O: a request, a query
    return f"{name} ({seconds} s)"


async def main() -> None:
    # A task group: every task belongs to one; the block ends when all of them have.
    async with shared.TaskGroup() as tg:
        slow = tg.create_task(fetch("slow", 0.02))
        fast = tg.create_task(fetch("fast", 0.01))
    print("tasks:", slow.result(), fast.result())

    # gather: results in argument order, each typed by its position.
    first, second = await shared.gather(fetch("first", 0.02), fetch("second", 0.01))
    print("gather:", first, second)

    # A Future: one task sets the result another awaits.
    reply: shared.Future[str] = shared.Future()

    async def answer() -> None:
        reply.set_result(await fetch("reply", 0.01))

    async with shared.TaskGroup() as tg:
        tg.create_task(answer())
        print("future:", await reply)

    # A timeout: the block is cancelled after 0.05 s, and the code after it goes on.
    with shared.move_on_after(0.05) as scope:
        await fetch("too slow", 10)
    print("timeout: cancelled" if scope.cancelled_caught else "timeout: finished")

    # A Timer ticking on a fixed grid, 10 ms apart, three times (ActionScript 3's Timer).
    ticks: list[int] = []
    async with shared.TaskGroup() as tg:
        timer = shared.Timer(
            0.01,
            3,
            task_group=tg,
            on_timer=lambda tick: ticks.append(tick.count),
            missed="burst",  # a tick that a busy machine delays is late, not dropped
        )
        timer.start()
    print("timer:", ticks)


if __name__ == "__main__":
    anyio.run(main)  # or anyio.run(main, backend="trio"), asyncio.run(main()), trio.run(main)
"""

#: What PROGRAM prints, the same under each runner.
OUTPUT = """\
tasks: slow (0.02 s) fast (0.01 s)
gather: first (0.02 s) second (0.01 s)
future: reply (0.01 s)
timeout: cancelled
timer: [1, 2, 3]
"""


@dataclass(frozen=True)
class Offer:
    # Public names of ``shared``, or dotted modules of the distribution beside it
    # (``shared.ftp``, ``common.interface``): what a library can import.
    names: tuple[str, ...]
    what: str


OFFERS: tuple[Offer, ...] = (
    Offer(
        ("Future", "CancelledError", "InvalidStateError"),
        "asyncio's Future (`set_result`, `result`, `cancel`, done callbacks) on any backend.",
    ),
    Offer(
        ("TaskGroup", "Task"),
        "`async with TaskGroup() as tg: tg.create_task(coro)` on an AnyIO task group; "
        "a Task is a Future of its coroutine's result, `task.cancel()` cancels its scope.",
    ),
    Offer(
        ("ensure_future",),
        "a Future or Task passes through, a coroutine becomes a task of `task_group=`.",
    ),
    Offer(
        ("gather",),
        "results in argument order, typed per position; a failure cancels the rest and "
        "waits for them.",
    ),
    Offer(
        ("run_in_executor",),
        "a blocking function on a thread (or your executor), its result as a Future at once.",
    ),
    Offer(
        ("CancelScope", "move_on_after", "fail_after"),
        "a block that can be cancelled, or given a deadline (AnyIO's scopes).",
    ),
    Offer(
        ("wait_for", "shielded"),
        "asyncio's `wait_for` and `shield`: one awaitable with a timeout, or protected "
        "from cancellation.",
    ),
    Offer(
        ("Timer", "Tick"),
        "ActionScript 3's Timer in seconds: ticks on a fixed grid, never drifting.",
    ),
    Offer(
        ("set_interval", "set_timeout", "ScheduledCall"),
        "JavaScript's `setInterval` and `setTimeout`; `clear()` stops them.",
    ),
    Offer(("interval",), "an async iterator of tick numbers on a fixed grid."),
    Offer(
        ("wait_readable", "wait_writable", "recv_some", "send_all"),
        "await a socket's readiness, then read or write it.",
    ),
    Offer(
        ("serve_echo",),
        "a multiplexed echo server with a connection limit and a graceful shutdown.",
    ),
    Offer(
        ("shared.ftp", "common.ftp"),
        "an FTP server: `serve_ftp`, the AnyIO shell, on the sans-I/O protocol core the "
        "three packages share.",
    ),
    Offer(
        ("common.interface",),
        "the Protocols all three packages satisfy, for code that accepts any of them.",
    ),
    Offer(
        ("common.listify",),
        "`ensure_list`: anything as a list (a list itself, an iterable's items, or `[x]`).",
    ),
    Offer(
        ("fromscratch.reactor", "fromscratch.io_models"),
        "a callback reactor on select, poll or epoll, and the echo server in each I/O model, "
        "standard library only.",
    ),
)

NOTES = (
    "Where asyncio and Trio behave differently, `shared` behaves like Trio on every "
    "backend, asyncio included: every task belongs to a task group, cancellation is "
    "level-triggered, `gather` cancels the others when one fails, and every `await` is a "
    "checkpoint. The README's table of differences and each concept's page on the site "
    "list every case, with the test that asserts it."
)


def readme_section() -> str:
    """The Markdown between the README's library markers (markers excluded)."""
    offers = "\n".join(
        f"- {', '.join(f'`{name}`' for name in offer.names)}: {offer.what}" for offer in OFFERS
    )
    return "\n".join(
        [
            f"## {TITLE}",
            "",
            INTRO,
            "",
            "<!-- skip: it installs the package; .ci/run installs it bare and imports it -->",
            "```sh",
            INSTALL,
            "```",
            "",
            PROGRAM_ABOUT,
            "",
            "```python",
            PROGRAM.rstrip("\n"),
            "```",
            "",
            "It prints, under each of the four:",
            "",
            "```text",
            OUTPUT.rstrip("\n"),
            "```",
            "",
            "What `shared` offers:",
            "",
            offers,
            "",
            NOTES,
            "",
            "This section is generated from `rosetta/library.py` "
            "(`async-rosetta site --update-readme`), like the site's library page.",
        ]
    )


# One implementation for the README's generated parts (rosetta.readme).
_README = GeneratedSection(README_START, README_END, readme_section)
replace_readme_section = _README.replace
readme_is_current = _README.is_current
update_readme = _README.update
