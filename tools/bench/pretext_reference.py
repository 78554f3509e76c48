"""The Models Genesis pretext pipeline in 2D, in numpy, as the reference of pretext_bench.sh.

Written for the bench from the facts in DESIGN.md (the official code's probabilities and
constants), in the official code's style: Python loops over blocks and boxes, numpy inside them.
Order: flip (p 0.4 per extra flip, <= 3) -> local pixel shuffle (p 0.5, 10,000 blocks of side
randint(1, dim // 10)) -> non-linear Bezier intensity mapping (p 0.9, half of them decreasing)
-> painting (p 0.9; in-painting 0.2: up to 5 noise boxes, further ones with p 0.95;
out-painting 0.8: noise everywhere but up to 5 restored windows).

    /usr/bin/python3 tools/bench/pretext_reference.py [SIZE] [SLICES]

Prints "pretext reference 2D SIZExSIZE: X ms/slice".
"""
import random
import sys
import time

import numpy as np


def bezier_curve(p1, p2, samples=100000):
    # Cubic Bezier with control points (0, 0), p1, p2, (1, 1), sampled densely.
    t = np.linspace(0.0, 1.0, samples)
    u = 1.0 - t
    xs = 3 * u * u * t * p1[0] + 3 * u * t * t * p2[0] + t ** 3
    ys = 3 * u * u * t * p1[1] + 3 * u * t * t * p2[1] + t ** 3
    return xs, ys


def flip(x, y):
    flips = 3
    while flips > 0 and random.random() < 0.4:
        axis = random.randint(0, 1)
        x, y = np.flip(x, axis), np.flip(y, axis)
        flips -= 1
    return x, y


def local_shuffle(x):
    if random.random() >= 0.5:
        return x
    h, w = x.shape
    out = x.copy()
    for _ in range(10000):
        bh, bw = random.randint(1, max(1, h // 10)), random.randint(1, max(1, w // 10))
        r, c = random.randint(0, h - bh), random.randint(0, w - bw)
        block = x[r:r + bh, c:c + bw].flatten()
        np.random.shuffle(block)
        out[r:r + bh, c:c + bw] = block.reshape(bh, bw)
    return out


def nonlinear(x):
    if random.random() >= 0.9:
        return x
    xs, ys = bezier_curve((random.random(), random.random()), (random.random(), random.random()))
    order = np.argsort(xs)
    xs, ys = xs[order], ys[order]
    if random.random() < 0.5:
        ys = ys[::-1]  # A decreasing mapping: intensities inverted.
    return np.interp(x, xs, ys)


def in_paint(x):
    h, w = x.shape
    boxes = 5
    while boxes > 0:
        bh, bw = random.randint(h // 6, h // 3), random.randint(w // 6, w // 3)
        r, c = random.randint(3, h - bh - 3), random.randint(3, w - bw - 3)
        x[r:r + bh, c:c + bw] = np.random.rand(bh, bw)
        boxes -= 1
        if random.random() >= 0.95:
            break
    return x


def out_paint(x):
    h, w = x.shape
    original = x.copy()
    x = np.random.rand(h, w)
    windows = 5
    while windows > 0:
        bh = h - random.randint(3 * h // 7, 4 * h // 7)
        bw = w - random.randint(3 * w // 7, 4 * w // 7)
        r, c = random.randint(3, h - bh - 3), random.randint(3, w - bw - 3)
        x[r:r + bh, c:c + bw] = original[r:r + bh, c:c + bw]
        windows -= 1
        if random.random() >= 0.95:
            break
    return x


def pair(image):
    x, y = flip(image, image)
    x = nonlinear(local_shuffle(np.ascontiguousarray(x)))
    if random.random() < 0.9:
        x = in_paint(x) if random.random() < 0.2 else out_paint(x)
    return x, y


def main():
    size = int(sys.argv[1]) if len(sys.argv) > 1 else 224
    slices = int(sys.argv[2]) if len(sys.argv) > 2 else 20
    random.seed(0)
    np.random.seed(0)
    images = [np.random.rand(size, size) for _ in range(min(slices, 8))]
    start = time.perf_counter()
    for i in range(slices):
        pair(images[i % len(images)].copy())
    ms = (time.perf_counter() - start) * 1000 / slices
    print(f"pretext reference 2D {size}x{size}: {ms:.2f} ms/slice")


if __name__ == "__main__":
    main()
