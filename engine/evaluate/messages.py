"""A finding's message: the rule's template filled in with the subject's values, in plain
words (``show`` and the grammar of articles and units), compiled once per template."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from types import CodeType
from typing import Any

from engine.evaluate import derive

MISSING = "not recorded"  # a value the inventory does not hold, in a sentence


def show(value: Any) -> str:
    if value is None:
        return MISSING
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ", ".join(show(v) for v in value) if value else "(none)"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


_PLACEHOLDER = re.compile(r"\{\{|\}\}|\{([^{}]*)\}")
_ROOTS = ("$subject", "$organisation", "$governance")


@lru_cache(maxsize=1024)
def _template(template: str) -> tuple[str | tuple[str, tuple[str, ...]], ...]:
    """A message template, parsed once: literal text and (root, path) placeholders."""
    parts: list[str | tuple[str, tuple[str, ...]]] = []
    position = 0
    for match in _PLACEHOLDER.finditer(template):
        parts.append(template[position : match.start()])
        token = match.group(0)
        if token in ("{{", "}}"):
            parts.append(token[0])
        else:
            head, _, rest = match.group(1).partition(".")
            parts.append((head, tuple(rest.split("."))) if head in _ROOTS else ("", tuple(match.group(1).split("."))))
        position = match.end()
    parts.append(template[position:])
    return tuple(p for p in parts if p != "")


def render_message(template: str, subject: Any, scope: derive.Scope) -> str:
    """Fill ``{path}`` placeholders from the subject (no expressions, no code)."""
    return message_renderer(template, scope)(subject)


def message_renderer(template: str, scope: derive.Scope) -> Callable[[Any], str]:
    """``render(subject) -> str`` for one template, compiled once into a single expression.

    Literal text enters the generated code only through ``repr``; placeholders only as paths
    read with ``dict.get``: a template can never run code. Grammar follows the value: "a" before
    a placeholder becomes "an" before a vowel ("an ad hoc basis"), a plural unit after one is
    singular after 1 ("1 year"), and a word of a fixed list (``ad_hoc``) reads as words."""
    parts = list(_template(template))
    terms = []
    for index, part in enumerate(parts):
        if isinstance(part, str):
            after_value = index > 0 and not isinstance(parts[index - 1], str)
            unit = _UNIT.match(part) if after_value else None
            if unit:  # "{years} years" -> "1 year"
                singular = part[: unit.end(1)] + part[unit.end() :]
                terms.append(f"({singular!r} if _v == 1 and _v.__class__ is not bool else {part!r})")
            else:
                next_value = index + 1 < len(parts) and not isinstance(parts[index + 1], str)
                article = _ARTICLE.search(part) if next_value else None
                terms.append(repr(part[: article.start(2)] if article else part))
            continue
        root, path = part
        base = {"$organisation": "ORG", "$governance": "GOV"}.get(root, "s")
        read = f"{base}.get({path[0]!r})" if len(path) == 1 else f"_get({base}, {path!r})"
        text = f"_word(_v := {read})"
        previous = parts[index - 1] if index else None
        if isinstance(previous, str) and _ARTICLE.search(previous):
            text = f"_a({_ARTICLE.search(previous).group(2)!r}, {text})"  # type: ignore[union-attr]
        terms.append(text)
    namespace = {"ORG": scope.organisation, "GOV": scope.governance, "_get": derive.get, "_word": _word, "_a": _a}
    exec(_compiled(f"def render(s):\n    return {' + '.join(terms) or repr('')}\n"), namespace)
    return namespace["render"]  # type: ignore[no-any-return]


@lru_cache(maxsize=1024)
def _compiled(source: str) -> CodeType:
    """A renderer's code, compiled once per process (a portfolio renders the same rules' messages
    for every organisation: only the namespace is per check)."""
    return compile(source, "<smgov message>", "exec")


#: "a " (or "A ") right before a placeholder: the article is chosen by the value.
_ARTICLE = re.compile(r"(^|[\s(])([aA]) $")
#: A plural unit right after a placeholder: singular after the value 1.
_UNIT = re.compile(
    r"^ (year|day|month|week|hour|time|account|department|process|meeting|document|tool|metric|person)(e?s)\b"
)
_NOT_VOWEL_SOUND = ("uni", "use", "usu", "uti", "eu", "one", "ubi")


def _a(article: str, text: str) -> str:
    """``a`` or ``an`` before ``text``, as it is said."""
    low = text.lower()
    vowel = low[:1] in ("a", "e", "i", "o", "u") and not low.startswith(_NOT_VOWEL_SOUND)
    return f"{article}{'n' if vowel else ''} {text}"


@lru_cache(maxsize=1)
def _enum_words() -> frozenset[str]:
    """The inventory schema's fixed words written with underscores (``ad_hoc``, ``customer_care``)."""
    from engine.inputs.schemas import load_schema

    found: set[str] = set()
    stack: list[Any] = [load_schema("inventory")]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            found.update(v for v in node.get("enum", ()) if isinstance(v, str) and "_" in v)
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return frozenset(found)


def _word(value: Any) -> str:
    """A value inside a sentence: text as written (a fixed word with spaces), others by ``show``."""
    if value.__class__ is str:
        return value.replace("_", " ") if value in _enum_words() else value  # type: ignore[no-any-return]
    return show(value)
