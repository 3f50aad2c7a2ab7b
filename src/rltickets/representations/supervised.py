"""Supervised IMP on digit images (docs/protocol.md §1.1): an MLP classifier pruned level by level, accuracy per level.

Data: scikit-learn's bundled 8x8 digits (offline) by default, or MNIST read from local IDX files. The network is
a plain `nn.Sequential` MLP; masking, pruning and the per-level report are the same functions the RL chain uses
(`masking.attach_masks`, `imp.masks_for_level`, `imp.level_report`), so only the training loop is new here.
"""

from __future__ import annotations

import gzip
import struct
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from ..core.masking import attach_masks, dense_masks, prunable_weight_names
from ..imp.level import level_report, masks_for_level
from ..infra.settings import SupervisedSettings

DATASETS = ("digits", "mnist")
# IDX type codes (http://yann.lecun.com/exdb/mnist/, "the IDX file format") -> numpy big-endian dtypes.
IDX_DTYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
MNIST_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
# The train/test split of the 8x8 digits is fixed (not the run's seed): every seed sees the same test set.
DIGITS_SPLIT_SEED = 0


def read_idx(path: str | Path) -> np.ndarray:
    """Read an IDX file (optionally gzip-compressed): magic 0x0000, type code, number of dims, big-endian dims."""
    path = Path(path)
    raw = (gzip.open if path.suffix == ".gz" else open)(path, "rb").read()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0:
        raise ValueError(f"{path}: not an IDX file (magic bytes {raw[:4]!r}, expected 0x00 0x00 <type> <ndim>)")
    type_code, ndim = raw[2], raw[3]
    if type_code not in IDX_DTYPES:
        raise ValueError(f"{path}: unknown IDX type code 0x{type_code:02x}; expected one of {sorted(IDX_DTYPES)}")
    shape = struct.unpack(f">{ndim}I", raw[4 : 4 + 4 * ndim])
    dtype = np.dtype(IDX_DTYPES[type_code])
    body = raw[4 + 4 * ndim :]
    expected = int(np.prod(shape)) * dtype.itemsize
    if len(body) != expected:
        raise ValueError(f"{path}: header says shape {shape} ({expected} bytes of data) but the file holds {len(body)}")
    return np.frombuffer(body, dtype=dtype).reshape(shape).astype(dtype.newbyteorder("="))


