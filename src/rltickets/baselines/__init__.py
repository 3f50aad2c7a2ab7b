"""The baselines stage: three disentangling baselines trained next to every ticket, from the ticket's mask."""
