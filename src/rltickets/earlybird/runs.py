"""The thesis' Early-Bird runs (Exp 1-4) on the DQN of `earlybird.dqn`.

* `draw_mask` prunes the fraction P of a Q-network's weights at once (one-shot, global, |w|).
* `run_dense`: the shared dense run of one (task, repetition): 500 episodes without early stopping; draws a mask
  per P every `mask_every` episodes (Exp 1), keeps the weights at every e_prune (Exp 2, 3) and at the point
  where early stopping would have fired (the unpruned reference and the one-shot winning ticket's source).
* `run_pruned`: one Exp 2 (rewind to θ0) or Exp 3 (fine-tune from θ_e) retrain at one (P, e_prune).
* `run_eb_exploit`: Exp 4 (algorithm 3.1), with the consecutive-mask detector or You et al.'s EB Train detector.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from ..core.masking import dense_masks
from ..core.pruning import fraction_remaining, layer_sparsity, prune_global_magnitude
from ..infra.settings import DqnProtocol, ExploitSettings
from .dqn import DqnAgent, EpisodeProtocol, greedy_return, q_network_weights, train_dqn
from .masks import WINNING_TICKET, episode_label, flatten_mask, fraction_key, mask_similarity


def draw_mask(weights: dict[str, torch.Tensor], fraction: float) -> dict[str, torch.Tensor]:
    """Prune `fraction` of all weight matrices at once (from dense), globally by |w|: the thesis' one-shot P."""
    return prune_global_magnitude(weights, dense_masks(weights), fraction)


def online_state(model) -> dict[str, torch.Tensor]:
    """The online Q-network's state (weights and biases), without the target network."""
    return {k: v.detach().clone() for k, v in model.policy.state_dict().items() if not k.startswith("q_net_target.")}


# ---- Exp 1-3's shared dense run ----
def run_dense(agent: DqnAgent, protocol: DqnProtocol) -> dict[str, Any]:
    """Train `max_episodes` episodes without early stopping and record everything the experiments prune from:
    a mask per P of `protocol.prune_fractions` every `mask_every` episodes, the weights at `prune_episodes`.

    Returns θ0 (the whole policy state), the checkpoints at each e_prune and at the early-stopping point
    ('es'; the final episode if the window was never reached), the ε in force after each checkpoint, the
    Exp 1 masks (one per P every `mask_every` episodes) and the episode log with the unpruned reference
    (early-stopping episode and the greedy test return of the network at that point).
    """
    prune_fractions = protocol.prune_fractions
    checkpoints: dict[str, dict[str, torch.Tensor]] = {}
    epsilons: dict[str, float] = {}
    snapshot_episodes: list[int] = []
    snapshots: dict[str, list[np.ndarray]] = {fraction_key(p): [] for p in prune_fractions}
    wanted = set(protocol.prune_episodes)

    def record(proto: EpisodeProtocol, episode: int) -> None:
        model = proto.model
        if episode % protocol.mask_every == 0:
            weights = q_network_weights(model)
            snapshot_episodes.append(episode)
            for p in prune_fractions:
                snapshots[fraction_key(p)].append(flatten_mask(draw_mask(weights, p)))
        labels = [episode_label(episode)] if episode in wanted else []
        if proto.early_stopped_at == episode or (proto.early_stopped_at is None and episode == proto.max_episodes):
            labels.append(WINNING_TICKET)
        for label in labels:
            checkpoints[label] = online_state(model)
            epsilons[label] = model.epsilon_after_current_step()

    model, proto, wall = train_dqn(agent, protocol, early_stopping=False, hooks=[record])
    theta0 = model.initial_parameters
    missing = sorted(wanted - {int(k[len("episode") :]) for k in checkpoints if k.startswith("episode")})
    if missing:
        raise RuntimeError(f"the dense run ended after {proto.episodes} episodes, before e_prune {missing}")
    # The unpruned reference: the network where early stopping fires, tested like every pruned network.
    model.policy.load_state_dict(checkpoints[WINNING_TICKET], strict=False)
    reference = greedy_return(model, agent.task, agent.seed, protocol.test_episodes)
    es_episode = proto.early_stopped_at
    log = {
        **protocol_summary(proto),
        "reached_early_stopping": es_episode is not None,
        "early_stopping_episode": es_episode if es_episode is not None else proto.episodes,
        "unpruned_test": reference,
        "checkpoint_epsilons": epsilons,
        "wall_time_s": wall,
    }
    masks = {"episodes": np.asarray(snapshot_episodes, dtype=np.int64)}
    for key, rows in snapshots.items():
        masks[f"masks_{key}"] = np.stack(rows) if rows else np.zeros((0, 0), dtype=bool)
    return {"theta0": theta0, "checkpoints": checkpoints, "masks": masks, "log": log}


