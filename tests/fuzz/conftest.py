"""Shared machinery of the fuzz suites (tests/fuzz/test_<adapter>_*.py).

- :data:`HOSTILE`: values that broke parsers before (huge exponents, "²", NaN,
  empty, None, containers where scalars belong, odd unicode, 5,000-digit numbers).
- :func:`mutated` (a hypothesis strategy) and :class:`RandomMutator` (the same
  mutations driven by a seeded ``random.Random``, for end-to-end runs over real
  pollers and streams): start from a representative payload and replace values
  with hostile ones, drop keys, duplicate keys (another spelling, or a list element
  twice), wrap values in lists/objects, nest them deeply, or replace the whole thing.
- :data:`FUZZ` / :func:`fuzz_settings`: bounded hypothesis settings (deterministic,
  no deadline flakiness, no example database), and :func:`count_case` +
  the terminal summary: the number of cases run per payload family, printed at the
  end of the run ("fuzz cases per family").
"""

from __future__ import annotations

import copy
import random
from collections import Counter
from collections.abc import Callable
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

CASES: Counter[str] = Counter()
"""Cases run per payload family in this session (see :func:`count_case`)."""

FAMILY_CASES = 1000
"""Cases per payload family (the issue asks for at least 1,000 per family)."""


def fuzz_settings(examples: int = FAMILY_CASES) -> settings:
    """Hypothesis settings for one family: ``examples`` cases, derandomized (the same
    cases every run: CI-stable), no deadline per case (the time bound is the case
    count), no example database, no shrinking budget beyond the default."""
    return settings(max_examples=examples, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.filter_too_much])


def count_case(family: str, n: int = 1) -> None:
    """``n`` more cases of ``family`` ran."""
    CASES[family] += n


def _deep(levels: int) -> Any:
    value: Any = "x"
    for i in range(levels):
        value = [value] if i % 2 else {"k": value}
    return value


HOSTILE: tuple[Any, ...] = (
    "1e999999999", "-1e999999999", "1e-999999999", "9e99999", "²", "³³", "٣", "½", "NaN", "nan", "-nan", "Infinity",
    "-inf", "-0", "0", "", " ", "\u00a0", "\u0000", "\ufeff1", "😀", "C", "H-", "C1e999999999", "1,2,3", "1.2.3",
    "1..2", "K", "1e", "e5", "--1", "+", "0x1F", "1_000", "1.5K" * 3, "a" * 300, "9" * 5000, "1" + "0" * 400,
    None, True, False, 0, -1, -0.0, 2**63, 2**64, -(2**63) - 1, 10**30, 10**400, 1e308, -1e308, 5e-324,
    float("nan"), float("inf"), float("-inf"), [], {}, [[]], [None], ["1"], {"a": None}, {"value": "1"},
    _deep(30), "<script>alert(1)</script>", "&#x7F8E;&amp;", "%s%s%s", "{}", "[]", "null",
    "2024-13-45", "99999999-99:99:99", "000000000000", "20241301", "20240230", "99991231-23:59:59",
    "19700101", "-1", "1" * 19, "9" * 20, "²²²²²²²²²²²²", "²²²²²²²²", "²" * 13,
)


def hostile_values() -> st.SearchStrategy[Any]:
    """A hostile value: one of :data:`HOSTILE` or a random scalar or small container."""
    scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True, allow_infinity=True),
                        st.text(max_size=12), st.decimals(allow_nan=False, allow_infinity=False).map(str))
    return st.one_of(st.sampled_from(HOSTILE).map(copy.deepcopy), scalars, st.lists(scalars, max_size=3),
                     st.dictionaries(st.text(max_size=4), scalars, max_size=3))


_HOSTILE_VALUES = hostile_values()
_INDEXES = [st.just(0)] + [st.integers(0, n - 1) for n in range(1, 64)]


