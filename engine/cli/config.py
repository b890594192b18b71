"""Default flags from a configuration file: ``smgov.toml`` or ``[tool.smgov]`` in ``pyproject.toml``.

The file nearest the current directory wins (the directory itself, then its parents, up to
the first one that holds ``.git``); in one directory ``smgov.toml`` wins over
``pyproject.toml``. A key is an option's long name without the dashes (``fail-on``,
``policies``, ``format``); keys at the top apply to every command that has that option, a
table named for a command (``[tool.smgov.check]``, ``[tool.smgov.policy.test]``) to that
command only. Precedence: a flag on the command line > an environment variable
(``SMGOV_<COMMAND>_<OPTION>``, e.g. ``SMGOV_CHECK_FAIL_ON=critical``) > the file > the
built-in default (click's ``default_map`` and ``auto_envvar_prefix`` give exactly this order).
"""

from __future__ import annotations

import difflib
import tomllib
from pathlib import Path
from typing import Any

import click

NAMES = ("smgov.toml", "pyproject.toml")
#: The root group's settings: SMGOV_<COMMAND>_<OPTION> variables are click's auto_envvar_prefix.
CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100, "auto_envvar_prefix": "SMGOV"}


CONFIG = click.option(
    "--config",
    "config_file",
    type=click.Path(dir_okay=False, exists=True),
    help="Default flags from this file (smgov.toml, or pyproject.toml's [tool.smgov]). Default: the nearest one "
    "from the current directory up to the repository root. Flags > SMGOV_<COMMAND>_<OPTION> variables > file.",
)


def apply(ctx: click.Context, group: click.Group, config_file: str | None) -> None:
    """Set the defaults of every command from --config or the nearest configuration file."""
    found = (Path(config_file), table(Path(config_file))) if config_file else find()
    if found:
        ctx.default_map = default_map(group, *found)


class ConfigError(click.UsageError):
    """A configuration file that cannot be used: exit 2, with the file and the key."""


def repository_root(start: Path) -> Path | None:
    """The top directory of the git repository ``start`` is in (the nearest holding ``.git``), or None."""
    here = start.resolve()
    return next((d for d in (here, *here.parents) if (d / ".git").exists()), None)


def find(start: Path | None = None) -> tuple[Path, dict[str, Any]] | None:
    """The nearest configuration file and its smgov table, or None."""
    here = (start or Path.cwd()).resolve()
    for directory in (here, *here.parents):
        for name in NAMES:
            path = directory / name
            if not path.is_file():
                continue
            table = table_of(path)
            if table is not None:
                return path, table
        if (directory / ".git").exists():
            break
    return None


def table(path: Path) -> dict[str, Any]:
    """The smgov table of a file given with --config (an empty one when it has none)."""
    return table_of(path) or {}


def table_of(path: Path) -> dict[str, Any] | None:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: not a readable TOML file: {exc}") from None
    if path.name == "smgov.toml":
        return data
    tool = data.get("tool")
    table = tool.get("smgov") if isinstance(tool, dict) else None
    if table is not None and not isinstance(table, dict):
        raise ConfigError(f"{path}: [tool.smgov] must be a table")
    return table


def default_map(group: click.Group, path: Path, table: dict[str, Any]) -> dict[str, Any]:
    """click's ``default_map`` for ``group`` from the table: every key checked against the
    options of the commands it applies to (an unknown key is an error, with a suggestion)."""
    return _for_group(group, path, table, shared={}, where="")


def _long_names(command: click.Command) -> dict[str, click.Option]:
    out = {}
    for param in command.params:
        if isinstance(param, click.Option) and not param.hidden:
            for opt in param.opts:
                if opt.startswith("--"):
                    out[opt[2:]] = param
    return out


def _for_group(group: click.Group, path: Path, table: dict[str, Any], shared: dict[str, Any], where: str) -> dict:
    commands = group.commands
    if not where:  # a key at the top: an option of some command
        for key in table:
            if key not in commands and key not in _all_options(group):
                raise ConfigError(_unknown(path, key, key, _all_options(group) | set(commands)))
    shared = {**shared, **{k: v for k, v in table.items() if k not in commands}}
    out: dict[str, Any] = {}
    for name, command in commands.items():
        own = table.get(name, {})
        if not isinstance(own, dict):
            raise ConfigError(f"{path}: {where}{name} must be a table of options for `smgov {where}{name}`")
        if isinstance(command, click.Group):
            out[name] = _for_group(command, path, own, shared, f"{where}{name}.")
            continue
        options = _long_names(command)
        values = {k: v for k, v in shared.items() if k in options}
        for key, value in own.items():
            if key not in options:
                raise ConfigError(_unknown(path, f"{where}{name}.{key}", key, options))
            values[key] = value
        out[name] = {options[k].name: _value(options[k], v) for k, v in values.items()}
    return out


def _all_options(command: click.Command) -> set[str]:
    if isinstance(command, click.Group):
        return set().union(*(_all_options(c) for c in command.commands.values()))
    return set(_long_names(command))


def _unknown(path: Path, where: str, key: str, choices: Any) -> str:
    close = difflib.get_close_matches(key, sorted(choices), n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return f"{path}: unknown option {where!r}{hint}"


def _value(option: click.Option, value: Any) -> Any:
    """A TOML value as click expects a default: a list for a repeatable option."""
    if option.multiple and not isinstance(value, list):
        return [value]
    return value
