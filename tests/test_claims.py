"""The claims table of ``rosetta/site/claims.py``: well formed, its checks exist, README current.

Also the checks no other test covers: facts about the standard library's asyncio
and ``select`` that the source text states, run directly on this Python (not in the
six columns).
"""

from __future__ import annotations

import asyncio
import re
import select
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Coroutine, Generator
from pathlib import Path
from typing import Any

import pytest

from common.listify import ensure_list
from rosetta.bench import BENCHES
from rosetta.site.claims import (
    CLAIMS,
    README_END,
    README_START,
    SECTIONS,
    VERDICTS,
    readme_is_current,
    readme_section,
    replace_readme_section,
)

ROOT = Path(__file__).resolve().parent.parent


# -- the table itself --------------------------------------------------------------------------


def test_every_claim_is_well_formed() -> None:
    ids = [claim.id for claim in CLAIMS]
    assert len(ids) == len(set(ids)), "claim ids must be unique"
    sections = {section.id for section in SECTIONS}
    for claim in CLAIMS:
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", claim.id), claim.id
        assert claim.section in sections, claim.id
        assert claim.verdict in VERDICTS, claim.id
        assert claim.checks, f"{claim.id}: no check"
        assert bool(claim.correction) == (claim.verdict in ("holds, with a correction", "wrong")), (
            f"{claim.id}: a correction goes with, and only with, a corrected or wrong verdict"
        )
        pending = [check.kind == "pending" for check in claim.checks]
        if claim.verdict == "not checked here — pending":
            assert claim.section == "io", f"{claim.id}: only I/O multiplexing may be pending"
            assert all(pending), claim.id
        else:
            assert not any(pending), f"{claim.id}: a verdict needs a check that exists now"
        for reference in claim.references:
            assert reference.url.startswith("https://"), claim.id


def test_every_section_has_claims_and_every_verdict_is_used_as_intended() -> None:
    for section in SECTIONS:
        assert any(claim.section == section.id for claim in CLAIMS), section.id
    verdicts = {claim.verdict for claim in CLAIMS}
    assert {"holds", "holds, with a correction", "wrong"} <= verdicts


def test_every_bench_check_names_a_bench() -> None:
    for claim in CLAIMS:
        for check in claim.checks:
            if check.kind == "bench":
                assert check.target in BENCHES, f"{claim.id}: no bench {check.target!r}"


def _collected_node_ids(files: set[str]) -> set[str]:
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", *sorted(files)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return {line.strip() for line in result.stdout.splitlines() if "::" in line}


def test_every_test_check_is_a_collected_node_id() -> None:
    """Each test a claim cites is collected by pytest: a node id with parameters must
    be collected as written, one without must have at least one parametrization."""
    checks = [
        (claim.id, check) for claim in CLAIMS for check in claim.checks if check.kind == "test"
    ]
    files = {check.test_file for _, check in checks}
    for name in files:
        assert (ROOT / name).is_file(), name
    collected = _collected_node_ids(files)
    for claim_id, check in checks:
        found = check.target in collected or any(
            node.startswith(check.target + "[") for node in collected
        )
        assert found, f"{claim_id}: {check.target} is not a collected test"


def test_readme_claims_section_is_current() -> None:
    readme = ROOT / "README.md"
    assert readme_is_current(readme), (
        "README's claims section is stale: run `async-rosetta site --update-readme`"
    )


def test_replacing_the_section_keeps_the_rest_and_needs_the_markers() -> None:
    text = f"before\n{README_START}\nold\n{README_END}\nafter\n"
    new = replace_readme_section(text)
    assert new.startswith(f"before\n{README_START}\n")
    assert new.endswith(f"\n{README_END}\nafter\n")
    assert readme_section() in new
    assert replace_readme_section(new) == new
    with pytest.raises(ValueError, match="claims:start"):
        replace_readme_section("no markers here")


# -- facts about the standard library's asyncio -------------------------------------------------


def run(coro: Coroutine[Any, Any, None]) -> None:
    asyncio.run(coro, debug=True)


def test_coroutines_interleave_on_one_thread() -> None:
    """While one coroutine waits, the other runs; both on the loop's only thread."""
    events: list[tuple[str, int]] = []

    async def waiter(fut: asyncio.Future[str]) -> None:
        events.append(("waiting", threading.get_ident()))
        events.append((await fut, threading.get_ident()))

    async def worker(fut: asyncio.Future[str]) -> None:
        events.append(("working", threading.get_ident()))
        await asyncio.sleep(0.01)
        fut.set_result("woken")

    async def main() -> None:
        fut = asyncio.get_running_loop().create_future()
        async with asyncio.TaskGroup() as tg:
            tg.create_task(waiter(fut))
            tg.create_task(worker(fut))

    run(main())
    assert [name for name, _ in events] == ["waiting", "working", "woken"]
    assert {thread for _, thread in events} == {threading.get_ident()}


