"""Safe size expressions: exact values, a strict whitelist, and bounded work on hostile input."""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction

import pytest
import sympy
from hypothesis import example, given
from hypothesis import strategies as st

from graphcost.errors import ExpressionError
from graphcost.graph.arithmetic import MAX_EXPONENT
from graphcost.graph.expr import MAX_DEPTH, parse_expression
from graphcost.graph.quoting import quote


@pytest.mark.parametrize(
    ("text", "values", "expected"),
    [
        ("2*n/3", {"n": 30}, Fraction(20)),
        ("2*n/3", {"n": 10}, Fraction(20, 3)),
        ("n//3", {"n": 10}, Fraction(3)),
        ("(n + m) * 2 - 1", {"n": 3, "m": 4}, Fraction(13)),
        ("n**2 - -n", {"n": 5}, Fraction(30)),
        ("+n", {"n": 7}, Fraction(7)),
        ("2**-2", {}, Fraction(1, 4)),
        (12, {}, Fraction(12)),
        ("3*10**9", {}, Fraction(3_000_000_000)),
    ],
)
def test_evaluate_exactly(text: str | int, values: dict[str, int], expected: Fraction) -> None:
    assert parse_expression(text).evaluate(values) == expected


def test_names_and_functions_are_collected() -> None:
    expr = parse_expression("f(n) + g(m, 2) * k", functions=frozenset({"f", "g"}))
    assert expr.names == {"n", "m", "k"}
    assert expr.functions == {"f", "g"}


def test_floats_only_when_allowed() -> None:
    with pytest.raises(ExpressionError, match=r"decimal number 0\.5 is not allowed"):
        parse_expression("0.5*n")
    assert parse_expression("0.5*n", allow_floats=True).evaluate({"n": 4}) == 2


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("n.__class__", "attribute access not allowed"),
        ("__import__('os').system('true')", "only plain function names may be called"),
        ("exec('1')", "unknown function 'exec'"),
        ("lambda: 1", "lambdas not allowed"),
        ("[1][0]", "subscripts not allowed"),
        ("[x for x in n]", "comprehensions not allowed"),
        ("'a' * 3", "literal 'a' is not allowed"),
        ("True + 1", "literal True is not allowed"),
        ("n if n else 1", "conditional expressions not allowed"),
        ("n < 3", "comparisons not allowed"),
        ("(n := 3)", "assignment expressions not allowed"),
        ("f'{n}'", "f-strings not allowed"),
        ("1 << 10", "operator LShift is not allowed"),
        ("7 % 2", "operator Mod is not allowed"),
        ("~n", "operator Invert is not allowed"),
        ("n +", "cannot parse expression"),
        ("", "empty expression"),
        ("import os", "cannot parse expression"),
    ],
)
def test_anything_but_arithmetic_is_refused(text: str, message: str) -> None:
    with pytest.raises(ExpressionError, match=message):
        parse_expression(text)


def test_keyword_arguments_are_refused() -> None:
    with pytest.raises(ExpressionError, match="keyword arguments are not allowed"):
        parse_expression("f(x=1)", functions=frozenset({"f"}))


@pytest.mark.parametrize("value", [None, 1.5, True, [1], {"n": 1}])
def test_non_expressions_are_refused(value: object) -> None:
    with pytest.raises(ExpressionError, match="expected an expression"):
        parse_expression(value)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2**10**10", rf"exponent 10000000000 .* too large \(at most {MAX_EXPONENT}\)"),
        ("2**-2000", "exponent -2000"),
        ("(2**999)**999", "too large to compute"),
        ("(2**999)**100 * (2**999)**100", "too large to compute"),
        ("1/(2**999)**100 + 1/3**100", "too large to compute"),
        ("-" * 5000 + "1", "nested too deeply"),
        ("1+" * (MAX_DEPTH + 5) + "1", f"nested deeper than {MAX_DEPTH} levels"),
        ("1/0", "division by zero in '1/0'"),
        ("n//(n-n)", "division by zero"),
        ("0**-1", "division by zero"),
        ("2**(1/2)", "non-integer exponent 1/2"),
        ("n" * 10_001, "too long"),
    ],
)
def test_hostile_expressions_fail_fast(
    text: str, message: str, peak_allocation: Callable[..., int]
) -> None:
    def attempt() -> None:
        with pytest.raises(ExpressionError, match=message):
            parse_expression(text).evaluate({"n": 3})

    # Computing any of these would allocate far more than the bound before failing.
    assert peak_allocation(attempt) < 4 * 1024**2


