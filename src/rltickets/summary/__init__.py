"""The summary stage: every claim of the study with its verdict, and what the run cost."""
