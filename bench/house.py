"""The shape of the house: import cycles, large modules, long functions and duplicated blocks.

Static figures read from the source with `ast` and `tokenize`; nothing is imported or run,
and no database is needed.

    python bench/house.py                 # the project this file sits in
    python bench/house.py --root PATH     # another checkout (or a synthetic tree)

What is counted, and why that way:
- Import cycles: the graph of imports between modules of the project's packages (inbox,
  connectors, routing, sla, web). Every import statement counts, including those inside a
  function or under `if TYPE_CHECKING:`: deferring an import hides a cycle from the
  interpreter, not from the reader. `from package import name` points at the submodule when
  `name` is one, else at the package. A cycle is a strongly connected group of modules; one
  shortest loop through each group is printed.
- Large modules: physical lines per file, the fake network servers (connectors/*/fake) left
  out, since they replay whole recorded APIs for the tests and the demo.
- Long functions: `def` line to last line, fakes included; a nested function counts on its
  own and inside its parent.
- Duplicated blocks: each file becomes its code lines (comments, blank lines and import
  statements dropped; a multi-line string is one line; a line equal to the one before it
  joins it), whitespace normalised token by token. Every window of six consecutive code
  lines is compared; two windows that match start a duplicated pair, which grows while the
  following lines match too, so one copied block of twenty lines is one pair, not fifteen.
  The second figure also renames every identifier and literal (a copy with other names is
  still a copy); it still counts some runs of declarations (dataclasses, long signatures)
  as copies, so read its list beside its count. Pairs whose both sides lie in the packages
  are the product's; a pair with a side in tests/ is counted apart. bench/ is not read.
"""

from __future__ import annotations

import argparse
import ast
import io
import keyword
import sys
import token
import tokenize
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("inbox", "connectors", "routing", "sla", "web")
TESTS = "tests"
WINDOW = 6
MODULE_LINES_LIMIT = 500
FUNCTION_LINES_LIMIT = 80

# Token kinds that carry no code: layout, comments, and the stream's own markers.
_LAYOUT = frozenset(
    {
        token.COMMENT,
        token.NL,
        token.NEWLINE,
        token.INDENT,
        token.DEDENT,
        token.ENCODING,
        token.ENDMARKER,
    }
)
# Python 3.12 splits an f-string into tokens; earlier versions give one STRING token.
_FSTRING_START = getattr(token, "FSTRING_START", None)
_FSTRING_END = getattr(token, "FSTRING_END", None)


@dataclass(frozen=True)
class SourceFile:
    path: Path
    relative: str
    module: str
    text: str
    tree: ast.Module

    @property
    def lines(self) -> int:
        return len(self.text.splitlines())

    @property
    def is_package(self) -> bool:
        return self.path.name == "__init__.py"

    @property
    def is_fake_server(self) -> bool:
        parts = Path(self.relative).parts
        return parts[0] == "connectors" and "fake" in parts


@dataclass(frozen=True)
class LongFunction:
    where: str
    name: str
    lines: int


@dataclass(frozen=True)
class Block:
    relative: str
    first_line: int
    last_line: int

    def __str__(self) -> str:
        return f"{self.relative}:{self.first_line}-{self.last_line}"


@dataclass(frozen=True)
class DuplicatePair:
    left: Block
    right: Block
    code_lines: int
    in_tests: bool


@dataclass(frozen=True)
class CodeLines:
    """A file's code lines in one normalisation, each with the physical lines it covers."""

    relative: str
    texts: tuple[str, ...]
    first_rows: tuple[int, ...]
    last_rows: tuple[int, ...]


# ---------------------------------------------------------------- reading the tree


