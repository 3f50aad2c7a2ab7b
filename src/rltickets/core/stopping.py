"""The stopping rule of behavioural cloning, for one network or N trained side by side (each stops on its own).

Pure bookkeeping on validation losses (numpy, no torch), so that the SB3 student and a batched trainer share it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

STOPPING_RULES = ("plateau", "fixed")


class PlateauStopper:
    """Per network: a new best when the validation loss is strictly below every earlier one (NaN never is).

    `plateau`: a network stops at the first epoch that is `patience` epochs past its best, or at `max_epochs`.
    `fixed`: every network runs `max_epochs` (its best epoch is still tracked).
    Call `update` once per epoch with the N validation losses; losses of networks that have stopped are ignored.
    """

    def __init__(self, num_networks: int, max_epochs: int, patience: int, rule: str = "plateau"):
        if rule not in STOPPING_RULES:
            raise ValueError(f"stopping rule {rule!r}: expected one of {', '.join(STOPPING_RULES)}")
        if max_epochs < 1 or patience < 1 or num_networks < 1:
            raise ValueError("num_networks, max_epochs and patience must be >= 1")
        self.rule, self.max_epochs, self.patience = rule, max_epochs, patience
        self.epoch = 0
        self.best_loss = np.full(num_networks, np.inf)
        self.best_epoch = np.zeros(num_networks, dtype=np.int64)  # 0: no finite loss yet
        self.stopped_epoch = np.zeros(num_networks, dtype=np.int64)  # 0: still training

    @property
    def running(self) -> np.ndarray:
        """Bool [N]: the networks still training."""
        return self.stopped_epoch == 0

    @property
    def done(self) -> bool:
        return not self.running.any()

    def update(self, val_losses: Sequence[float] | np.ndarray) -> np.ndarray:
        """Record epoch `self.epoch + 1`'s validation losses; return the bool [N] of networks that improved
        (a caller keeps their weights as the best so far). `self.stopped_epoch` says who stopped at this epoch."""
        if self.done:
            raise RuntimeError("every network has stopped")
        losses = np.asarray(val_losses, dtype=np.float64).reshape(-1)
        if losses.shape != self.best_loss.shape:
            raise ValueError(f"expected {self.best_loss.size} validation losses, got {losses.size}")
        self.epoch += 1
        running = self.running
        improved = running & (losses < self.best_loss)
        self.best_loss[improved] = losses[improved]
        self.best_epoch[improved] = self.epoch
        stop = running & (self.epoch >= self.max_epochs)
        if self.rule == "plateau":
            stop |= running & (self.epoch - self.best_epoch >= self.patience)
        self.stopped_epoch[stop] = self.epoch
        return improved
