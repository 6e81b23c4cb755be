"""Shared by the benchmarks: they print figures and verdicts; they never assert time."""

from __future__ import annotations


def verdict(label: str, met: bool, figure: str) -> None:
    """Print whether a performance target was met, with the measured figure.

    Benchmarks report targets instead of asserting them: a loaded machine must not turn a
    measurement into a failure, and a missed target must still be visible in the output.
    """
    print(f"  target {label}: {'met' if met else 'MISSED'} ({figure})")
