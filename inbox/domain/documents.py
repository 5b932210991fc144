"""Documents handed to the inbox whole (settings files, admin forms, API request bodies): read
into plain JSON values and held to bounds before anything looks inside them.

Python's `json` accepts `NaN` and `Infinity`, which no other JSON reader takes back and which
PostgreSQL's jsonb refuses, and reads `1e400` as infinity. It also recurses once per level of
nesting, as PyYAML does, so a document nested a few thousand deep ends in RecursionError. And
a YAML alias can make a short text stand for millions of values. Each is refused here with
the problem and where it lies named, so that callers answer "bad input", never a crash.
"""

from __future__ import annotations

import json
import math

from inbox.domain.errors import ConfigurationError

# Deeper than any setting or request body needs (a calendar union nested as deep as the
# engine allows is about 20), far below where a recursive reader runs out of stack.
MAX_DEPTH = 32
# Values (objects, lists, strings, numbers...) in one document: a routing document with
# hundreds of rules and lexicon additions holds a few thousand.
MAX_VALUES = 100_000

Path = tuple[str | int, ...]


class _NonFiniteConstant(ValueError):
    def __init__(self, constant: str) -> None:
        super().__init__(constant)
        self.constant = constant


def _refuse_constant(constant: str) -> float:
    raise _NonFiniteConstant(constant)


def read_json(text: str | bytes, field: str) -> object:
    """The JSON value of `text`, checked by `check_document`; ConfigurationError naming
    `field` (or the place inside it) otherwise."""
    try:
        value = json.loads(text, parse_constant=_refuse_constant)
    except _NonFiniteConstant as exc:
        raise ConfigurationError(
            field, f"{exc.constant} is not a number JSON allows: give a finite number"
        ) from None
    except RecursionError:
        raise ConfigurationError(field, f"nested more than {MAX_DEPTH} levels deep") from None
    except ValueError as exc:  # malformed, not UTF-8, or an integer of thousands of digits
        # The digits' limit ends with advice to the programmer ("; use sys...."): left out.
        raise ConfigurationError(field, f"not JSON: {str(exc).split(';')[0]}") from None
    check_document(value, field)
    return value


def check_document(
    value: object, field: str, *, max_depth: int = MAX_DEPTH, max_values: int = MAX_VALUES
) -> None:
    """Refuse a document nested deeper than `max_depth`, holding more than `max_values`
    values, or holding a number that is not finite (NaN, an infinity). Walked with a stack
    of its own, not by recursion: any depth is measured safely."""
    pending: list[tuple[object, Path]] = [(value, ())]
    seen = 0
    while pending:
        item, path = pending.pop()
        seen += 1
        if seen > max_values:
            raise ConfigurationError(field, f"more than {max_values} values")
        if len(path) > max_depth:
            # Named down to its first key only: the path of a deep value is as long as it.
            raise ConfigurationError(
                where(field, path[:1]), f"nested more than {max_depth} levels deep"
            )
        if isinstance(item, float) and not math.isfinite(item):
            raise ConfigurationError(
                where(field, path), f"{item} is not a finite number (NaN and Infinity are refused)"
            )
        if isinstance(item, dict):
            pending.extend((child, (*path, str(key))) for key, child in item.items())
        elif isinstance(item, list | tuple):
            pending.extend((child, (*path, index)) for index, child in enumerate(item))


def where(field: str, path: Path) -> str:
    """`field` followed by the keys and positions leading to a value: `lexicon.cues.fr[2]`."""
    named = field
    for part in path:
        if isinstance(part, int):
            named += f"[{part}]"
        else:
            named = f"{named}.{part}" if named else part
    return named
