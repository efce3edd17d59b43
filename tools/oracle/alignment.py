#!/usr/bin/env python3
"""Oracle for the face alignment (docs/pipeline.md: stage 1, step 1).

Re-implements, with the libraries the original calls, Deep3dPortrait's alignment:
  * utils/loader.py        load_data (cv2.imread, np.loadtxt), load_lm3d (5 or 10 rows of
                           similarity_Lm3D_all.mat)
  * utils/preprocess.py    POS, facerecon_preprocess + align_img_ (the default 10-point path:
                           cv2.warpAffine shift, cv2.resize INTER_LINEAR, zero-padded crop)
                           and facerecon_preprocess_yu_5p + process_img + get_invparam (the
                           5-point path: PIL transform NEAREST, PIL resize BILINEAR, PIL crop)
and writes what it gives on the seed portraits into a small JSON fixture that
tests/alignment_test.cpp compares against (POS t and s, the resize and crop geometry, the
inverse crop, the aligned landmarks, statistics and a sparse sample of each 224 x 224 aligned
image). It also aligns a synthetic image of each photo's size (a formula the C++ test
rebuilds) so that the test can check the resampling bit for bit, apart from JPEG decoding.

The only departures from the original's text are the ones Python 3 / numpy 2 force:
`-t[0] + imgw//2 + 0.5` is a 1-element array, which numpy 2 refuses inside np.array(...,
dtype=float32), so .item() takes the scalar (same value); PIL gets float offsets.

Library versions matter (see requirements.txt): OpenCV >= 4.11 rewrote warpAffine (float
instead of the 5-bit fixed-point positions of 2020's OpenCV; up to 2 levels different) and
Pillow 13 picks the order of its two resize passes (1 level different). The pins reproduce
the arithmetic of the libraries the original ran with.

Usage:
  .venv-oracle/bin/python tools/oracle/alignment.py fixture [--seed DIR] [--bfm DIR] [--out FILE]
      writes tests/fixtures/alignment/oracle.json (default paths: ../shared/...)
  .venv-oracle/bin/python tools/oracle/alignment.py compare DUMP_DIR [--seed DIR] [--bfm DIR]
      compares the full images that tests/alignment_test.cpp dumps when P3D_ALIGNMENT_DUMP=DIR
      (decoded photos and aligned images, .npy) with cv2's decode and the oracle's alignment,
      and prints per-example mean / max absolute differences.
"""
import argparse
import glob
import json
import os
import sys

import cv2
import numpy as np
import PIL
from PIL import Image
from scipy.io import loadmat

from alignment_geometry import POS, img_padding

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SHARED = os.path.join(os.path.dirname(REPO), 'shared')
PATCH_STEP, PATCH_OFFSET = 16, 8          # sparse sample of the 224 x 224 image: 14 x 14 x 3


# ---- the original's functions (Deep3dPortrait utils/loader.py, utils/preprocess.py) ------
def load_lm3d(bfm_dir, nums):
    lm3d = loadmat(os.path.join(bfm_dir, 'similarity_Lm3D_all.mat'))['lm']
    if nums == 5:
        lm_idx = np.array([31, 37, 40, 43, 46, 49, 55]) - 1
        lm3d = np.stack([lm3d[lm_idx[0], :], np.mean(lm3d[lm_idx[[1, 2]], :], 0),
                         np.mean(lm3d[lm_idx[[3, 4]], :], 0), lm3d[lm_idx[5], :],
                         lm3d[lm_idx[6], :]], axis=0)
        lm3d = lm3d[[1, 2, 0, 3, 4], :]
    else:
        lm_idx = np.array([1, 2, 16, 17, 31, 34, 37, 46, 49, 55]) - 1
        lm3d = lm3d[lm_idx, :]
    return lm3d


def crop(img, bbox, size=224):
    padded_img, padded_bbox = img_padding(img, bbox)
    crop_img = padded_img[padded_bbox[1]: padded_bbox[1] + padded_bbox[3],
                          padded_bbox[0]: padded_bbox[0] + padded_bbox[2]]
    scale = size / padded_bbox[3]
    return crop_img, scale


