"""The experts stage: dense PPO experts (their rollouts become the BC datasets), θ0 per task and seed, and the
uniform-random policy's return that normalised performance is measured against."""
