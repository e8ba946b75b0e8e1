#!/usr/bin/env python3
"""video_consistency.py — how stable a stylised frame sequence is, measured independently of gpustyle's own flow.

For each pair of consecutive frames: OpenCV's DualTVL1 flow between the content frames (at the results' size), the
pixels where the forward and backward flows agree (Sundaram et al.'s check, as artistic-videos), and there the mean
absolute difference (0…255 levels) between result t and result t−1 carried along the flow. Lower is steadier; the
content frames' own warp error is printed beside it as the floor the flow allows.

Usage: video_consistency.py CONTENT_FRAMES_DIR RESULTS_DIR [RESULTS_DIR ...]   (needs opencv-contrib-python-headless)
"""
import glob, os, sys
import cv2
import numpy as np


def flow(a, b):
    """Flow of grey frame a into frame b: a(x) ≈ b(x + f(x))."""
    return cv2.optflow.DualTVL1OpticalFlow_create().calc(a, b, None)


def warp(image, f):
    h, w = f.shape[:2]
    gx, gy = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    return cv2.remap(image, gx + f[..., 0], gy + f[..., 1], cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def consistent(backward, forward):
    h, w = backward.shape[:2]
    reverse = warp(forward, backward)
    total = backward + reverse
    ok = (total ** 2).sum(-1) <= 0.01 * ((backward ** 2).sum(-1) + (reverse ** 2).sum(-1)) + 0.5
    gx, gy = np.meshgrid(np.arange(w), np.arange(h))
    tx, ty = gx + backward[..., 0], gy + backward[..., 1]
    ok &= (tx >= 0) & (ty >= 0) & (tx <= w - 1) & (ty <= h - 1)
    du = np.diff(backward, axis=1, append=backward[:, -1:]); dv = np.diff(backward, axis=0, append=backward[-1:])
    ok &= (du ** 2).sum(-1) + (dv ** 2).sum(-1) <= 0.01 * (backward ** 2).sum(-1) + 0.002
    return ok


def image_path(folder, name):
    return next(p for p in sorted(glob.glob(os.path.join(folder, name + ".*"))) if p.lower().endswith((".png", ".jpg", ".jpeg")))


def main():
    frames_dir, results = sys.argv[1], sys.argv[2:]
    names = sorted(os.path.splitext(os.path.basename(p))[0] for p in glob.glob(os.path.join(frames_dir, "*.png")) + glob.glob(os.path.join(frames_dir, "*.jpg")))
    first = cv2.imread(image_path(results[0], names[0]))
    h, w = first.shape[:2]
    contents = [cv2.resize(cv2.imread(image_path(frames_dir, n)), (w, h), interpolation=cv2.INTER_AREA).astype(np.float32) for n in names]
    grey = [cv2.cvtColor(c.astype(np.uint8), cv2.COLOR_BGR2GRAY) for c in contents]
    pairs = []
    for t in range(1, len(names)):
        backward, forward = flow(grey[t], grey[t - 1]), flow(grey[t - 1], grey[t])
        pairs.append((backward, consistent(backward, forward)))
    floor = [np.abs(contents[t] - warp(contents[t - 1], f))[m].mean() for t, (f, m) in enumerate(pairs, 1)]
    print("%-28s %s   mean" % ("content frames (floor)", " ".join("%6.2f" % e for e in floor)) + " %6.2f" % np.mean(floor))
    for folder in results:
        images = [cv2.imread(image_path(folder, n)).astype(np.float32) for n in names]
        errors = [np.abs(images[t] - warp(images[t - 1], f))[m].mean() for t, (f, m) in enumerate(pairs, 1)]
        print("%-28s %s   mean %6.2f" % (folder[-28:], " ".join("%6.2f" % e for e in errors), np.mean(errors)))
    print("trusted pixels: " + " ".join("%.0f%%" % (100 * m.mean()) for _, m in pairs))


if __name__ == "__main__":
    main()
