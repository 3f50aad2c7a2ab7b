"""The claim-1 sensitivity study's arms as variant ticket chains (docs/sensitivity.md).

An arm (config `sensitivity.arms.<name>`) changes one factor of the base settings. Per base task it becomes one
variant chain, `<task>@<arm>` (e.g. `CartPole-v1@width32`), whose settings are the base task's with the arm's
overrides: absolute values (`task_settings`), multiples of the task's own values (`scale`), and the chain's IMP
settings (`imp`: output_layer, prune_fraction, levels). The IMP machinery then runs the variant like any chain
(level jobs, level folders); only the paradigms the arm changes are trained, the table pairs them with the base
chain of the other paradigm.

A variant reads the base task's files wherever the arm does not change what they depend on (`VariantChain.source`):
the expert and the random-policy return always (arms never change the expert or the environment), θ0 unless the
network changes, the BC dataset unless `bc_data` changes. Nothing identical is trained twice.

Import-light (no torch): the Snakefile builds the variants at parse time.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ..core.tasks import variant_task_id

# What an arm may change: these sections of a task's settings, and these keys of `imp`.
SECTIONS = ("network", "rl", "bc", "bc_data")
IMP_KEYS = ("output_layer", "prune_fraction", "levels")
# The base files a variant may share with its base task, and the settings sections each depends on.
ARTEFACT_SECTIONS = {"expert": (), "random": (), "theta0": ("network",), "bc_dataset": ("bc_data",)}
# The table's name for the base run (config.yaml's own chains), and the paradigms it pairs.
BASE = "base"
PARADIGMS = ("rl", "bc")


@dataclass(frozen=True)
class Arm:
    """One arm: its name, the factor it varies (for the table), the paradigms it retrains, and its overrides."""

    name: str
    factor: str
    paradigms: tuple[str, ...]
    task_settings: Mapping[str, Mapping[str, Any]]
    scale: Mapping[str, Mapping[str, float]]
    imp: Mapping[str, Any]

    @classmethod
    def from_config(cls, name: str, entry: Mapping[str, Any], paradigms) -> Arm:
        return cls(
            name=name,
            factor=entry["factor"],
            paradigms=tuple(p for p in paradigms if p in entry.get("paradigms", paradigms)),
            task_settings=entry.get("task_settings", {}),
            scale=entry.get("scale", {}),
            imp=entry.get("imp", {}),
        )

    def apply(self, settings: Mapping[str, Any]) -> dict[str, Any]:
        """A task's settings (config `task_settings.<task>`) with this arm's overrides: values replaced, then
        multiples of the task's own values, rounded to integers (budgets, epochs, transitions are counts)."""
        merged = copy.deepcopy(dict(settings))
        for section, values in self.task_settings.items():
            merged[section] = {**merged[section], **copy.deepcopy(dict(values))}
        for section, factors in self.scale.items():
            merged[section] = {
                **merged[section],
                **{key: max(1, round(merged[section][key] * factor)) for key, factor in factors.items()},
            }
        return merged


@dataclass(frozen=True)
class VariantChain:
    """One arm's variant of one base task: its chain id, base task, arm, and merged settings (plain dicts, as in
    the config: `task_settings` like `task_settings.<task>`, `imp` like the config's `imp`)."""

    chain: str
    task: str
    arm: Arm
    task_settings: dict[str, Any]
    imp: dict[str, Any]
    base_settings: dict[str, Any]

    @property
    def paradigms(self) -> tuple[str, ...]:
        return self.arm.paradigms

    @property
    def levels(self) -> list[int]:
        return list(range(self.imp["levels"] + 1))

    def source(self, artefact: str) -> str:
        """Whose file of `artefact` (expert, random, theta0, bc_dataset) this chain reads: the base task's where
        the arm leaves the sections it depends on unchanged, else the variant's own."""
        sections = ARTEFACT_SECTIONS[artefact]
        changed = any(self.task_settings[s] != self.base_settings[s] for s in sections)
        return self.chain if changed else self.task


def chain_task_settings(config: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Every chain's settings as the config writes them: `task_settings`, plus each variant chain's merged ones."""
    variants = variant_chains(config)
    return {**config["task_settings"], **{chain: variant.task_settings for chain, variant in variants.items()}}


def variant_chains(config: Mapping[str, Any]) -> dict[str, VariantChain]:
    """Every variant chain of a validated config: one per (base task in `tasks`, arm in `sensitivity.arms`), in
    task then arm order. Empty without a `sensitivity` section or arms."""
    arms = (config.get("sensitivity") or {}).get("arms") or {}
    chains = {}
    for task in config["tasks"]:
        base = config["task_settings"][task]
        for name, entry in arms.items():
            arm = Arm.from_config(name, entry, config["paradigms"])
            chain = variant_task_id(task, name)
            chains[chain] = VariantChain(chain, task, arm, arm.apply(base), {**config["imp"], **arm.imp}, base)
    return chains


@dataclass(frozen=True)
class ArmPairing:
    """What the table needs of an arm: the factor it varies and the paradigms it retrains."""

    factor: str
    paradigms: tuple[str, ...] = PARADIGMS

    def chain(self, task: str, arm: str, paradigm: str) -> str:
        """The chain whose tickets stand for `paradigm` in this arm: the variant, or the base task's chain."""
        return variant_task_id(task, arm) if arm != BASE and paradigm in self.paradigms else task


def arm_pairings(arms: Mapping[str, Mapping] | Iterable[tuple[str, Mapping]]) -> dict[str, ArmPairing]:
    """The base pairing, then every arm of the config's `sensitivity.arms` (a mapping, or (name, arm) pairs as the
    rule passes them, in the config's order)."""
    pairings = {BASE: ArmPairing(BASE)}
    for name, entry in arms.items() if isinstance(arms, Mapping) else arms:
        pairings[name] = ArmPairing(entry["factor"], tuple(entry.get("paradigms", PARADIGMS)))
    return pairings


def chains_needed(tasks: Iterable[str], arms: Mapping[str, ArmPairing]) -> list[tuple[str, str]]:
    """Every (paradigm, chain) the table reads, without repeats: the base chains and each arm's own chains."""
    needed: dict[tuple[str, str], None] = {}
    for task in tasks:
        for arm, pairing in arms.items():
            for paradigm in PARADIGMS:
                needed[paradigm, pairing.chain(task, arm, paradigm)] = None
    return list(needed)
