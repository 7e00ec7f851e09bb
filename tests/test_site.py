"""``async-rosetta site``: the pages, their links and images, and the layout in a real browser.

The browser is Debian's ``chromium``, headless (``.ci/run`` installs it), one
process for all pages, driven over ``--remote-debugging-pipe``. Without it these
tests fail in CI (``CI`` set) and are skipped elsewhere. The layout is read twice:
from the cells' boxes in the browser, and from screenshots, where every cell has
a top border in its package's colour (:data:`rosetta.site.pages.PACKAGE_COLORS`): three
colours on one pixel row mean side by side, one colour per row means stacked.
The screenshots of a concept page are kept in ``tests/_artifacts/``.
"""

from __future__ import annotations

import base64
import contextlib
import html
import json
import os
import re
import select
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest
from PIL import Image

from rosetta import library
from rosetta.bench.schema import Row, write_json
from rosetta.columns import column_names
from rosetta.concepts import CONCEPTS, PACKAGES, Segment, load_sources, parse_module, row_names
from rosetta.site.builder import BuildOptions, build, parse_tests
from rosetta.site.claims import CLAIMS
from rosetta.site.pages import PACKAGE_COLORS, STACK_BELOW_PX
from rosetta.site.text import prose, split_docstring

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "tests" / "_artifacts"
SCREENSHOT_CONCEPT = "futures"

pytestmark = pytest.mark.concept("site")


# -- building ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def site_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A site built with saved matrix results and a bench directory (JSON + a PNG)."""
    inputs = tmp_path_factory.mktemp("inputs")
    matrix = inputs / "matrix.json"
    matrix.write_text(
        json.dumps(
            {
                "date": "2001-02-03T04:05:06+00:00",
                "columns": column_names(),
                "concepts": {
                    c.name: dict.fromkeys(column_names(), "pass") | {"trio": "FAIL"}
                    for c in CONCEPTS
                },
            }
        ),
        encoding="utf-8",
    )
    bench = inputs / "bench"
    bench.mkdir()
    write_json(
        bench / "timers.json",
        "timers",
        [
            Row("*", "config", "ticks", 100, "ticks"),
            Row("asyncio", "idle/naive", "drift_last_tick", 12.5, "ms"),
            Row("asyncio", "idle/timer", "drift_last_tick", 0.125, "ms"),
        ],
    )
    write_json(
        bench / "futures.json",
        "futures",
        [
            Row("asyncio", "wakeup", "time_per_op", 8.25, "us"),
            Row("trio", "wakeup", "ratio_vs_asyncio", 2.5, "x"),
            Row("trio", "spawn", "time_per_op", 20.0, "us"),
        ],
    )
    Image.new("RGB", (320, 200), "white").save(bench / "timers.png")
    out = tmp_path_factory.mktemp("site")
    build(BuildOptions(out, matrix_path=matrix, bench_dir=bench))
    return out


def html_pages(site: Path) -> list[Path]:
    return sorted(site.rglob("*.html"))


class Links(HTMLParser):
    """Every href and src of a page, its ids, the row/cell structure, and its script tags."""

    def __init__(self) -> None:
        super().__init__()
        self.refs: list[tuple[str, str, str]] = []  # (tag, attribute, value)
        self.ids: set[str] = set()
        self.rows: dict[str, list[str]] = {}  # concept page: row id -> cell package classes
        self.scripts = 0
        self.title = ""
        self._row: str | None = None
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if "id" in values:
            self.ids.add(values["id"])
        for attribute in ("href", "src"):
            if attribute in values:
                self.refs.append((tag, attribute, values[attribute]))
        classes = values.get("class", "").split()
        if tag == "section" and "row" in classes:
            self._row = values["id"]
            self.rows[self._row] = []
        if tag == "article" and "cell" in classes and self._row is not None:
            self.rows[self._row] += [c for c in classes if c.startswith("pkg-")]
        self.scripts += tag == "script"
        self._in_title = tag == "title"

    def handle_endtag(self, tag: str) -> None:
        self._in_title = False

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data


