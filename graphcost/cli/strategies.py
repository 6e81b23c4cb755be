"""The ``--strategy`` options of ``analyze``: run elimination strategies, add them to the report.

Kept apart from :mod:`graphcost.cli.analyze` so that the command stays thin: one decorator adds
the options and hands the command a single :class:`StrategyRequest` (or ``None``).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from graphcost.cli.base import jobs_option, scheduler_option
from graphcost.cli.completion import complete_strategy
from graphcost.cli.family_report import (
    FAMILIES_WORD,
    check_request,
    family_names,
    is_family,
    run_family,
)
from graphcost.cli.strategy_report import add_results, best_result
from graphcost.errors import UsageError

#: What ``--for`` writes: graphcost's vertex names, or Graphax's equation indices.
SAVE_FORMATS = ("graphcost", "graphax")


def write_order(
    path: str | Path, order: Sequence[str], *, problem: Any = None, form: str = "graphcost"
) -> None:
    """Write an order atomically (``--save-order``): one name per line (read back with
    ``order:PATH``), or for ``form="graphax"`` Graphax's equation indices, ``[12, 15, 3]``
    (:func:`graphcost.eliminate.graphax.to_graphax`; read back with ``graphax:PATH``)."""
    from graphcost.report.writers import write_atomic

    if form == "graphax":
        from graphcost.eliminate.graphax import format_graphax_order, to_graphax

        write_atomic(path, format_graphax_order(to_graphax(problem, order)))
    else:
        write_atomic(path, "".join(f"{name}\n" for name in order))


@dataclass(frozen=True)
class StrategyRequest:
    """What the user asked for with ``--strategy`` and the options strategies read."""

    specs: tuple[str, ...]
    everything: bool
    seed: int
    time_limit: float | None
    iterations: int | None
    jobs: int
    scheduler: str | None
    save_order: str | None
    save_for: str = "graphcost"
    memory_limit: int | None = None

    def options(self) -> Any:
        from graphcost.eliminate.registry import StrategyOptions

        return StrategyOptions(
            seed=self.seed,
            time_limit=self.time_limit,
            iterations=self.iterations,
            jobs=self.jobs,
            scheduler=self.scheduler,
            memory_limit=self.memory_limit,
        )

    def require_values(self, unset: Iterable[str]) -> None:
        """Strategies compare numbers: refuse when a size symbol has no value."""
        missing = sorted(unset)
        if missing:
            raise UsageError(
                f"--strategy needs numeric sizes, and symbol {missing[0]!r} has no value",
                fix=f"pass --set {missing[0]}=VALUE",
            )

    def add_to(
        self, report: Any, graph: Any, values: Mapping[str, int], *, nodes: bool = False
    ) -> list[Any]:
        """Run the strategies on ``graph`` and put them into ``report`` (table, JSON, CSV).

        Returns
        -------
        list of StrategyResult
        """
        from graphcost.eliminate.problem import elimination_problem

        problem = elimination_problem(graph, values, level="node" if nodes else "auto")
        check_request(self.specs, problem, self.save_order)  # --nodes, --save-order: now
        if self.save_order is not None and self.save_for == "graphax":
            from graphcost.eliminate.graphax import check_graphax_numbering

            check_graphax_numbering(problem)  # before a long search, not after
        results, skipped = self.run(problem)
        if not results:
            raise UsageError(
                "no strategy applied to this graph",
                fix="; ".join(skipped) or "choose strategies with --strategy",
            )
        add_results(report, results, problem, skipped)
        if self.save_order is not None:
            write_order(
                self.save_order, best_result(results).order, problem=problem, form=self.save_for
            )
        return results

    def run(self, problem: Any) -> tuple[list[Any], list[str]]:
        """Run every requested strategy; under ``all``, one that does not apply is skipped."""
        from graphcost.cli.progress import strategy_progress
        from graphcost.eliminate.registry import STRATEGIES
        from graphcost.eliminate.strategies import run_strategy
        from graphcost.errors import GraphcostError
        from graphcost.parallel.signals import terminate_as_interrupt

        options = self.options()
        names = list(self.specs)
        if self.everything:
            chosen = [n for n, s in STRATEGIES.items() if not s.takes_argument]
            names = chosen + [n for n in names if n not in chosen]
        results, skipped = [], []
        # SIGTERM stops a long search as Ctrl-C does: workers stopped, exit 130.
        with terminate_as_interrupt():
            for name in names:
                try:
                    run = run_family if is_family(name) else run_strategy
                    with strategy_progress(name):  # a line on stderr, on terminals only
                        results.append(run(problem, name, options))
                except GraphcostError as error:
                    if not self.everything or name in self.specs:
                        raise
                    skipped.append(f"{name}: skipped ({error})")
        return results, skipped


def parse_specs(values: Iterable[str]) -> tuple[tuple[str, ...], bool]:
    """Split ``--strategy`` values on commas; ``order:a,b,c`` keeps the names that follow it.

    A comma-separated item that is not a strategy name and has no ``:`` continues the
    ``order:`` spec before it, so ``--strategy markowitz,order:h2,h1`` is two strategies.

    ``families`` stands for every edge, face and portfolio strategy
    (:func:`graphcost.cli.family_report.family_names`), in registry order.

    Returns
    -------
    specs, everything
        The strategy specs in order (duplicates dropped), and whether ``all`` was given.
    """
    from graphcost.eliminate.registry import ALIASES, STRATEGIES

    families = family_names()
    known = set(STRATEGIES) | set(ALIASES) | set(families) | {"all", FAMILIES_WORD}
    specs: list[str] = []
    everything = False
    for value in values:
        current: list[str] | None = None
        for part in value.split(","):
            word = part.strip()
            if current is not None and word and word not in known and ":" not in word:
                current.append(word)
                continue
            if current is not None:
                specs.append(",".join(current))
                current = None
            if not word:
                raise UsageError(f"empty strategy name in --strategy {value!r}")
            if word == "all":
                everything = True
            elif word == FAMILIES_WORD:
                specs.extend(families)
            elif ":" in word:
                current = [word]
            elif word in known:
                specs.append(ALIASES.get(word, word))
            else:
                raise UsageError(
                    f"unknown strategy {word!r}",
                    fix=f"choose from: {', '.join(STRATEGIES)}, {', '.join(families)}, "
                    f"all, {FAMILIES_WORD}; aliases: "
                    + ", ".join(f"{a} (= {t})" for a, t in ALIASES.items())
                    + "; or order:a,b,c / order:PATH",
                )
        if current is not None:
            specs.append(",".join(current))
    return tuple(dict.fromkeys(specs)), everything


def _checked_budget(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    """Option callback: refuse NaN, infinite and absurd budgets before any work starts
    (a NaN time limit passes click's range check and never expires)."""
    if value is None:  # no budget given: nothing to check, and no strategy module to import
        return value
    from graphcost.eliminate.search import check_budget

    if param.name == "time_limit":
        check_budget(value, None)
    else:
        check_budget(None, value)
    return value


def _memory_limit(ctx: click.Context, param: click.Parameter, value: str | None) -> int | None:
    """Option callback: ``--memory-limit`` in bytes (``512M``, ``2G``)."""
    if value is None:
        return None
    from graphcost.eliminate.memory import parse_memory

    return parse_memory(value)


def _search_seed(ctx: click.Context, param: click.Parameter, value: int | None) -> int:
    """``--search-seed``, else a seed the deprecated ``--seed`` already set, else 0."""
    return value if value is not None else ctx.params.get("seed", 0)


def _old_seed(ctx: click.Context, param: click.Parameter, value: int | None) -> None:
    """The deprecated spelling of ``--search-seed``: still obeyed, with a warning."""
    if value is None:
        return
    from graphcost.cli.base import warn

    warn(
        "--seed of analyze, sweep and draw is now --search-seed (--seed seeds random values "
        "in trace, check and hessian); the old spelling still works for now"
    )
    ctx.params["seed"] = value


#: --search-seed, --time-limit and --iterations: what searching strategies (optimal, search)
#: run with.
SEARCH_BUDGET_OPTIONS = (
    click.option(
        "--search-seed",
        "seed",
        type=int,
        default=None,
        callback=_search_seed,
        metavar="N",
        help="Seed of the searching strategies (default 0). Formerly --seed, which everywhere "
        "else (trace, check, hessian) seeds random values.",
    ),
    click.option(
        "--seed",
        "old_seed",
        type=int,
        default=None,
        hidden=True,
        expose_value=False,
        callback=_old_seed,
        help="Deprecated spelling of --search-seed (warns).",
    ),
    click.option(
        "--time-limit",
        type=float,
        callback=_checked_budget,
        default=None,
        metavar="SECONDS",
        help="Time budget of searching strategies (each; per point in a sweep).",
    ),
    click.option(
        "--iterations",
        type=click.IntRange(min=1),
        callback=_checked_budget,
        default=None,
        metavar="N",
        help="Iteration budget of searching strategies (the result then depends only on "
        "--search-seed and N).",
    ),
)


def search_budget_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """Add --search-seed, --time-limit and --iterations (for a command that scores one
    strategy)."""
    for option in reversed(SEARCH_BUDGET_OPTIONS):
        command = option(command)
    return command


def strategy_options(function: Callable[..., Any]) -> Callable[..., Any]:
    """Add ``--strategy`` and the options strategies read; the command gets ``strategies``
    (a :class:`StrategyRequest`, or ``None`` without ``--strategy``)."""

    @functools.wraps(function)
    def command(
        *args: Any,
        strategy_specs: tuple[str, ...],
        seed: int,
        time_limit: float | None,
        iterations: int | None,
        jobs: int,
        scheduler: str | None,
        save_order: str | None,
        save_for: str | None,
        memory_limit: int | None,
        **kwargs: Any,
    ) -> Any:
        request = None
        if save_for is not None and save_order is None:
            raise UsageError(
                "--for needs --save-order", fix="e.g. --save-order best.txt --for graphax"
            )
        if strategy_specs:
            from graphcost.parallel import check_jobs

            # Here, not only in the strategy: under `all` a strategy's error is a skip.
            check_jobs(jobs, cluster=scheduler is not None)
            specs, everything = parse_specs(strategy_specs)
            request = StrategyRequest(
                specs,
                everything,
                seed,
                time_limit,
                iterations,
                jobs,
                scheduler,
                save_order,
                save_for or "graphcost",
                memory_limit,
            )
        elif save_order is not None:
            raise UsageError("--save-order needs --strategy", fix="e.g. --strategy all")
        return function(*args, strategies=request, **kwargs)

    options = [
        click.option(
            "--strategy",
            "-s",
            "strategy_specs",
            multiple=True,
            metavar="NAMES",
            shell_complete=complete_strategy,
            help="Also score vertex elimination strategies, comma-separated or repeated: "
            "forward, backward (= reverse), markowitz, chain, optimal, search, order:a,b,c, "
            "order:PATH, graphax:PATH (a Graphax / AlphaGrad order of 1-based equation indices, "
            "e.g. graphax:best.txt or 'graphax:[12, 15, 3]'), or all (every vertex strategy). "
            "Block graphs are eliminated block by block (--nodes: node by node). Edge and face "
            "elimination on single nodes (with --nodes on a block graph): edge-markowitz, "
            "edge-relative-markowitz, edge-fill-in, edge-search, edge-optimal, face-markowitz, "
            "face-fill-in, face-absorb, face-optimal, portfolio (the best of the cheap vertex, "
            "edge and face heuristics), or families (all ten); e.g. -s all,families.",
        ),
        *SEARCH_BUDGET_OPTIONS,
        click.option(
            "--memory-limit",
            callback=_memory_limit,
            default=None,
            metavar="SIZE",
            help="Memory optimal's best-first search may hold, e.g. 512M or 2G (default a quarter "
            "of the RAM); past it, it continues depth first (iterative deepening) instead of "
            "growing. The JSON reports its states, states per second and memory.",
        ),
        jobs_option("strategies that run restarts in parallel"),
        scheduler_option("the restarts of parallel strategies"),
        click.option(
            "--save-order",
            type=click.Path(dir_okay=False),
            default=None,
            metavar="PATH",
            help="Write the best order found, one name per line (read back with order:PATH). "
            'Vertex strategies only: edge and face sequences are in the JSON\'s "steps".',
        ),
        click.option(
            "--for",
            "save_for",
            type=click.Choice(SAVE_FORMATS),
            default=None,
            help="With --save-order: 'graphax' writes Graphax's 1-based equation indices as a "
            "list, [12, 15, 3], to paste into graphax.jacve(f, order=...) (graphs imported from "
            "a jaxpr, vertices v<index>; equations the importer pruned come first); read back "
            "with graphax:PATH. Default: graphcost (vertex names).",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command
