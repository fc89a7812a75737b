"""ImageFolder directories that survive what is in them: images that cannot be read come
back as `Unreadable` (counted and skipped by the loader), and every real directory is read
once however many symbolic links lead to it."""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from pathlib import Path

from PIL import Image
from torchvision import datasets as tv_datasets

# PIL's ways of saying "not an image", and "an image too large to be one" (a decompression
# bomb: a small file that claims gigapixels).
UNREADABLE = (OSError, ValueError, SyntaxError, Image.DecompressionBombError,
              Image.DecompressionBombWarning)


class ImageFolder(tv_datasets.ImageFolder):
    """An ImageFolder whose unreadable images come back as Unreadable (counted and skipped
    by the loader) instead of ending the run, and which reads each real directory once."""

    def __getitem__(self, i):
        path, label = self.samples[i]
        try:
            with warnings.catch_warnings():
                # PIL only warns between MAX_IMAGE_PIXELS and twice that; refuse those too.
                warnings.simplefilter("error", Image.DecompressionBombWarning)
                image = self.loader(path)
                image.load()
        except UNREADABLE:
            return Unreadable(path)
        return image, label

    def make_dataset(self, directory, class_to_idx, extensions=None, is_valid_file=None,
                     allow_empty=False):
        """torchvision's make_dataset, but every real directory is read once, for the class
        folder it lies in, with a warning for each path that leads to one again (a symlink
        loop, or a link into another class): torchvision follows links blindly, which
        multiplies images and gives them another class's label."""
        self.warnings = []
        valid = is_valid_file or (
            lambda p: tv_datasets.folder.has_file_allowed_extension(p, extensions))
        samples, found = [], set()
        for name, here, files in _walk_once(Path(directory), sorted(class_to_idx),
                                            self.warnings):
            for file in sorted(files):
                if valid(os.path.join(here, file)):
                    samples.append((os.path.join(here, file), class_to_idx[name]))
                    found.add(name)
        empty = sorted(set(class_to_idx) - found)
        if empty and not allow_empty:
            raise FileNotFoundError(f"Found no valid file for the classes {', '.join(empty)}. "
                                    f"Supported extensions are: {', '.join(extensions or ())}")
        return samples


def _walk_once(root: Path, classes: list[str], notes: list[str]):
    """(class, directory, file names) for every directory under each class folder, links
    followed, in torchvision's order. A directory that lies inside a class folder (without
    following links) belongs to that class only; any other is read the first time a link
    leads to it. Every other path to a directory already taken is skipped, with a note."""
    real_root = os.path.realpath(root)
    owner: dict[str, str] = {}
    for name in classes:
        for here, _, _ in os.walk(root / name):  # links not followed: where things really lie
            owner.setdefault(os.path.realpath(here), name)
    taken: set[str] = set()
    for name in classes:
        top = root / name
        real_top = os.path.realpath(top)
        if owner.get(real_top, name) != name or real_top in taken:
            notes.append(f"{top} is another class's folder ({real_top}); its images are read "
                         "for that class only")
            continue
        taken.add(real_top)
        found = []
        for here, subdirs, files in os.walk(top, followlinks=True):
            found.append((here, files))
            kept = []
            for sub in sorted(subdirs):
                path = os.path.join(here, sub)
                real = os.path.realpath(path)
                if os.path.commonpath([real, real_root]) == real:  # it holds the dataset
                    notes.append(f"{path} leads to {real}, which holds this dataset (a "
                                 "symlink loop); skipped")
                elif real in taken or owner.get(real, name) != name:
                    notes.append(f"{path} leads to {real}, which is read already (a symlink "
                                 "loop, or a second path to the same images); skipped")
                else:
                    taken.add(real)
                    kept.append(sub)
            subdirs[:] = kept  # os.walk descends only into what is left here
        for here, files in sorted(found):
            yield name, here, files


@dataclass(frozen=True)
class Unreadable:
    """In place of (image, label): an image that could not be read, by its path."""

    path: str
