"""Early-Bird tickets in DQN (the thesis, PROTOCOL §2): masks, similarity, the four experiments' runs, verdicts.

* `draw_mask` prunes the fraction P of a Q-network's weights at once (one-shot, global, |w|).
* `mask_similarity` / `similarity_matrix`: 1 − normalised Hamming distance (eqs. 2.5, 2.6).
* `run_dense`: the shared dense run of one (task, repetition): 500 episodes without early stopping; draws a mask
  per P every `mask_every` episodes (Exp 1), keeps the weights at every e_prune (Exp 2, 3) and at the point
  where early stopping would have fired (the unpruned reference and the one-shot winning ticket's source).
* `run_pruned`: one Exp 2 (rewind to θ0) or Exp 3 (fine-tune from θ_e) retrain at one (P, e_prune).
* `run_eb_exploit`: Exp 4 (algorithm 3.1), with the consecutive-mask detector or You et al.'s EB Train detector.
* `runs_table`, `verdict_table`: tidy tables and the four EB criteria of §3.4 with the numbers behind each.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import torch

from .dqn import EpisodeProtocol, greedy_return, q_network_weights, train_dqn
from .masking import dense_masks
from .pruning import fraction_remaining, layer_sparsity, prune_global_magnitude

WINNING_TICKET = "es"  # the e_prune label of the one-shot winning ticket: pruned where early stopping fires


# ---- masks and their similarity ----
def draw_mask(weights: dict[str, torch.Tensor], fraction: float) -> dict[str, torch.Tensor]:
    """Prune `fraction` of all weight matrices at once (from dense), globally by |w|: the thesis' one-shot P."""
    return prune_global_magnitude(weights, dense_masks(weights), fraction)


def flatten_mask(masks: dict[str, torch.Tensor]) -> np.ndarray:
    """All weights of a mask as one bool vector, layers in sorted-name order (the order pruning uses)."""
    return np.concatenate([masks[name].reshape(-1).numpy().astype(bool) for name in sorted(masks)])


def mask_similarity(a: np.ndarray | dict, b: np.ndarray | dict) -> float:
    """1 − h, h = mean |m1 − m2| over all weights (eqs. 2.5 and 2.6)."""
    a = flatten_mask(a) if isinstance(a, dict) else a
    b = flatten_mask(b) if isinstance(b, dict) else b
    if a.shape != b.shape:
        raise ValueError(f"masks of different sizes: {a.shape} vs {b.shape}")
    return 1.0 - float(np.mean(a != b))


def similarity_matrix(stack: np.ndarray) -> np.ndarray:
    """Pairwise 1 − normalised Hamming distance of the rows of a (n_masks, n_weights) 0/1 array."""
    x = stack.astype(np.float64)
    ones = x.sum(axis=1)
    both = x @ x.T
    differing = ones[:, None] + ones[None, :] - 2.0 * both
    return 1.0 - differing / x.shape[1]


def fraction_key(fraction: float) -> str:
    """How P appears in paths and npz keys: 0.2 -> 'P0.2'."""
    return f"P{fraction:g}"


# ---- checkpoints: several state_dicts in one flat dict of tensors ----
def pack_checkpoints(checkpoints: dict[str, dict[str, torch.Tensor]]) -> dict[str, torch.Tensor]:
    return {f"{label}/{name}": tensor for label, state in checkpoints.items() for name, tensor in state.items()}


def unpack_checkpoint(packed: dict[str, torch.Tensor], label: str) -> dict[str, torch.Tensor]:
    prefix = f"{label}/"
    state = {name[len(prefix) :]: t for name, t in packed.items() if name.startswith(prefix)}
    if not state:
        labels = sorted({name.split("/", 1)[0] for name in packed})
        raise KeyError(f"no checkpoint {label!r} (have {labels})")
    return state


def online_state(model) -> dict[str, torch.Tensor]:
    """The online Q-network's state (weights and biases), without the target network."""
    return {k: v.detach().clone() for k, v in model.policy.state_dict().items() if not k.startswith("q_net_target.")}


def episode_label(episode: int | str) -> str:
    return episode if episode == WINNING_TICKET else f"episode{int(episode)}"


