#!/usr/bin/env python3
"""Oracle of the restore-from-crop overlay (restore_from_crop.py realign + the blend).

Transcribes the original's realign (the 256 x 256 mask placed at (left, up) on a 1536 x 1024
canvas, cv2.resize INTER_NEAREST by the crop scale, cut to the photo) and its blend
result = photo*(1-m) + photo*m*0.8 + (0,0,256)*m*0.2 in numpy float32, for one seed photo's
size and a synthetic mask, over a few crop_params (positive and negative offsets). Writes
tests/fixtures/restore_overlay/expected.json, small enough to commit:
  * per case the marked photo pixels as row runs [y, x_begin, x_end) (the realigned mask);
  * the blend as a table: output byte per channel for each input level under m = 1;
  * FNV-1a 64 of the whole result on a synthetic photo of the seed's size (pattern below),
    which pins mapping and blend together.
The photo's own pixels do not enter (JPEG decoders differ by a few levels); its size does.
cv2 is run with IPP off and on; both must agree.

Usage: .venv-oracle/bin/python tools/oracle/restore_overlay.py [SEED_PHOTO] [OUT_JSON]
"""
import json
import os
import sys

import cv2
import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEFAULT_PHOTO = os.path.join(ROOT, '..', 'shared', 'seed-examples', '12_1254.jpeg')
DEFAULT_OUT = os.path.join(ROOT, 'tests', 'fixtures', 'restore_overlay', 'expected.json')

CASES = [  # crop_param (scale, left, up, 256, 256) as float32, like loadmat gives it
    [1.9137, 57.6, 80.3, 256, 256],
    [2.71, -40.7, -13.2, 256, 256],
    [1.4, 300.9, 590.5, 256, 256],
]


def synthetic_mask():
    """Head-like ellipse of 1.0, a band of 0.5 (truncated to 0 by astype), a fine checker."""
    y, x = np.mgrid[0:256, 0:256]
    m = np.zeros((256, 256), np.float32)
    m[((x - 128) / 90.0) ** 2 + ((y - 120) / 110.0) ** 2 <= 1.0] = 1.0
    m[200:215, :] = 0.5
    checker = ((x // 1 + y // 1) % 2 == 0)
    m[0:20, 230:256] = checker[0:20, 230:256].astype(np.float32)
    m[250:256, 0:40] = 1.0
    return m


def synthetic_photo(h, w):
    y, x, c = np.mgrid[0:h, 0:w, 0:3]
    return ((x * 7 + y * 13 + c * 91 + (x * y) % 17) % 256).astype(np.uint8)


def realign(img, crop_param, raw_w, raw_h, interpolation, crop_h=256, crop_w=256):
    # restore_from_crop.py realign, transcribed.
    scale = crop_param[0]
    left, up = int(crop_param[1]), int(crop_param[2])
    canvas = np.zeros([4 * 256, 6 * 256, 3]) if len(img.shape) == 3 else np.zeros([4 * 256, 6 * 256])
    img_stw = 0 if left > 0 else -left
    img_sth = 0 if up > 0 else -up
    canvas_stw = 0 if left < 0 else left
    canvas_sth = 0 if up < 0 else up
    canvas[canvas_sth: canvas_sth + crop_h - img_sth,
           canvas_stw: canvas_stw + crop_w - img_stw] = img[img_sth:, img_stw:]
    w = np.round(canvas.shape[1] * scale).astype(np.int32)
    h = np.round(canvas.shape[0] * scale).astype(np.int32)
    canvas = cv2.resize(canvas.astype(np.uint8), (int(w), int(h)), interpolation=interpolation).astype(np.float32)
    return canvas[:raw_h, :raw_w]


def blend(raw_image, restored_mask):
    restored_mask = np.expand_dims(restored_mask, 2)
    color_mask = np.zeros(raw_image.shape, np.float32)
    color_mask[:, :, -1] = 256
    result = raw_image * (1 - restored_mask) + raw_image * restored_mask * 0.8 + color_mask * restored_mask * 0.2
    return result.astype(np.uint8)


def fnv1a64(data):
    h = 0xcbf29ce484222325
    for b in data:
        h = ((h ^ b) * 0x100000001b3) & 0xffffffffffffffff
    return '%016x' % h


def runs(marked):
    out = []
    for y in range(marked.shape[0]):
        row = np.concatenate([[0], marked[y].astype(np.int8), [0]])
        d = np.diff(row)
        for b, e in zip(np.nonzero(d == 1)[0], np.nonzero(d == -1)[0]):
            out.append([int(y), int(b), int(e)])
    return out


def main():
    photo_path = sys.argv[1] if len(sys.argv) > 1 else DEFAULT_PHOTO
    out_path = sys.argv[2] if len(sys.argv) > 2 else DEFAULT_OUT
    photo = cv2.imread(photo_path)
    if photo is None:
        print('cannot read %s' % photo_path)
        return 1
    raw_h, raw_w = photo.shape[:2]
    mask = synthetic_mask()
    synth = synthetic_photo(raw_h, raw_w)
    levels = np.tile(np.arange(256, dtype=np.uint8)[:, None, None], (1, 1, 3))
    table = blend(levels, np.ones((256, 1), np.float32))[:, 0, :]  # [level, channel]
    cases = []
    for cp in CASES:
        crop_param = np.array(cp, np.float32)
        results = []
        for ipp in (False, True):
            cv2.ipp.setUseIPP(ipp)
            restored = realign(mask, crop_param, raw_w, raw_h, cv2.INTER_NEAREST)
            results.append(restored)
        assert np.array_equal(results[0], results[1]), 'IPP changes the nearest resize'
        restored = results[0]
        assert restored.shape == (raw_h, raw_w), 'canvas smaller than the photo'
        result = blend(synth, restored)
        cases.append({
            'crop_param': [float(v) for v in crop_param],
            'marked_count': int((restored > 0).sum()),
            'marked_runs': runs(restored > 0),
            'synthetic_result_fnv1a64': fnv1a64(result.tobytes()),
        })
        print('crop_param %s: %d pixels marked, %d runs' % (cp, cases[-1]['marked_count'], len(cases[-1]['marked_runs'])))
    doc = {
        'about': 'tools/oracle/restore_overlay.py: restore_from_crop.py realign + blend on a synthetic mask',
        'photo': os.path.basename(photo_path),
        'photo_width': raw_w,
        'photo_height': raw_h,
        'synthetic_photo': '(x*7 + y*13 + c*91 + (x*y) % 17) % 256, BGR channel c',
        'blend_table': table.T.astype(int).tolist(),  # [channel][level]
        'versions': {'numpy': np.__version__, 'opencv': cv2.__version__},
        'cases': cases,
    }
    os.makedirs(os.path.dirname(out_path), exist_ok=True)
    with open(out_path, 'w') as f:
        json.dump(doc, f, separators=(',', ':'))
    print('wrote %s (%d bytes)' % (out_path, os.path.getsize(out_path)))
    return 0


if __name__ == '__main__':
    sys.exit(main())
