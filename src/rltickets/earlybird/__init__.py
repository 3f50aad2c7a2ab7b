"""The Early-Bird stage: the thesis' DQN experiments (Exp 1-4), their tables, verdicts and figures."""
