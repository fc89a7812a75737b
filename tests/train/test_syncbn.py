"""CpuSyncBatchNorm: two gloo ranks on CPU must give what one process gives on the whole batch.

The distributed tests spawn real processes; workers read their inputs from and write their
results to files in tmp_path.
"""

from __future__ import annotations

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
import torch.nn.functional as F
from torch import nn
from torch.nn.parallel import DistributedDataParallel

import incdsl
from incdsl.train.syncbn import CpuSyncBatchNorm, convert_sync_batchnorm

ATOL = 1e-5
SIZES = (3, 5)  # unequal per-rank batches: the statistics must weigh ranks by their counts
NET = {"width": 0.125, "size": 75, "classes": 10, "aux_logits": False, "drop_rate": 0}


def _spawn(worker, world, tmp_path):
    mp.spawn(_init_and_run, args=(worker, world, str(tmp_path)), nprocs=world)


def _init_and_run(rank, worker, world, tmp):
    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method=f"file://{tmp}/store", rank=rank,
                            world_size=world)
    try:
        worker(rank, tmp)
    finally:
        dist.destroy_process_group()


def _part(batch, rank):
    start = sum(SIZES[:rank])
    return batch[start:start + SIZES[rank]]


def _layer_data(tmp_path):
    gen = torch.Generator().manual_seed(0)
    channels = 4
    data = {
        # Off-centre, so that a careless sum-of-squares variance would show.
        "x": torch.randn(sum(SIZES), channels, 3, 3, generator=gen) + 100,
        "grad_y": torch.randn(sum(SIZES), channels, 3, 3, generator=gen),
        "weight": torch.rand(channels, generator=gen) + 0.5,
        "bias": torch.randn(channels, generator=gen),
    }
    torch.save(data, tmp_path / "data.pt")
    return data


def _layer_step(bn, x, grad_y, weight, bias):
    """One training step of a BatchNorm layer; the results the tests compare."""
    with torch.no_grad():
        bn.weight.copy_(weight)
        bn.bias.copy_(bias)
    x = x.clone().requires_grad_()
    y = bn(x)
    y.backward(grad_y)
    # momentum=None: the cumulative average over two batches
    cumulative = type(bn)(x.shape[1], momentum=None)
    for batch in (x.detach(), x.detach() * 0.5 - 1):
        cumulative(batch)
    return {"y": y.detach(), "x_grad": x.grad, "weight_grad": bn.weight.grad,
            "bias_grad": bn.bias.grad, "running_mean": bn.running_mean,
            "running_var": bn.running_var, "num_batches_tracked": bn.num_batches_tracked,
            "eval_y": bn.eval()(x.detach()),
            "cumulative_mean": cumulative.running_mean, "cumulative_var": cumulative.running_var}


def _layer_worker(rank, tmp):
    data = torch.load(f"{tmp}/data.pt")
    out = _layer_step(CpuSyncBatchNorm(data["x"].shape[1]), _part(data["x"], rank),
                      _part(data["grad_y"], rank), data["weight"], data["bias"])
    torch.save(out, f"{tmp}/rank{rank}.pt")


def test_two_ranks_equal_one_batchnorm_on_the_whole_batch(tmp_path):
    data = _layer_data(tmp_path)
    _spawn(_layer_worker, 2, tmp_path)
    ranks = [torch.load(tmp_path / f"rank{r}.pt") for r in range(2)]
    ref = _layer_step(nn.BatchNorm2d(data["x"].shape[1]), **data)

    for key in ("y", "x_grad", "eval_y"):  # per sample: each rank holds its slice
        for rank, out in enumerate(ranks):
            torch.testing.assert_close(out[key], _part(ref[key], rank), rtol=0, atol=ATOL)
    for key in ("weight_grad", "bias_grad"):  # per rank: DDP would sum these
        torch.testing.assert_close(ranks[0][key] + ranks[1][key], ref[key], rtol=0, atol=ATOL)
    for key in ("running_mean", "running_var", "num_batches_tracked",
                "cumulative_mean", "cumulative_var"):  # the same on every rank
        for out in ranks:
            torch.testing.assert_close(out[key], ref[key], rtol=0, atol=ATOL)


def _ddp_step(model, x, labels):
    """One SGD step; the state_dict after it."""
    model.train()
    loss = F.cross_entropy(model(x), labels)
    loss.backward()
    torch.optim.SGD(model.parameters(), lr=0.1).step()
    module = model.module if isinstance(model, DistributedDataParallel) else model
    return {k: v.detach().clone() for k, v in module.state_dict().items()}


