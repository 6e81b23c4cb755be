"""Convexity from the Hessian: its eigenvalues at a point and the verdict positive semidefinite
or not, with a direction of negative curvature (:func:`convexity`); and the same over a set of
points, random (:func:`random_points`) or on a grid (:func:`grid_points`), by :func:`survey`.

A twice differentiable function is convex on a convex set exactly when its Hessian is positive
semidefinite (zᵀHz ≥ 0 for every z) at every point of it; a finite set of points can refute
convexity (one point with λ_min < 0 suffices) but never prove it.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from graphcost.errors import UsageError
from graphcost.numeric.hessian import OutputNode, hessian
from graphcost.numeric.model import NumericModel
from graphcost.numeric.second_partials import SecondKernel

#: Default relative tolerance of the verdict: λ_min ≥ −tolerance·max|λ| counts as ≥ 0, since
#: the computed Hessian is exact only up to rounding (about eps·depth relative).
PSD_TOLERANCE = 1e-9
#: Most points a survey evaluates.
MAX_POINTS = 10_000


@dataclass(frozen=True)
class Convexity:
    """The verdict on one symmetric Hessian.

    Attributes
    ----------
    eigenvalues
        Ascending.
    threshold
        The smallest eigenvalue admitted as "≥ 0": −tolerance·max|λ| (≤ 0).
    psd
        Whether every eigenvalue is ≥ ``threshold``.
    direction
        When not ``psd``: the unit eigenvector z of the smallest eigenvalue (zᵀHz < 0).
    curvature
        zᵀHz for ``direction`` (the smallest eigenvalue), else ``None``.
    """

    eigenvalues: np.ndarray
    threshold: float
    psd: bool
    direction: np.ndarray | None = None
    curvature: float | None = None


def convexity(matrix: np.ndarray, tolerance: float = PSD_TOLERANCE) -> Convexity:
    """Eigenvalues of the symmetric part of ``matrix`` and whether it is positive semidefinite.

    Examples
    --------
    >>> c = convexity(np.array([[2.0, 0.0], [0.0, -1.0]]))
    >>> c.eigenvalues.tolist(), c.psd, c.direction.tolist(), c.curvature
    ([-1.0, 2.0], False, [0.0, 1.0], -1.0)
    >>> convexity(np.array([[1.0, 1.0], [1.0, 1.0]])).psd
    True
    """
    symmetric = (matrix + matrix.T) / 2
    if not symmetric.size:
        return Convexity(np.zeros(0), 0.0, True)
    eigenvalues, vectors = np.linalg.eigh(symmetric)
    threshold = -tolerance * float(np.max(np.abs(eigenvalues)))
    if eigenvalues[0] >= threshold:
        return Convexity(eigenvalues, threshold, True)
    z = vectors[:, 0]
    z = z if z[np.argmax(np.abs(z))] > 0 else -z  # sign fixed: largest entry positive
    return Convexity(eigenvalues, threshold, False, z, float(z @ symmetric @ z))


def random_points(
    base: Mapping[int, np.ndarray], wrt: Sequence[int], count: int, seed: int, radius: float
) -> list[dict[int, np.ndarray]]:
    """``count`` points: the chosen inputs drawn radius·randn (numpy's generator, ``seed``), the
    other inputs as in ``base``.

    Raises
    ------
    UsageError
        When ``count`` exceeds :data:`MAX_POINTS`.
    """
    _within(count)
    rng = np.random.default_rng(seed)
    points = []
    for _ in range(count):
        point = {b: np.array(v, dtype=float) for b, v in base.items()}
        for b in wrt:
            point[b] = radius * rng.standard_normal(point[b].shape)
        points.append(point)
    return points


@dataclass(frozen=True)
class Axis:
    """One axis of a grid: the entries (block, index) it sets and the values it takes."""

    name: str
    entries: tuple[tuple[int, int], ...]
    values: tuple[float, ...]


def grid_points(
    base: Mapping[int, np.ndarray], axes: Sequence[Axis]
) -> list[dict[int, np.ndarray]]:
    """Every combination of the axes' values, the rest of the point as in ``base``.

    Raises
    ------
    UsageError
        When the grid has more than :data:`MAX_POINTS` points.
    """
    _within(math.prod(len(axis.values) for axis in axes))
    points = []
    for combination in itertools.product(*(axis.values for axis in axes)):
        point = {b: np.array(v, dtype=float) for b, v in base.items()}
        for axis, value in zip(axes, combination, strict=True):
            for block, index in axis.entries:
                point[block][index] = value
        points.append(point)
    return points


def _within(count: int) -> None:
    if count > MAX_POINTS:
        raise UsageError(
            f"{count:,} points are more than {MAX_POINTS:,}",
            fix="ask for fewer points (--points) or a coarser grid (--grid NAME=A:B:COUNT)",
        )


def survey(
    model: NumericModel,
    points: Sequence[Mapping[int, np.ndarray]],
    output: OutputNode,
    wrt: list[int],
    kernels: dict[int, SecondKernel],
    tolerance: float = PSD_TOLERANCE,
) -> list[Convexity]:
    """:func:`convexity` of the Hessian at every point (the second partials compiled once)."""
    return [
        convexity(hessian(model, point, output, wrt=wrt, kernels=kernels).matrix, tolerance)
        for point in points
    ]