# ---- Exp 1-3's shared dense run ----
def run_dense(
    task_id: str,
    task_settings: dict[str, Any],
    dqn_settings: dict[str, Any],
    seed: int,
    protocol: dict[str, Any],
    prune_fractions: list[float],
    prune_episodes: list[int],
) -> dict[str, Any]:
    """Train `max_episodes` episodes without early stopping and record everything the experiments prune from.

    Returns θ0 (the whole policy state), the checkpoints at each e_prune and at the early-stopping point
    ('es'; the final episode if the window was never reached), the ε in force after each checkpoint, the
    Exp 1 masks (one per P every `mask_every` episodes) and the episode log with the unpruned reference
    (early-stopping episode and the greedy test return of the network at that point).
    """
    checkpoints: dict[str, dict[str, torch.Tensor]] = {}
    epsilons: dict[str, float] = {}
    snapshot_episodes: list[int] = []
    snapshots: dict[str, list[np.ndarray]] = {fraction_key(p): [] for p in prune_fractions}
    wanted = set(prune_episodes)

    def record(proto: EpisodeProtocol, episode: int) -> None:
        model = proto.model
        if episode % protocol["mask_every"] == 0:
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

    model, proto, wall = train_dqn(
        task_id,
        task_settings,
        dqn_settings,
        seed,
        max_episodes=protocol["max_episodes"],
        early_stopping=False,
        window=protocol["early_stopping_window"],
        hooks=[record],
    )
    theta0 = model.initial_parameters
    missing = sorted(wanted - {int(k[len("episode") :]) for k in checkpoints if k.startswith("episode")})
    if missing:
        raise RuntimeError(f"the dense run ended after {proto.episodes} episodes, before e_prune {missing}")
    # The unpruned reference: the network where early stopping fires, tested like every pruned network.
    model.policy.load_state_dict(checkpoints[WINNING_TICKET], strict=False)
    reference = greedy_return(model, task_id, seed, protocol["test_episodes"])
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
def run_pruned(
    task_id: str,
    task_settings: dict[str, Any],
    dqn_settings: dict[str, Any],
    seed: int,
    protocol: dict[str, Any],
    mode: str,
    fraction: float,
    theta0: dict[str, torch.Tensor],
    pruned_from: dict[str, torch.Tensor],
    winning_source: dict[str, torch.Tensor],
    epsilon_at_prune: float,
    finetune_epsilon: str,
) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """Prune `pruned_from` (θ_e) by `fraction`, then retrain `m ⊙ θ0` (mode 'rewind', Exp 2) or fine-tune
    `m ⊙ θ_e` (mode 'finetune', Exp 3) with early stopping; test the result greedily.

    Fine-tuning starts at the ε the dense run had reached at e_prune (`finetune_epsilon='continue'`) or at
    ε_start ('restart'); rewinding always restarts the schedule, like a fresh run from θ0.
    """
    if mode not in ("rewind", "finetune"):
        raise ValueError(f"mode must be 'rewind' or 'finetune', got {mode!r}")
    weights = {name: pruned_from[name] for name in dense_masks(pruned_from)}
    mask = draw_mask(weights, fraction)
    winning_mask = draw_mask({name: winning_source[name] for name in mask}, fraction)
    start = theta0 if mode == "rewind" else pruned_from
    epsilon = epsilon_at_prune if mode == "finetune" and finetune_epsilon == "continue" else None
    model, proto, wall = train_dqn(
        task_id,
        task_settings,
        dqn_settings,
        seed,
        max_episodes=protocol["max_episodes"],
        early_stopping=True,
        window=protocol["early_stopping_window"],
        parameters=start,
        masks=mask,
        epsilon_start=epsilon,
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
        "epsilon_start": float(epsilon if epsilon is not None else task_settings["epsilon"]["start"]),
        **greedy_return(model, task_id, seed, protocol["test_episodes"]),
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
    task_id: str,
    task_settings: dict[str, Any],
    dqn_settings: dict[str, Any],
    seed: int,
    protocol: dict[str, Any],
    fraction: float,
    theta0: dict[str, torch.Tensor],
    exploit: dict[str, Any],
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
        if (episode - state["exploiting_since"]) % exploit["mask_every"]:
            return False
        mask = draw_mask(q_network_weights(model), fraction)
        history.append(flatten_mask(mask))
        masks_drawn.append(mask)
        if len(history) > 1:
            distances.append({"episode": episode, "distance": 1.0 - mask_similarity(history[-1], history[-2])})
        found = eb_point_found(history, exploit["detector"], exploit["threshold"], exploit["window"])
        if found:
            state["found_at"] = episode
            state["weights"] = online_state(model)
            state["epsilon"] = model.epsilon_after_current_step()
        return found

    searcher, search_proto, search_wall = train_dqn(
        task_id,
        task_settings,
        dqn_settings,
        seed,
        max_episodes=protocol["max_episodes"],
        early_stopping=False,
        window=protocol["early_stopping_window"],
        parameters=theta0,
        hooks=[search],
    )
    metrics: dict[str, Any] = {
        "prune_fraction": fraction,
        "exploit": exploit,
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
            **greedy_return(searcher, task_id, seed, protocol["test_episodes"]),
            "wall_time_s": search_wall,
        }
    mask = masks_drawn[-1]
    from_current = exploit["restart_from"] == "current"
    model, proto, wall = train_dqn(
        task_id,
        task_settings,
        dqn_settings,
        seed,
        max_episodes=protocol["max_episodes"],
        early_stopping=True,
        window=protocol["early_stopping_window"],
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
            **greedy_return(model, task_id, seed, protocol["test_episodes"]),
            "wall_time_s": search_wall + wall,
        }
    )
    return mask, metrics


