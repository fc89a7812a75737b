"""Image folders that fight back: symlink loops and links between classes, decompression
bombs, unreadable held-out images. Each is read once, skipped and counted, or warned about;
none multiplies, mislabels or stops the run."""

from __future__ import annotations

import os
import struct
import zlib
from pathlib import Path

from incdsl.train import data
from tests.train.conftest import TINY


def png_claiming(path: Path, width: int, height: int) -> None:
    """A tiny PNG whose header claims width x height pixels: PIL's decompression-bomb check
    looks at the header, before any pixel is decoded."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (struct.pack(">I", len(body)) + kind + body
                + struct.pack(">I", zlib.crc32(kind + body)))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
                     + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b""))


def test_symlink_loops_and_links_between_classes_are_read_once(image_folder):
    root = image_folder(classes=2, train=4, val=2)
    train = root / "train"
    os.symlink("..", train / "class_0" / "up")  # a loop: class_0/up/class_0/up/...
    os.symlink("../class_1", train / "class_0" / "to_1")  # class_0 <-> class_1
    os.symlink("../class_0", train / "class_1" / "to_0")
    splits = data.open_data(str(root))
    assert len(splits.train) == 8  # not multiplied
    for path, label in splits.train.samples:  # and each image keeps its own class
        assert Path(path).parent.name == f"class_{label}", path
    assert len(splits.warnings) == 3 and all("skipped" in w for w in splits.warnings)
    assert any(f"{train / 'class_0' / 'to_1'} leads to" in w for w in splits.warnings)


def test_a_link_to_images_elsewhere_is_followed(image_folder, tmp_path):
    root = image_folder(classes=2, train=2, val=1)
    elsewhere = tmp_path / "more"
    elsewhere.mkdir()
    (root / "train" / "class_0" / "0.jpg").rename(elsewhere / "a.jpg")
    os.symlink(elsewhere, root / "train" / "class_0" / "more")
    splits = data.open_data(str(root))
    assert len(splits.train) == 4 and not splits.warnings
    assert str(root / "train" / "class_0" / "more" / "a.jpg") in [p for p, _ in
                                                                    splits.train.samples]


def test_bombs_and_unreadable_held_out_images_are_skipped_and_counted(cli, image_folder,
                                                                      tmp_path):
    root = image_folder(classes=2, train=4, val=3, size=20)
    os.symlink("..", root / "train" / "class_1" / "loop")
    png_claiming(root / "train" / "class_1" / "bomb.png", 30000, 30000)  # PIL: an error
    png_claiming(root / "val" / "class_0" / "big.png", 10000, 10000)  # PIL: only a warning
    (root / "val" / "class_1" / "garbage.jpg").write_bytes(b"not a jpeg")
    out = tmp_path / "run"
    code, stdout, err = cli("train", TINY, "--data", root, "--set", "size=16", "--workers", 0,
                            "--batch-size", 3, "--epochs", 1, "--progress", "false",
                            "--out", out)
    assert code == 0, err
    assert "Traceback" not in err
    assert err.count("incdsl: warning:") == 1 and "symlink loop" in err
    assert "bomb.png" in err and "big.png" in err and "garbage.jpg" in err
    assert "1 unreadable image(s) skipped" in stdout
    assert "2 unreadable held-out image(s) skipped" in stdout
    code, stdout, err = cli("eval", TINY, "--checkpoint", out / "checkpoint.pt", "--data", root)
    assert code == 0, err
    assert "over 6 images (2 unreadable image(s) skipped)" in stdout
