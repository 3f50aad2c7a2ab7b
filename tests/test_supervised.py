"""Supervised IMP on digits: IDX reader, datasets, one pruned level."""

import gzip

import numpy as np
import pytest
import torch

from rltickets.infra.settings import SupervisedSettings
from rltickets.representations.supervised import (
    initial_parameters,
    load_dataset,
    read_idx,
    run_supervised_level,
    write_idx,
)

SETTINGS = SupervisedSettings(network=(32, 32), epochs=3, batch_size=64, learning_rate=0.003, test_fraction=0.25)


def test_idx_round_trip_plain_and_gzipped(tmp_path):
    images = np.random.default_rng(0).integers(0, 256, size=(5, 4, 3), dtype=np.uint8)
    write_idx(tmp_path / "images", images)
    raw = (tmp_path / "images").read_bytes()
    assert raw[:4] == bytes([0, 0, 0x08, 3]) and int.from_bytes(raw[4:8], "big") == 5
    assert np.array_equal(read_idx(tmp_path / "images"), images)
    (tmp_path / "images.gz").write_bytes(gzip.compress(raw))
    assert np.array_equal(read_idx(tmp_path / "images.gz"), images)
    floats = np.linspace(-1, 1, 6, dtype=np.float32)
    write_idx(tmp_path / "floats", floats)
    assert np.array_equal(read_idx(tmp_path / "floats"), floats)


def test_idx_reader_refuses_bad_files(tmp_path):
    (tmp_path / "text").write_bytes(b"hello world")
    with pytest.raises(ValueError, match="not an IDX file"):
        read_idx(tmp_path / "text")
    write_idx(tmp_path / "short", np.zeros((4, 2), dtype=np.uint8))
    (tmp_path / "short").write_bytes((tmp_path / "short").read_bytes()[:-1])
    with pytest.raises(ValueError, match="header says shape"):
        read_idx(tmp_path / "short")


def write_fake_mnist(directory, n_train=20, n_test=10):
    rng = np.random.default_rng(1)
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        write_idx(directory / f"{prefix}-images-idx3-ubyte", rng.integers(0, 256, (n, 6, 6), dtype=np.uint8))
        write_idx(directory / f"{prefix}-labels-idx1-ubyte", rng.integers(0, 10, n, dtype=np.uint8))


def test_mnist_from_local_idx_files(tmp_path):
    write_fake_mnist(tmp_path)
    data = load_dataset("mnist", str(tmp_path))
    assert data["x_train"].shape == (20, 6, 6) and data["x_test"].shape == (10, 6, 6)
    assert data["x_train"].dtype == np.float32 and 0 <= data["x_train"].min() and data["x_train"].max() <= 1
    assert data["y_train"].dtype == np.int64


def test_mnist_errors_name_the_config_key(tmp_path):
    with pytest.raises(FileNotFoundError, match="supervised.mnist_dir"):
        load_dataset("mnist", str(tmp_path))
    with pytest.raises(ValueError, match="supervised.mnist_dir"):
        load_dataset("mnist", None)
    with pytest.raises(ValueError, match="supervised.dataset"):
        load_dataset("cifar")


def test_digits_split_is_fixed_and_images_are_8x8():
    first, second = load_dataset("digits"), load_dataset("digits")
    assert first["x_train"].shape[1:] == (8, 8) and first["x_train"].max() == 1.0
    assert np.array_equal(first["y_test"], second["y_test"])
    assert len(first["x_test"]) == pytest.approx(0.25 * 1797, abs=1)


def test_supervised_levels_learn_prune_and_rewind():
    torch.set_num_threads(1)
    data = load_dataset("digits")
    theta0 = initial_parameters(data, SETTINGS.network, seed=0)
    masks0, weights0, metrics0 = run_supervised_level("digits", data, SETTINGS, 0.2, 0, 0, theta0)
    assert metrics0["best_accuracy"] > 0.8  # 10 classes: chance is 0.1
    assert metrics0["fraction_remaining"] == 1.0 and metrics0["input_shape"] == [8, 8]
    assert metrics0["first_layer"] == "0.weight" and len(metrics0["input_unit_survival"]) == 64
    masks1, weights1, metrics1 = run_supervised_level("digits", data, SETTINGS, 0.2, 0, 1, theta0, (masks0, weights0))
    assert metrics1["fraction_remaining"] == pytest.approx(0.8, abs=0.001)
    for name, mask in masks1.items():
        assert torch.all(weights1[name][~mask] == 0)
    again = run_supervised_level("digits", data, SETTINGS, 0.2, 0, 1, theta0, (masks0, weights0))
    assert all(torch.equal(weights1[k], again[1][k]) for k in weights1)  # seeded: bit-for-bit repeatable
