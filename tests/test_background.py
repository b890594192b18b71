"""A large inventory is validated in a child process while the parent evaluates: the child's
answer is the one a serial check would give, a failing child changes nothing, and results of
an invalid inventory are never used."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from engine import background, findings, pipeline, policies, split
from engine.diagnostics import InputError
from engine.render import RENDERERS
from engine.sources import RawFile
from tests.helpers import ROOT, cli, write

AS_OF = "2026-10-01"


def _pid() -> int:
    return os.getpid()


def test_the_child_does_the_work_and_hands_back_the_answer(monkeypatch) -> None:
    monkeypatch.setattr(background, "cores", lambda: 2)
    with background.Task(_pid) as task:
        assert task.in_child
        assert task.result() not in (0, os.getpid())  # computed in another process
    with background.Task(_pid, fork=False) as task:
        assert not task.in_child
        assert task.result() == os.getpid()


def _stream(pause: float) -> Any:
    yield "verdict"
    yield 1
    time.sleep(pause)
    yield 2


def test_a_generator_sends_each_value_as_it_is_yielded(monkeypatch) -> None:
    monkeypatch.setattr(background, "cores", lambda: 2)
    with background.Task(_stream, 60) as task:
        assert task.result() == "verdict"
        deadline = time.monotonic() + 30
        got: list[Any] = []
        while not got and time.monotonic() < deadline:
            got = task.ready()  # never waits for a value still being computed
        assert got == [1]
        assert task.ready() == []
    with background.Task(_stream, 0) as task:
        assert task.result() == "verdict"
        assert _everything(task) == [1, 2]
        assert task.ready() == []
    with background.Task(_stream, 0, fork=False) as task:
        assert task.result() == "verdict"  # no child: the first value, computed here
        assert task.ready() == []


def _everything(task: background.Task[Any]) -> list[Any]:
    """Every further value, once the child has sent them all and ended."""
    values: list[Any] = []
    deadline = time.monotonic() + 30
    while task._pipe >= 0 and time.monotonic() < deadline:
        values += task.ready()
        time.sleep(0.01)
    return values


def _only_in_parent(parent: int) -> str:
    if os.getpid() != parent:
        raise RuntimeError("the child fails")
    return "computed by the parent"


def _child_dies(parent: int) -> str:
    if os.getpid() != parent:
        os.kill(os.getpid(), signal.SIGKILL)
    return "computed by the parent"


@pytest.mark.parametrize("function", [_only_in_parent, _child_dies])
def test_a_failing_child_leaves_the_work_to_the_parent(monkeypatch, function) -> None:
    monkeypatch.setattr(background, "cores", lambda: 2)
    with background.Task(function, os.getpid()) as task:
        assert task.in_child
        assert task.result() == "computed by the parent"


def test_an_error_is_raised_where_the_caller_can_see_it(monkeypatch) -> None:
    monkeypatch.setattr(background, "cores", lambda: 2)
    with background.Task(int, "not a number") as task, pytest.raises(ValueError):
        task.result()


def test_leaving_early_stops_and_reaps_the_child(monkeypatch) -> None:
    monkeypatch.setattr(background, "cores", lambda: 2)
    start = time.monotonic()
    with background.Task(time.sleep, 60) as task:
        pid = task.pid
    assert time.monotonic() - start < 30
    with pytest.raises(ChildProcessError):  # already reaped: no zombie left behind
        os.waitpid(pid, os.WNOHANG)


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        ({}, 4),  # no cgroup files: the CPUs it may run on
        ({"cpu.max": "max 100000\n"}, 4),
        ({"cpu.max": "150000 100000\n"}, 1),  # one and a half CPUs' time: no second process
        ({"cpu.max": "200000 100000\n"}, 2),
        ({"cpu/cpu.cfs_quota_us": "-1\n", "cpu/cpu.cfs_period_us": "100000\n"}, 4),  # cgroup v1, no limit
        ({"cpu/cpu.cfs_quota_us": "100000\n", "cpu/cpu.cfs_period_us": "100000\n"}, 1),
        ({"cpu.max": "garbage"}, 4),
    ],
)
def test_cores_within_the_containers_cpu_quota(monkeypatch, tmp_path: Path, files: dict, expected: int) -> None:
    monkeypatch.setattr(background, "CGROUP", tmp_path)
    monkeypatch.setattr(os, "sched_getaffinity", lambda _pid: {0, 1, 2, 3})
    for name, text in files.items():
        write(tmp_path / name, text)
    assert background.cores() == expected


def test_no_fork_where_there_is_none(monkeypatch) -> None:
    monkeypatch.setattr(background, "cores", lambda: 2)
    monkeypatch.delattr(os, "fork")  # Windows
    with background.Task(_pid) as task:
        assert not task.in_child
        assert task.result() == os.getpid()


def test_a_fork_that_fails_leaves_the_work_here(monkeypatch) -> None:
    monkeypatch.setattr(background, "cores", lambda: 2)

    def no_room() -> int:
        raise OSError("no memory for another process")

    monkeypatch.setattr(os, "fork", no_room)
    with background.Task(_pid) as task:
        assert not task.in_child
        assert task.result() == os.getpid()


def test_no_fork_with_one_core_or_while_threads_run(monkeypatch) -> None:
    monkeypatch.setattr(background, "cores", lambda: 1)
    assert not background.Task(_pid).in_child
    monkeypatch.setattr(background, "cores", lambda: 2)
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        assert not background.Task(_pid).in_child
    finally:
        stop.set()
        thread.join()
    with background.Task(_pid) as task:
        assert task.in_child


# --------------------------------------------------------------------------- in the check


@pytest.fixture
def children(monkeypatch) -> list[bool]:
    """Every inventory counts as large and forking is allowed; records whether each check's
    validation ran in a child."""
    monkeypatch.setattr(pipeline, "_worth_a_child", lambda _files: True)
    monkeypatch.setattr(background, "cores", lambda: 2)
    seen: list[bool] = []
    original = background.Task.result

    def result(self: background.Task[Any], otherwise: Any = None) -> Any:
        seen.append(self.in_child)
        return original(self, otherwise)

    monkeypatch.setattr(background.Task, "result", result)
    return seen


def _report(inventory: Path, parallel: bool, **extra: Any) -> str:
    options = pipeline.CheckOptions(
        inventory=(str(inventory),), as_of=pipeline.dt.date.fromisoformat(AS_OF), parallel=parallel, **extra
    )
    return RENDERERS["json"](pipeline.run_check(options))


@pytest.mark.parametrize("example", ["telecom", "energy", "automotive"])
def test_a_check_validated_in_a_child_gives_the_same_report(children, example: str) -> None:
    inventory = ROOT / "examples" / example
    assert _report(inventory, parallel=True) == _report(inventory, parallel=False)
    assert children == [True, False]


def test_the_same_with_waivers(children) -> None:
    waivers = str(ROOT / "examples" / "energy.waivers.yaml")
    serial = _report(ROOT / "examples" / "energy", parallel=False, waivers=waivers)
    assert _report(ROOT / "examples" / "energy", parallel=True, waivers=waivers) == serial
    assert children == [False, True]


def test_only_large_json_inventories_get_a_child(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setattr(pipeline, "PARALLEL_FROM", 1000)
    raw = json.dumps(_telecom()).encode()
    big = [RawFile("org.json", ".json", raw)]
    assert pipeline._worth_a_child(big)
    assert not pipeline._worth_a_child([RawFile("org.json", ".json", raw[:999])])
    assert not pipeline._worth_a_child([*big, RawFile("more.yaml", ".yaml", b"accounts: []")])


def _bad_inventories(tmp_path: Path) -> dict[str, Path]:
    good = json.loads(json.dumps(_telecom()))
    wrong_type = json.loads(json.dumps(good))
    wrong_type["accounts"][0]["admins"] = {"not": "a list"}  # breaks the evaluation too
    dangling = json.loads(json.dumps(good))
    dangling["accounts"][0]["department"] = "nowhere"
    not_lists = json.loads(json.dumps(good))
    not_lists["accounts"] = "everything"
    no_org = {k: v for k, v in good.items() if k != "organisation"}
    bad_stage = json.loads(json.dumps(good))
    bad_stage["organisation"]["target_stage"] = "nirvana"  # valid to the schema, refused before evaluating
    cases = {"wrong_type": wrong_type, "dangling": dangling, "not_lists": not_lists, "no_org": no_org}
    cases["bad_stage"] = bad_stage
    return {name: write(tmp_path / f"{name}.json", json.dumps(data)) for name, data in cases.items()}


def _telecom() -> dict[str, Any]:
    from engine.sources import discover, read_all

    merged: dict[str, Any] = {}
    for source in read_all(discover([ROOT / "examples" / "telecom"], "inventory")[0])[0]:
        for key, value in source.data.items():
            merged[key] = merged.get(key, []) + value if isinstance(value, list) else value
    return json.loads(json.dumps(merged, default=str))


@pytest.mark.parametrize("case", ["wrong_type", "dangling", "not_lists", "no_org", "bad_stage"])
def test_bad_input_found_by_the_child_is_reported_as_a_serial_check_reports_it(children, tmp_path, case) -> None:
    path = _bad_inventories(tmp_path)[case]
    errors = []
    for parallel in (True, False):
        with pytest.raises(InputError) as caught:
            _report(path, parallel=parallel)
        errors.append([str(d) for d in caught.value.diagnostics])
    assert errors[0] == errors[1]
    assert errors[0]
    assert children == [True, False]


def test_an_internal_error_of_a_valid_check_is_not_hidden(children, monkeypatch) -> None:
    def broken(*_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError("a bug in the findings step")

    monkeypatch.setattr(findings, "by_rule", broken)
    for parallel in (True, False):
        with pytest.raises(RuntimeError, match="a bug in the findings step"):
            _report(ROOT / "examples" / "telecom", parallel=parallel)
    assert children == [True, False]


def test_cli_no_parallel(children, tmp_path: Path) -> None:
    outputs = []
    for flag in ("--parallel", "--no-parallel"):
        target = tmp_path / f"{flag}.json"
        telecom = str(ROOT / "examples" / "telecom")
        result = cli("check", telecom, "--as-of", AS_OF, "--format", "json", "-o", str(target), flag)
        assert result.exit_code in (0, 1), result.output
        outputs.append(target.read_text())
    assert outputs[0] == outputs[1]
    assert children == [True, False]


def _die(*_args: Any) -> Any:
    os.kill(os.getpid(), signal.SIGKILL)
    yield ()  # a generator, like split.child


def test_a_child_that_dies_changes_nothing(children, monkeypatch, tmp_path: Path) -> None:
    serial = _report(ROOT / "examples" / "telecom", parallel=False)
    bad = _bad_inventories(tmp_path)["dangling"]
    with pytest.raises(InputError) as expected:
        _report(bad, parallel=False)
    monkeypatch.setattr(split, "child", _die)  # only the child runs it: the parent does its work itself
    assert _report(ROOT / "examples" / "telecom", parallel=True) == serial
    with pytest.raises(InputError) as caught:
        _report(bad, parallel=True)
    assert caught.value.diagnostics == expected.value.diagnostics
    assert children == [False, False, True, True]


# --------------------------------------------------------------------------- sharing the evaluation


def test_the_child_evaluates_every_scope_but_the_costliest(children, monkeypatch) -> None:
    delivered: list[set[str]] = []

    def arrived(self: split.Child) -> dict[str, Any]:
        if not self._results:
            self._results = {r.rule_id: r for batch in _everything(self.task) for r in batch}  # the child finishes
            delivered.append(set(self._results))
        return self._results

    monkeypatch.setattr(split.Child, "arrived", arrived)
    inventory_dir = ROOT / "examples" / "telecom"
    assert _report(inventory_dir, parallel=True) == _report(inventory_dir, parallel=False)
    rules = policies.load([ROOT / "policies" / "baseline"])
    org = pipeline.load_inventory([inventory_dir])
    theirs = split.partition(rules, org)
    assert theirs and "account" not in theirs and len(theirs) == len({r.scope for r in rules.rules}) - 1
    assert delivered == [{r.id for r in rules.rules if r.scope in theirs}]  # the child's work, used


def _verdict_then(batches: slice | None, pause: float = 0.0) -> Any:
    """A child that gives its verdict, then only some of its scopes' results (or sleeps)."""
    real = split.child

    def child(*args: Any) -> Any:
        answers = real(*args)
        yield next(answers)
        time.sleep(pause)
        yield from list(answers)[batches] if batches is not None else ()

    return child


