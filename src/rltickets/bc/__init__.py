"""The BC stage: datasets of (observation, expert action) pairs from the experts' own rollouts. The BC student's
training (same architecture and θ0 as the RL actor) is `rltickets.core.cloning`."""
