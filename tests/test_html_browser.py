"""The HTML report in a real headless Chromium, driven over the Chrome DevTools protocol:
it loads with no console error and no network request, the charts are drawn, filtering and
sorting work, inventory markup runs no script, and it prints to A4.

Needs Debian's ``chromium`` (``make test`` installs it) and ``websocket-client``. Without a
browser the tests skip, except under CI (``CI`` set), where they fail.
"""

from __future__ import annotations

import base64
import itertools
import json
import os
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from engine.report.render import html
from tests.render_fixture import automotive_report, fixture_report

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--remote-debugging-address=127.0.0.1",
    "--remote-debugging-port=0",
)
TIMEOUT = 30.0


def _browser() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


class Page:
    """One tab of a headless Chromium, over the DevTools websocket (flattened sessions)."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self.ids = itertools.count(1)
        self.events: list[dict[str, Any]] = []
        self.session = ""

    def send(self, method: str, params: dict[str, Any] | None = None, session: bool = True) -> dict[str, Any]:
        ident = next(self.ids)
        message: dict[str, Any] = {"id": ident, "method": method, "params": params or {}}
        if session and self.session:
            message["sessionId"] = self.session
        self.ws.send(json.dumps(message))
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            reply = json.loads(self.ws.recv())
            if reply.get("id") == ident:
                if "error" in reply:
                    raise AssertionError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)
        raise TimeoutError(method)

    def wait_for(self, method: str) -> dict[str, Any]:
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            for event in self.events:
                if event.get("method") == method:
                    return event
            self.events.append(json.loads(self.ws.recv()))
        raise TimeoutError(method)

    def js(self, expression: str) -> Any:
        result = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True, "awaitPromise": True})
        if "exceptionDetails" in result:
            raise AssertionError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def open(self, url: str) -> None:
        target = self.send("Target.createTarget", {"url": "about:blank"}, session=False)["targetId"]
        self.session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True}, session=False)[
            "sessionId"
        ]
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.send(f"{domain}.enable")
        self.events.clear()
        self.send("Page.navigate", {"url": url})
        self.wait_for("Page.loadEventFired")

    def problems(self) -> list[str]:
        out = []
        for e in self.events:
            method, params = e.get("method"), e.get("params", {})
            if method == "Runtime.exceptionThrown":
                out.append(f"exception: {params['exceptionDetails'].get('text')}")
            elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert", "warning"):
                out.append(f"console.{params['type']}: {params.get('args')}")
            elif method == "Log.entryAdded" and params["entry"].get("level") in ("error", "warning"):
                out.append(f"log: {params['entry'].get('text')}")
            elif method == "Page.javascriptDialogOpening":
                out.append(f"dialog: {params.get('message')}")
            elif method == "Network.requestWillBeSent" and not params["request"]["url"].startswith(("file:", "data:")):
                out.append(f"network: {params['request']['url']}")
        return out


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    websocket = pytest.importorskip("websocket")
    binary = _browser()
    if binary is None:
        if os.environ.get("CI"):
            pytest.fail("no chromium: `make test` installs it (apt-get install chromium)")
        pytest.skip("no chromium installed (make test installs it)")
    profile = tmp_path_factory.mktemp("chromium-profile")
    process = subprocess.Popen(
        [binary, *FLAGS, f"--user-data-dir={profile}", "about:blank"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stderr is not None
        url = None
        deadline = time.monotonic() + TIMEOUT
        while url is None and time.monotonic() < deadline:
            line = process.stderr.readline()
            if not line and process.poll() is not None:
                break
            match = re.search(r"DevTools listening on (ws://\S+)", line)
            url = match.group(1) if match else None
        assert url, "chromium did not start its DevTools endpoint"
        ws = websocket.create_connection(url, timeout=TIMEOUT, suppress_origin=True)
        try:
            yield ws
        finally:
            ws.close()
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:  # pragma: no cover
            process.kill()
            process.wait()
        if process.stderr is not None:
            process.stderr.close()


def _open(browser: Any, tmp_path: Path, report: Any) -> Page:
    path = tmp_path / "report.html"
    path.write_text(html.render(report), encoding="utf-8")
    page = Page(browser)
    page.open(path.as_uri())
    return page


def test_page_loads_cleanly_with_its_charts(browser: Any, tmp_path: Path) -> None:
    report = automotive_report()
    page = _open(browser, tmp_path, report)
    assert page.js("document.documentElement.dataset.ready") == "true", "the script did not run to the end"
    stages = len(report.assessment.ladder.stages)
    assert page.js("document.querySelectorAll('#ladder-chart g.step rect').length") == stages
    assert page.js("document.querySelectorAll('#ladder-chart g.step.passed').length") == sum(
        1 for g in report.assessment.organisation.gates if g.passed
    )
    assert page.js("document.querySelector('#ladder-chart g.step.current').dataset.stage") == "contagion"
    assert page.js("document.querySelector('#ladder-chart g.step.goal').dataset.stage") == "integration"
    assert page.js("document.querySelectorAll('#lever-chart g.bar').length") == 4
    assert page.js("document.querySelectorAll('#heat-map tbody tr').length") == len(report.assessment.departments) + 1
    for chart in ("#ladder-chart", "#lever-chart", "#heat-map"):
        box = page.js(
            f"(() => {{ const r = document.querySelector('{chart}').getBoundingClientRect(); "
            "return [r.width, r.height]; })()"
        )
        assert box[0] > 100 and box[1] > 50, f"{chart} is not drawn: {box}"
    widths = page.js("[...document.querySelectorAll('#lever-chart rect.fill')].map(r => r.getBBox().width)")
    assert all(w > 0 for w in widths) and len(set(widths)) > 1
    assert page.problems() == []


def _visible(page: Page, attribute: str) -> list[str]:
    return page.js(
        f"[...document.querySelectorAll('#findings-table tbody tr')].filter(r => !r.hidden)"
        f".map(r => r.getAttribute('{attribute}'))"
    )


def _choose(page: Page, select: str, value: str) -> None:
    page.js(
        f"(() => {{ const s = document.getElementById('{select}'); s.value = '{value}'; "
        "s.dispatchEvent(new Event('change')); })()"
    )


def test_filters_by_lever_stage_severity_and_department(browser: Any, tmp_path: Path) -> None:
    report = automotive_report()
    page = _open(browser, tmp_path, report)
    total = len(report.findings)
    assert len(_visible(page, "data-n")) == total
    _choose(page, "filter-lever", "interactive")
    levers = _visible(page, "data-lever")
    assert levers and set(levers) == {"interactive"}
    assert len(levers) == sum(1 for f in report.findings if f.lever == "interactive")
    assert page.js("document.getElementById('shown-count').textContent") == str(len(levers))
    _choose(page, "filter-severity", "medium")
    expected = sum(1 for f in report.findings if f.lever == "interactive" and f.severity == "medium")
    assert len(_visible(page, "data-n")) == expected
    _choose(page, "filter-lever", "")
    _choose(page, "filter-severity", "")
    _choose(page, "filter-stage", "control")
    assert len(_visible(page, "data-n")) == sum(1 for f in report.findings if f.stage == "control")
    _choose(page, "filter-stage", "")
    _choose(page, "filter-department", "dep-aut-dealers")
    assert len(_visible(page, "data-n")) == sum(1 for f in report.findings if "dep-aut-dealers" in f.departments)
    _choose(page, "filter-department", "-")
    assert len(_visible(page, "data-n")) == sum(1 for f in report.findings if not f.departments)
    _choose(page, "filter-department", "dep-aut-quality")  # not using social media: nothing
    assert _visible(page, "data-n") == []
    assert page.js("document.getElementById('no-match').hidden") is False
    page.js(
        "(() => { const t = document.getElementById('filter-text'); document.getElementById('filter-department')"
        ".value = ''; t.value = 'BND-ACC-010'; t.dispatchEvent(new Event('input')); })()"
    )
    assert len(_visible(page, "data-n")) == sum(1 for f in report.findings if f.rule_id == "BND-ACC-010")
    assert page.problems() == []


def test_sorts_by_column(browser: Any, tmp_path: Path) -> None:
    report = automotive_report()
    page = _open(browser, tmp_path, report)
    page.js("document.querySelector('th[data-sort=severity] button').click()")  # already ascending -> descending
    ranks = [int(r) for r in _visible(page, "data-key-severity")]
    assert ranks == sorted(ranks, reverse=True) and ranks[0] > ranks[-1]
    page.js("document.querySelector('th[data-sort=rule] button').click()")
    rules = _visible(page, "data-key-rule")
    assert rules == sorted(rules)
    assert page.js("document.querySelector('th[data-sort=rule]').getAttribute('aria-sort')") == "ascending"
    assert page.problems() == []


def test_inventory_markup_runs_no_script(browser: Any, tmp_path: Path) -> None:
    page = _open(browser, tmp_path, fixture_report())
    assert page.js("document.documentElement.dataset.ready") == "true"
    assert page.js("document.querySelectorAll('script').length") == 1
    assert page.js("document.querySelectorAll('img, iframe, a').length") == 0
    assert "<script>alert(2)</script>" in page.js("document.body.innerText")
    assert page.problems() == []


def test_prints_to_a4(browser: Any, tmp_path: Path) -> None:
    page = _open(browser, tmp_path, automotive_report())
    pdf = base64.b64decode(page.send("Page.printToPDF", {"preferCSSPageSize": True, "printBackground": True})["data"])
    assert pdf.startswith(b"%PDF")
    boxes = re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", pdf)
    assert boxes, "no page size in the PDF"
    for width, height in boxes:
        assert abs(float(width) - 595.3) < 2 and abs(float(height) - 841.9) < 2, (width, height)  # A4 in points
    assert page.problems() == []
