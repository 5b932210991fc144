"""The house benchmark reads a tree and reports its import cycles, long functions and copies."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from bench.house import PROJECT_ROOT, import_cycles, measure

COPIED_BLOCK = """
    attempt = 0
    while attempt < retries:
        answer = send(request)
        if answer.ok:
            return answer.body
        attempt += 1
        pause(attempt)
    raise RuntimeError(request)
"""


def write(root: Path, relative: str, text: str) -> None:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A tiny project: a cycle in inbox, a long function in sla, a block copied twice."""
    write(tmp_path, "inbox/__init__.py", "")
    write(tmp_path, "inbox/store/__init__.py", "")
    write(tmp_path, "inbox/store/threads.py", "from ..usecases import replies\n")
    write(tmp_path, "inbox/usecases/__init__.py", "")
    write(
        tmp_path,
        "inbox/usecases/replies.py",
        "def later() -> None:\n    import inbox.store.threads\n",
    )
    write(tmp_path, "routing/__init__.py", "import inbox.store\n")
    body = "".join(f"    step_{number} = {number}\n" for number in range(90))
    write(tmp_path, "sla/long.py", f"def plan() -> None:\n{body}")
    call = f"def call(send, pause, request, retries):{COPIED_BLOCK}"
    write(tmp_path, "connectors/x/api.py", call)
    write(tmp_path, "tests/test_copy.py", call)
    renamed = COPIED_BLOCK.replace("answer", "response").replace("retries", "tries")
    write(tmp_path, "connectors/bluesky/xrpc.py", f"def rpc(send, pause, request, tries):{renamed}")
    write(tmp_path, "connectors/x/fake/server.py", "\n".join(["A = 1"] * 600))
    return tmp_path


def figures(output: str) -> dict[str, int]:
    lines = output.strip().splitlines()
    last = [line.split() for line in lines[-10:]]
    return {name: int(value) for name, value in last}


def test_the_benchmark_reports_a_planted_cycle_long_function_and_copies_in_its_last_lines(
    tree: Path,
) -> None:
    result = subprocess.run(  # noqa: S603
        [sys.executable, str(PROJECT_ROOT / "bench" / "house.py"), "--root", str(tree)],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )

    assert "inbox.store.threads -> inbox.usecases.replies -> inbox.store.threads" in result.stdout
    assert figures(result.stdout) == {
        "import_cycles": 1,
        "modules_in_import_cycles": 2,
        "largest_module_lines": 91,
        "modules_over_500_lines": 0,
        "functions_over_80_lines": 1,
        "longest_function_lines": 91,
        "duplicate_pairs": 0,
        "duplicate_pairs_renamed": 1,
        "duplicate_pairs_tests": 1,
        "duplicate_pairs_tests_renamed": 2,
    }


def test_a_copied_block_is_one_pair_as_long_as_the_copy(tree: Path) -> None:
    house = measure(tree)

    [copy] = [pair for pair in house.duplicates_renamed if not pair.in_tests]
    assert {str(copy.left), str(copy.right)} == {
        "connectors/bluesky/xrpc.py:1-9",
        "connectors/x/api.py:1-9",
    }
    assert copy.code_lines == 9
    assert [function.name for function in house.functions] == ["plan"]


def test_a_group_of_modules_importing_each_other_is_reported_as_one_shortest_loop() -> None:
    graph = {"a": {"b"}, "b": {"c", "a"}, "c": {"a"}, "d": {"a"}}

    assert import_cycles(graph) == [["a", "b", "a"]]