# ---- tables ----
RUN_COLUMNS = [
    "task",
    "experiment",
    "prune_fraction",
    "prune_episode",
    "repetition",
    "test_return",
    "test_return_std",
    "train_episodes",
    "search_episodes",
    "reached_early_stopping",
    "similarity_to_winning_ticket",
    "wall_time_s",
]


def dense_rows(task: str, repetition: int, log: dict[str, Any]) -> list[dict[str, Any]]:
    """The unpruned reference of one dense run: episodes until early stopping and its test return."""
    return [
        {
            "task": task,
            "experiment": "unpruned",
            "prune_fraction": 0.0,
            "prune_episode": np.nan,
            "repetition": repetition,
            "test_return": log["unpruned_test"]["test_return"],
            "test_return_std": log["unpruned_test"]["test_return_std"],
            "train_episodes": log["early_stopping_episode"],
            "search_episodes": np.nan,
            "reached_early_stopping": log["reached_early_stopping"],
            "similarity_to_winning_ticket": np.nan,
            "wall_time_s": log["wall_time_s"],
        }
    ]


def pruned_row(task: str, repetition: int, prune_episode: str, metrics: dict[str, Any], es_episode: int):
    """One Exp 2/3 run; the rewind at 'es' is the one-shot winning ticket, pruned at the dense run's ES point."""
    winning = prune_episode == WINNING_TICKET
    experiment = "winning_ticket" if winning else metrics["mode"]
    return {
        "task": task,
        "experiment": experiment,
        "prune_fraction": metrics["prune_fraction"],
        "prune_episode": es_episode if winning else int(prune_episode),
        "repetition": repetition,
        "test_return": metrics["test_return"],
        "test_return_std": metrics["test_return_std"],
        "train_episodes": metrics["train_episodes"],
        "search_episodes": np.nan,
        "reached_early_stopping": metrics["reached_early_stopping"],
        "similarity_to_winning_ticket": metrics["similarity_to_winning_ticket"],
        "wall_time_s": metrics["wall_time_s"],
    }


def exploit_row(task: str, repetition: int, metrics: dict[str, Any]) -> dict[str, Any]:
    return {
        "task": task,
        "experiment": "eb_exploit",
        "prune_fraction": metrics["prune_fraction"],
        "prune_episode": metrics.get("eb_episode", np.nan),
        "repetition": repetition,
        "test_return": metrics["test_return"],
        "test_return_std": metrics["test_return_std"],
        "train_episodes": metrics["finetune_episodes"],
        "search_episodes": metrics["search_episodes"],
        "reached_early_stopping": metrics["reached_early_stopping"],
        "similarity_to_winning_ticket": np.nan,
        "wall_time_s": metrics["wall_time_s"],
    }


def runs_table(rows: list[dict[str, Any]]) -> pd.DataFrame:
    table = pd.DataFrame(rows, columns=RUN_COLUMNS)
    return table.sort_values(["task", "experiment", "prune_fraction", "prune_episode", "repetition"]).reset_index(
        drop=True
    )


def verdict_tolerances(verdict_config: dict[str, float]) -> dict[str, float]:
    """config `earlybird.verdict` -> the `tolerances` of `verdict_table`."""
    return {"performance": verdict_config["performance_tolerance"], "length": verdict_config["length_tolerance"]}


