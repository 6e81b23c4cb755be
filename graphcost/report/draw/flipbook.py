"""A flip-book of an elimination: one picture per step, written to a folder at once.

:func:`elimination_frames` turns an order into scenes (frame 0 the graph as it is, frame k
the graph after the k-th elimination, the running multiplication count in the title), drawn
on one layout so that vertices stay where they are from frame to frame. :func:`write_frames`
writes them as ``step-00.svg``, ``step-01.svg``, … into a hidden folder beside the target and
renames it into place only when every frame is written: a failure leaves no half-written
picture and the previous flip-book, if any, as it was.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from graphcost.eliminate.problem import EliminationProblem
from graphcost.eliminate.steps import elimination_steps
from graphcost.errors import UsageError
from graphcost.report.draw.output import FORMATS, Format, lay_out, render
from graphcost.report.draw.scene import Scene, start_scene, step_scene

#: Most frames of a flip-book (one per intermediate vertex, plus the start).
MAX_FRAMES = 1_000
_FRAME = re.compile(r"^step-\d+\.(" + "|".join(FORMATS) + r")$")


def _count(value: Any) -> str:
    return f"{value:,}" if isinstance(value, int) else str(value)


def elimination_frames(
    base: Scene, problem: EliminationProblem, order: Sequence[Any], strategy: str
) -> Iterator[Scene]:
    """The frames of eliminating ``order`` on ``problem``, drawn over ``base``.

    ``base`` has one vertex per vertex of ``problem`` (same keys). Frame k's title says which
    vertex was eliminated, what it cost and the running total; the last total is the order's
    multiplications as :func:`~graphcost.eliminate.engine.eliminate` scores it.
    """
    steps = len(problem.intermediates)
    yield start_scene(base, f"{strategy}: before eliminating — 0 multiplications")
    gone: set[int] = set()
    via: dict[tuple[int, int], tuple[int, ...]] = {}
    for step in elimination_steps(problem, order):
        caption = (
            f"{strategy}: step {step.number}/{steps}, eliminate {problem.names[step.vertex]} "
            f"(+{_count(step.multiplications)}) — {_count(step.total_multiplications)} "
            f"multiplication{'' if step.total_multiplications == 1 else 's'}"
        )
        yield step_scene(base, step, gone, caption, via)
        gone.add(step.vertex)


def frame_names(count: int, fmt: Format) -> list[str]:
    """``step-00.svg`` … for ``count`` frames (more digits when there are 100 or more)."""
    width = max(2, len(str(count - 1)))
    return [f"step-{i:0{width}d}.{fmt.name}" for i in range(count)]


def check_folder(folder: str | os.PathLike[str]) -> Path:
    """Refuse a ``--steps`` folder that cannot receive a flip-book, before any work.

    It may be new, empty, or hold a previous flip-book (``step-NN.*`` files only), which is
    replaced as a whole.

    Raises
    ------
    UsageError
        Its parent folder is missing, it is a file, or it holds other files.
    """
    path = Path(folder)
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise UsageError(
            f"--steps {str(folder)!r}: folder {str(parent)!r} does not exist",
            fix="create it first, or give another folder",
        )
    if path.exists() and not path.is_dir():
        raise UsageError(
            f"--steps {str(folder)!r} is a file, not a folder", fix="give a new folder's name"
        )
    if path.is_dir():
        others = sorted(p.name for p in path.iterdir() if not _FRAME.match(p.name))
        if others:
            raise UsageError(
                f"--steps {str(folder)!r} holds files that are not frames of a flip-book "
                f"({', '.join(others[:3])}{', …' if len(others) > 3 else ''})",
                fix="give a new or empty folder; a previous flip-book there is replaced",
            )
    return path


def write_frames(
    frames: Iterable[Scene], count: int, fmt: Format, folder: str | os.PathLike[str]
) -> list[Path]:
    """Write ``count`` frames into ``folder`` (see the module docstring); return their paths.

    Raises
    ------
    UsageError
        As :func:`check_folder`, or when the folder cannot be written.
    """
    target = check_folder(folder)
    parent = target.parent if str(target.parent) else Path(".")
    try:
        staging = Path(tempfile.mkdtemp(dir=parent, prefix=f".{target.name}.", suffix=".partial"))
    except OSError as error:
        raise UsageError(
            f"cannot write --steps {str(folder)!r}: {error.strerror}",
            fix="check that its parent folder is writable",
        ) from None
    names = frame_names(count, fmt)
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(staging, 0o777 & ~umask)
        layout = None
        for index, scene in enumerate(frames):
            if layout is None:
                layout = lay_out(scene, fmt)
            _write_frame(staging / names[index], scene, layout, fmt, folder)
        _swap_into_place(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return [target / name for name in names]


def _write_frame(path: Path, scene: Scene, layout: Any, fmt: Format, folder: Any) -> None:
    from graphcost.report.writers import WRITE_ERRNOS

    mode, encoding = ("wb", None) if fmt.image else ("w", "utf-8")
    try:
        with open(path, mode, encoding=encoding) as stream:
            render(scene, layout, fmt, stream)
    except OSError as error:
        if error.errno not in WRITE_ERRNOS:
            raise
        raise UsageError(
            f"cannot write --steps {str(folder)!r}: {error.strerror}",
            fix=f"free some space, or write somewhere else; {str(folder)!r} is left as it was",
        ) from None


def _swap_into_place(staging: Path, target: Path) -> None:
    """Rename ``staging`` onto ``target``; a previous flip-book there is removed after."""
    if not target.exists():
        os.rename(staging, target)
        return
    old = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}.", suffix=".old"))
    os.rmdir(old)
    os.rename(target, old)
    try:
        os.rename(staging, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.rename(old, target)
        raise
    shutil.rmtree(old, ignore_errors=True)
