"""Driving durable-rules' C extension: rulesets kept between calls, and one session per run."""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import json
import os
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence

from engine.evaluate.durable.ids import fnv1a32
from engine.evaluate.durable.limits import _EVALUATE, _SUBJECT, _TRIGGER_ID, _TRIGGER_RULE, MAX_CACHED_RULESETS

# -- durable-rules plumbing ------------------------------------------------------------------
#
# The C extension is driven directly rather than through durable.engine's Host/Ruleset:
# their ``json.dumps`` writes floats such as 1e-05 that the C reader misparses (a batch
# holding one loses the facts after it, or crashes), the Host starts timer threads that race
# with the caller, and the Python action dispatch swallows exceptions and costs ~4x more per
# firing. Here no action code runs inside durable at all: after the trigger fact, the queued
# results are drained with start_action_for_state / complete_and_start_action and recorded
# by plain Python, so an exception propagates (after the session is deleted).

try:  # durable-rules compiles C; it does not import on every Python (3.13: undefined symbol)
    import durable_rules_engine as _dre
except Exception as _exc:  # pragma: no cover - depends on the installation
    _dre = None
    _IMPORT_ERROR: Exception | None = _exc
else:
    _IMPORT_ERROR = None

#: A result as durable serialises it: ``{"r3":{"m":FACT}}`` with FACT the text written here.
_MESSAGE = re.compile(r'\{"(r\d+)":\{"m":\{"sid":"[^"]*","id":"[^"]*","t":"' + _SUBJECT + r'","i":(\d+)[,}]')


class _Run:
    """What one session collects."""

    def __init__(self, names: Sequence[str]) -> None:
        self.hits: dict[str, set[int]] = {name: set() for name in names}
        self.triggered = 0
        self.after_trigger = 0

    def take(self, text: str) -> None:
        """Record one result that durable serialised: ``{"r3": {"m": {fact}}}``; the fact is
        the text written here, so its index is read without parsing the rest."""
        quick = _MESSAGE.match(text)
        if quick is not None:
            if self.triggered:
                self.after_trigger += 1
            self.record(quick.group(1), int(quick.group(2)))
            return
        for name, found in json.loads(text).items():
            for match in found if isinstance(found, list) else [found]:
                if name == _TRIGGER_RULE:
                    self.triggered += 1
                    continue
                if self.triggered:
                    self.after_trigger += 1
                self.record(name, match["m"]["i"])

    def record(self, name: str, index: int) -> None:
        self.hits[name].add(index)


class _Ruleset:
    """One ruleset created in the C core from JSON text written here."""

    def __init__(self, text: str, rule_names: Sequence[str]) -> None:
        self.name = "smgov_" + hashlib.sha256(text.encode()).hexdigest()[:24]
        self.rule_names = tuple(rule_names)
        try:  # a copy: the C parser writes into the buffer it is given (and restores it)
            self.handle = _dre.create_ruleset(self.name, text.encode().decode())
        except _dre.error as exc:
            raise RuntimeError(f"durable-rules rejected a generated ruleset ({exc})") from exc

    def close(self) -> None:
        _dre.delete_ruleset(self.handle)


class _Cache:
    """Rulesets by definition text: created once, reused, evicted least recently used.

    durable leaks memory for every ruleset created, so a policy set keeps its rulesets for the
    life of the process; runs share no state (each has its own sid, deleted afterwards)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.rulesets: OrderedDict[str, _Ruleset] = OrderedDict()
        self.counter = itertools.count()

    def get(self, text: str, rule_names: Sequence[str], keep: set[str]) -> _Ruleset:
        found = self.rulesets.get(text)
        if found is not None:
            self.rulesets.move_to_end(text)
            return found
        ruleset = self.rulesets[text] = _Ruleset(text, rule_names)
        for old in list(self.rulesets):
            if len(self.rulesets) <= MAX_CACHED_RULESETS:
                break
            if old not in keep:
                self.rulesets.pop(old).close()
        return ruleset

    def session_id(self, taken: set[int]) -> str:
        while True:
            sid = f"smgov-{os.getpid()}-{next(self.counter)}"
            if fnv1a32(f"sid-{sid}") not in taken:
                return sid


_CACHE = _Cache()
_RESULT = {0: "ok", 1: "not handled", 2: "already observed", 3: "deferred"}


def _session(ruleset: _Ruleset, facts: Callable[[str], str], hashes: set[int], what: str) -> _Run:
    """Assert the facts ``facts(sid)`` under a fresh sid, then the trigger; collect what fired.

    ``hashes``: those of the ids of the facts and the trigger (checked distinct); the sid is
    chosen so that its state record's id ("sid-" + sid) does not collide with them either."""
    sid = _CACHE.session_id(hashes)
    run = _Run(ruleset.rule_names)
    handle = ruleset.handle
    state: int | None = None
    try:
        code, _ = _dre.assert_facts(handle, facts(sid))
        # 1: some subject matched no rule (normal; its batch's actions stay queued)
        if code not in (0, 1):
            raise RuntimeError(
                f"{what}: durable-rules answered the facts with {_RESULT.get(code, code)!r} "
                "(a fact may have been dropped)"
            )
        trigger = f'{{"sid":"{sid}","id":"{_TRIGGER_ID}","t":"{_EVALUATE}"}}'
        code, state = _dre.assert_fact(handle, trigger)
        if code != 0:
            raise RuntimeError(f"{what}: durable-rules answered the trigger fact with {_RESULT.get(code, code)!r}")
        started = _dre.start_action_for_state(handle, state)
        text = started[1] if started else None
        while text is not None:
            run.take(text)
            text = _dre.complete_and_start_action(handle, state)
        if run.triggered != 1 or run.after_trigger:
            raise RuntimeError(
                f"{what}: the trigger rule ran {run.triggered} time(s) and "
                f"{run.after_trigger} result(s) came after it: durable-rules may not "
                "have run every queued action"
            )
    except BaseException as exc:
        if state is not None:  # release the action an error left started (C: no bounds check)
            with contextlib.suppress(_dre.error):
                _dre.abandon_action(handle, state)
        if isinstance(exc, _dre.error):
            raise RuntimeError(f"{what}: durable-rules failed ({exc})") from exc
        raise
    finally:
        with contextlib.suppress(_dre.error):  # no state if the first assert failed
            _dre.delete_state(handle, sid)
    return run