def test_asyncio_future_keeps_its_state_in_state() -> None:
    """``_state`` is PENDING, then FINISHED or CANCELLED; the public view is done()/cancelled()."""

    async def main() -> None:
        finished: asyncio.Future[int] = asyncio.Future()
        cancelled: asyncio.Future[int] = asyncio.Future()
        assert (finished._state, cancelled._state) == ("PENDING", "PENDING")
        finished.set_result(1)
        cancelled.cancel()
        assert (finished._state, cancelled._state) == ("FINISHED", "CANCELLED")
        assert finished.done()
        assert cancelled.done()
        assert cancelled.cancelled()
        assert await finished == 1
        with pytest.raises(asyncio.CancelledError):
            await cancelled

    run(main())


def test_asyncio_task_subclasses_future_and_awaits_like_one() -> None:
    async def main() -> None:
        task = asyncio.create_task(asyncio.sleep(0))
        fut: asyncio.Future[None] = asyncio.Future()
        assert issubclass(asyncio.Task, asyncio.Future)
        assert isinstance(task, asyncio.Future)
        # Awaiting either gives the same iterator: the Future's (C: _asyncio.FutureIter).
        task_iter: Generator[Any, None, None] = task.__await__()
        future_iter: Generator[Any, None, None] = fut.__await__()
        assert type(task_iter) is type(future_iter)
        fut.cancel()
        await task

    run(main())
    # The pure-Python classes say the same without the C accelerator: no __await__ of its own.
    from asyncio import futures, tasks

    py_task, py_future = vars(tasks)["_PyTask"], vars(futures)["_PyFuture"]
    assert py_task.__await__ is py_future.__await__


def test_what_a_task_inherits_from_future_and_what_it_adds() -> None:
    """Read from the pure-Python classes (the C accelerator re-declares every method)."""
    from asyncio import futures, tasks

    py_task, py_future = vars(tasks)["_PyTask"], vars(futures)["_PyFuture"]
    inherited = ["result", "exception", "done", "cancelled", "get_loop"]
    inherited += ["add_done_callback", "remove_done_callback"]
    for name in inherited:
        assert getattr(py_task, name) is getattr(py_future, name), name
    assert py_task.cancel is not py_future.cancel
    for name in ("cancelling", "uncancel", "get_coro"):
        assert hasattr(asyncio.Task, name)
        assert not hasattr(asyncio.Future, name)

    steps: list[str] = []

    async def two_steps() -> None:
        steps.append("first step")
        await asyncio.sleep(0)
        steps.append("second step")

    async def main() -> None:
        task = asyncio.create_task(two_steps())
        assert steps == []
        await asyncio.sleep(0)  # one turn of the loop: the task's first step
        assert steps == ["first step"]
        await task
        assert steps == ["first step", "second step"]

    run(main())


def test_calling_a_coroutine_function_runs_nothing() -> None:
    ran: list[str] = []

    async def work() -> None:
        ran.append("ran")

    coro = work()
    assert asyncio.iscoroutine(coro)
    assert ran == []
    coro.close()  # never awaited: closed, so no "never awaited" warning
    assert ran == []


def test_a_future_belongs_to_the_running_loop() -> None:
    async def main() -> None:
        fut: asyncio.Future[None] = asyncio.Future()
        assert fut.get_loop() is asyncio.get_running_loop()
        fut.cancel()

    run(main())


def test_run_until_complete_on_a_bare_future() -> None:
    """The source's example 3-16: a Future, a coroutine that sets it, run_until_complete(fut)."""
    started: list[bool] = []

    async def main(fut: asyncio.Future[str]) -> None:
        started.append(True)
        await asyncio.sleep(0.01)
        fut.set_result("I have finished.")

    loop = asyncio.new_event_loop()
    try:
        fut: asyncio.Future[str] = asyncio.Future(loop=loop)
        assert fut.get_loop() is loop
        assert not fut.done()
        task = loop.create_task(main(fut))
        assert started == []  # scheduled, not started: the loop is not running
        loop.run_until_complete(fut)
        assert started == [True]
        assert fut.done()
        assert fut.result() == "I have finished."
        loop.run_until_complete(task)
    finally:
        loop.close()


def test_asyncio_task_refuses_set_result_and_set_exception() -> None:
    """RuntimeError since Python 3.7 (bpo-32363), not 3.8."""

    async def main() -> None:
        task: asyncio.Task[Any] = asyncio.create_task(asyncio.sleep(0, "slept"))
        with pytest.raises(RuntimeError, match="Task does not support set_result"):
            task.set_result(1)
        with pytest.raises(RuntimeError, match="Task does not support set_exception"):
            task.set_exception(ValueError())
        assert await task == "slept"  # the result came from the coroutine

    run(main())


def test_asyncio_task_requires_a_coroutine() -> None:
    async def main() -> None:
        with pytest.raises(TypeError, match="a coroutine was expected"):
            asyncio.Task(asyncio.sleep)  # type: ignore[arg-type]  # the bad input under test

    run(main())