def _net():
    # float64: BatchNorm over a few values per channel (batch 4, 1x1 maps late in the network)
    # is so ill-conditioned at initialisation that float32 rounding alone moves the step by
    # ~1e-3 relative (float32 against float64 on one process), far above ATOL.
    return incdsl.build("v3", seed=0, **NET).double()


def _net_worker(rank, tmp):
    x, labels = torch.load(f"{tmp}/batch.pt")
    half = len(x) // 2
    x, labels = x[rank * half:(rank + 1) * half], labels[rank * half:(rank + 1) * half]
    synced = DistributedDataParallel(convert_sync_batchnorm(_net()))
    plain = DistributedDataParallel(_net())
    torch.save({"synced": _ddp_step(synced, x, labels), "plain": _ddp_step(plain, x, labels)},
               f"{tmp}/rank{rank}.pt")


def test_ddp_with_sync_bn_steps_like_one_process_on_the_global_batch(tmp_path):
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(4, 3, NET["size"], NET["size"], generator=gen, dtype=torch.float64)
    labels = torch.randint(NET["classes"], (4,), generator=gen)
    torch.save((x, labels), tmp_path / "batch.pt")
    _spawn(_net_worker, 2, tmp_path)
    ranks = [torch.load(tmp_path / f"rank{r}.pt") for r in range(2)]
    ref = _ddp_step(_net(), x, labels)

    for out in ranks:
        assert out["synced"].keys() == ref.keys()
        for key, value in ref.items():
            torch.testing.assert_close(out["synced"][key], value, rtol=0, atol=ATOL, msg=key)
    # Without sync, each rank normalises by its own half: the check above can tell.
    worst = max((ranks[0]["plain"][k] - v).abs().max() for k, v in ref.items())
    assert worst > 100 * ATOL


@pytest.mark.parametrize("world", [None, 1], ids=["no-process-group", "world-size-1"])
def test_without_peers_it_is_batchnorm(tmp_path, world):
    data = _layer_data(tmp_path)
    if world is not None:  # a group of one needs no other process: made here, and undone
        dist.init_process_group("gloo", init_method=f"file://{tmp_path}/store", rank=0,
                                world_size=world)
    try:
        out = _layer_step(CpuSyncBatchNorm(data["x"].shape[1]), **data)
    finally:
        if world is not None:
            dist.destroy_process_group()
    ref = _layer_step(nn.BatchNorm2d(data["x"].shape[1]), **data)
    for key, value in ref.items():
        torch.testing.assert_close(out[key], value, rtol=0, atol=0, msg=key)


def test_convert_keeps_parameters_buffers_and_keys():
    model = incdsl.build("v3", seed=0, **NET)
    before = model.state_dict()
    params = list(model.parameters())
    n_bn = sum(type(m) is nn.BatchNorm2d for m in model.modules())

    assert convert_sync_batchnorm(model) is model
    assert sum(type(m) is CpuSyncBatchNorm for m in model.modules()) == n_bn > 0
    assert not any(type(m) is nn.BatchNorm2d for m in model.modules())
    after = model.state_dict()
    assert list(after) == list(before)
    assert all(after[k].data_ptr() == before[k].data_ptr() for k in before)  # not copies
    assert all(p is q for p, q in zip(model.parameters(), params, strict=True))
    assert convert_sync_batchnorm(model) is model  # converting twice changes nothing
    assert list(model.state_dict()) == list(before)


def test_convert_copies_the_layer_settings():
    bn = nn.BatchNorm2d(3, eps=1e-3, momentum=None, affine=False, track_running_stats=False)
    bn.eval()
    group = object()  # stands for a process group; nothing here talks to it
    sync = convert_sync_batchnorm(bn, process_group=group)
    assert type(sync) is CpuSyncBatchNorm
    assert (sync.eps, sync.momentum, sync.affine, sync.track_running_stats, sync.training) == (
        1e-3, None, False, False, False)
    assert sync.process_group is group
    assert sync.weight is None and sync.running_mean is None


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_convert_leaves_cuda_models_to_torch():
    model = nn.Sequential(nn.Conv2d(3, 4, 1), nn.BatchNorm2d(4)).cuda()
    assert type(convert_sync_batchnorm(model)[1]) is nn.SyncBatchNorm
