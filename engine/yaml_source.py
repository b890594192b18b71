"""Read YAML keeping the parser's marks: every node's line and column, by document path.

Scalars are resolved by PyYAML's own safe constructor, except timestamps: a date stays the
string it was written as, so YAML and JSON inventories mean the same thing.
"""

from __future__ import annotations

from typing import Any

import yaml

from engine.diagnostics import Diagnostic, dotted
from engine.positions import Mark, MarkTable, Path

try:  # the C composer when libyaml is present, the pure-Python one otherwise
    _Loader: type = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - depends on how PyYAML was built
    _Loader = yaml.SafeLoader

_STR = "tag:yaml.org,2002:str"
_TIMESTAMP = "tag:yaml.org,2002:timestamp"


class YamlProblem(Exception):
    """A problem found while building the document (for example a duplicate key)."""

    def __init__(self, mark: Mark, message: str, path: Path) -> None:
        super().__init__(message)
        self.mark, self.message, self.path = mark, message, path


def _mark(node: yaml.Node) -> Mark:
    return (node.start_mark.line + 1, node.start_mark.column + 1)


class _Builder:
    def __init__(self) -> None:
        self.marks: dict[Path, Mark] = {}
        self._scalars = yaml.constructor.SafeConstructor()

    def build(self, node: yaml.Node, path: Path) -> Any:
        self.marks[path] = _mark(node)
        if isinstance(node, yaml.MappingNode):
            out: dict[Any, Any] = {}
            for key_node, value_node in node.value:
                key = self.build_key(key_node, path)
                if key in out:
                    raise YamlProblem(_mark(key_node), f"duplicate key {key!r}", (*path, key))
                out[key] = self.build(value_node, (*path, key))
                self.marks[(*path, key)] = _mark(key_node)
            return out
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*path, i)) for i, item in enumerate(node.value)]
        return self.scalar(node)

    def build_key(self, node: yaml.Node, path: Path) -> Any:
        if not isinstance(node, yaml.ScalarNode):
            raise YamlProblem(_mark(node), "a mapping key must be a plain value", path)
        key = self.scalar(node)
        if not isinstance(key, str):
            key = str(key) if not isinstance(key, bool) and key is not None else node.value
        return key

    def scalar(self, node: yaml.ScalarNode) -> Any:
        if node.tag in (_STR, _TIMESTAMP):
            return node.value
        return self._scalars.construct_object(node, deep=True)


def _yaml_error(exc: yaml.YAMLError, file: str) -> Diagnostic:
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        problem = " ".join(p for p in (exc.context, exc.problem) if p) or "invalid YAML"
        return Diagnostic(file, line, col, f"invalid YAML: {problem}")
    return Diagnostic(file, 1, 1, f"invalid YAML: {exc}")


def parse_yaml(text: str, file: str) -> tuple[Any, MarkTable] | Diagnostic:
    """Parse one YAML document; a problem comes back as a Diagnostic, never an exception."""
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.YAMLError as exc:
        return _yaml_error(exc, file)
    if node is None:
        return Diagnostic(file, 1, 1, "the file is empty: expected a mapping")
    builder = _Builder()
    try:
        data = builder.build(node, ())
    except YamlProblem as exc:
        return Diagnostic(file, exc.mark[0], exc.mark[1], exc.message, dotted(exc.path))
    except yaml.YAMLError as exc:
        return _yaml_error(exc, file)
    return data, MarkTable(builder.marks)


def compose_marks(text: str) -> MarkTable | None:
    """Marks of a document fragment (used to find fields inside one JSON item)."""
    result = parse_yaml(text, "<fragment>")
    return None if isinstance(result, Diagnostic) else result[1]
