"""Artefact I/O: atomic writes; loads refuse pickles and name the file and the rule that makes it."""

import json
import os

import pytest
import torch

from rltickets.infra import artifacts, tensors
from rltickets.infra.artifacts import ArtifactError


class Payload:
    pass


def level_path(tmp_path, name):
    return tmp_path / "results" / "imp" / "rl" / "CartPole-v1" / "seed0" / "level1" / name


def test_atomic_write_leaves_no_partial_file(tmp_path):
    target = tmp_path / "out.json"

    def failing_writer(tmp):
        tmp.write_text('{"half": ')
        raise KeyboardInterrupt  # a kill in the middle of writing

    with pytest.raises(KeyboardInterrupt):
        artifacts.write_atomic(target, failing_writer)
    assert not target.exists() and list(tmp_path.iterdir()) == []
    old_umask = os.umask(0o022)
    try:
        artifacts.save_json(target, {"a": 1})
    finally:
        os.umask(old_umask)
    assert json.loads(target.read_text()) == {"a": 1}
    assert target.stat().st_mode & 0o777 == 0o644, "permissions follow the umask, like a plain file"


def test_truncated_pt_names_file_and_rule(tmp_path):
    path = level_path(tmp_path, "weights.pt")
    tensors.save_tensors(path, {"w": torch.ones(50, 50)})
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(ArtifactError, match=r"level1/weights\.pt: cannot be read.*rule 'imp_level'"):
        tensors.load_tensors(path)


def test_pickled_object_is_refused(tmp_path):
    path = level_path(tmp_path, "weights.pt")
    path.parent.mkdir(parents=True)
    torch.save({"w": torch.ones(2), "evil": Payload()}, path)
    with pytest.raises(ArtifactError, match="refused"):
        tensors.load_tensors(path)


def test_mask_shape_and_binary_checks(tmp_path):
    path = level_path(tmp_path, "mask.pt")
    reference = {"layer.weight": torch.zeros(3, 4)}
    tensors.save_tensors(path, {"layer.weight": torch.ones(4, 3, dtype=torch.bool)})
    with pytest.raises(ArtifactError, match=r"shape \(4, 3\), the weight has \(3, 4\)"):
        tensors.load_masks(path, reference)
    tensors.save_tensors(path, {"layer.weight": torch.full((3, 4), 0.5)})
    with pytest.raises(ArtifactError, match="not binary"):
        tensors.load_masks(path, reference)


def test_metrics_missing_key_and_missing_file(tmp_path):
    path = level_path(tmp_path, "metrics.json")
    artifacts.save_json(path, {"level": 1})
    with pytest.raises(ArtifactError, match=r"missing key\(s\) \['best_return'\].*imp_level"):
        artifacts.load_json(path, required_keys=("level", "best_return"))
    with pytest.raises(ArtifactError, match="file is missing"):
        artifacts.load_json(tmp_path / "results" / "random" / "CartPole-v1.json")
