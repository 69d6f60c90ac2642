"""The HTML report: a page per run with every rule, a picture of each violation drawn by
KLayout's layout view with its measured value beneath, density maps; it opens in a real
browser (Debian's chromium, headless, driven over the DevTools protocol) from the file
system, with no console errors and every picture shown."""

from __future__ import annotations

import base64
import html
import json
import os
import select
import shutil
import struct
import subprocess
import sys
import time
from html.parser import HTMLParser
from pathlib import Path

import klayout.lay as lay
import numpy as np
import pytest

from adk import api
from adk.cli import main
from adk.errors import AdkError
from adk.report.html import PICTURES, write_html
from adk.report.pictures import PICTURE_HEIGHT, PICTURE_WIDTH
from adk.report.summary import summary_json
from tests.report.conftest import DECK

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def adk(*argv: str) -> int:
    try:
        return main(list(argv))
    except SystemExit as exc:
        return int(exc.code or 0)


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> tuple[Path, dict]:
    """The HTML report of the dirty FOCoS-Bridge example, and its JSON report."""
    folder = tmp_path_factory.mktemp("html")
    layout = str(folder / "dirty.gds")
    assert adk("example", "focos_bridge", "--dirty", "-o", layout) == 0
    status = adk(
        "check", layout, "--deck", "focos_bridge", "-o", str(folder / "dirty.lyrdb"), "-q",
        "--report", f"html:{folder / 'page'}", "--report", f"json:{folder / 'dirty.json'}",
    )  # fmt: skip
    assert status == 1
    with open(folder / "dirty.json", encoding="utf-8") as handle:
        return folder / "page", json.load(handle)


class Page(HTMLParser):
    """What the tests read of a page: section ids, links, pictures with their captions."""

    def __init__(self, text: str):
        super().__init__()
        self.sections: list[str] = []
        self.links: list[str] = []
        self.images: list[dict[str, str]] = []
        self.lines: dict[str, list[list[str]]] = {}  # per section, each caption's lines
        self.scripts = 0
        self._caption: list[str] | None = None
        self.feed(text)

    @property
    def captions(self) -> dict[str, list[str]]:
        """Per section, the first line of each caption: the marker's text."""
        return {section: [lines[0] for lines in each] for section, each in self.lines.items()}

    def handle_starttag(self, tag, attrs):
        values = {key: value or "" for key, value in attrs}
        if tag == "section" and "id" in values:
            self.sections.append(values["id"])
        elif tag == "a":
            self.links.append(values.get("href", ""))
        elif tag == "img":
            self.images.append(values | {"section": self.sections[-1]})
        elif tag == "figcaption":
            self._caption = [""]
            self.lines.setdefault(self.sections[-1], []).append(self._caption)
        elif tag == "br" and self._caption is not None:
            self._caption.append("")
        elif tag == "script":
            self.scripts += 1

    def handle_data(self, data):
        if self._caption is not None:
            self._caption[-1] += data

    def handle_endtag(self, tag):
        if tag == "figcaption":
            self._caption = None


def read_page(folder: Path) -> Page:
    return Page((folder / "index.html").read_text(encoding="utf-8"))


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE and data[12:16] == b"IHDR", path
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def pixels(path: Path) -> np.ndarray:
    """(height, width, 3) of a PNG, read by KLayout."""
    image = lay.Image(str(path))
    channels = [np.array(image.data(channel), dtype=np.int64) for channel in range(3)]
    return np.stack(channels, axis=-1).reshape(image.height(), image.width(), 3)


def colour_count(rgb: np.ndarray) -> int:
    packed = (rgb[..., 0] << 16) | (rgb[..., 1] << 8) | rgb[..., 2]
    return len(np.unique(packed))


def test_the_page_has_the_run_and_every_rule_in_the_summary_and_in_a_section(report):
    folder, data = report
    page = read_page(folder)
    text = (folder / "index.html").read_text(encoding="utf-8")
    ids = [rule["id"] for rule in data["rules"]]
    assert len(ids) == 22
    assert [s for s in page.sections if s.startswith("rule-")] == [f"rule-{i}" for i in ids]
    assert [link for link in page.links if link.startswith("#rule-")] == [f"#rule-{i}" for i in ids]
    for rule in data["rules"]:
        assert html.escape(rule["worst"]) in text
    for fact in ("focos_bridge 1.0", "FOCOS_BRIDGE_PKG", data["run"]["klayout_version"]):
        assert fact in text
    assert "22 rules, 22 failed, 0 not checked, 22 markers" in text


