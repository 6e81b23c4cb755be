"""A two-layer perceptron's squared-error loss, as a JAX function (an example program for
``graphcost import jax`` and ``graphcost analyze jax:graphs/programs/mlp.py:loss``)."""

import jax
import jax.numpy as jnp


def loss(x, W1, b1, W2, b2, target):
    """Squared error of tanh(W2 relu(W1 x + b1) + b2) against ``target``."""
    hidden = jax.nn.relu(W1 @ x + b1)
    out = jnp.tanh(W2 @ hidden + b2)
    return jnp.sum((out - target) ** 2)