def parse(path: Path) -> Links:
    links = Links()
    links.feed(path.read_text(encoding="utf-8"))
    return links


def test_every_concept_has_a_page_with_one_row_per_public_name(site_dir: Path) -> None:
    expected_cells = [f"pkg-{p.name}" for p in PACKAGES]
    for concept in CONCEPTS:
        links = parse(site_dir / f"{concept.name}.html")
        names = row_names(load_sources(concept))
        assert list(links.rows) == ["module", *(f"name-{n}" for n in names)]
        for row, cells in links.rows.items():
            assert cells == expected_cells, f"{concept.name} {row}: {cells}"


def test_every_link_and_image_resolves_inside_the_site(site_dir: Path) -> None:
    pages = html_pages(site_dir)
    parsed = {page: parse(page) for page in pages}
    for page, links in parsed.items():
        assert links.scripts == 0, f"{page}: no JavaScript"
        assert links.title.endswith("· async-rosetta"), page
        for tag, attribute, value in links.refs:
            url = urlsplit(value)
            if url.scheme:
                # Outside addresses are citations to click, never resources to load.
                assert (tag, attribute, url.scheme) == ("a", "href", "https"), (page, value)
                continue
            assert not value.startswith("/"), f"{page}: {value} is not relative"
            target = (page.parent / unquote(url.path)).resolve() if url.path else page
            assert target.is_file(), f"{page.relative_to(site_dir)}: broken {value}"
            assert site_dir.resolve() in target.parents, f"{page}: {value} leaves the site"
            if url.fragment and target.suffix == ".html":
                ids = parsed[target].ids if target in parsed else parse(target).ids
                assert url.fragment in ids, f"{page.relative_to(site_dir)}: no #{url.fragment}"
            if tag == "img":
                with Image.open(target) as image:
                    image.verify()


def test_index_shows_matrix_concepts_and_plots(site_dir: Path) -> None:
    index = (site_dir / "index.html").read_text(encoding="utf-8")
    assert "2001-02-03T04:05:06+00:00" in index
    assert '<td class="m-fail">FAIL</td>' in index
    for concept in CONCEPTS:
        assert f'href="{concept.name}.html"' in index
    assert 'src="bench/timers.png"' in index
    assert (site_dir / "matrix.json").is_file()


def test_concept_pages_show_their_bench_rows(site_dir: Path) -> None:
    timers = (site_dir / "timers.html").read_text(encoding="utf-8")
    assert "idle/naive" in timers
    assert "12.50" in timers
    assert 'src="bench/timers.png"' in timers
    futures = (site_dir / "futures.html").read_text(encoding="utf-8")
    assert "8.25" in futures
    assert "2.50\u00d7" in futures  # a ratio, with a multiplication sign
    assert "spawn" not in futures  # the tasks page's workload
    assert "spawn" in (site_dir / "tasks.html").read_text(encoding="utf-8")


def test_without_results_the_pages_say_how_to_produce_them(tmp_path: Path) -> None:
    build(BuildOptions(tmp_path))
    index = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert "No saved results" in index
    assert "--matrix-json" in index
    assert "async-rosetta bench timers --json" in index
    assert "async-rosetta bench futures --json" in (tmp_path / "futures.html").read_text()


def test_quick_runs_are_labelled_and_old_files_still_read(tmp_path: Path) -> None:
    bench = tmp_path / "bench"
    bench.mkdir()
    write_json(bench / "timers.json", "timers", [Row("asyncio", "idle/timer", "x", 1, "ms")])
    write_json(
        bench / "futures.json",
        "futures",
        [Row("asyncio", "wakeup", "time_per_op", 8.25, "us")],
        quick=True,
    )
    old = bench / "c10k.json"  # written before the marker existed: no "quick" key
    write_json(old, "c10k", [Row("asyncio", "storm", "connections_ok", 10, "conn")])
    document = json.loads(old.read_text(encoding="utf-8"))
    del document["quick"]
    old.write_text(json.dumps(document), encoding="utf-8")
    out = tmp_path / "site"
    build(BuildOptions(out, bench_dir=bench))
    label = "A <code>--quick</code> run"
    assert label in (out / "futures.html").read_text(encoding="utf-8")
    assert label not in (out / "timers.html").read_text(encoding="utf-8")
    index = (out / "index.html").read_text(encoding="utf-8")
    assert index.count(label) == 1  # futures, not timers nor the old c10k file
    assert "c10k.json" in index


