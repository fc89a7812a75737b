"""The fixed part of a generated module: imports and the few layer classes it uses, written
out so that the file needs nothing but torch."""

from __future__ import annotations

CONV_BN = '''
class ConvBN(nn.Module):
    """conv (no bias) -> BatchNorm -> ReLU, as in TF-Slim."""

    def __init__(
        self,
        in_channels,
        out_channels,
        kernel,
        stride=1,
        padding=0,
        *,
        eps=0.001,
        momentum=0.1,
        relu=True,
    ):
        super().__init__()
        self.conv = nn.Conv2d(
            in_channels, out_channels, kernel, stride, padding, bias=False
        )
        self.bn = nn.BatchNorm2d(out_channels, eps=eps, momentum=momentum)
        self.relu = relu

    def forward(self, x):
        x = self.bn(self.conv(x))
        return F.relu(x, inplace=True) if self.relu else x
'''

GLOBAL_AVG_POOL = '''
class GlobalAvgPool(nn.Module):
    """(N, C, H, W) -> (N, C)."""

    def forward(self, x):
        return torch.flatten(F.adaptive_avg_pool2d(x, 1), 1)
'''

GLOBAL_MAX_POOL = '''
class GlobalMaxPool(nn.Module):
    """(N, C, H, W) -> (N, C)."""

    def forward(self, x):
        return torch.flatten(F.adaptive_max_pool2d(x, 1), 1)
'''

INIT = '''
def init_weights(model, stds=()):
    """Truncated normal (at two standard deviations) as TF-Slim and torchvision initialise
    convolutions and linear layers: std 0.1 unless `stds` names another for a module path."""
    stds = dict(stds)
    for name, module in model.named_modules():
        if isinstance(module, (nn.Conv2d, nn.Linear)):
            # A ConvBN's convolution is `path.conv`; the spec names `path`.
            std = stds.get(name, stds.get(name.removesuffix(".conv"), 0.1))
            nn.init.trunc_normal_(module.weight, 0.0, std, -2 * std, 2 * std)
            if module.bias is not None:
                nn.init.zeros_(module.bias)
'''
