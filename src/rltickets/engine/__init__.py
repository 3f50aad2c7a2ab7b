"""The batched engine: all networks of one IMP level trained in one process as stacked tensors.

`vec_envs` (batched environments), `policy` (stacked SB3 MlpPolicies), `ppo` (batched PPO), `evaluation`
(batched deterministic episodes). SB3 (`rltickets.core.ppo`) stays the reference implementation.
"""