def test_each_violation_has_a_png_of_the_stated_size_with_the_marker_in_the_middle(report):
    folder, data = report
    page = read_page(folder)
    violations = [image for image in page.images if image["section"].startswith("rule-")]
    assert len(violations) == sum(rule["count"] for rule in data["rules"])
    for image in violations:
        path = folder / image["src"]
        assert image["src"].startswith(f"{PICTURES}/")
        assert png_size(path) == (PICTURE_WIDTH, PICTURE_HEIGHT)
        assert (int(image["width"]), int(image["height"])) == (PICTURE_WIDTH, PICTURE_HEIGHT)
        rgb = pixels(path)
        highlighted = np.argwhere((rgb[..., 0] == 255) & (rgb[..., 1] == 0) & (rgb[..., 2] == 0))
        assert len(highlighted), f"{path.name}: no marker drawn"
        # the picture is the marker's box grown all round: the highlight is centred in it
        middle = (highlighted.min(axis=0) + highlighted.max(axis=0)) / 2
        assert np.allclose(middle, (PICTURE_HEIGHT / 2, PICTURE_WIDTH / 2), atol=12), path.name
        assert colour_count(rgb) > 3, f"{path.name}: no layout drawn"


def test_the_marker_text_is_written_under_each_picture(report):
    folder, data = report
    page = read_page(folder)
    for rule in data["rules"]:
        texts = [marker["text"] for marker in rule["markers"]]
        assert page.captions[f"rule-{rule['id']}"] == texts


def test_density_maps_per_polygon_layer_and_bump_maps_per_die(report):
    folder, _ = report
    page = read_page(folder)
    density = [image for image in page.images if image["section"] == "density"]
    bumps = [image for image in page.images if image["section"] == "bumps"]
    assert {image["alt"].split()[0] for image in density} >= {"RDL1", "RDL2", "BR_M1", "VIA1"}
    assert not {image["alt"].split()[0] for image in density} & {"UBUMP", "PAD", "FIDUCIAL"}
    dies = [image["alt"] for image in bumps if image["alt"].startswith("UBUMP on ")]
    assert len(dies) == 3 and sum(" HBM die " in alt for alt in dies) == 2
    for image in density + bumps:
        size = png_size(folder / image["src"])
        assert size == (int(image["width"]), int(image["height"])) and max(size) >= 300
    rdl1 = next(image for image in density if image["alt"].startswith("RDL1 "))
    assert colour_count(pixels(folder / rdl1["src"])) > 2


def test_the_page_needs_no_script_no_server_and_nothing_from_the_network(report):
    folder, _ = report
    text = (folder / "index.html").read_text(encoding="utf-8")
    page = read_page(folder)
    assert page.scripts == 0 and "http://" not in text and "https://" not in text
    for image in page.images:
        assert not os.path.isabs(image["src"]) and (folder / image["src"]).is_file()
    assert sorted(os.listdir(folder)) == ["index.html", PICTURES]  # no temporary left


def test_the_first_pictures_of_a_rule_and_how_many_more(layout, tmp_path):
    result = api.check(layout, api.load_deck(DECK))
    before = summary_json(result, None)
    write_html(result, str(tmp_path / "page"), limit=1)
    page = read_page(tmp_path / "page")
    text = (tmp_path / "page" / "index.html").read_text(encoding="utf-8")
    assert [len(page.captions.get(f"rule-{rule}", [])) for rule in ("M1.W", "M1.S")] == [1, 1]
    assert "and 1 marker more" in text  # M1.W has two
    assert summary_json(result, None) == before  # the run's result is as it was


def test_a_waived_marker_says_so_under_its_picture(layout, tmp_path):
    waivers = tmp_path / "waivers.yaml"
    waivers.write_text(
        "waivers:\n- rule: M1.W\n  box: [0, 0, 1, 20]\n  reason: test line\n  owner: qa\n",
        encoding="utf-8",
    )
    status = adk(
        "check", layout, "--deck", DECK, "-o", str(tmp_path / "r.lyrdb"), "-q",
        "--waivers", str(waivers), "--report", f"html:{tmp_path / 'page'}",
    )  # fmt: skip
    assert status == 1  # the other M1.W marker still counts
    page = read_page(tmp_path / "page")
    assert page.lines["rule-M1.W"] == [
        ["width 1 um < 2 um", "waived by qa: test line"], ["width 1 um < 2 um"],
    ]  # fmt: skip


def test_a_new_report_replaces_the_old_pictures_and_a_file_is_refused(layout, tmp_path):
    result = api.check(layout, api.load_deck(DECK))
    folder = tmp_path / "page"
    write_html(result, str(folder))
    (folder / PICTURES / "stale.png").write_bytes(b"")
    (folder / "notes.txt").write_text("kept", encoding="utf-8")
    write_html(result, str(folder))
    assert "stale.png" not in os.listdir(folder / PICTURES)
    assert sorted(os.listdir(folder)) == ["index.html", "notes.txt", PICTURES]
    (tmp_path / "file").write_text("", encoding="utf-8")
    with pytest.raises(AdkError, match="is a file"):
        write_html(result, str(tmp_path / "file"))


def test_a_run_without_the_html_report_does_not_load_the_layout_view(layout, tmp_path):
    argv = [
        "check", layout, "--deck", DECK, "-o", str(tmp_path / "r.lyrdb"), "-q",
        "--report", f"json:{tmp_path / 'r.json'}",
    ]  # fmt: skip
    script = (
        "import sys\nfrom adk.cli import main\n"
        f"try:\n    main({argv!r})\nexcept SystemExit:\n    pass\n"
        "print('klayout.lay' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True,
        cwd=Path(__file__).parents[2],
    )  # fmt: skip
    assert (tmp_path / "r.json").is_file()
    assert done.stdout.split()[-1] == "False"