def protocol_summary(proto: EpisodeProtocol) -> dict[str, Any]:
    return {
        "episodes": proto.episodes,
        "episode_returns": proto.returns,
        "episode_lengths": proto.lengths,
        "episode_epsilons": proto.epsilons,
    }


# ---- Exp 2 and 3: one pruned retrain ----
@dataclass(frozen=True)
class PrunedRun:
    """One Exp 2 / Exp 3 setting: rewind (retrain m ⊙ θ0) or finetune (m ⊙ θ_e), the fraction P pruned, and where
    fine-tuning's ε starts ('continue': the dense run's ε at e_prune; 'restart': ε_start)."""

    mode: str
    fraction: float
    finetune_epsilon: str = "continue"

    def __post_init__(self):
        if self.mode not in ("rewind", "finetune"):
            raise ValueError(f"mode must be 'rewind' or 'finetune', got {self.mode!r}")


def run_pruned(
    agent: DqnAgent,
    protocol: DqnProtocol,
    run: PrunedRun,
    theta0: dict[str, torch.Tensor],
    pruned_from: dict[str, torch.Tensor],
    epsilon_at_prune: float,
    winning_source: dict[str, torch.Tensor],
) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """Prune `pruned_from` (θ_e, the dense run's weights at e_prune, where its ε was `epsilon_at_prune`) by P, then
    retrain `m ⊙ θ0` (Exp 2) or fine-tune `m ⊙ θ_e` (Exp 3) with early stopping; test the result greedily.
    `winning_source` (the weights where the dense run's early stopping fires) gives the one-shot winning ticket
    the mask is compared with. Rewinding always restarts the ε schedule, like a fresh run from θ0.
    """
    mode, fraction, finetune_epsilon = run.mode, run.fraction, run.finetune_epsilon
    weights = {name: pruned_from[name] for name in dense_masks(pruned_from)}
    mask = draw_mask(weights, fraction)
    winning_mask = draw_mask({name: winning_source[name] for name in mask}, fraction)
    start = theta0 if mode == "rewind" else pruned_from
    epsilon = epsilon_at_prune if mode == "finetune" and finetune_epsilon == "continue" else None
    model, proto, wall = train_dqn(
        agent, protocol, early_stopping=True, parameters=start, masks=mask, epsilon_start=epsilon
    )
    metrics = {
        **protocol_summary(proto),
        "mode": mode,
        "prune_fraction": fraction,
        "fraction_remaining": fraction_remaining(mask),
        "layer_sparsity": layer_sparsity(mask),
        "similarity_to_winning_ticket": mask_similarity(mask, winning_mask),
        "reached_early_stopping": proto.early_stopped_at is not None,
        "train_episodes": proto.episodes,
        "epsilon_start": float(epsilon if epsilon is not None else agent.settings.epsilon.start),
        **greedy_return(model, agent.task, agent.seed, protocol.test_episodes),
        "wall_time_s": wall,
    }
    return mask, metrics


