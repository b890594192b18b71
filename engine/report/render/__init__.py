"""Renderers: pure ``render(report) -> str`` functions, registered in one dict."""

from __future__ import annotations

from collections.abc import Callable

from engine.report.model import Report
from engine.report.render import csv_report, html, json_report, junit, markdown, roadmap, sarif, text

Renderer = Callable[[Report], str]

RENDERERS: dict[str, Renderer] = {
    "text": text.render,
    "json": json_report.render,
    "markdown": markdown.render,
    "html": html.render,
    "sarif": sarif.render,
    "junit": junit.render,
    "csv": csv_report.render,
}

#: The file name of each format in an --output-dir or an evidence bundle.
FILE_NAMES: dict[str, str] = {
    "text": "report.txt",
    "json": "report.json",
    "markdown": "report.md",
    "html": "report.html",
    "sarif": "report.sarif",
    "junit": "report.junit.xml",
    "csv": "report.csv",
}

#: ``smgov plan``'s formats: the road to the target for a board (markdown, html) or a tracker (csv).
PLAN_RENDERERS: dict[str, Renderer] = roadmap.PLAN_RENDERERS