def align_img_(img, lm, t, s, record):
    imgw, imgh = img.shape[1], img.shape[0]
    M_s = np.array([[1, 0, (-t[0] + imgw // 2 + 0.5).item()],
                    [0, 1, (-imgh // 2 + t[1]).item()]], dtype=np.float32)
    img = cv2.warpAffine(img, M_s, (imgw, imgh))
    w, h = int(imgw / s * 100), int(imgh / s * 100)
    img = cv2.resize(img, (w, h))
    left, up = w // 2 - 112, h // 2 - 112
    bbox = [left, up, 224, 224]
    cropped_img, scale_ = crop(img, bbox)
    assert scale_ != 0
    t1 = np.array([w // 2 - 112, h // 2 - 112])
    scale = s / 100
    t2 = np.array([t[0] - imgw / 2, t[1] - imgh / 2])
    inv = (scale / scale_, scale * t1 + t2.reshape([2]))
    record.update(shift=[float(M_s[0, 2]), float(M_s[1, 2])], scaled=[w, h], window=[left, up])
    return cropped_img, inv


def facerecon_preprocess(img, lm, lm3D, record):
    lm_idx = np.array([1, 2, 16, 17, 31, 34, 37, 46, 49, 55]) - 1
    lm_ = lm[lm_idx, :]
    t, s = POS(lm_.transpose(), lm3D.transpose())
    record.update(t=[float(t[0, 0]), float(t[1, 0])], s=float(s))
    cropped_img, inv = align_img_(img, lm.copy(), t, s, record)
    return cropped_img, inv


def process_img(img, lm, t, s, scale, record):
    w0, h0 = img.size
    img = img.transform(img.size, Image.AFFINE, (1, 0, (t[0] - w0 / 2).item(), 0, 1, (h0 / 2 - t[1]).item()))
    w = (w0 / s * scale).astype(np.int32)
    h = (h0 / s * scale).astype(np.int32)
    img = img.resize((w, h), resample=Image.BILINEAR)
    left = (w / 2 - 112).astype(np.int32)
    right = left + 224
    up = (h / 2 - 112).astype(np.int32)
    below = up + 224
    img = img.crop((left, up, right, below))
    img = np.array(img)
    img = img[:, :, ::-1]
    record.update(shift=[(t[0] - w0 / 2).item(), (h0 / 2 - t[1]).item()], scaled=[int(w), int(h)],
                  window=[int(left), int(up)])
    return img


def get_invparam(transparam):
    [_, _, s, tx, ty] = transparam
    return (1 / s, np.array([-112 / s + tx, -112 / s + ty]))


def facerecon_preprocess_yu_5p(img, lm, lm3D, record, scale=102.0):
    img = Image.fromarray(img[..., ::-1])
    w0, h0 = img.size
    lm = np.stack([lm[:, 0], h0 - 1 - lm[:, 1]], axis=1)
    t, s = POS(lm.transpose(), lm3D.transpose())
    record.update(t=[float(t[0, 0]), float(t[1, 0])], s=float(s))
    img_new = process_img(img, lm, t, s, scale, record)
    trans_params = np.array([w0, h0, scale / s, float(t[0, 0]), float(t[1, 0])])
    inv = get_invparam(trans_params)
    return img_new, inv, lm


# ---- fixture helpers -----------------------------------------------------------------------
def synthetic_image(w, h):
    """A deterministic BGR image of the photo's size: smooth ramps plus fine xor texture, so
    that every rounding of the resampling shows (mirrored in tests/alignment_test.cpp)."""
    y, x = np.mgrid[0:h, 0:w].astype(np.int64)
    c = np.arange(3, dtype=np.int64)[None, None, :]
    v = ((x * x + 3 * y * y + 5 * x * y)[..., None] >> 6) + 37 * c + ((x ^ y) & 15)[..., None]
    return (v % 256).astype(np.uint8)


def checksum(u8):
    """Position-weighted sum of the bytes (HWC order) modulo 2^64: equal only when the images
    are equal, barring a ~2^-64 accident (mirrored in tests/alignment_test.cpp)."""
    v = u8.reshape(-1).astype(np.uint64)
    i = np.arange(v.size, dtype=np.uint64)
    weights = (i * np.uint64(2654435761) + np.uint64(12345)) & np.uint64(0xFFFFFFFF)
    with np.errstate(over='ignore'):
        return int(np.sum(v * weights, dtype=np.uint64))


def image_record(img224):
    u8 = np.asarray(img224)
    assert u8.shape == (224, 224, 3)
    assert np.all(u8 == np.round(u8)) and u8.min() >= 0 and u8.max() <= 255
    u8 = u8.astype(np.uint8)
    patch = u8[PATCH_OFFSET::PATCH_STEP, PATCH_OFFSET::PATCH_STEP, :]
    return {'checksum': str(checksum(u8)),
            'channel_sums': [int(u8[..., k].astype(np.int64).sum()) for k in range(3)],
            'patch': patch.reshape(-1).astype(int).tolist()}


def examples(seed_dir):
    out = []
    for path in sorted(glob.glob(os.path.join(seed_dir, '*'))):
        if not path.lower().endswith(('.jpg', '.jpeg', '.png')):
            continue
        name = os.path.splitext(os.path.basename(path))[0]
        out.append((name, path))
    return out


def run_example(path, name, seed_dir, lm3d10, lm3d5, synth=False):
    img = cv2.imread(path)
    h0, w0 = img.shape[:2]
    if synth:
        img = synthetic_image(w0, h0)
    lm68 = np.loadtxt(os.path.join(seed_dir, name + '_landmark.txt')).reshape([68, 2])
    det = np.loadtxt(os.path.join(seed_dir, name + '_detection.txt'))[-10:].reshape([5, 2])

    rec10 = {}
    img10, inv10 = facerecon_preprocess(img, lm68, lm3d10, rec10)
    rec10['inv_scale'] = float(inv10[0])
    rec10['inv_offset'] = [float(v) for v in inv10[1]]
    rec10['landmarks'] = ((lm68 - inv10[1]) / inv10[0]).reshape(-1).tolist()

    rec5 = {}
    img5, inv5, lm5 = facerecon_preprocess_yu_5p(img, det, lm3d5, rec5)
    rec5['inv_scale'] = float(inv5[0])
    rec5['inv_offset'] = [float(v) for v in inv5[1]]
    rec5['landmarks'] = ((lm5 - inv5[1]) / inv5[0]).reshape(-1).tolist()
    return img, (rec10, img10), (rec5, img5)


def make_fixture(args):
    lm3d10 = load_lm3d(args.bfm, 10)
    lm3d5 = load_lm3d(args.bfm, 5)
    records = []
    for name, path in examples(args.seed):
        photo, (rec10, img10), (rec5, img5) = run_example(path, name, args.seed, lm3d10, lm3d5)
        _, (_, syn10), (_, syn5) = run_example(path, name, args.seed, lm3d10, lm3d5, synth=True)
        rec10['image'] = image_record(img10)
        rec10['synthetic'] = image_record(syn10)
        rec5['image'] = image_record(img5)
        rec5['synthetic'] = image_record(syn5)
        records.append({'name': name, 'file': os.path.basename(path),
                        'width': int(photo.shape[1]), 'height': int(photo.shape[0]),
                        'decoded_channel_sums': [int(photo[..., k].astype(np.int64).sum()) for k in range(3)],
                        'ten_point': rec10, 'five_point': rec5})
        print(f'{name}: {photo.shape[1]}x{photo.shape[0]} s10={rec10["s"]:.4f} s5={rec5["s"]:.4f}')
    fixture = {'generator': 'tools/oracle/alignment.py',
               'versions': {'opencv': cv2.__version__, 'pillow': PIL.__version__, 'numpy': np.__version__},
               'patch': {'step': PATCH_STEP, 'offset': PATCH_OFFSET},
               'examples': records}
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, 'w') as fh:
        json.dump(fixture, fh, separators=(',', ':'))
        fh.write('\n')
    print(f'wrote {args.out} ({os.path.getsize(args.out)} bytes, {len(records)} examples)')


def compare(args):
    lm3d10 = load_lm3d(args.bfm, 10)
    lm3d5 = load_lm3d(args.bfm, 5)
    print(f'{"example":10s} {"decode mean/max":>16s} {"10-pt mean/max":>16s} {"5-pt mean/max":>16s}'
          f' {"10-pt same decode":>18s} {"5-pt same decode":>17s}')
    for name, path in examples(args.seed):
        files = {k: os.path.join(args.dump, f'{name}_{k}.npy') for k in ('decoded', 'ten_point', 'five_point')}
        if not all(os.path.exists(f) for f in files.values()):
            print(f'{name}: no dump')
            continue
        photo, (_, img10), (_, img5) = run_example(path, name, args.seed, lm3d10, lm3d5)
        ours_decoded = np.load(files['decoded'])
        stats = []
        for a, b in ((ours_decoded, photo), (np.load(files['ten_point']), img10), (np.load(files['five_point']), img5)):
            d = np.abs(a.astype(np.float64) - np.asarray(b, dtype=np.float64))
            stats.append(f'{d.mean():7.3f}/{int(d.max()):3d}')
        # The oracle's alignment of OUR decoded photo: isolates the resampling from decoding.
        ours = {}
        lm68 = np.loadtxt(os.path.join(args.seed, name + '_landmark.txt')).reshape([68, 2])
        det = np.loadtxt(os.path.join(args.seed, name + '_detection.txt'))[-10:].reshape([5, 2])
        same10, _ = facerecon_preprocess(ours_decoded, lm68, lm3d10, ours)
        same5, _, _ = facerecon_preprocess_yu_5p(ours_decoded, det, lm3d5, ours)
        for a, b in ((np.load(files['ten_point']), same10), (np.load(files['five_point']), same5)):
            d = np.abs(a.astype(np.float64) - np.asarray(b, dtype=np.float64))
            stats.append(f'{d.mean():7.3f}/{int(d.max()):3d}')
        print(f'{name:10s} ' + ' '.join(f'{s:>16s}' for s in stats))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    sub = parser.add_subparsers(dest='command', required=True)
    for cmd in ('fixture', 'compare'):
        p = sub.add_parser(cmd)
        p.add_argument('--seed', default=os.path.join(SHARED, 'seed-examples'))
        p.add_argument('--bfm', default=os.path.join(SHARED, 'bfm-public'))
        if cmd == 'fixture':
            p.add_argument('--out', default=os.path.join(REPO, 'tests', 'fixtures', 'alignment', 'oracle.json'))
        else:
            p.add_argument('dump')
    args = parser.parse_args()
    if not os.path.isdir(args.seed):
        sys.exit(f'no seed examples at {args.seed}')
    make_fixture(args) if args.command == 'fixture' else compare(args)


if __name__ == '__main__':
    main()
