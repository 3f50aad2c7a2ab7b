"""Batched training engine: every network of one IMP level of one task trained in one process.

The N networks live as stacked tensors and step N x E environments at once (``engine.vec_envs``). SB3
(``rltickets.core.ppo``, ``rltickets.core.cloning``) stays the reference implementation. Submodules are
imported explicitly (``from rltickets.engine.vec_envs import make_batched_env``) so that this package
import stays light.
"""
