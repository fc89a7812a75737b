"""The recipe against its definitions: TensorFlow's RMSProp (checked against timm's port),
the schedules, the moving average, the loss with auxiliary heads."""

from __future__ import annotations

import math

import pytest
import torch

from incdsl.train import recipe
from incdsl.train.config import PRESETS, TrainConfig, resolve


def test_rmsprop_is_tensorflows():
    from timm import optim as timm_optim
    torch.manual_seed(0)
    ours, theirs = torch.nn.Linear(5, 3), torch.nn.Linear(5, 3)
    theirs.load_state_dict(ours.state_dict())
    a = recipe.TFRMSprop(ours.parameters(), lr=0.045, decay=0.9, eps=1.0, momentum=0.9,
                         weight_decay=4e-5)
    b = timm_optim.RMSpropTF(theirs.parameters(), lr=0.045, alpha=0.9, eps=1.0, momentum=0.9,
                             weight_decay=4e-5)
    for _ in range(5):
        x = torch.randn(8, 5)
        for model, opt in ((ours, a), (theirs, b)):
            opt.zero_grad()
            model(x).square().sum().backward()
            opt.step()
    for p, q in zip(ours.parameters(), theirs.parameters()):
        torch.testing.assert_close(p, q, rtol=1e-6, atol=1e-7)


def test_paper_preset_is_the_papers_recipe():
    c = resolve({}, {"preset": "paper"})
    assert (c.optimizer, c.lr, c.rmsprop_decay, c.rmsprop_eps, c.momentum) == (
        "rmsprop", 0.045, 0.9, 1.0, 0.9)
    assert (c.schedule, c.decay_rate, c.decay_epochs, c.clip_grad_norm) == ("step", 0.94, 2, 2)
    assert (c.weight_decay, c.label_smoothing, c.aux_weight, c.ema_decay) == (
        4e-5, 0.1, 0.4, 0.9999)
    assert set(PRESETS["paper"]) <= set(TrainConfig.__dataclass_fields__)


def test_flags_win_over_the_file_and_the_file_over_the_preset():
    c = resolve({"lr": 0.2, "epochs": 7}, {"lr": 0.3, "preset": "paper"})
    assert (c.lr, c.epochs, c.optimizer) == (0.3, 7, "rmsprop")


def learning_rates(config: TrainConfig, steps_per_epoch: int) -> list[float]:
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=config.lr)
    sched = recipe.schedule(config, opt, steps_per_epoch)
    rates = []
    for _ in range(config.epochs * steps_per_epoch):
        rates.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    return rates


def test_step_schedule_is_tf_slims_staircase():
    c = TrainConfig(lr=0.045, schedule="step", decay_rate=0.94, decay_epochs=2,
                    warmup_epochs=0, epochs=6)
    rates = learning_rates(c, steps_per_epoch=10)
    assert rates[0] == rates[19] == pytest.approx(0.045)
    assert rates[20] == pytest.approx(0.045 * 0.94) and rates[59] == pytest.approx(0.045 * 0.94**2)


def test_cosine_with_warmup():
    rates = learning_rates(TrainConfig(lr=0.1, warmup_epochs=1, epochs=4), steps_per_epoch=5)
    assert rates[:5] == pytest.approx([0.02, 0.04, 0.06, 0.08, 0.1])
    assert rates[5] == pytest.approx(0.1) and rates[-1] == pytest.approx(
        0.05 * (1 + math.cos(math.pi * 14 / 15)))


def test_moving_average_warms_up_as_tensorflows():
    model = torch.nn.Linear(1, 1, bias=False)
    ema = recipe.moving_average(model, decay=0.9999)
    expected = model.weight.item()
    for n in range(1, 4):
        with torch.no_grad():
            model.weight.fill_(float(n))
        ema.update_parameters(model)
        if n > 1:  # the first update copies; then decay = min(0.9999, (1 + k) / (10 + k))
            d = min(0.9999, (1 + n - 1) / (10 + n - 1))
            expected = d * expected + (1 - d) * n
        else:
            expected = 1.0
        assert ema.module.weight.item() == pytest.approx(expected)


def test_auxiliary_heads_are_weighted():
    loss = recipe.Loss(label_smoothing=0.0, aux_weight=0.4)
    logits, aux = torch.randn(4, 3), torch.randn(4, 3)
    labels = torch.tensor([0, 1, 2, 0])
    ce = torch.nn.functional.cross_entropy
    value, main = loss((logits, aux), labels)
    assert value.item() == pytest.approx((ce(logits, labels) + 0.4 * ce(aux, labels)).item())
    assert main is logits