def test_unknown_symbol_names_the_fix() -> None:
    with pytest.raises(ExpressionError) as caught:
        parse_expression("2*m").evaluate({"n": 3})
    assert str(caught.value) == (
        "unknown symbol 'm' in '2*m'; give it a value under 'symbols:' or with --set m=VALUE"
    )


def test_big_but_bounded_values_are_exact() -> None:
    # 999 · 100 bits is under the bound: computed exactly, not refused.
    assert parse_expression("(2**999)**100 // 2**998").evaluate({}) == 2 ** (999 * 100 - 998)


def test_to_sympy_matches_evaluate() -> None:
    n = sympy.Symbol("n", positive=True, integer=True)
    expr = parse_expression("2*n/3 + n//2 - 1")
    symbolic = expr.to_sympy({"n": n})
    for value in (3, 10, 31):
        assert symbolic.subs(n, value) == sympy.Rational(*_pair(expr.evaluate({"n": value})))


def test_to_sympy_refuses_huge_exponents() -> None:
    with pytest.raises(ExpressionError, match="too large"):
        parse_expression("n**5000").to_sympy({"n": sympy.Symbol("n")})


def _pair(value: Fraction) -> tuple[int, int]:
    return value.numerator, value.denominator


# Each drawn expression comes as (our text, the same with every literal wrapped in F(...)).
_leaf = st.one_of(
    st.integers(min_value=0, max_value=50).map(lambda k: (str(k), f"F({k})")),
    st.sampled_from(["n", "m"]).map(lambda name: (name, name)),
)
_expressions = st.recursive(
    _leaf,
    lambda inner: st.tuples(inner, st.sampled_from(["+", "-", "*", "/", "//"]), inner).map(
        # Fraction // Fraction is an int in Python, and int / int a float: the reference keeps
        # every intermediate a Fraction, as graphcost's exact arithmetic does
        lambda p: (f"({p[0][0]} {p[1]} {p[2][0]})", f"F({p[0][1]} {p[1]} {p[2][1]})")
    ),
    max_leaves=12,
)


@given(_expressions, st.integers(1, 40), st.integers(1, 40))
@example(("((1 // 1) / (3 // 1))", "F(F(F(1) // F(1)) / F(F(3) // F(1)))"), 1, 1)
def test_evaluate_agrees_with_python_on_fractions(
    expression: tuple[str, str], n: int, m: int
) -> None:
    # The reference: Python's own Fraction arithmetic (the text is generated here, not read).
    text, reference = expression
    scope = {"F": Fraction, "n": Fraction(n), "m": Fraction(m)}
    try:
        expected = eval(reference, {"__builtins__": {}}, scope)
    except ZeroDivisionError:
        with pytest.raises(ExpressionError, match="division by zero"):
            parse_expression(text).evaluate({"n": n, "m": m})
        return
    assert parse_expression(text).evaluate({"n": n, "m": m}) == expected


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("x*1e999", "number 1e999 in 'x*1e999' is beyond the range of a float"),
        ("x*" + "9" * 400, "(400 characters)"),
        ("ｘ*x", "name 'ｘ' in 'ｘ*x' would be read as 'x'"),
    ],
)
def test_node_function_numbers_and_names_read_as_written(text: str, fragment: str) -> None:
    with pytest.raises(ExpressionError) as caught:
        parse_expression(text, allow_floats=True)
    assert fragment in caught.value.message


def test_quote_abbreviates_and_escapes() -> None:
    assert quote("a\nb") == "'a\\nb'"
    assert quote("[" * 10_000) == repr("[" * 60 + "...")
