#!/usr/bin/env python3
"""Checks the head crops of `portrait3d face` output against cv2 on the real photos.

For every OUT/NAME.mat written by `portrait3d face`, re-cuts the crop the way the original's
align_img does (utils/preprocess.py: cv2.resize of the photo to round(W / s) x round(H / s),
INTER_CUBIC for the photo and INTER_NEAREST for the label mask, zero padding, the 256 x 256
window at (left, up)) from the record's crop_param = (s, left, up, 256, 256) and the input
photo (cv2.imread) and mask (NAME.mat 'mask'), and prints how many values differ.

cv2 runs with IPP off by default (OpenCV's own resize, which ours implements and which the
original's 2020-era opencv-python computed on x86); --ipp compares with IPP builds' rounding.
JPEG decoding differs between cv2 (libjpeg-turbo) and our reader, so for JPEG inputs the
comparison starts from our decoded pixels when OUT/NAME.decoded.npy exists, else from cv2's.

Usage: .venv-oracle/bin/python tools/oracle/check_step1_crops.py OUT_DIR INPUT_DIR [--ipp]
"""
import glob
import os
import sys

import cv2
import numpy as np
from scipy.io import loadmat


def recut(img, scale, left, up, interpolation):
    h0, w0 = img.shape[:2]
    w = int(np.round(w0 / scale))
    h = int(np.round(h0 / scale))
    resized = cv2.resize(img.astype(np.uint8), (w, h), interpolation=interpolation)
    out = np.zeros((256, 256) + resized.shape[2:], dtype=np.uint8)
    for r in range(256):
        y = up + r
        if y < 0 or y >= h:
            continue
        x0, x1 = max(left, 0), min(left + 256, w)
        if x1 > x0:
            out[r, x0 - left:x1 - left] = resized[y, x0:x1]
    return out


def main():
    if len(sys.argv) < 3:
        print(__doc__)
        return 2
    out_dir, in_dir = sys.argv[1], sys.argv[2]
    cv2.ipp.setUseIPP('--ipp' in sys.argv)
    worst_total, checked = 0, 0
    for mat_path in sorted(glob.glob(os.path.join(out_dir, '*.mat'))):
        name = os.path.basename(mat_path)[:-4]
        rec = loadmat(mat_path)
        photos = [p for ext in ('jpg', 'jpeg', 'png') for p in glob.glob(os.path.join(in_dir, name + '.' + ext))]
        if not photos:
            print('%s: no input photo, skipped' % name)
            continue
        decoded = os.path.join(out_dir, name + '.decoded.npy')
        photo = np.load(decoded) if os.path.exists(decoded) else cv2.imread(photos[0])
        mask = loadmat(os.path.join(in_dir, name + '.mat'))['mask'].astype(np.uint8)
        s, left, up = float(rec['crop_param'][0, 0]), int(rec['crop_param'][0, 1]), int(rec['crop_param'][0, 2])
        want_img = recut(photo, s, left, up, cv2.INTER_CUBIC)
        want_mask = recut(mask, s, left, up, cv2.INTER_NEAREST)
        d = np.abs(want_img.astype(int) - rec['img'].astype(int))
        dm = (want_mask != rec['mask']).sum()
        print('%-10s crop: %6d of %d values differ (max %d)%s   labels: %d differ' %
              (name, (d > 0).sum(), d.size, d.max(), '' if os.path.exists(decoded) else ' [cv2 decode]', dm))
        worst_total = max(worst_total, int(d.max()), int(dm > 0))
        checked += 1
    print('checked %d records' % checked)
    return 0


if __name__ == '__main__':
    sys.exit(main())
