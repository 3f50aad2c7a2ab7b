"""Static checks of the conda deployment (conda itself is not installable here): every envs/*.yaml holds what the
scripts of the rules that name it import, and table and figure jobs import no torch.

The imports of a script are followed through the rltickets package, every import statement of every module it
reaches (function-level ones included), so a lazy `import torch` in a module a table job uses fails this test.
"""

import ast
import re
import sys
from pathlib import Path

import pytest
import yaml
from conftest import REPO

PACKAGE = REPO / "src"
# Import name -> distribution name, where they differ.
DISTRIBUTIONS = {
    "yaml": "pyyaml",
    "sklearn": "scikit-learn",
    "stable_baselines3": "stable-baselines3",
    "PIL": "pillow",
}
# The training stack: no table or figure job may import any of it.
TRAINING_ONLY = {"torch", "stable_baselines3", "gymnasium", "mujoco"}
# Provided by Snakemake's script preamble (it puts its own package on sys.path), not by the env.
PROVIDED = {"snakemake"}


def rule_blocks() -> dict[str, str]:
    """Rule name -> its text, from every rule file (snakefmt keeps the layout regular)."""
    blocks = {}
    for path in sorted((REPO / "rules").glob("*.smk")):
        text = path.read_text()
        for match in re.finditer(r"^\s*rule (\w+):\n(.*?)(?=^\s*rule \w+:|\Z)", text, re.M | re.S):
            blocks[match.group(1)] = match.group(2)
    return blocks


def rules_with_scripts() -> dict[str, tuple[Path, Path]]:
    """Rule -> (conda env file, script) for every rule that runs a script."""
    found = {}
    for rule, body in rule_blocks().items():
        script = re.search(r'script:\n\s+"\.\./(workflow_scripts/[\w.]+)"', body)
        if script is None:
            continue
        env = re.search(r'conda:\n\s+"\.\./(envs/[\w.]+)"', body)
        assert env is not None, f"rule {rule} runs a script but names no conda env"
        found[rule] = (REPO / env.group(1), REPO / script.group(1))
    return found


def module_file(name: str) -> Path | None:
    """The source file of an rltickets module (package or module), or None."""
    base = PACKAGE / Path(*name.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.exists():
            return candidate
    return None


def walk_runtime(tree: ast.AST):
    """Every node of `tree` but those under `if TYPE_CHECKING:` (imports for annotations only, never run)."""
    todo = [tree]
    while todo:
        node = todo.pop()
        yield node
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            todo.extend(node.orelse)
        else:
            todo.extend(ast.iter_child_nodes(node))


def imports_of(path: Path, module: str | None) -> set[str]:
    """Every module named by an import statement in `path` (relative imports resolved against `module`)."""
    found = set()
    package = module if path.name == "__init__.py" else (module.rsplit(".", 1)[0] if module else None)
    for node in walk_runtime(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1])
                target = f"{base}.{node.module}" if node.module else base
            else:
                target = node.module
            found.add(target)
            # `from package import module` names a module too
            found |= {f"{target}.{alias.name}" for alias in node.names if module_file(f"{target}.{alias.name}")}
    return found


def third_party_imports(script: Path) -> set[str]:
    """Top-level names of the non-standard-library modules a script imports, through the rltickets package."""
    seen, todo, external = set(), [(script, None)], set()
    while todo:
        path, module = todo.pop()
        for name in imports_of(path, module):
            top = name.split(".")[0]
            if top == "rltickets":
                # a module and every package above it run their code on import
                parts = name.split(".")
                for i in range(1, len(parts) + 1):
                    sub = ".".join(parts[:i])
                    if sub not in seen and (source := module_file(sub)) is not None:
                        seen.add(sub)
                        todo.append((source, sub))
            elif top not in sys.stdlib_module_names and top != "__future__":
                external.add(top)
    return external


def env_packages(env_file: Path) -> set[str]:
    """Package names an env file installs (conda and pip entries, versions stripped)."""
    spec = yaml.safe_load(env_file.read_text())
    names = set()
    for entry in spec["dependencies"]:
        items = entry["pip"] if isinstance(entry, dict) else [entry]
        for item in items:
            if item.startswith("-"):
                continue
            names.add(re.split(r"[=<>!~\[ ]", item, maxsplit=1)[0].lower())
    return names


RULES = rules_with_scripts()


def test_every_rule_script_exists_and_is_named_after_its_rule():
    assert RULES, "no rule with a script found"
    for rule, (env, script) in RULES.items():
        assert env.exists(), f"rule {rule}: {env} is missing"
        assert script.exists(), f"rule {rule}: {script} is missing"
    # Script names match rule names; the exceptions are rules that share another rule's job on other inputs.
    shared = {"baseline_chain": "baseline_level", "rescaled_imp_level": "imp_level"}
    for rule, (_, script) in RULES.items():
        assert script.stem == shared.get(rule, rule), f"rule {rule} runs {script.name}"


@pytest.mark.parametrize("rule", sorted(RULES))
def test_conda_env_covers_the_script_imports(rule):
    env, script = RULES[rule]
    needed = {DISTRIBUTIONS.get(name, name).lower() for name in third_party_imports(script) - PROVIDED}
    missing = needed - env_packages(env)
    assert not missing, f"rule {rule}: {script.name} imports {sorted(missing)}, which {env.name} does not install"


@pytest.mark.parametrize("rule", sorted(r for r, (env, _) in RULES.items() if env.name == "analysis.yaml"))
def test_table_and_figure_jobs_import_no_training_stack(rule):
    _, script = RULES[rule]
    assert not third_party_imports(script) & TRAINING_ONLY, f"{script.name} reaches {third_party_imports(script)}"


def test_the_import_walk_sees_lazy_imports(tmp_path):
    """The walk must not be fooled by an import inside a function (the case that broke conda deployment)."""
    script = tmp_path / "job.py"
    script.write_text("from rltickets.infra.training_jobs import start_training_job\n")
    assert "torch" in third_party_imports(script)


def pyproject_pins() -> dict[str, str]:
    import tomllib

    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    return dict(re.match(r"([\w-]+)==([\w.]+)", dep).groups() for dep in project["dependencies"])


@pytest.mark.parametrize("env_file", sorted((REPO / "envs").glob("*.yaml")), ids=lambda p: p.name)
def test_env_pins_match_pyproject(env_file):
    """A conda run must train with the same library versions as `make run`: the same numbers."""
    pins = pyproject_pins()
    spec = yaml.safe_load(env_file.read_text())
    for entry in spec["dependencies"]:
        for item in entry["pip"] if isinstance(entry, dict) else [entry]:
            match = re.match(r"([\w-]+)={1,2}([\w.]+)$", item)
            if match and match.group(1) in pins:
                assert match.group(2) == pins[match.group(1)], (
                    f"{env_file.name}: {item} vs pyproject {pins[match.group(1)]}"
                )