# ---- Exp 4: EB Exploit ----
def eb_point_found(history: list[np.ndarray], detector: str, threshold: float, window: int) -> bool:
    """Whether the newest mask of `history` marks an Early-Bird point.

    'consecutive' (EB Exploit, algorithm 3.1): normalised Hamming distance to the previous mask < threshold.
    'eb_train' (You et al.'s EB Train): distance to each of the previous `window` masks < threshold.
    """
    needed = 1 if detector == "consecutive" else window
    if detector not in ("consecutive", "eb_train"):
        raise ValueError(f"detector must be 'consecutive' or 'eb_train', got {detector!r}")
    if len(history) < needed + 1:
        return False
    newest = history[-1]
    return all(1.0 - mask_similarity(newest, old) < threshold for old in history[-1 - needed : -1])


def run_eb_exploit(
    agent: DqnAgent,
    protocol: DqnProtocol,
    fraction: float,
    theta0: dict[str, torch.Tensor],
    exploit: ExploitSettings,
) -> tuple[dict[str, torch.Tensor] | None, dict[str, Any]]:
    """Algorithm 3.1: train from θ0; once ε has reached ε_min draw a mask every `mask_every` episodes; at the
    first EB point prune with the newest mask and fine-tune until early stopping; test greedily.

    The search is capped at `max_episodes`; if no EB point is found the run reports found=False and the
    dense network's test return. `restart_from='current'` fine-tunes m ⊙ θ (the thesis' text, Fig. 3.8);
    'theta0' retrains m ⊙ θ0 with a fresh ε schedule (algorithm 3.1's line 6 as printed, and EB Train).
    """
    history: list[np.ndarray] = []
    masks_drawn: list[dict[str, torch.Tensor]] = []
    distances: list[dict[str, float]] = []
    state: dict[str, Any] = {"exploiting_since": None}

    def search(proto: EpisodeProtocol, episode: int) -> bool:
        model = proto.model
        if state["exploiting_since"] is None:
            if model.epsilon_after_current_step() > model.epsilon_min:
                return False
            state["exploiting_since"] = episode
        if (episode - state["exploiting_since"]) % exploit.mask_every:
            return False
        mask = draw_mask(q_network_weights(model), fraction)
        history.append(flatten_mask(mask))
        masks_drawn.append(mask)
        if len(history) > 1:
            distances.append({"episode": episode, "distance": 1.0 - mask_similarity(history[-1], history[-2])})
        found = eb_point_found(history, exploit.detector, exploit.threshold, exploit.window)
        if found:
            state["found_at"] = episode
            state["weights"] = online_state(model)
            state["epsilon"] = model.epsilon_after_current_step()
        return found

    searcher, search_proto, search_wall = train_dqn(
        agent, protocol, early_stopping=False, parameters=theta0, hooks=[search]
    )
    metrics: dict[str, Any] = {
        "prune_fraction": fraction,
        "exploit": exploit.to_dict(),
        "epsilon_min_episode": state["exploiting_since"],
        "search_episodes": search_proto.episodes,
        "search_returns": search_proto.returns,
        "mask_distances": distances,
        "found": "found_at" in state,
    }
    if "found_at" not in state:
        return None, {
            **metrics,
            "finetune_episodes": 0,
            "reached_early_stopping": False,
            **greedy_return(searcher, agent.task, agent.seed, protocol.test_episodes),
            "wall_time_s": search_wall,
        }
    mask = masks_drawn[-1]
    from_current = exploit.restart_from == "current"
    model, proto, wall = train_dqn(
        agent,
        protocol,
        early_stopping=True,
        parameters=state["weights"] if from_current else theta0,
        masks=mask,
        epsilon_start=state["epsilon"] if from_current else None,
    )
    metrics.update(
        {
            "eb_episode": state["found_at"],
            "finetune_episodes": proto.episodes,
            "finetune_returns": proto.returns,
            "reached_early_stopping": proto.early_stopped_at is not None,
            "fraction_remaining": fraction_remaining(mask),
            **greedy_return(model, agent.task, agent.seed, protocol.test_episodes),
            "wall_time_s": search_wall + wall,
        }
    )
    return mask, metrics