@pytest.mark.parametrize("batches", [slice(None, None, 2), slice(0, 0)])
def test_scopes_the_child_did_not_send_are_evaluated_here(children, monkeypatch, batches: slice) -> None:
    monkeypatch.setattr(split, "child", _verdict_then(batches))
    for example in ("telecom", "energy"):
        inventory_dir = ROOT / "examples" / example
        assert _report(inventory_dir, parallel=True) == _report(inventory_dir, parallel=False)


def _first_then_stall() -> Any:
    """A child that sends its verdict and its costliest scope's results, then stalls."""
    real = split.child

    def child(*args: Any) -> Any:
        answers = real(*args)
        yield next(answers)
        yield next(answers, ())
        time.sleep(60)

    return child


@pytest.mark.parametrize("stalling", ["before its first scope", "after its first scope"])
def test_the_parent_does_not_wait_for_a_slow_child(children, monkeypatch, stalling: str) -> None:
    slow = _verdict_then(slice(None), pause=60) if stalling == "before its first scope" else _first_then_stall()
    monkeypatch.setattr(split, "child", slow)
    used: list[int] = []
    original = split.Child.arrived

    def arrived(self: split.Child) -> dict[str, Any]:
        deadline = time.monotonic() + 20
        while stalling == "after its first scope" and not original(self) and time.monotonic() < deadline:
            time.sleep(0.01)  # the first scope's results are on their way: let them arrive
        got = original(self)
        used.append(len(got))
        return got

    monkeypatch.setattr(split.Child, "arrived", arrived)
    inventory_dir = ROOT / "examples" / "telecom"
    start = time.monotonic()
    assert _report(inventory_dir, parallel=True) == _report(inventory_dir, parallel=False)
    assert time.monotonic() - start < 45  # it evaluated the rest itself and stopped the child
    assert (max(used) > 0) is (stalling == "after its first scope")  # what did arrive was used


def test_partition_is_by_cost_and_leaves_a_single_scope_alone() -> None:
    org = pipeline.load_inventory([ROOT / "examples" / "energy"])
    rules = policies.load([ROOT / "policies" / "baseline"])
    assert split.partition(rules, org) == split.partition(rules, org)  # the same in both processes
    accounts_only = split.only(rules, frozenset({"account"}))
    assert split.partition(accounts_only, org) == frozenset()
    assert {r.scope for r in split.only(rules, frozenset({"account"}), inside=False).rules} == {
        r.scope for r in rules.rules
    } - {"account"}


def test_durable_rules_with_a_validating_child_give_the_same_report(children) -> None:
    inventory_dir = ROOT / "examples" / "telecom"
    parallel = _report(inventory_dir, parallel=True, engine="durable")
    assert parallel == _report(inventory_dir, parallel=False, engine="durable")
    assert children == [True, False]
