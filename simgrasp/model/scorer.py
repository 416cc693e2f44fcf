"""The scorer (section IV-A c): graspability of a predicted grasp from its cell's 3x3
feature neighbourhood and its own deformation.

Per grasp, the paper's layers are: 1x1 conv (``C_s`` filters) on the feature map, the
3x3 neighbourhood around the grasp's cell flattened (``9 C_s``); the deformation written
into a 5k vector that is zero except its anchor's five slots, through a 512-unit dense
layer; both concatenated, then two dense layers to two logits. Leaky ReLU (0.1) after
every layer but the last. The neighbourhood is zero-padded at the border of the map.

Two exact rewrites make scoring all ``g*g*k`` grasps one batched pass:
- the dense layer on the flattened neighbourhood is a 3x3 convolution whose kernel is that
  layer's weight reshaped (``unfold`` order is channel-major, as ``view(H, C_s, 3, 3)``);
  it is computed once per cell and shared by the cell's k anchors;
- the dense layer on the one-hot-placed 5k vector only sees the five non-zero slots, so it
  is a 5 -> 512 product with that anchor's columns of the weight.
The weights are stored as the paper's dense layers, so the state dict reads as the paper.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from simgrasp.model.init import init_small


class Scorer(nn.Module):
    """Scores grasps given as deformations of their anchors.

    ``forward(features, deltas)`` with deltas (B, g, g, k, 5) scores every grasp and
    returns logits (B, g, g, k, 2); with ``index`` (B, T) flat grasp indices
    (``(row * g + col) * k + a``) and deltas (B, T, 5) it scores only those, returning
    (B, T, 2). Logit 1 is "graspable"."""

    def __init__(self, in_channels: int, k: int, channels: int, param_width: int, hidden: int, slope: float) -> None:
        super().__init__()
        self.k, self.channels, self.slope = k, channels, slope
        self.reduce = nn.Conv2d(in_channels, channels, 1)
        self.param_fc = nn.Linear(5 * k, param_width)
        self.fc1 = nn.Linear(9 * channels + param_width, hidden)
        self.fc2 = nn.Linear(hidden, 2)
        init_small(self.fc2)  # logits start at fc2's bias, the base rate once training sets it

    def _image_term(self, features: torch.Tensor) -> torch.Tensor:
        """fc1's image part for every cell: (B, hidden, g, g), without fc1's bias."""
        r = F.leaky_relu(self.reduce(features), self.slope)
        w_img = self.fc1.weight[:, : 9 * self.channels].reshape(-1, self.channels, 3, 3)
        return F.conv2d(r, w_img, padding=1)

    def _param_weight(self) -> torch.Tensor:
        """param_fc's weight as (k, 5, param_width): the columns each anchor's slots meet."""
        return self.param_fc.weight.reshape(-1, self.k, 5).permute(1, 2, 0)

    def forward(self, features: torch.Tensor, deltas: torch.Tensor, index: torch.Tensor | None = None) -> torch.Tensor:
        img = self._image_term(features)  # (B, H, g, g)
        b, hid, g, _ = img.shape
        w_par = self._param_weight()  # (k, 5, P)
        if index is None:
            if deltas.shape[1:] != (g, g, self.k, 5):
                raise ValueError(f"expected deltas (B, {g}, {g}, {self.k}, 5), got {tuple(deltas.shape)}")
            par = torch.einsum("bijam,amp->bijap", deltas, w_par) + self.param_fc.bias
            img_term = img.permute(0, 2, 3, 1)[:, :, :, None, :]  # (B, g, g, 1, H)
        else:
            if deltas.shape != (*index.shape, 5):
                raise ValueError(f"expected deltas {(*index.shape, 5)} for index {tuple(index.shape)}, got {tuple(deltas.shape)}")
            cell, anchor = index // self.k, index % self.k
            par = torch.einsum("btm,btmp->btp", deltas, w_par[anchor]) + self.param_fc.bias
            img_term = torch.gather(img.reshape(b, hid, g * g), 2, cell[:, None, :].expand(b, hid, cell.shape[1]))
            img_term = img_term.transpose(1, 2)  # (B, T, H)
        par = F.leaky_relu_(par, self.slope)  # in place: the largest tensor of the pass
        w_par_fc1 = self.fc1.weight[:, 9 * self.channels :]
        hidden = F.leaky_relu(img_term + par @ w_par_fc1.T + self.fc1.bias, self.slope)
        return self.fc2(hidden)

    def reference_forward(self, features: torch.Tensor, deltas: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
        """The paper's layers written literally (unfold, one-hot 5k vector, concatenation);
        slow, kept to check the batched :meth:`forward` against."""
        r = F.leaky_relu(self.reduce(features), self.slope)
        b, _, g, _ = r.shape
        patches = F.unfold(r, 3, padding=1).transpose(1, 2)  # (B, g*g, 9 C_s)
        cell, anchor = index // self.k, index % self.k
        img = torch.gather(patches, 1, cell[..., None].expand(*cell.shape, patches.shape[-1]))
        onehot = torch.zeros(*index.shape, self.k, 5, dtype=deltas.dtype, device=deltas.device)
        onehot.scatter_(2, anchor[..., None, None].expand(*index.shape, 1, 5), deltas[:, :, None, :])
        par = F.leaky_relu(self.param_fc(onehot.flatten(2)), self.slope)
        hidden = F.leaky_relu(self.fc1(torch.cat([img, par], -1)), self.slope)
        return self.fc2(hidden)