def test_the_library_page_is_the_readmes_section(site_dir: Path) -> None:
    text = (site_dir / "library.html").read_text(encoding="utf-8")
    assert "Use <code>shared</code> in your own code" in text
    plain = html.unescape(re.sub(r"<[^>]+>", "", text))  # the code is highlighted
    for line in library.PROGRAM.splitlines():
        assert line.strip() in plain
    assert library.OUTPUT in plain
    for offer in library.OFFERS:
        for name in offer.names:
            assert f"<code>{name}</code>" in text
    assert 'href="library.html"' in (site_dir / "index.html").read_text(encoding="utf-8")


def test_every_difference_links_to_its_test(site_dir: Path) -> None:
    tests = parse_tests(ROOT)
    differing = [t for t in tests.values() if t.differs]
    assert differing
    for test in differing:
        if not any(c.name == test.concept for c in CONCEPTS):
            continue
        page = (site_dir / f"{test.concept}.html").read_text(encoding="utf-8")
        assert f'href="checks.html#{test.anchor}"' in page, test.node_id
    checks = parse(site_dir / "checks.html")
    assert {t.anchor for t in differing} <= checks.ids


def test_the_claims_page_has_every_claim_with_its_verdict(site_dir: Path) -> None:
    links = parse(site_dir / "claims.html")
    text = (site_dir / "claims.html").read_text(encoding="utf-8")
    for claim in CLAIMS:
        assert claim.id in links.ids
        assert claim.verdict in text
    assert "bpo-32363" in text


def test_the_site_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from rosetta.cli import main
    from rosetta.site.claims import README_END, README_START

    assert main(["site"]) == 2  # neither OUTDIR nor --update-readme
    assert "OUTDIR" in capsys.readouterr().err
    readme = tmp_path / "README.md"
    readme.write_text(
        f"# x\n\n{library.README_START}\nOLD LIBRARY\n{library.README_END}\n"
        f"{README_START}\nOLD SECTION\n{README_END}\n",
        encoding="utf-8",
    )
    out = tmp_path / "site"
    assert main(["site", str(out), "--update-readme", "--readme", str(readme)]) == 0
    assert "rewritten" in capsys.readouterr().out
    assert "OLD SECTION" not in readme.read_text(encoding="utf-8")
    assert library.readme_is_current(readme)
    assert (out / "index.html").is_file()
    assert main(["site", str(out), "--matrix", str(tmp_path / "missing.json")]) == 2
    assert "missing.json" in capsys.readouterr().err


