"""A training run's settings: one dataclass, two named presets, a YAML file, and flags.

Precedence, lowest first: the preset (`default` or `paper`), the `--config` YAML file, then
flags. The resolved settings are saved as `config.yaml` in the run directory, and `--resume`
checks that a continued run asks for the same thing.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any

from incdsl.errors import UsageError, did_you_mean


@dataclass
class TrainConfig:
    # What to train.
    spec: str = "irv2"
    network: str | None = None
    set: dict[str, Any] = field(default_factory=dict)
    # Data: "digits" (built in), a directory with train/ and val/ (ImageFolder), or a
    # torchvision dataset as "torchvision:Flowers102".
    data: str = "digits"
    data_root: str = "~/.cache/incdsl/datasets"
    download: bool = False
    augment: str = "auto"  # inception | light | none; auto: light for digits, else inception
    workers: int = -1  # -1: none for the in-memory digits, else min(8, cpus)
    # Recipe.
    preset: str = "default"
    epochs: int = 10
    batch_size: int = 64  # per process, as in TF-Slim and DDP
    optimizer: str = "sgd"  # sgd | rmsprop (TensorFlow's) | adamw
    lr: float = 0.1
    momentum: float = 0.9
    weight_decay: float = 5e-5
    rmsprop_decay: float = 0.9
    rmsprop_eps: float = 1.0
    schedule: str = "cosine"  # cosine | step | constant
    warmup_epochs: float = 1.0
    decay_rate: float = 0.94  # step schedule: lr *= decay_rate every decay_epochs
    decay_epochs: float = 2.0
    clip_grad_norm: float = 0.0  # 0: off
    label_smoothing: float = 0.1
    aux_weight: float = 0.4
    ema_decay: float = 0.0  # 0: no moving average of the weights
    # Speed.
    amp: str = "auto"  # auto (bf16 on GPU) | bf16 | off
    channels_last: bool = False
    compile: bool = False
    optimize: str = "none"  # none | training: the compiler's exact passes (fused layers)
    sync_bn: bool = False
    # Fine-tuning.
    init: str | None = None
    exclude: list[str] = field(default_factory=list)
    trainable: list[str] = field(default_factory=list)
    # Bookkeeping.
    seed: int = 0
    log_every: int = 20
    save_every: int = 0  # steps between checkpoints within an epoch; 0: at epoch ends only


PRESETS: dict[str, dict[str, Any]] = {
    # Converges in a few epochs on small data (the built-in digits, Flowers102).
    "default": {},
    # The paper's recipe (Inception-v4 paper, section 4; Inception-v3 paper, section 8;
    # TF-Slim's train_image_classifier defaults).
    "paper": {"optimizer": "rmsprop", "lr": 0.045, "momentum": 0.9, "rmsprop_decay": 0.9,
              "rmsprop_eps": 1.0, "schedule": "step", "decay_rate": 0.94, "decay_epochs": 2.0,
              "warmup_epochs": 0.0, "clip_grad_norm": 2.0, "weight_decay": 4e-5,
              "label_smoothing": 0.1, "aux_weight": 0.4, "ema_decay": 0.9999, "batch_size": 32,
              "epochs": 100, "augment": "inception"},
}

CHOICES = {
    "augment": ("auto", "inception", "light", "none"),
    "optimizer": ("sgd", "rmsprop", "adamw"),
    "schedule": ("cosine", "step", "constant"),
    "amp": ("auto", "bf16", "off"),
    "optimize": ("none", "training"),
    "preset": tuple(PRESETS),
}

# Settings that may change when a run is resumed: they do not change what is computed.
RESUMABLE = {"epochs", "workers", "log_every", "save_every", "data_root", "download"}

FIELDS = {f.name: f for f in dataclasses.fields(TrainConfig)}


_TYPES = {"bool": bool, "int": int, "float": float, "str": str, "str | None": str,
          "dict[str, Any]": dict, "list[str]": list}


def kind_of(name: str) -> type:
    """The Python type of setting `name` (bool, int, float, str, list or dict)."""
    return _TYPES[FIELDS[name].type]  # annotations are strings here (`from __future__`)


def coerce(name: str, value: Any, where: str) -> Any:
    """`value` as the type of setting `name`, or a UsageError saying `where` it came from."""
    kind = kind_of(name)
    if value is None and FIELDS[name].default is None:
        return None
    ok = {
        bool: isinstance(value, bool),
        int: isinstance(value, int) and not isinstance(value, bool),
        float: isinstance(value, (int, float)) and not isinstance(value, bool),
        str: isinstance(value, str),
        list: isinstance(value, list) and all(isinstance(v, str) for v in value),
        dict: isinstance(value, dict),
    }[kind]
    if not ok:
        expected = {bool: "true or false", int: "an integer", float: "a number", str: "text",
                    list: "a list of names", dict: "a mapping of parameter: value"}[kind]
        raise UsageError(f"{where}: expected {expected}, got {value!r}")
    if kind is float:
        value = float(value)
    if name in CHOICES and value not in CHOICES[name]:
        raise UsageError(f"{where}: {value!r} is not one of {', '.join(CHOICES[name])}")
    return value


def resolve(file_settings: dict[str, Any], flags: dict[str, Any]) -> TrainConfig:
    """Preset < file < flags. Both dicts are already checked names with coerced values."""
    preset = flags.get("preset", file_settings.get("preset", "default"))
    values = {**PRESETS[preset], **file_settings, **flags, "preset": preset}
    config = TrainConfig(**values)
    _check_ranges(config)
    return config


# The seeds torch's generators take, leaving room for the sampler's seed + epoch.
MAX_SEED = 2**63 - 1


def _check_ranges(c: TrainConfig) -> None:
    for name in FIELDS:  # nan and inf pass every comparison below, or crash later
        value = getattr(c, name)
        if kind_of(name) is float and not math.isfinite(value):
            raise UsageError(f"{name} must be a finite number, got {value}")
    positive = {"epochs": c.epochs, "batch_size": c.batch_size, "lr": c.lr,
                "log_every": c.log_every}
    for name, value in positive.items():
        if value <= 0:
            raise UsageError(f"{name} must be positive, got {value}")
    for name in ("momentum", "rmsprop_decay", "ema_decay", "label_smoothing"):
        value = getattr(c, name)
        if not 0 <= value < 1:
            raise UsageError(f"{name} must be in [0, 1), got {value}")
    for name in ("weight_decay", "rmsprop_eps", "warmup_epochs", "clip_grad_norm", "aux_weight",
                 "save_every"):
        if getattr(c, name) < 0:
            raise UsageError(f"{name} must not be negative, got {getattr(c, name)}")
    if c.workers < -1:
        raise UsageError(f"workers must be -1 (automatic) or 0 or more, got {c.workers}")
    if not 0 <= c.seed <= MAX_SEED:
        raise UsageError(f"seed must be in 0..{MAX_SEED} (2**63 - 1), got {c.seed}")
    if c.decay_epochs <= 0 or not 0 < c.decay_rate <= 1:
        raise UsageError("the step schedule needs decay_epochs > 0 and 0 < decay_rate <= 1")


def load_file(path: str, what: str = "--config") -> dict[str, Any]:
    """The settings of a YAML file, every key and value checked; errors say `file:line:col`.
    `what` names the file in errors that have no line (--config, or a run's config.yaml)."""
    import yaml

    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except OSError as e:
        raise UsageError(f"{what} {path}: {e.strerror}") from None
    except UnicodeDecodeError as e:
        raise UsageError(f"{what} {path}: not UTF-8 text (byte {e.object[e.start]:#04x} at "
                         f"offset {e.start}); YAML settings are UTF-8") from None
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else path
        raise UsageError(f"{where}: not valid YAML: {getattr(e, 'problem', e)}") from None
    if root is None:
        return {}
    if not isinstance(root, yaml.MappingNode):
        raise UsageError(f"{path}: expected a mapping of setting: value")
    _refuse_duplicate_keys(root, path)
    settings = {}
    for key_node, _ in root.value:
        key = key_node.value
        where = f"{path}:{key_node.start_mark.line + 1}:{key_node.start_mark.column + 1}"
        if key not in FIELDS:
            raise unknown_key(key, where)
        settings[key] = coerce(key, data[key], f"{where}: {key}")
    return settings


def _refuse_duplicate_keys(node, path: str) -> None:
    """PyYAML keeps the last of two equal keys without a word; a setting given twice is
    more likely a mistake than a wish."""
    import yaml

    if isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = {}
        for key_node, value_node in node.value:
            line = key_node.start_mark.line + 1
            if isinstance(key_node, yaml.ScalarNode) and key_node.value in seen:
                raise UsageError(f"{path}:{line}:{key_node.start_mark.column + 1}: "
                                 f"'{key_node.value}' is set twice (first on line "
                                 f"{seen[key_node.value]})")
            seen.setdefault(getattr(key_node, "value", None), line)
            _refuse_duplicate_keys(value_node, path)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            _refuse_duplicate_keys(item, path)


def unknown_key(key: str, where: str) -> UsageError:
    hint = "".join(f"; {n}" for n in did_you_mean(key, FIELDS))
    return UsageError(f"{where}: unknown setting '{key}'{hint}")


def as_dict(config: TrainConfig) -> dict[str, Any]:
    return dataclasses.asdict(config)


def differences(saved: dict[str, Any], now: TrainConfig) -> list[str]:
    """The settings that differ from a saved run's, leaving out those a resume may change."""
    current = as_dict(now)
    return sorted(k for k in current if k not in RESUMABLE and saved.get(k) != current[k])