def write_idx(path: str | Path, array: np.ndarray) -> None:
    """Write an IDX file (used by tests and to make small MNIST-like fixtures)."""
    codes = {np.dtype(v).newbyteorder("="): k for k, v in IDX_DTYPES.items()}
    array = np.asarray(array)
    code = codes[array.dtype.newbyteorder("=")]
    header = bytes([0, 0, code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    Path(path).write_bytes(header + array.astype(IDX_DTYPES[code]).tobytes())


def _find_idx(directory: Path, stem: str) -> Path:
    for name in (stem, stem + ".gz"):
        if (directory / name).is_file():
            return directory / name
    raise FileNotFoundError(
        f"config key 'supervised.mnist_dir': {directory} has no {stem} (or {stem}.gz); "
        "expected the four MNIST IDX files (train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-...)"
    )


def load_dataset(name: str, mnist_dir: str | None = None, test_fraction: float = 0.25) -> dict[str, np.ndarray]:
    """Images in [0, 1] as (n, rows, cols) float32 and integer labels, split into train and test."""
    if name == "digits":
        from sklearn.datasets import load_digits
        from sklearn.model_selection import train_test_split

        digits = load_digits()
        images = (digits.images / 16.0).astype(np.float32)  # 8x8 pixels with values 0..16
        x_train, x_test, y_train, y_test = train_test_split(
            images, digits.target, test_size=test_fraction, random_state=DIGITS_SPLIT_SEED, stratify=digits.target
        )
    elif name == "mnist":
        if not mnist_dir:
            raise ValueError("config key 'supervised.mnist_dir': dataset 'mnist' needs the folder of the IDX files")
        directory = Path(mnist_dir)
        parts = {}
        for split, (image_stem, label_stem) in MNIST_FILES.items():
            images = read_idx(_find_idx(directory, image_stem))
            labels = read_idx(_find_idx(directory, label_stem))
            if len(images) != len(labels):
                raise ValueError(f"{directory}: {split} split has {len(images)} images but {len(labels)} labels")
            parts[split] = ((images / 255.0).astype(np.float32), labels)
        (x_train, y_train), (x_test, y_test) = parts["train"], parts["test"]
    else:
        raise ValueError(f"config key 'supervised.dataset': unknown dataset {name!r}; expected one of {DATASETS}")
    return {
        "x_train": x_train,
        "y_train": np.asarray(y_train, dtype=np.int64),
        "x_test": x_test,
        "y_test": np.asarray(y_test, dtype=np.int64),
    }


def make_classifier(n_inputs: int, hidden: list[int], n_classes: int) -> nn.Sequential:
    """MLP with ReLU hidden layers; weight names "0.weight", "2.weight", ... (all prunable)."""
    layers: list[nn.Module] = []
    width = n_inputs
    for size in hidden:
        layers += [nn.Linear(width, size), nn.ReLU()]
        width = size
    layers.append(nn.Linear(width, n_classes))
    return nn.Sequential(*layers)


def data_shape(data: dict[str, np.ndarray]) -> tuple[tuple[int, ...], int]:
    """(image shape, number of classes)."""
    return tuple(data["x_train"].shape[1:]), int(max(data["y_train"].max(), data["y_test"].max())) + 1


def initial_parameters(data: dict[str, np.ndarray], hidden: list[int], seed: int) -> dict[str, torch.Tensor]:
    """θ0 of the classifier for this seed (PyTorch's default fan-in init)."""
    torch.manual_seed(seed)
    shape, n_classes = data_shape(data)
    model = make_classifier(int(np.prod(shape)), hidden, n_classes)
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def accuracy(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    with torch.no_grad():
        return float((model(x).argmax(dim=1) == y).float().mean())


def train_classifier(
    data: dict[str, np.ndarray],
    settings: SupervisedSettings,
    seed: int,
    init: dict[str, torch.Tensor],
    masks: dict[str, torch.Tensor],
) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """Train `masks ⊙ init` with cross-entropy (Adam); test accuracy after every epoch."""
    start = time.perf_counter()
    torch.manual_seed(seed)
    shape, n_classes = data_shape(data)
    model = make_classifier(int(np.prod(shape)), list(settings.network), n_classes)
    optimizer = torch.optim.Adam(model.parameters(), lr=settings.learning_rate)
    attach_masks(model, masks, optimizers=[optimizer])
    model.load_state_dict(init)  # the mask's load hook re-zeroes pruned weights
    x_train = torch.as_tensor(data["x_train"]).flatten(1)
    y_train = torch.as_tensor(data["y_train"])
    x_test = torch.as_tensor(data["x_test"]).flatten(1)
    y_test = torch.as_tensor(data["y_test"])
    generator = torch.Generator().manual_seed(seed)
    history = []
    for epoch in range(1, settings.epochs + 1):
        total, batches = 0.0, 0
        for batch in torch.randperm(len(y_train), generator=generator).split(settings.batch_size):
            loss = nn.functional.cross_entropy(model(x_train[batch]), y_train[batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total, batches = total + loss.item(), batches + 1
        history.append(
            {"epoch": epoch, "train_loss": total / batches, "test_accuracy": accuracy(model, x_test, y_test)}
        )
    accuracies = [h["test_accuracy"] for h in history]
    metrics = {
        "best_accuracy": float(max(accuracies)),
        "final_accuracy": float(accuracies[-1]),
        "history": history,
        "train_epochs": settings.epochs,
        "input_shape": list(shape),
        "wall_time_s": time.perf_counter() - start,
    }
    return {k: v.detach().clone() for k, v in model.state_dict().items()}, metrics


def run_supervised_level(
    dataset_name: str,
    data: dict[str, np.ndarray],
    settings: SupervisedSettings,
    prune_fraction: float,
    seed: int,
    level: int,
    theta0: dict[str, torch.Tensor],
    previous: tuple[dict[str, torch.Tensor], dict[str, torch.Tensor]] | None = None,
):
    """One supervised IMP level (same pruning rule and report as the RL chain); `previous` = (masks, trained
    weights) of level k-1. Returns (masks, weights, metrics)."""
    previous_masks, previous_weights = previous if previous is not None else (None, None)
    masks = masks_for_level(level, dense_masks(theta0), previous_masks, previous_weights, prune_fraction)
    weights, metrics = train_classifier(data, settings, seed, theta0, masks)
    metrics = {
        "paradigm": "supervised",
        "task": dataset_name,
        "seed": seed,
        "level": level,
        **level_report(masks, prunable_weight_names(theta0)[0]),
        **metrics,
    }
    return masks, weights, metrics
