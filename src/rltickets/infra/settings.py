"""Typed settings: small frozen dataclasses, one per config section, built from the validated config.

The JSON schema (schemas/config.schema.yaml) is the gate: it has already checked every value by the time these
are built. Rules still pass plain dicts as Snakemake `params` (Snakemake's params rerun trigger compares builtin
values only), and each job turns its params into these classes once, at its start:
`TaskSettings.from_dict(snakemake.params.settings)`. From there on the code passes typed objects, not dicts.

Import-light (no torch): the Snakefile builds the study's settings at parse time.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Mapping
from typing import Any, Self

from ..core.tasks import base_task_id
from ..sensitivity.arms import VariantChain, variant_chains


class SettingsError(ValueError):
    """A settings mapping does not have the keys its section needs."""


def _field_types(cls) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _is_settings_class(kind: Any) -> bool:
    return isinstance(kind, type) and dataclasses.is_dataclass(kind)


def _optional_inner(kind: Any) -> Any:
    """`X | None` -> X (for nested sections that a job's params may leave out)."""
    if isinstance(kind, types.UnionType) or typing.get_origin(kind) is typing.Union:
        inner = [arg for arg in typing.get_args(kind) if arg is not type(None)]
        if len(inner) == 1:
            return inner[0]
    return kind


class Section:
    """Base of every settings class: strict construction from a mapping, and back."""

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], where: str = "") -> Self:
        where = where or cls.__name__
        if not isinstance(data, Mapping):
            raise SettingsError(f"{where}: expected a mapping, got {type(data).__name__}")
        hints = _field_types(cls)
        fields = {f.name: f for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - set(fields))
        if unknown:
            raise SettingsError(f"{where}: unknown key(s) {unknown}; expected {sorted(fields)}")
        values = {}
        for name, field in fields.items():
            if name not in data:
                no_default = field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING
                if no_default:
                    raise SettingsError(f"{where}: missing key {name!r}")
                continue
            value, kind = data[name], _optional_inner(hints[name])
            if _is_settings_class(kind) and value is not None:
                value = kind.from_dict(value, f"{where}.{name}")
            elif isinstance(value, list):
                value = tuple(value)
            values[name] = value
        return cls(**values)

    def to_dict(self) -> dict[str, Any]:
        """Back to plain builtins (tuples become lists), e.g. for metrics.json."""

        def plain(value):
            if isinstance(value, Section):
                return value.to_dict()
            if isinstance(value, tuple):
                return [plain(v) for v in value]
            return value

        return {
            f.name: plain(getattr(self, f.name)) for f in dataclasses.fields(self) if getattr(self, f.name) is not None
        }


def section(cls):
    """A frozen, keyword-only dataclass that is a `Section`."""
    return dataclasses.dataclass(frozen=True, kw_only=True)(cls)


# ---- the PPO / BC tasks (config `task_settings.<task>`) ----
@section
class Network(Section):
    """Actor and critic MLPs of SB3's MlpPolicy."""

    actor: tuple[int, ...]
    critic: tuple[int, ...]
    activation: str
    ortho_init: bool


@section
class PpoBudget(Section):
    """A PPO training budget with periodic deterministic evaluation (sections `expert`, `rl`, masked-input)."""

    total_timesteps: int
    eval_every_steps: int
    eval_episodes: int


@section
class BcData(Section):
    """The expert dataset. `action_noise` (DART-style data): the env is stepped with a perturbed expert action
    (discrete: a uniformly random action with this probability; continuous: Gaussian noise of std
    action_noise × (high − low), clipped) while the label stays the expert's clean action; 0 = the deterministic
    expert. The schema requires it; the default is config.yaml's."""

    n_transitions: int
    action_noise: float = 0.0