def installed_copy(tmp_path: Path) -> Path:
    """The six packages alone, as ``pip install`` lays them out: no tests/, no README."""
    target = tmp_path / "site-packages"
    for package in ("common", "fromscratch", "impl_asyncio", "impl_trio", "shared", "rosetta"):
        shutil.copytree(
            ROOT / package, target / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    return target


def run_installed(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir(exist_ok=True)
    return subprocess.run(
        [sys.executable, "-m", "rosetta.cli", *args],
        cwd=elsewhere,
        env={**os.environ, "PYTHONPATH": str(installed_copy(tmp_path))},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize(
    "args",
    [["site", "out"], ["site", "out", "--fresh"], ["site", "--update-readme"]],
    ids=["build", "fresh", "update-readme"],
)
def test_from_an_installed_package_the_site_refuses_and_says_why(
    tmp_path: Path, args: list[str]
) -> None:
    """Without the test sources the pages could only claim that no test asserts a
    difference: the command refuses before writing anything, and says what to do."""
    result = run_installed(tmp_path, *args)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert "installed" in result.stderr
    assert "from a checkout" in result.stderr
    assert not (tmp_path / "elsewhere" / "out").exists()
    if "--update-readme" in args:
        assert "--readme PATH" in result.stderr


def test_from_an_installed_package_update_readme_takes_a_readme(tmp_path: Path) -> None:
    from rosetta.site.claims import README_END, README_START

    readme = tmp_path / "README.md"
    readme.write_text(
        f"{library.README_START}\n{library.README_END}\n{README_START}\n{README_END}\n",
        encoding="utf-8",
    )
    result = run_installed(tmp_path, "site", "--update-readme", "--readme", str(readme))
    assert result.returncode == 0, result.stderr
    assert library.readme_is_current(readme)


def test_docstrings_become_prose_above_the_code() -> None:
    source = 'def f() -> int:\n    """Say *why*.\n\n    * ``one``\n    * two\n    """\n    return 1'
    doc, code = split_docstring(Segment("f", source, 1))
    assert doc is not None
    assert code == "def f() -> int:\n    return 1"
    html_doc = prose(doc)
    assert "<p>Say <em>why</em>.</p>" in html_doc
    assert re.search(
        r"<ul[^>]*>\s*<li><p><span class=\"docutils literal\">one</span></p></li>", html_doc
    )
    assert "<li><p>two</p></li>" in html_doc
    only_doc = 'class E(Exception):\n    """Only a docstring."""'
    doc, code = split_docstring(Segment("E", only_doc, 1))
    assert doc == "Only a docstring."
    assert code.splitlines()[1].strip().startswith("#")  # still a class with a body
    alias = 'X = int\n"""An alias."""'
    assert split_docstring(Segment("X", alias, 1)) == ("An alias.", "X = int")


def test_an_overloaded_function_is_one_segment_with_the_implementations_docstring(
    tmp_path: Path,
) -> None:
    module = tmp_path / "m.py"
    module.write_text(
        '__all__ = ["f", "g"]\n'
        "from typing import overload\n"
        "# one comment for all of f\n"
        "@overload\n"
        "def f(x: int) -> int: ...\n"
        "@overload\n"
        "def f(x: str) -> str: ...\n"
        "def f(x: object) -> object:\n"
        '    """The implementation."""\n'
        "    return x\n"
        "def g() -> None: ...\n",
        encoding="utf-8",
    )
    source = parse_module(PACKAGES[0], module)
    segment = source.segments["f"]
    assert segment.start_line == 3
    assert segment.source.count("def f(") == 3
    assert "def g" not in segment.source
    doc, code = split_docstring(segment)
    assert doc == "The implementation."
    assert code.count("def f(") == 3
    assert "The implementation" not in code


# -- in a real browser -----------------------------------------------------------------------------

CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--hide-scrollbars",
    "--force-color-profile=srgb",
    "--remote-debugging-pipe",
)


class Browser:
    """One headless chromium, driven with the DevTools protocol over its pipe.

    ``--remote-debugging-pipe`` makes chromium read commands on fd 3 and write
    replies and events on fd 4, each a JSON text ending in a NUL byte. One browser
    serves every page, so the test costs one start-up (about a second) rather than
    one per page.
    """

    def __init__(self, binary: str, profile: Path) -> None:
        to_browser, self._writer = os.pipe()
        self._reader, from_browser = os.pipe()
        env = {**os.environ, "TO_BROWSER": str(to_browser), "FROM_BROWSER": str(from_browser)}
        self.process = subprocess.Popen(
            [
                "bash",
                "-c",
                'exec "$@" 3<&"$TO_BROWSER" 4>&"$FROM_BROWSER"',
                "chromium",
                binary,
                *CHROMIUM_FLAGS,
                f"--user-data-dir={profile}",
                "about:blank",
            ],
            pass_fds=(to_browser, from_browser),
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(to_browser)
        os.close(from_browser)
        self._buffer = b""
        self._next_id = 0
        self._events: list[dict[str, Any]] = []
        target = self.send("Target.createTarget", url="about:blank")["targetId"]
        self.session = self.send("Target.attachToTarget", targetId=target, flatten=True)[
            "sessionId"
        ]
        self.send("Page.enable", session=self.session)

    def _receive(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            remaining = deadline - time.monotonic()
            ready, _, _ = select.select([self._reader], [], [], max(remaining, 0))
            if not ready:
                raise TimeoutError("chromium did not answer in time")
            chunk = os.read(self._reader, 1 << 16)
            if not chunk:
                raise ConnectionError("chromium closed its DevTools pipe")
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        decoded: dict[str, Any] = json.loads(message)
        return decoded

    def send(self, method: str, session: str | None = None, **params: Any) -> dict[str, Any]:
        """Send a command and wait for its result; events that arrive meanwhile are kept."""
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params}
        if session is not None:
            message["sessionId"] = session
        os.write(self._writer, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + 30
        while True:
            reply = self._receive(deadline)
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                result: dict[str, Any] = reply["result"]
                return result
            self._events.append(reply)

    def open(self, url: str) -> None:
        """Navigate the page to *url* and wait for its load event."""
        self._events.clear()
        self.send("Page.navigate", session=self.session, url=url)
        deadline = time.monotonic() + 30
        while not any(event.get("method") == "Page.loadEventFired" for event in self._events):
            self._events.append(self._receive(deadline))

    def evaluate(self, expression: str) -> Any:
        result = self.send(
            "Runtime.evaluate", session=self.session, expression=expression, returnByValue=True
        )
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def viewport(self, width: int, height: int) -> None:
        self.send(
            "Emulation.setDeviceMetricsOverride",
            session=self.session,
            width=width,
            height=height,
            deviceScaleFactor=1,
            mobile=False,
        )

    def screenshot(self, path: Path) -> None:
        data = self.send("Page.captureScreenshot", session=self.session, format="png")["data"]
        path.write_bytes(base64.b64decode(data))

    def close(self) -> None:
        with contextlib.suppress(OSError, RuntimeError, TimeoutError, ConnectionError):
            self.send("Browser.close")
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        os.close(self._writer)
        os.close(self._reader)


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    if binary is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed: .ci/run installs it (apt-get install chromium)")
        pytest.skip("chromium is not on PATH (CI installs it; locally: apt-get install chromium)")
    session = Browser(binary, tmp_path_factory.mktemp("chromium-profile"))
    try:
        yield session
    finally:
        session.close()


PAGE_STATE = """({
  title: document.title,
  main: document.querySelectorAll("main#main").length,
  text: document.body.innerText.length,
  styled: getComputedStyle(document.querySelector("header.site")).borderBottomStyle,
  highlighted: [...document.querySelectorAll(".hl .k")].every(
    k => getComputedStyle(k).fontWeight === "700"),
  images: document.images.length,
  broken: [...document.images].filter(i => !(i.complete && i.naturalWidth > 0))
    .map(i => i.getAttribute("src")),
})"""


def test_every_page_loads_in_chromium(browser: Browser, site_dir: Path) -> None:
    browser.viewport(1280, 900)
    images = 0
    for page in html_pages(site_dir):
        where = page.relative_to(site_dir)
        browser.open(page.as_uri())
        state = browser.evaluate(PAGE_STATE)
        assert state["title"].endswith("· async-rosetta"), where
        assert state["main"] == 1, where
        assert state["text"] > 200, where
        assert state["styled"] == "solid", f"{where}: style.css did not apply"
        assert state["highlighted"], f"{where}: pygments.css did not apply"
        assert state["broken"] == [], f"{where}: images that did not load: {state['broken']}"
        images += state["images"]
    assert images >= 2  # the bench plot, on the index and on the timers page


CELL_BOXES = """[...document.querySelectorAll("section.row")].map(row =>
  [...row.querySelectorAll("article.cell")].map(cell => {
    const box = cell.getBoundingClientRect();
    return [Math.round(box.left), Math.round(box.top), Math.round(box.width)];
  }))"""


def cell_bars(png: Path) -> Iterator[tuple[int, int, int, str]]:
    """Horizontal runs of at least 100 px in a package colour: (y, x0, x1, package),
    one per bar (the first pixel row of a border several pixels thick)."""
    with Image.open(png) as image:
        rgb = image.convert("RGB")
    width, height = rgb.size
    data = rgb.tobytes()
    for package, color in PACKAGE_COLORS.items():
        pixel = bytes.fromhex(color.removeprefix("#"))
        needle = pixel * 100
        previous: set[tuple[int, int]] = set()
        for y in range(height):
            row = data[y * width * 3 : (y + 1) * width * 3]
            runs: set[tuple[int, int]] = set()
            at = row.find(needle)
            while at != -1:
                if at % 3:
                    at = row.find(needle, at + 1)
                    continue
                x0 = x1 = at // 3
                while x1 < width and row[x1 * 3 : x1 * 3 + 3] == pixel:
                    x1 += 1
                runs.add((x0, x1))
                at = row.find(needle, x1 * 3)
            for x0, x1 in sorted(runs - previous):
                yield y, x0, x1, package
            previous = runs


def test_columns_sit_side_by_side_at_1280_and_stack_at_600(
    browser: Browser, site_dir: Path
) -> None:
    """Read twice: the cells' boxes from the browser, and the coloured top borders
    in a screenshot (what a reader sees)."""
    page = site_dir / f"{SCREENSHOT_CONCEPT}.html"
    order = list(PACKAGE_COLORS)
    assert STACK_BELOW_PX > 600
    ARTIFACTS.mkdir(exist_ok=True)

    browser.viewport(1280, 1600)
    browser.open(page.as_uri())
    rows = browser.evaluate(CELL_BOXES)
    assert len(rows) > 1
    for cells in rows:
        (l1, t1, w1), (l2, t2, w2), (l3, t3, w3) = cells
        assert t1 == t2 == t3  # one height per public name
        assert l1 + w1 <= l2  # asyncio, Trio, shared from left to right
        assert l2 + w2 <= l3
        assert max(w1, w2, w3) < 1280 / 3
    wide = ARTIFACTS / f"site-{SCREENSHOT_CONCEPT}-1280.png"
    browser.screenshot(wide)
    by_row: dict[int, list[tuple[int, int, str]]] = {}
    for y, x0, x1, package in cell_bars(wide):
        by_row.setdefault(y, []).append((x0, x1, package))
    three = [sorted(bars) for bars in by_row.values() if len({p for *_, p in bars}) == 3]
    assert three, f"no pixel row shows the three columns at 1280 px (see {wide})"
    for bars in three:
        assert [p for *_, p in bars] == order

    browser.viewport(600, 3000)
    browser.open(page.as_uri())
    for cells in browser.evaluate(CELL_BOXES):
        (l1, t1, w1), (l2, t2, w2), (l3, t3, w3) = cells
        assert l1 == l2 == l3
        assert t1 < t2 < t3  # stacked: asyncio, Trio, shared from top to bottom
        assert min(w1, w2, w3) > 600 / 2
    narrow = ARTIFACTS / f"site-{SCREENSHOT_CONCEPT}-600.png"
    browser.screenshot(narrow)
    seen: dict[int, set[str]] = {}
    for y, _, _, package in cell_bars(narrow):
        seen.setdefault(y, set()).add(package)
    assert seen, f"no column border in the 600 px screenshot (see {narrow})"
    assert all(len(packages) == 1 for packages in seen.values()), "two columns side by side"
    print(f"screenshots of the {SCREENSHOT_CONCEPT} page: {wide}, {narrow}")
