"""JAX functions the importer tests trace (also importable as ``jax:tests.data.jax_programs:…``
from the repository's root, as the CLI tests do)."""

import jax
import jax.numpy as jnp
from jax import lax


def mlp(x, W1, b1, W2, b2):
    """A two-layer perceptron's squared output: relu, then tanh."""
    h = jax.nn.relu(W1 @ x + b1)
    return jnp.sum(jnp.tanh(W2 @ h + b2) ** 2)


def outer(x, y):
    """Broadcasting: the outer product, summed over its first axis."""
    return jnp.sum(x[:, None] * jnp.sin(y)[None, :], axis=0)


def batched(a, b):
    """A batched matrix product (dot_general with a batch dimension), transposed."""
    return jnp.transpose(jnp.einsum("bij,bjk->bik", a, b), (0, 2, 1))


def softmax_rows(s):
    """A softmax along the last axis (a custom_jvp call, inlined) and a jitted call."""
    p = jax.nn.softmax(s, axis=-1)
    return jax.jit(jnp.log1p)(p)


def branches(x, y):
    """select_n, integer_pow, comparisons and stop_gradient (no derivative through them)."""
    big = jnp.where(x > 0, x**3, jnp.exp(y))
    return big * lax.stop_gradient(y) + jnp.floor(x)


def reshapes(x):
    """Size-1 dimensions inserted and removed (exact), then a reduction with keepdims."""
    z = jnp.expand_dims(jnp.cos(x), 0)
    return jnp.squeeze(jnp.sum(z * z, axis=2, keepdims=True), 0)


def copies(x, y):
    """An output that feeds another equation and a returned input: copy vertices."""
    h = jnp.sin(x) * y
    return h, h * h, y


def slices(x):
    """Slices (prefix, offset, strided) and a concatenation: shifted signatures."""
    return jnp.concatenate([jnp.sin(x[:2]), x[1:] * x[:-1], x[::2] ** 2])


def padded(x):
    """Padding (low, high, and a crop with negative low) of a matrix."""
    return jnp.tanh(jax.lax.pad(x, 0.0, [(1, 2, 0), (-1, 0, 0)]))


def merged(x):
    """A reshape that merges dimensions: held as full (an upper bound)."""
    return jnp.sin(jnp.reshape(jnp.exp(x), (6,)))[::-1]


def remat(x):
    """A checkpointed call, inlined."""
    return jax.checkpoint(lambda v: jnp.tanh(v) * v)(x)


def loop(x):
    """A fori_loop (a scan): refused unless unrolled."""
    return lax.fori_loop(0, 3, lambda i, c: jnp.sin(c) * 2.0, x)


def scanned(xs):
    """A scan over rows with a carry and stacked outputs."""

    def step(c, row):
        c = c * jnp.cos(row)
        return c, c.sum()

    carry, ys = lax.scan(step, jnp.ones(xs.shape[1]), xs)
    return carry, ys


def cond(x):
    """A cond: the branch taken depends on the value."""
    return lax.cond(x[0] > 0, jnp.sin, jnp.cos, x)


def while_loop(x):
    """A while loop whose iteration count depends on the value."""
    return lax.while_loop(lambda c: jnp.sum(c) < 10.0, lambda c: c * 2.0 + 1.0, x)


def unsupported(x):
    """A cumulative sum: no rule (its Jacobian is triangular)."""
    return jnp.cumsum(jnp.sin(x))


def raises(x):
    """A function that fails when traced."""
    raise ValueError("this function always fails")
