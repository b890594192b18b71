"""Renderers: pure ``render(report) -> str`` functions, registered in one dict."""

from __future__ import annotations

from collections.abc import Callable

from engine.render import json_report, text
from engine.report import Report

Renderer = Callable[[Report], str]

RENDERERS: dict[str, Renderer] = {
    "text": text.render,
    "json": json_report.render,
}