@section
class BcBudget(Section):
    """Behavioural cloning: Adam on the actor, cross-entropy (discrete) or MSE on the mean (continuous).

    `epochs` is the maximum. `stopping`: plateau (stop once the loss on the held-out `validation_fraction` of the
    dataset has not reached a new minimum for `patience` epochs, and return the best-validation network) or fixed
    (train all `epochs`, return the last network). The schema requires the last three; the defaults are
    config.yaml's."""

    epochs: int
    batch_size: int
    learning_rate: float
    eval_every_epochs: int
    eval_episodes: int
    validation_fraction: float = 0.1
    stopping: str = "plateau"
    patience: int = 20


@section
class TaskSettings(Section):
    """One task's settings as a job sees them: the rule passes only the sections the job reads (the others are
    None), so that editing a section reruns only the jobs that read it."""

    network: Network
    ppo: Mapping[str, Any] | None = None  # overrides of the task's rl-baselines3-zoo values (SB3 PPO kwargs)
    expert: PpoBudget | None = None
    bc_data: BcData | None = None
    rl: PpoBudget | None = None
    bc: BcBudget | None = None
    seeds: tuple[int, ...] | None = None

    @property
    def ppo_overrides(self) -> dict[str, Any]:
        return dict(self.ppo or {})

    def need(self, name: str):
        """The section `name`, or a clear error if the job was not given it."""
        value = getattr(self, name)
        if value is None:
            raise SettingsError(f"task settings: this job was not given the section {name!r}")
        return value


# ---- IMP (config `imp`) ----
@section
class ImpSettings(Section):
    """How a level is pruned from the previous one. `levels` is the chain's length: a level job is not given it,
    so that raising it only adds levels."""

    prune_fraction: float
    prune_critic: bool
    rewind: str
    levels: int | None = None
    # How the actor's output layer is pruned (config `imp.output_layer`, `imp.layer_floor`; the schema requires
    # both, these defaults are config.yaml's): prune | keep | floor.
    output_layer: str = "floor"
    layer_floor: int = 1
    # Who trains a level job's networks (config `imp.backend`): `batched` (rltickets.engine, all in one process) or
    # `sb3` (stable-baselines3, one after the other; the reference).
    backend: str = "sb3"
    # Seeds per level job (config `imp.seeds_per_job`; null: all). Job granularity only, never the numbers.
    seeds_per_job: int | None = None


# ---- Early-Bird DQN (config `earlybird`) ----
@section
class EpsilonSchedule(Section):
    start: float
    min: float
    decay: float
    per: str  # "episode" or "step"


@section
class DqnTask(Section):
    """The thesis' DQN for one task (appendices A and B)."""

    hidden: tuple[int, ...]
    learning_rate: float
    batch_size: int
    buffer_size: int
    learning_starts: int
    train_freq: int
    gamma: float
    epsilon: EpsilonSchedule
    acceptable_return: float
    return_bounds: tuple[float, float]


@section
class DqnVariant(Section):
    """Where the thesis' DQN departs from SB3's defaults [R]."""

    loss: str
    max_grad_norm: float | None
    uniform_warmup: bool


@section
class DqnProtocol(Section):
    """The episode protocol every DQN run of the study follows; the dense run also knows which masks and
    checkpoints to keep."""

    max_episodes: int
    early_stopping_window: int
    test_episodes: int
    mask_every: int | None = None
    prune_fractions: tuple[float, ...] | None = None
    prune_episodes: tuple[int, ...] | None = None


@section
class ExploitSettings(Section):
    """EB Exploit (the thesis' algorithm 3.1)."""

    mask_every: int
    threshold: float
    detector: str
    window: int
    restart_from: str


@section
class VerdictSettings(Section):
    performance_tolerance: float
    length_tolerance: float


# ---- supervised IMP (config `supervised`) ----
@section
class SupervisedSettings(Section):
    network: tuple[int, ...]
    epochs: int
    batch_size: int
    learning_rate: float
    test_fraction: float
    mnist_dir: str | None = None
    dataset: str | None = None


