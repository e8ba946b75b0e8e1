#!/usr/bin/env python3
"""make_frames.py — synthetic video frames from the example images, for the frame measurements in the README.

Frames of examples/chelsea.png seen through a 360×240 window that pans DX px right and DY px down per frame, with an
80×70 patch of examples/shipwreck.jpg moving 14 px right and 4 px up per frame across it (so the flow has a moving
object, its occlusions and disocclusions). Needs OpenCV (opencv-contrib-python-headless, as video_consistency.py).

Usage: make_frames.py FOLDER [COUNT (5)] [DX (8)] [DY (3)]   — writes FOLDER/f0.png … (f00.png … from 11 frames on)
"""
import os
import sys

import cv2

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "examples")
folder = sys.argv[1]
count, dx, dy = [int(a) for a in sys.argv[2:5]] + [5, 8, 3][len(sys.argv[2:5]):]
os.makedirs(folder, exist_ok=True)
photo = cv2.imread(os.path.join(root, "chelsea.png"))
patch = cv2.resize(cv2.imread(os.path.join(root, "shipwreck.jpg"))[150:450, 200:500], (80, 70))
digits = 1 if count <= 10 else 2
for k in range(count):
    x, y = 10 + dx * k, 10 + dy * k
    if x + 360 > photo.shape[1] or y + 240 > photo.shape[0]:
        sys.exit("make_frames.py: %d frames at %d, %d px per frame leave the photograph; use fewer or slower" % (count, dx, dy))
    frame = photo[y:y + 240, x:x + 360].copy()
    ox, oy = 40 + 14 * k, 140 - 4 * k
    frame[oy:oy + 70, ox:ox + 80] = patch
    cv2.imwrite(os.path.join(folder, "f%0*d.png" % (digits, k)), frame)