def test_create_task_and_loop_create_task_make_tasks_of_the_running_loop() -> None:
    async def answer() -> int:
        return 42

    async def main() -> None:
        loop = asyncio.get_running_loop()
        by_function = asyncio.create_task(answer())
        by_loop = loop.create_task(answer())
        assert type(by_function) is type(by_loop)
        assert by_function.get_loop() is by_loop.get_loop() is loop
        assert (await by_function, await by_loop) == (42, 42)

    run(main())


def test_ensure_future_on_a_coroutine_is_create_task() -> None:
    ran: list[str] = []

    async def record(name: str) -> str:
        ran.append(name)
        return name

    async def main() -> None:
        loop = asyncio.get_running_loop()
        created = loop.create_task(record("create_task"))
        ensured = asyncio.ensure_future(record("ensure_future"))
        assert type(ensured) is type(created)
        assert isinstance(ensured, asyncio.Task)
        assert ran == []  # both scheduled, neither started
        await asyncio.sleep(0)
        assert ran == ["create_task", "ensure_future"]  # both ran without being awaited
        assert asyncio.ensure_future(created) is created
        fut = loop.create_future()
        assert asyncio.ensure_future(fut) is fut
        fut.cancel()
        assert (await created, await ensured) == ("create_task", "ensure_future")

    run(main())


def test_ensure_list_and_ensure_future_coerce_alike() -> None:
    """The source's listify analogy: both pass their target type through untouched and
    wrap the rest; ensure_future refuses what is not awaitable."""

    async def main() -> None:
        items = [1, 2]
        assert ensure_list(items) is items
        assert ensure_list((1, 2)) == [1, 2]
        assert ensure_list(42) == [42]
        task = asyncio.create_task(asyncio.sleep(0))
        assert asyncio.ensure_future(task) is task
        with pytest.raises(TypeError, match="awaitable is required"):
            asyncio.ensure_future(42)  # type: ignore[call-overload]  # noqa: RUF006 - bad input
        await task

    run(main())


def test_gather_coerces_with_ensure_future() -> None:
    """Coroutines become new Tasks, Futures are used as they are, and a bad argument
    fails with ensure_future's own message."""

    async def whose_task() -> asyncio.Task[Any] | None:
        return asyncio.current_task()

    async def main() -> None:
        me = asyncio.current_task()
        fut = asyncio.get_running_loop().create_future()
        fut.set_result("as it is")
        first, second, third = await asyncio.gather(whose_task(), fut, whose_task())
        assert isinstance(first, asyncio.Task)
        assert isinstance(third, asyncio.Task)
        assert len({id(me), id(first), id(third)}) == 3
        assert second == "as it is"
        with pytest.raises(TypeError) as from_ensure_future:
            asyncio.ensure_future(42)  # type: ignore[call-overload]  # noqa: RUF006 - bad input
        with pytest.raises(TypeError) as from_gather:
            await asyncio.gather(42)  # type: ignore[call-overload]  # the bad input under test
        assert str(from_gather.value) == str(from_ensure_future.value)

    run(main())


def test_asyncio_functions_that_take_awaitables() -> None:
    """gather, shield, wait_for and as_completed take coroutines; wait has refused them
    since Python 3.11."""

    async def answer() -> int:
        return 42

    async def main() -> None:
        assert list(await asyncio.gather(answer())) == [42]
        assert await asyncio.shield(answer()) == 42
        assert await asyncio.wait_for(answer(), 1) == 42
        assert [await f for f in asyncio.as_completed([answer()])] == [42]
        coro = answer()
        with pytest.raises(TypeError, match="coroutines is forbidden"):
            await asyncio.wait([coro])  # type: ignore[type-var]  # the refusal under test
        coro.close()
        done, _ = await asyncio.wait([asyncio.ensure_future(answer())])
        assert [t.result() for t in done] == [42]

    run(main())


# -- facts about the standard library's select ---------------------------------------------------


def test_select_takes_three_sets_and_returns_the_ready_subsets() -> None:
    """``select.select(read, write, exceptional, timeout)``: with nothing ready it returns
    three empty lists once the timeout passes; otherwise the ready subset of each list.
    TCP urgent data (``MSG_OOB``) is an exceptional condition."""
    idle, idle_peer = socket.socketpair()
    with (
        idle,
        idle_peer,
        socket.create_server(("127.0.0.1", 0)) as listener,
        socket.create_connection(listener.getsockname(), timeout=5) as sender,
        listener.accept()[0] as receiver,
    ):
        started = time.monotonic()
        assert select.select([receiver, idle], [], [receiver, idle], 0.05) == ([], [], [])
        assert time.monotonic() - started >= 0.04  # it waited for the timeout

        sender.send(b"data")
        sender.send(b"!", socket.MSG_OOB)
        deadline = time.monotonic() + 5
        while True:  # loopback delivers at once, but do not rely on it
            readable, writable, exceptional = select.select(
                [receiver, idle], [sender], [receiver, idle], 1
            )
            if exceptional or time.monotonic() > deadline:
                break
        assert readable == [receiver]
        assert writable == [sender]
        assert exceptional == [receiver]
        assert receiver.recv(1, socket.MSG_OOB) == b"!"