# ---- CPU code paths (config `numerics`) ----
@section
class NumericsSettings(Section):
    """MKL_CBWR, ATEN_CPU_CAPABILITY, OPENBLAS_CORETYPE and the engine's matmul for every job
    (rltickets.infra.numerics); None: the library chooses (the engine: torch)."""

    mkl_cbwr: str | None = None
    aten_cpu_capability: str | None = None
    openblas_coretype: str | None = None
    engine_matmul: str | None = None


# ---- the whole study ----
@dataclasses.dataclass(frozen=True)
class Study:
    """The validated config as typed sections: what the rules' wiring reads (jobs rebuild their own slice from
    their params). Building it also checks that every section of the config fits its class."""

    tasks: tuple[str, ...]
    paradigms: tuple[str, ...]
    seeds: tuple[int, ...]
    imp: ImpSettings
    task_settings: dict[str, TaskSettings]
    dqn_tasks: dict[str, DqnTask]
    dqn_variant: DqnVariant
    dqn_protocol: DqnProtocol
    exploit: ExploitSettings
    verdict: VerdictSettings
    supervised: SupervisedSettings
    numerics: NumericsSettings
    # The claim-1 sensitivity study's variant chains (`<task>@<arm>`, rltickets.sensitivity.arms), by chain id, and
    # their typed settings. Extra chains beside `tasks`: no baselines, init rescaling or claims of their own.
    variants: dict[str, VariantChain] = dataclasses.field(default_factory=dict)
    variant_settings: dict[str, TaskSettings] = dataclasses.field(default_factory=dict)

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Study:
        eb = config["earlybird"]
        protocol_keys = ("max_episodes", "early_stopping_window", "test_episodes", "mask_every")
        variants = variant_chains(config)
        return cls(
            tasks=tuple(config["tasks"]),
            paradigms=tuple(config["paradigms"]),
            seeds=tuple(config["seeds"]),
            imp=ImpSettings.from_dict(config["imp"], "imp"),
            task_settings={
                task: TaskSettings.from_dict(value, f"task_settings.{task}")
                for task, value in config["task_settings"].items()
            },
            dqn_tasks={
                task: DqnTask.from_dict(value, f"earlybird.task_settings.{task}")
                for task, value in eb["task_settings"].items()
            },
            dqn_variant=DqnVariant.from_dict(eb["dqn"], "earlybird.dqn"),
            dqn_protocol=DqnProtocol.from_dict(
                {
                    **{k: eb[k] for k in protocol_keys},
                    "prune_fractions": eb["prune_fractions"],
                    "prune_episodes": eb["prune_episodes"],
                },
                "earlybird",
            ),
            exploit=ExploitSettings.from_dict(eb["exploit"], "earlybird.exploit"),
            verdict=VerdictSettings.from_dict(eb["verdict"], "earlybird.verdict"),
            supervised=SupervisedSettings.from_dict(config["supervised"], "supervised"),
            numerics=NumericsSettings.from_dict(config["numerics"], "numerics"),
            variants=variants,
            variant_settings={
                chain: TaskSettings.from_dict(variant.task_settings, f"sensitivity.arms.{variant.arm.name} ({chain})")
                for chain, variant in variants.items()
            },
        )

    def seeds_of(self, task: str) -> tuple[int, ...]:
        """A task's seeds: its own `seeds` if given (e.g. 10 for MuJoCo), else the global list (a variant chain:
        its base task's)."""
        return self.task_settings[base_task_id(task)].seeds or self.seeds

    @property
    def levels(self) -> list[int]:
        return list(range(self.imp.levels + 1))

    @property
    def chain_tasks(self) -> tuple[str, ...]:
        """Every ticket chain's task id: the study's tasks, then the sensitivity study's variant chains."""
        return (*self.tasks, *self.variants)

    def levels_of(self, chain: str) -> list[int]:
        """The levels of a chain: a variant's own (its arm may change `imp.levels`), else the study's."""
        return self.variants[chain].levels if chain in self.variants else self.levels
