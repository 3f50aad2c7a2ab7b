"""What every stage builds on: the task registry, the gridworld, masks and pruning, PPO and BC training."""
