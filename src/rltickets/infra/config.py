"""Config validation: a JSON schema plus the cross-checks a schema cannot express.

Errors name the key (as a dotted path), the offending value and what is expected, so a bad config fails
before any job starts. Import-light on purpose (no torch): the Snakefile calls it at parse time.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jsonschema
import yaml

from ..core.tasks import known_task_ids

REPO = Path(__file__).resolve().parents[3]
SCHEMA_PATH = REPO / "schemas" / "config.schema.yaml"
DEFAULT_CONFIG = REPO / "config.yaml"


class ConfigError(ValueError):
    """The configuration is invalid; the message names the key and the expected value."""


def _dotted(path) -> str:
    return ".".join(str(p) for p in path) or "<top level>"


def _describe(error: jsonschema.ValidationError) -> str:
    key = _dotted(error.absolute_path)
    if error.validator == "additionalProperties":
        allowed = sorted(error.schema.get("properties", {}))
        return f"config key '{key}': {error.message}; allowed keys here: {', '.join(allowed)}"
    if error.validator == "required":
        required = ", ".join(error.schema.get("required", []))
        return f"config key '{key}': {error.message}; required keys here: {required}"
    if error.validator == "propertyNames":
        names = error.schema.get("propertyNames", {})
        expected = names.get("description") if "pattern" in names else None
        expected = expected or f"a registered task id: {', '.join(known_task_ids())}"
        return f"config key '{key}': {error.message}; expected {expected}"
    expected = error.schema.get("description")
    if expected is None and isinstance(error.schema.get("$ref"), str):
        expected = error.schema["$ref"]
    if expected is None and "properties" in error.schema:  # a whole section of the wrong type, e.g. `imp: 5`
        expected = f"a mapping with the keys {', '.join(sorted(error.schema['properties']))}"
    hint = f"; expected {expected}" if expected else ""
    return f"config key '{key}': value {error.instance!r} is invalid ({error.message}){hint}"


def load_config(*overlays: str | Path, base: str | Path = DEFAULT_CONFIG) -> dict[str, Any]:
    """config.yaml with the given overlays merged over it, as `snakemake --configfile <overlay>` does (dicts are
    merged key by key, anything else is replaced), e.g. `load_config("configs/ci.yaml")`."""
    from snakemake.utils import update_config

    config = yaml.safe_load(Path(base).read_text())
    for overlay in overlays:
        path = Path(overlay)
        update_config(config, yaml.safe_load((path if path.is_absolute() else REPO / path).read_text()) or {})
    return config


def load_schema(schema_path: str | Path = SCHEMA_PATH) -> dict[str, Any]:
    return yaml.safe_load(Path(schema_path).read_text())


def check_config(config: dict[str, Any], schema_path: str | Path = SCHEMA_PATH) -> None:
    validator = jsonschema.Draft202012Validator(load_schema(schema_path))
    errors = sorted(validator.iter_errors(config), key=lambda e: (list(map(str, e.absolute_path)), e.message))
    if errors:
        lines = "\n  - ".join(_describe(e) for e in errors)
        raise ConfigError(f"invalid configuration ({len(errors)} problem(s)):\n  - {lines}")
    missing = [t for t in config["tasks"] if t not in config["task_settings"]]
    if missing:
        raise ConfigError(
            f"config key 'task_settings': no settings for task(s) {missing} listed in 'tasks'; "
            "add a task_settings entry for each (see config.yaml)"
        )
    no_split = [
        t
        for t, ts in config["task_settings"].items()
        if ts["bc"]["stopping"] == "plateau" and ts["bc"]["validation_fraction"] == 0
    ]
    if no_split:
        raise ConfigError(
            f"config key 'task_settings.{no_split[0]}.bc.validation_fraction': 0 leaves no validation split for "
            "bc.stopping plateau; expected a number in (0, 1), or bc.stopping: fixed"
        )
    too_deep = [k for k in config["baselines"]["levels"] if k > config["imp"]["levels"]]
    if too_deep:
        raise ConfigError(
            f"config key 'baselines.levels': level(s) {too_deep} exceed imp.levels = {config['imp']['levels']}; "
            f"expected IMP levels between 1 and {config['imp']['levels']}"
        )
    representations = config["representations"]
    grid_task = representations["grid_task"]
    needed = ([grid_task] if grid_task else []) + representations["init_rescaling"]["tasks"]
    if missing := [t for t in needed if t not in config["task_settings"]]:
        raise ConfigError(
            f"config key 'representations': task(s) {missing} (grid_task, init_rescaling.tasks) "
            "have no entry under 'task_settings'; add one for each (see config.yaml)"
        )
    masked_level = representations["masked_input"]["level"]
    if grid_task and masked_level > config["imp"]["levels"]:
        raise ConfigError(
            f"config key 'representations.masked_input.level': {masked_level} is beyond "
            f"imp.levels = {config['imp']['levels']}; expected a level in [1, imp.levels]"
        )
    _check_sensitivity(config)
    earlybird = config["earlybird"]
    if max(earlybird["prune_episodes"]) > earlybird["max_episodes"]:
        raise ConfigError(
            f"config key 'earlybird.prune_episodes': {max(earlybird['prune_episodes'])} exceeds "
            f"earlybird.max_episodes ({earlybird['max_episodes']}); expected episodes the dense run reaches"
        )
    if missing := [t for t in earlybird["tasks"] if t not in earlybird["task_settings"]]:
        raise ConfigError(
            f"config key 'earlybird.task_settings': no settings for task(s) {missing} listed in "
            "'earlybird.tasks'; add an entry for each (see config.yaml)"
        )


def _check_sensitivity(config: dict[str, Any]) -> None:
    """What the schema cannot check of `sensitivity.arms`: the table pairs RL with BC, and a variant's merged BC
    settings must leave plateau stopping a validation split (the schema has checked each override, and a scaled
    count is rounded to at least 1)."""
    from ..sensitivity.arms import variant_chains

    arms = (config.get("sensitivity") or {}).get("arms") or {}
    if not arms:
        return
    if missing := [p for p in ("rl", "bc") if p not in config["paradigms"]]:
        raise ConfigError(
            f"config key 'paradigms': sensitivity.arms pairs RL with BC tickets, but {missing} is not run; "
            "expected paradigms [rl, bc], or no sensitivity.arms"
        )
    for variant in variant_chains(config).values():
        bc = variant.task_settings["bc"]
        if bc["stopping"] == "plateau" and bc["validation_fraction"] == 0:
            raise ConfigError(
                f"config key 'sensitivity.arms.{variant.arm.name}': on {variant.task} it gives bc.validation_fraction "
                "0 with bc.stopping plateau, which leaves no validation split; expected a number in (0, 1), or "
                "bc.stopping: fixed"
            )


def canonical(value: Any) -> Any:
    """The same value with every dict's keys sorted, recursively.

    Snakemake records `params` by repr(), in which dict order shows: without this, the same settings written in
    another key order (e.g. a preset saved by yaml.safe_dump) would look changed and rerun every job.
    """
    if isinstance(value, dict):
        return {key: canonical(value[key]) for key in sorted(value)}
    if isinstance(value, list | tuple):
        return [canonical(item) for item in value]
    return value


class CaptionText:
    """Text for report captions, passed to rules as a param (`{{ snakemake.params.run }}` renders it).

    Snakemake's params rerun trigger compares only builtin values (snakemake.persistence skips the others), so a
    CaptionText never reruns a job: a figure is redrawn when its inputs change, not because the description of the
    whole run (every task's budget) changed.
    """

    def __init__(self, text: str):
        self.text = text

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return f"CaptionText({self.text!r})"


def _seed_list(seeds: list[int]) -> str:
    if len(seeds) > 2 and list(seeds) == list(range(seeds[0], seeds[0] + len(seeds))):
        return f"{seeds[0]}-{seeds[-1]} (n = {len(seeds)})"
    return f"{', '.join(str(s) for s in seeds)} (n = {len(seeds)})"


def _bc_epochs(bc: dict[str, Any]) -> str:
    if bc["stopping"] == "fixed":
        return f"{bc['epochs']} epochs"
    return f"up to {bc['epochs']} epochs (plateau of the validation loss, patience {bc['patience']})"


def describe_run(config: dict[str, Any]) -> str:
    """One paragraph for every report caption: what this run trained, at which budgets, and which of its
    settings are reconstructions [R] rather than the sources' statements."""
    imp, settings = config["imp"], config["task_settings"]
    left = 100 * (1 - imp["prune_fraction"]) ** imp["levels"]
    budgets = "; ".join(
        f"{task}: RL {settings[task]['rl']['total_timesteps']:,} PPO steps per level, BC "
        f"{_bc_epochs(settings[task]['bc'])} on {settings[task]['bc_data']['n_transitions']:,} expert transitions"
        + (
            f" (action noise {settings[task]['bc_data']['action_noise']:g})"
            if settings[task]["bc_data"]["action_noise"]
            else ""
        )
        + (f", seeds {_seed_list(settings[task]['seeds'])}" if "seeds" in settings[task] else "")
        for task in config["tasks"]
    )
    eb = config["earlybird"]
    parts = [
        f"**This run**: tasks {', '.join(config['tasks'])}; "
        f"paradigms {', '.join(config['paradigms'])}; seeds {_seed_list(config['seeds'])}.",
        f"IMP: {imp['levels']} levels pruning {imp['prune_fraction']:g} of the remaining actor weights per level "
        f"({left:.2g} % left at the last level). Budgets: {budgets}.",
        f"Baselines {', '.join(config['baselines']['conditions']) or 'none'} "
        f"at levels {config['baselines']['levels']}.",
        f"Early-Bird: {', '.join(eb['tasks'])}, {eb['repetitions']} repetitions, P {eb['prune_fractions']}, "
        f"e_prune {eb['prune_episodes']}, at most {eb['max_episodes']} episodes.",
        f"Representations: gridworld {config['representations']['grid_task'] or 'none'}, "
        f"{config['supervised']['dataset']} for supervised IMP, "
        f"seeds {_seed_list(config['representations']['seeds'])}.",
        "Reconstructions [R], not stated by the sources: global magnitude pruning of "
        f"{imp['prune_fraction']:g} per level, rewinding to θ0 ({imp['rewind']}), "
        f"{'pruned' if imp['prune_critic'] else 'dense'} critic, network sizes and budgets, the normalisation, the "
        "baselines' shuffles, gymnasium MuJoCo instead of PyBullet, the gridworld, init rescaling, and the keys "
        "marked [R] in the config (README, 'Reconstructions').",
    ]
    return " ".join(parts)