def verdict_table(runs: pd.DataFrame, return_bounds: dict[str, list[float]], tolerances: dict[str, float]):
    """The four EB criteria of the thesis §3.4 for every (task, experiment, P, e_prune), with their numbers.

    1. performance ≥ the unpruned network's (within `performance` × the task's return range);
    2. episodes to early stopping ≤ the unpruned network's × (1 + `length`);
    3. performance and length at least those of the one-shot winning ticket (same tolerances);
    4. pruned earlier than the winning ticket (e_prune < mean early-stopping episode of the dense runs).
    Means over repetitions; runs that never stop early count with their cap (`train_episodes`).
    """
    rows = []
    for task, task_runs in runs.groupby("task"):
        low, high = return_bounds[task]
        perf_tol = tolerances["performance"] * (high - low)
        length_factor = 1.0 + tolerances["length"]
        unpruned = task_runs[task_runs["experiment"] == "unpruned"]
        u_perf, u_len = unpruned["test_return"].mean(), unpruned["train_episodes"].mean()
        for (experiment, fraction, episode), group in task_runs[
            task_runs["experiment"].isin(["rewind", "finetune"])
        ].groupby(["experiment", "prune_fraction", "prune_episode"]):
            winning = task_runs[
                (task_runs["experiment"] == "winning_ticket") & (task_runs["prune_fraction"] == fraction)
            ]
            w_perf, w_len = winning["test_return"].mean(), winning["train_episodes"].mean()
            w_episode = winning["prune_episode"].mean()
            perf, length = group["test_return"].mean(), group["train_episodes"].mean()
            c1 = bool(perf >= u_perf - perf_tol)
            c2 = bool(length <= u_len * length_factor)
            c3 = bool(perf >= w_perf - perf_tol and length <= w_len * length_factor)
            c4 = bool(episode < w_episode)
            rows.append(
                {
                    "task": task,
                    "experiment": experiment,
                    "prune_fraction": fraction,
                    "prune_episode": int(episode),
                    "n": len(group),
                    "test_return": perf,
                    "test_return_sd": group["test_return"].std(ddof=1) if len(group) > 1 else np.nan,
                    "train_episodes": length,
                    "reached_early_stopping": float(group["reached_early_stopping"].mean()),
                    "unpruned_test_return": u_perf,
                    "unpruned_train_episodes": u_len,
                    "winning_test_return": w_perf,
                    "winning_train_episodes": w_len,
                    "winning_prune_episode": w_episode,
                    "similarity_to_winning_ticket": group["similarity_to_winning_ticket"].mean(),
                    "c1_performance_vs_unpruned": c1,
                    "c2_length_vs_unpruned": c2,
                    "c3_like_winning_ticket": c3,
                    "c4_earlier_than_winning_ticket": c4,
                    "early_bird": c1 and c2 and c3 and c4,
                }
            )
    return pd.DataFrame(rows)


def mean_similarity(mask_files: list[dict[str, np.ndarray]], fraction: float) -> tuple[np.ndarray, np.ndarray]:
    """Exp 1: the mask-similarity matrix of each repetition's snapshots, averaged over repetitions."""
    key = f"masks_{fraction_key(fraction)}"
    episodes = mask_files[0]["episodes"]
    for f in mask_files[1:]:
        if not np.array_equal(f["episodes"], episodes):
            raise ValueError("repetitions drew their masks at different episodes")
    matrices = [similarity_matrix(f[key]) for f in mask_files]
    return episodes, np.mean(matrices, axis=0)


def stabilisation_episode(episodes: np.ndarray, matrix: np.ndarray, distance: float) -> float:
    """Exp 1 in one number: the first snapshot episode from which all later masks are pairwise within `distance`
    (normalised Hamming), i.e. where the heatmap's bright lower-right square begins; NaN if not even the last two
    masks are that close."""
    n = len(episodes)
    suffix_min = np.inf
    first = np.nan
    for k in range(n - 2, -1, -1):
        suffix_min = min(suffix_min, float(matrix[k, k:].min()))
        if suffix_min < 1.0 - distance:
            break
        first = float(episodes[k])
    return first


def exploitation_start(epsilons: list[float], epsilon_min: float) -> float:
    """The first episode (1-based) played with ε at its minimum; NaN if ε never got there."""
    at_min = [i + 1 for i, eps in enumerate(epsilons) if eps <= epsilon_min + 1e-12]
    return float(at_min[0]) if at_min else np.nan


def mask_stability_table(
    similarity: dict[str, tuple[np.ndarray, dict[float, np.ndarray]]],
    exploitation_starts: dict[str, list[float]],
    distance: float,
) -> pd.DataFrame:
    """Per task and P: where the masks stabilise (all later masks within `distance`) against where exploitation
    starts, and how similar the mask at the start of exploitation is to the last one (mean matrices, Exp 1)."""
    rows = []
    for task, (episodes, per_p) in similarity.items():
        start = float(np.nanmean(exploitation_starts[task])) if exploitation_starts[task] else np.nan
        for fraction, matrix in sorted(per_p.items()):
            if not len(episodes):
                continue
            at_start = int(np.argmin(np.abs(episodes - start))) if np.isfinite(start) else 0
            rows.append(
                {
                    "task": task,
                    "prune_fraction": fraction,
                    "n_masks": len(episodes),
                    "exploitation_start_episode": start,
                    "stable_from_episode": stabilisation_episode(episodes, matrix, distance),
                    "distance": distance,
                    "similarity_start_to_last": float(matrix[at_start, -1]),
                    "similarity_first_to_last": float(matrix[0, -1]),
                }
            )
    return pd.DataFrame(rows)
