#!/usr/bin/python3
"""The Genesis downstream classifier in PyTorch-Python, for `genesis bench finetune` ratios.

torchvision's vgg16_bn().features or resnet50 up to layer4 (the encoders Genesis builds with
width 1), then the gap_dense head (plugins/head/gap_dense.cc): global average pooling, dropout
0.5, Linear(C, 1024), ReLU, dropout 0.5, Linear(1024, 1), L2 0.01 on the hidden weights, binary
cross-entropy with logits, SGD(lr 1e-3, momentum 0.9). Times the same bare step as the C++
bench: drop gradients, forward, loss, backward, step, loss.item().

    /usr/bin/python3 tools/bench/reference_classifier.py --backbone unet_vgg16 --size 64 \
        --batch 32 --threads 2 [--channels 3] [--iterations 10]

Prints `images_per_s: X` (batch / median step time) and `images_per_s_best`.
"""
import argparse
import statistics
import time

import torch
import torch.nn as nn
import torchvision


def encoder(backbone, channels):
    if backbone == "unet_vgg16":
        features = torchvision.models.vgg16_bn(weights=None).features
        if channels != 3:
            features[0] = nn.Conv2d(channels, 64, 3, padding=1)
        return features, 512
    if backbone == "unet_resnet50":
        m = torchvision.models.resnet50(weights=None)
        if channels != 3:
            m.conv1 = nn.Conv2d(channels, 64, 7, stride=2, padding=3, bias=False)
        return nn.Sequential(m.conv1, m.bn1, m.relu, m.maxpool, m.layer1, m.layer2, m.layer3,
                             m.layer4), 2048
    raise SystemExit(f"unknown backbone {backbone}")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--backbone", default="unet_vgg16")
    p.add_argument("--size", type=int, default=64)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--channels", type=int, default=3)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--iterations", type=int, default=10)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    features, c = encoder(a.backbone, a.channels)
    hidden = nn.Linear(c, 1024)
    head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(0.5), hidden,
                         nn.ReLU(), nn.Dropout(0.5), nn.Linear(1024, 1))
    model = nn.Sequential(features, head).train()
    opt = torch.optim.SGD(model.parameters(), lr=1e-3, momentum=0.9)
    x = torch.rand(a.batch, a.channels, a.size, a.size)
    y = (torch.rand(a.batch, 1) > 0.5).float()
    loss_fn = nn.BCEWithLogitsLoss()

    def step():
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(x), y) + 0.01 * hidden.weight.pow(2).sum()
        loss.backward()
        opt.step()
        return loss.item()

    for _ in range(2):
        step()
    times = []
    for _ in range(a.iterations):
        t = time.perf_counter()
        step()
        times.append(time.perf_counter() - t)
    print(f"images_per_s: {a.batch / statistics.median(times):.3f}")
    print(f"images_per_s_best: {a.batch / min(times):.3f}")


if __name__ == "__main__":
    main()