class Chooser:
    """The choices a mutation makes: ``index(n)`` in [0, n), ``hostile()``."""

    def index(self, n: int) -> int:  # pragma: no cover - interface
        raise NotImplementedError

    def hostile(self) -> Any:  # pragma: no cover - interface
        raise NotImplementedError


class _DrawChooser(Chooser):
    def __init__(self, draw: Callable) -> None:
        self._draw = draw

    def index(self, n: int) -> int:
        return self._draw(_INDEXES[n] if n < len(_INDEXES) else st.integers(0, n - 1))

    def hostile(self) -> Any:
        return self._draw(_HOSTILE_VALUES)


class RandomChooser(Chooser):
    """Choices from a seeded ``random.Random`` (deterministic end-to-end runs)."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    def index(self, n: int) -> int:
        return self.rng.randrange(n)

    def hostile(self) -> Any:
        if self.rng.random() < 0.7:
            return copy.deepcopy(self.rng.choice(HOSTILE))
        return self.rng.choice([None, "", self.rng.random() * 10**self.rng.randint(-30, 30),
                                self.rng.randint(-(2**70), 2**70), "x" * self.rng.randint(0, 50),
                                [self.rng.random()], {"n": self.rng.random()}])


def _slots(tree: Any) -> list[tuple[Any, Any]]:
    """Every (container, key or index) of ``tree``, breadth first (the root excluded)."""
    out: list[tuple[Any, Any]] = []
    queue = [tree]
    while queue:
        node = queue.pop(0)
        if isinstance(node, dict):
            for key, value in node.items():
                out.append((node, key))
                queue.append(value)
        elif isinstance(node, list):
            for i, value in enumerate(node):
                out.append((node, i))
                queue.append(value)
    return out


OPERATIONS = ("replace", "replace", "replace", "drop", "duplicate", "wrap", "nest", "retype")


def mutate(base: Any, chooser: Chooser, *, rounds: int | None = None) -> Any:
    """A mutated deep copy of ``base`` (see the module docstring); ``rounds``
    mutations (default 1-4, chosen)."""
    tree = copy.deepcopy(base)
    count = rounds if rounds is not None else 1 + chooser.index(4)
    for _ in range(count):
        slots = _slots(tree)
        if not slots or chooser.index(25) == 0:  # now and then: the whole payload
            tree = chooser.hostile() if chooser.index(2) else [tree] if chooser.index(2) else {"data": tree}
            continue
        container, key = slots[chooser.index(len(slots))]
        op = OPERATIONS[chooser.index(len(OPERATIONS))]
        if op == "replace":
            container[key] = chooser.hostile()
        elif op == "drop":
            del container[key]
        elif op == "duplicate":
            if isinstance(container, dict):
                spelling = [key.upper(), key.lower(), key + " ", "_" + key][chooser.index(4)] if isinstance(
                    key, str) else key
                container[spelling] = copy.deepcopy(container[key])
            else:
                container.insert(key, copy.deepcopy(container[key]))
        elif op == "wrap":
            container[key] = [container[key]] if chooser.index(2) else {"value": container[key]}
        elif op == "nest":
            container[key] = _deep(5 + chooser.index(35))
        else:  # retype: the same value as another JSON type
            value = container[key]
            container[key] = str(value) if not isinstance(value, str) else _as_number(value)
    return tree


def _as_number(text: str) -> Any:
    try:
        return float(text) if "." in text else int(text)
    except ValueError:
        return len(text)


@st.composite
def mutated(draw: Callable, base: Any) -> Any:
    """Hypothesis strategy: ``base`` after 1-4 mutations (see :func:`mutate`)."""
    return mutate(base, _DrawChooser(draw))


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:  # noqa: ARG001 - pytest hook
    """Print the cases run per payload family (the fuzz figures)."""
    if not CASES:
        return
    terminalreporter.section("fuzz cases per payload family")
    for family, n in sorted(CASES.items()):
        terminalreporter.write_line(f"{family}: {n:,} cases")
    terminalreporter.write_line(f"total: {sum(CASES.values()):,} cases")