# ---------------------------------------------------------------- in a browser
def chromium() -> str:
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    pytest.skip("chromium is not installed (Debian: apt-get install chromium)")


class DevTools:
    """Chromium headless, driven over the DevTools protocol on a pipe (file descriptors 3
    and 4 of the browser): messages are JSON, each ended by a NUL byte."""

    def __init__(self, executable: str, profile: Path):
        commands_read, self._commands = os.pipe()
        self._replies, replies_write = os.pipe()

        def onto_fds_3_and_4():
            # through free numbers first: the pipes themselves may be 3 or 4
            high = [os.dup(commands_read), os.dup(replies_write)]
            os.dup2(high[0], 3)
            os.dup2(high[1], 4)

        self.process = subprocess.Popen(
            [
                executable, "--headless", "--no-sandbox", "--disable-gpu",
                "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--no-first-run", "--remote-debugging-pipe",
                f"--user-data-dir={profile}", "--window-size=1280,1600", "about:blank",
            ],
            pass_fds=(3, 4), preexec_fn=onto_fds_3_and_4,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        os.close(commands_read)
        os.close(replies_write)
        self.events: list[dict] = []
        self._buffer = b""
        self._next_id = 0

    def send(self, method: str, session: str | None = None, **params) -> dict:
        self._next_id += 1
        message: dict = {"id": self._next_id, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        os.write(self._commands, json.dumps(message).encode() + b"\0")
        reply = self._until(lambda m: m.get("id") == self._next_id)
        assert "error" not in reply, reply
        return reply["result"]

    def wait_for(self, method: str) -> dict:
        for event in self.events:
            if event.get("method") == method:
                return event
        return self._until(lambda m: m.get("method") == method)

    def _until(self, wanted, timeout: float = 30.0) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            while b"\0" in self._buffer:
                raw, self._buffer = self._buffer.split(b"\0", 1)
                message = json.loads(raw)
                if "method" in message:
                    self.events.append(message)
                if wanted(message):
                    return message
            left = deadline - time.monotonic()
            assert left > 0, "chromium did not answer"
            ready, _, _ = select.select([self._replies], [], [], left)
            if ready:
                chunk = os.read(self._replies, 1 << 20)
                assert chunk, "chromium closed the pipe"
                self._buffer += chunk

    def close(self) -> None:
        try:
            os.write(self._commands, json.dumps({"id": 0, "method": "Browser.close"}).encode())
            os.write(self._commands, b"\0")
            self.process.wait(timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            self.process.kill()
            self.process.wait()
        finally:
            os.close(self._commands)
            os.close(self._replies)


IMAGES = (
    "JSON.stringify([...document.images].map(i => "
    "[i.getAttribute('src'), i.complete, i.naturalWidth, i.naturalHeight]))"
)


def test_in_headless_chromium_the_page_loads_without_errors_and_shows_every_picture(
    report, tmp_path
):
    executable = chromium()
    folder, data = report
    browser = DevTools(executable, tmp_path / "profile")
    try:
        target = browser.send("Target.createTarget", url="about:blank")["targetId"]
        session = browser.send("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            browser.send(f"{domain}.enable", session)
        browser.send(
            "Emulation.setDeviceMetricsOverride", session,
            width=1280, height=1600, deviceScaleFactor=1, mobile=False,
        )  # fmt: skip
        browser.send("Page.navigate", session, url=(folder / "index.html").as_uri())
        browser.wait_for("Page.loadEventFired")
        shown = browser.send("Runtime.evaluate", session, expression=IMAGES, returnByValue=True)
        shot = browser.send("Page.captureScreenshot", session, format="png")
    finally:
        browser.close()
    images = json.loads(shown["result"]["value"])
    assert len(images) >= sum(rule["count"] for rule in data["rules"]) + 10
    assert [src for src, complete, width, _ in images if not (complete and width > 0)] == []
    by_source = {src: (width, height) for src, _, width, height in images}
    first = next(src for src in by_source if "PKG.D2D.GAP" in src)
    assert by_source[first] == (PICTURE_WIDTH, PICTURE_HEIGHT)
    problems = [
        event["params"]
        for event in browser.events
        if event["method"] in ("Runtime.exceptionThrown", "Log.entryAdded")
        or (event["method"] == "Runtime.consoleAPICalled" and event["params"]["type"] == "error")
    ]
    assert problems == []
    requests = [
        event["params"]["request"]["url"]
        for event in browser.events
        if event["method"] == "Network.requestWillBeSent"
    ]
    assert requests and all(url.startswith("file://") for url in requests)
    screenshot = tmp_path / "page.png"
    screenshot.write_bytes(base64.b64decode(shot["data"]))
    assert png_size(screenshot) == (1280, 1600)
    assert colour_count(pixels(screenshot)) > 50  # not blank