def read_sources(root: Path, top: str) -> list[SourceFile]:
    """Every Python file under `root/top`, parsed; the module name follows the folders."""
    sources = []
    for path in sorted((root / top).rglob("*.py")):
        relative = path.relative_to(root)
        parts = list(relative.with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        text = path.read_text(encoding="utf-8")
        tree = ast.parse(text, filename=str(relative))
        sources.append(SourceFile(path, relative.as_posix(), ".".join(parts), text, tree))
    return sources


# ---------------------------------------------------------------- import cycles


def imported_modules(source: SourceFile, known: frozenset[str]) -> set[str]:
    """The project's modules that `source` imports, anywhere in its body."""
    found: set[str] = set()
    package = source.module if source.is_package else source.module.rpartition(".")[0]
    for node in ast.walk(source.tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                found.add(_nearest_known(alias.name, known))
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(node.module, node.level, package)
            for alias in node.names:
                candidate = f"{base}.{alias.name}" if base else alias.name
                found.add(candidate if candidate in known else _nearest_known(base, known))
    found.discard("")
    found.discard(source.module)
    return found


def _absolute(module: str | None, level: int, package: str) -> str:
    if level == 0:
        return module or ""
    parts = package.split(".") if package else []
    anchor = parts[: len(parts) - (level - 1)] if level > 1 else parts
    return ".".join([*anchor, module] if module else anchor)


def _nearest_known(name: str, known: frozenset[str]) -> str:
    """The longest prefix of a dotted name that is a project module ("" for a library)."""
    parts = name.split(".")
    while parts:
        candidate = ".".join(parts)
        if candidate in known:
            return candidate
        parts.pop()
    return ""


def import_graph(sources: Sequence[SourceFile]) -> dict[str, set[str]]:
    known = frozenset(source.module for source in sources)
    return {source.module: imported_modules(source, known) for source in sources}


def strongly_connected(graph: Mapping[str, set[str]]) -> list[list[str]]:
    """Tarjan's groups of mutually reachable modules, iteratively (no recursion limit)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    groups: list[list[str]] = []
    for start in sorted(graph):
        if start in index:
            continue
        work: list[tuple[str, Iterator[str]]] = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, edges = work[-1]
            for target in edges:
                if target not in graph:
                    continue
                if target not in index:
                    index[target] = low[target] = len(index)
                    stack.append(target)
                    on_stack.add(target)
                    work.append((target, iter(sorted(graph[target]))))
                    break
                if target in on_stack:
                    low[node] = min(low[node], index[target])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
                if low[node] == index[node]:
                    group = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        group.append(member)
                        if member == node:
                            break
                    groups.append(sorted(group))
    return groups


def import_cycles(graph: Mapping[str, set[str]]) -> list[list[str]]:
    """For each group of modules that import each other, one shortest loop through it."""
    loops = []
    for group in strongly_connected(graph):
        if len(group) > 1:
            loops.append(_shortest_loop(group[0], set(group), graph))
    return sorted(loops, key=lambda loop: (len(loop), loop))


def _shortest_loop(start: str, members: set[str], graph: Mapping[str, set[str]]) -> list[str]:
    came_from: dict[str, str] = {}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for target in sorted(graph[node] & members):
                if target == start:
                    loop = [node]
                    while loop[-1] != start:
                        loop.append(came_from[loop[-1]])
                    return [start, *reversed(loop[:-1]), start]
                if target not in came_from:
                    came_from[target] = node
                    following.append(target)
        frontier = following
    raise AssertionError(f"{start} lies in a strongly connected group but reaches no loop")


# ---------------------------------------------------------------- sizes


def long_functions(sources: Iterable[SourceFile], limit: int) -> list[LongFunction]:
    found = []
    for source in sources:
        for node in ast.walk(source.tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                lines = (node.end_lineno or node.lineno) - node.lineno + 1
                if lines > limit:
                    where = f"{source.relative}:{node.lineno}"
                    found.append(LongFunction(where, node.name, lines))
    return sorted(found, key=lambda function: (-function.lines, function.where))


# ---------------------------------------------------------------- duplicated blocks


def code_lines(source: SourceFile) -> tuple[CodeLines, CodeLines]:
    """The file's code lines, whitespace normalised and renamed.

    Tokens are grouped by the line they start on; imports are left out. A line that reads
    like the one before it joins it: once renamed, a dataclass's six fields or a module's
    twenty constants all read `N : N` or `N = L`, and would otherwise match any other run of
    declarations at every offset (and a run of equal lines would match itself).
    """
    imports: set[int] = set()
    for node in ast.walk(source.tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            imports.update(range(node.lineno, (node.end_lineno or node.lineno) + 1))
    spaced: dict[int, list[str]] = defaultdict(list)
    renamed: dict[int, list[str]] = defaultdict(list)
    fstring_depth = 0
    for item in tokenize.generate_tokens(io.StringIO(source.text).readline):
        row = item.start[0]
        if fstring_depth:
            # Inside a 3.12 f-string: its pieces belong to the literal already counted.
            spaced[row].append(item.string)
            if item.type == _FSTRING_START:
                fstring_depth += 1
            elif item.type == _FSTRING_END:
                fstring_depth -= 1
            continue
        if item.type in _LAYOUT or row in imports:
            continue
        spaced[row].append(item.string)
        if item.type == _FSTRING_START:
            fstring_depth = 1
            renamed[row].append("L")
        elif item.type in (token.STRING, token.NUMBER):
            renamed[row].append("L")
        elif item.type == token.NAME and not keyword.iskeyword(item.string):
            renamed[row].append("N")
        else:
            renamed[row].append(item.string)
    return _joined(source.relative, spaced), _joined(source.relative, renamed)


def _joined(relative: str, tokens: Mapping[int, list[str]]) -> CodeLines:
    texts: list[str] = []
    first_rows: list[int] = []
    last_rows: list[int] = []
    for row in sorted(tokens):
        text = " ".join(tokens[row])
        if texts and texts[-1] == text:
            last_rows[-1] = row
            continue
        texts.append(text)
        first_rows.append(row)
        last_rows.append(row)
    return CodeLines(relative, tuple(texts), tuple(first_rows), tuple(last_rows))


def duplicate_pairs(
    files: Sequence[CodeLines], *, window: int, in_tests: frozenset[str]
) -> list[DuplicatePair]:
    """Pairs of identical blocks of at least `window` code lines, each pair counted once.

    A match of two windows extends a pair when the windows just before them match too, so
    only the first window of each run starts a pair and the run gives its length.
    """
    texts = [file.texts for file in files]
    keys = [
        [hash(text[start : start + window]) for start in range(len(text) - window + 1)]
        for text in texts
    ]
    places: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for number, file_keys in enumerate(keys):
        for start, key in enumerate(file_keys):
            places[key].append((number, start))
    pairs = []
    for group in places.values():
        for position, (left, left_start) in enumerate(group):
            for right, right_start in group[position + 1 :]:
                if left == right and right_start - left_start < window:
                    continue  # one block overlapping itself is a repeated line, not a copy
                if not _same(texts, window, (left, left_start), (right, right_start)):
                    continue  # a hash collision
                if (
                    left_start
                    and right_start
                    and texts[left][left_start - 1] == texts[right][right_start - 1]
                ):
                    continue  # the pair started on an earlier line
                length = window
                while (
                    left_start + length < len(texts[left])
                    and right_start + length < len(texts[right])
                    and (left != right or left_start + length < right_start)
                    and texts[left][left_start + length] == texts[right][right_start + length]
                ):
                    length += 1
                left_file, right_file = files[left], files[right]
                pairs.append(
                    DuplicatePair(
                        _block(left_file, left_start, length),
                        _block(right_file, right_start, length),
                        length,
                        left_file.relative in in_tests or right_file.relative in in_tests,
                    )
                )
    return sorted(pairs, key=lambda pair: (-pair.code_lines, str(pair.left), str(pair.right)))


def _same(
    texts: Sequence[Sequence[str]], window: int, left: tuple[int, int], right: tuple[int, int]
) -> bool:
    left_text, right_text = texts[left[0]], texts[right[0]]
    return left_text[left[1] : left[1] + window] == right_text[right[1] : right[1] + window]


def _block(file: CodeLines, start: int, length: int) -> Block:
    return Block(file.relative, file.first_rows[start], file.last_rows[start + length - 1])


# ---------------------------------------------------------------- the report


@dataclass(frozen=True)
class House:
    cycles: list[list[str]]
    largest: list[SourceFile]
    functions: list[LongFunction]
    duplicates: list[DuplicatePair]
    duplicates_renamed: list[DuplicatePair]
    modules: int


def measure(root: Path, packages: Sequence[str] = PACKAGES, window: int = WINDOW) -> House:
    sources = [source for package in packages for source in read_sources(root, package)]
    tests = read_sources(root, TESTS) if (root / TESTS).is_dir() else []
    spaced, renamed = zip(*(code_lines(source) for source in [*sources, *tests]), strict=True)
    in_tests = frozenset(source.relative for source in tests)
    return House(
        cycles=import_cycles(import_graph(sources)),
        largest=sorted(
            (source for source in sources if not source.is_fake_server),
            key=lambda source: (-source.lines, source.relative),
        ),
        functions=long_functions(sources, FUNCTION_LINES_LIMIT),
        duplicates=duplicate_pairs(spaced, window=window, in_tests=in_tests),
        duplicates_renamed=duplicate_pairs(renamed, window=window, in_tests=in_tests),
        modules=len(sources),
    )


def report(house: House, worst: int) -> None:
    print(f"{house.modules} modules in the packages {', '.join(PACKAGES)}")
    print(f"import cycles ({len(house.cycles)}):")
    for loop in house.cycles:
        print(f"  {' -> '.join(loop)}")
    print(f"largest modules outside the fake servers (limit {MODULE_LINES_LIMIT}):")
    for source in house.largest[:worst]:
        print(f"  {source.lines:6d}  {source.relative}")
    print(f"functions over {FUNCTION_LINES_LIMIT} lines ({len(house.functions)}):")
    for function in house.functions:
        print(f"  {function.lines:6d}  {function.name}  {function.where}")
    for title, pairs in (
        ("duplicated blocks", house.duplicates),
        ("duplicated blocks once identifiers and literals are renamed", house.duplicates_renamed),
    ):
        product = [pair for pair in pairs if not pair.in_tests]
        print(f"{title}, the {worst} longest outside tests (code lines):")
        for pair in product[:worst]:
            print(f"  {pair.code_lines:4d}  {pair.left}  ==  {pair.right}")
    counted = [pair for pair in house.duplicates if not pair.in_tests]
    counted_renamed = [pair for pair in house.duplicates_renamed if not pair.in_tests]
    in_cycles = {module for loop in house.cycles for module in loop}
    print(f"import_cycles {len(house.cycles)}")
    print(f"modules_in_import_cycles {len(in_cycles)}")
    print(f"largest_module_lines {house.largest[0].lines if house.largest else 0}")
    over = sum(source.lines > MODULE_LINES_LIMIT for source in house.largest)
    print(f"modules_over_{MODULE_LINES_LIMIT}_lines {over}")
    print(f"functions_over_{FUNCTION_LINES_LIMIT}_lines {len(house.functions)}")
    print(f"longest_function_lines {house.functions[0].lines if house.functions else 0}")
    print(f"duplicate_pairs {len(counted)}")
    print(f"duplicate_pairs_renamed {len(counted_renamed)}")
    print(f"duplicate_pairs_tests {len(house.duplicates) - len(counted)}")
    print(f"duplicate_pairs_tests_renamed {len(house.duplicates_renamed) - len(counted_renamed)}")


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--root", type=Path, default=PROJECT_ROOT, help="the tree to read")
    parser.add_argument("--worst", type=int, default=5, help="how many of each to list")
    arguments = parser.parse_args(argv)
    if arguments.worst < 1:
        parser.error("--worst must be at least 1")
    if not any((arguments.root / package).is_dir() for package in PACKAGES):
        parser.error(f"--root {arguments.root} holds none of the packages {', '.join(PACKAGES)}")
    return arguments


def main(argv: Sequence[str] | None = None) -> None:
    arguments = parse_args(argv)
    report(measure(arguments.root), arguments.worst)


if __name__ == "__main__":
    main(sys.argv[1:])
