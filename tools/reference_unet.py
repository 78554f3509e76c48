#!/usr/bin/python3
"""The Genesis U-Net written in PyTorch-Python, for `genesis bench train` comparisons.

Mirrors plugins/backbone/unet_vgg16.cc and unet_resnet50.cc layer for layer (torchvision
vgg16_bn features / resnet50 encoder layout scaled by --width, nearest-upsampling decoder with
skip connections and two conv3x3-BN-ReLU per stage, 1x1 output conv, sigmoid) and times the same
bare training step: zero_grad, forward, MSE, backward, SGD(momentum 0.9) step, loss.item().

    /usr/bin/python3 tools/reference_unet.py --backbone unet_vgg16 --size 64 --batch 16 \
        --threads 2 [--width 1.0] [--iterations 10]

Prints `parameters: N` and `images_per_s: X` (batch / median step time; also _best and _mean). Uses Debian's python3-torch (same LibTorch 1.13).
"""
import argparse
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

VGG16 = [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"]
DECODER = [256, 128, 64, 32, 16]


def scaled(c, width):
    return max(1, int(round(c * width)))


class Vgg16Encoder(nn.Module):
    def __init__(self, in_channels, width):
        super().__init__()
        layers, self.pools, self.skip_channels = [], [], []
        c = in_channels
        for v in VGG16:
            if v == "M":
                self.pools.append(len(layers))
                self.skip_channels.append(c)
                layers.append(nn.MaxPool2d(2, 2))
            else:
                out = scaled(v, width)
                layers += [nn.Conv2d(c, out, 3, padding=1), nn.BatchNorm2d(out), nn.ReLU(inplace=True)]
                c = out
        self.features = nn.Sequential(*layers)
        self.out_channels = c

    def forward_with_skips(self, x):
        skips = []
        for i, layer in enumerate(self.features):
            if i in self.pools:
                skips.append(x)
            x = layer(x)
        return x, skips


class Bottleneck(nn.Module):
    def __init__(self, cin, planes, stride, downsample):
        super().__init__()
        out = planes * 4
        self.conv1 = nn.Conv2d(cin, planes, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = nn.Conv2d(planes, out, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(out)
        self.downsample = (nn.Sequential(nn.Conv2d(cin, out, 1, stride, bias=False), nn.BatchNorm2d(out))
                           if downsample else None)

    def forward(self, x):
        identity = self.downsample(x) if self.downsample is not None else x
        y = F.relu(self.bn1(self.conv1(x)))
        y = F.relu(self.bn2(self.conv2(y)))
        y = self.bn3(self.conv3(y))
        return F.relu(y + identity)


class ResNet50Encoder(nn.Module):
    def __init__(self, in_channels, width):
        super().__init__()
        stem = scaled(64, width)
        self.conv1 = nn.Conv2d(in_channels, stem, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(stem)
        self.skip_channels = [stem]
        c = stem
        for l, (blocks, planes) in enumerate(zip([3, 4, 6, 3], [64, 128, 256, 512])):
            p = scaled(planes, width)
            layer = []
            for b in range(blocks):
                layer.append(Bottleneck(c, p, 2 if (b == 0 and l > 0) else 1, b == 0))
                c = p * 4
            setattr(self, "layer%d" % (l + 1), nn.Sequential(*layer))
            self.skip_channels.append(c)
        self.skip_channels.pop()
        self.out_channels = c

    def forward_with_skips(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        skips = [x]
        x = F.max_pool2d(x, 3, 2, 1)
        for l in range(1, 5):
            x = getattr(self, "layer%d" % l)(x)
            if l < 4:
                skips.append(x)
        return x, skips


class Decoder(nn.Module):
    def __init__(self, bottom, skip_channels, widths, out_channels):
        super().__init__()
        blocks, c = [], bottom
        for s, w in zip(skip_channels, widths):
            blocks.append(nn.Sequential(
                nn.Conv2d(c + s, w, 3, padding=1), nn.BatchNorm2d(w), nn.ReLU(inplace=True),
                nn.Conv2d(w, w, 3, padding=1), nn.BatchNorm2d(w), nn.ReLU(inplace=True)))
            c = w
        self.blocks = nn.ModuleList(blocks)
        self.output = nn.Conv2d(c, out_channels, 1)

    def forward(self, x, skips):
        for block, skip in zip(self.blocks, skips):
            size = (x.shape[2] * 2, x.shape[3] * 2) if skip is None else skip.shape[2:]
            x = F.interpolate(x, size=size, mode="nearest")
            if skip is not None:
                x = torch.cat([x, skip], 1)
            x = block(x)
        return torch.sigmoid(self.output(x))


class UNet(nn.Module):
    def __init__(self, backbone, width, in_channels=1, out_channels=1):
        super().__init__()
        if backbone == "unet_vgg16":
            self.encoder = Vgg16Encoder(in_channels, width)
            skips = list(reversed(self.encoder.skip_channels))
        else:
            self.encoder = ResNet50Encoder(in_channels, width)
            skips = list(reversed(self.encoder.skip_channels)) + [0]
        self.decoder = Decoder(self.encoder.out_channels, skips, [scaled(c, width) for c in DECODER],
                               out_channels)
        self.pad_skip = backbone != "unet_vgg16"

    def forward(self, x):
        bottom, skips = self.encoder.forward_with_skips(x)
        skips = list(reversed(skips)) + ([None] if self.pad_skip else [])
        return self.decoder(bottom, skips)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--backbone", default="unet_vgg16", choices=["unet_vgg16", "unet_resnet50"])
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--width", type=float, default=1.0)
    parser.add_argument("--iterations", type=int, default=10)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    model = UNet(args.backbone, args.width).train()
    print("parameters: %d" % sum(p.numel() for p in model.parameters()))
    torch.manual_seed(1)
    x = torch.rand(args.batch, 1, args.size, args.size)
    t = torch.rand(args.batch, 1, args.size, args.size)
    sgd = torch.optim.SGD(model.parameters(), lr=1e-3, momentum=0.9)

    def step():
        sgd.zero_grad()
        loss = F.mse_loss(model(x), t)
        loss.backward()
        sgd.step()
        return loss.item()

    for _ in range(2):
        step()
    times = []
    for _ in range(args.iterations):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    # Same statistics as `genesis bench train`: batch / median step time (robust to other
    # processes' bursts on a shared machine), batch / fastest step, overall mean.
    print("images_per_s: %.3f" % (args.batch / statistics.median(times)))
    print("images_per_s_best: %.3f" % (args.batch / min(times)))
    print("images_per_s_mean: %.3f" % (args.iterations * args.batch / sum(times)))


if __name__ == "__main__":
    main()
