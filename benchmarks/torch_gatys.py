"""torch_gatys.py — Gatys style transfer in PyTorch with neural-style's conventions, the reference gpustyle is
compared with (losses, speed). Needs torch, numpy, Pillow; safetensors for real weights.

Conventions (as gpustyle and jcjohnson/neural-style): Caffe preprocessing (BGR, x255, minus mean pixel),
content loss w*mean((F-P)^2), Gram F F^T/(C*H*W), style loss w*mean((G-A)^2) per layer, TV
w*0.5*sum over the (H-1)x(W-1) corner of squared right/down differences, L-BFGS without line search.
"""
import numpy as np
import torch
import torch.nn.functional as F

CAFFE_MEAN_BGR = (103.939, 116.779, 123.68)
BLOCKS = {"vgg16": [2, 2, 3, 3, 3], "vgg19": [2, 2, 4, 4, 4]}
CHANNELS = [64, 128, 256, 512, 512]


def layer_names(arch):
    names = []
    for b, n in enumerate(BLOCKS[arch], start=1):
        for i in range(1, n + 1):
            names += [f"conv{b}_{i}", f"relu{b}_{i}"]
        names.append(f"pool{b}")
    return names


def random_weights(arch, seed=1):
    """He-scaled random convolutions (timing runs: random weights time the same as real ones)."""
    g = torch.Generator().manual_seed(seed)
    weights, c = {}, 3
    for b, n in enumerate(BLOCKS[arch], start=1):
        for i in range(1, n + 1):
            k = CHANNELS[b - 1]
            weights[f"conv{b}_{i}"] = (torch.randn(k, c, 3, 3, generator=g) * (2.0 / (c * 9)) ** 0.5,
                                       torch.randn(k, generator=g) * 0.01)
            c = k
    return weights


def load_safetensors(path):
    """gpustyle's model format: conv1_1.weight (OIHW) / conv1_1.bias ..."""
    from safetensors.numpy import load_file
    t = load_file(path)
    return {n[:-7]: (torch.from_numpy(t[n].copy()), torch.from_numpy(t[n[:-7] + ".bias"].copy()))
            for n in t if n.endswith(".weight")}


class VGGFeatures(torch.nn.Module):
    """VGG up to `deepest`, returning the activations named in `taps`."""

    def __init__(self, weights, arch, deepest, pooling="max"):
        super().__init__()
        names = layer_names(arch)
        self.names = names[: names.index(deepest) + 1]
        self.params = torch.nn.ParameterDict({n: torch.nn.Parameter(w, requires_grad=False) for n, (w, _) in weights.items()})
        self.biases = torch.nn.ParameterDict({n: torch.nn.Parameter(b, requires_grad=False) for n, (_, b) in weights.items()})
        self.pooling = pooling

    def forward(self, x, taps):
        out = {}
        for n in self.names:
            if n.startswith("conv"):
                x = F.conv2d(x, self.params[n], self.biases[n], padding=1)
            elif n.startswith("relu"):
                x = F.relu(x)
            else:
                x = F.max_pool2d(x, 2, 2) if self.pooling == "max" else F.avg_pool2d(x, 2, 2)
            if n in taps:
                out[n] = x
        return out


def preprocess(rgb01):
    """HxWx3 float array in [0,1] -> 1x3xHxW Caffe input."""
    bgr = rgb01[:, :, ::-1] * 255.0 - np.array(CAFFE_MEAN_BGR)
    return torch.from_numpy(np.ascontiguousarray(bgr.transpose(2, 0, 1))).float()[None]


def deprocess(x):
    bgr = x[0].detach().cpu().numpy().transpose(1, 2, 0) + np.array(CAFFE_MEAN_BGR)
    return np.clip(bgr[:, :, ::-1] / 255.0, 0, 1)


def gram(f):
    _, c, h, w = f.shape
    m = f.reshape(c, h * w)
    return m @ m.t() / (c * h * w)


class GatysLoss:
    def __init__(self, net, content, style, content_layers, style_layers, cw, sw, tvw):
        self.net, self.cl, self.sl, self.cw, self.sw, self.tvw = net, content_layers, style_layers, cw, sw, tvw
        with torch.no_grad():
            self.P = {k: v.detach() for k, v in net(content, set(content_layers)).items()}
            self.A = {k: gram(v).detach() for k, v in net(style, set(style_layers)).items()}

    def __call__(self, x):
        feats = self.net(x, set(self.cl) | set(self.sl))
        c = sum(self.cw * F.mse_loss(feats[n], self.P[n]) for n in self.cl)
        s = sum(self.sw * F.mse_loss(gram(feats[n]), self.A[n]) for n in self.sl)
        dx = x[:, :, :-1, :-1] - x[:, :, :-1, 1:]
        dy = x[:, :, :-1, :-1] - x[:, :, 1:, :-1]
        tv = self.tvw * 0.5 * (dx.pow(2).sum() + dy.pow(2).sum())
        return c, s, tv


def stylize(loss, x0, iterations, history=100, on_iteration=None):
    """torch.optim.LBFGS as neural-style-pt uses it: no line search, no early stop."""
    x = x0.clone().requires_grad_(True)
    opt = torch.optim.LBFGS([x], lr=1, max_iter=iterations, tolerance_grad=-1, tolerance_change=-1,
                            history_size=history)
    record = []

    def closure():
        opt.zero_grad()
        c, s, tv = loss(x)
        total = c + s + tv
        total.backward()
        record.append((c.item(), s.item(), float(tv)))
        if on_iteration:
            on_iteration(len(record), record[-1])
        return total

    opt.step(closure)
    return x.detach(), record
