#!/usr/bin/env python3
"""Oracle for JPEG decoding (pipeline/image_io.cpp): what cv2.imread(path) returns.

The original reads every photo with cv2.imread (IMREAD_COLOR: BGR, EXIF orientation
applied); OpenCV 4.10 decodes JPEG with its bundled libjpeg-turbo (accurate integer IDCT,
fancy upsampling). This script writes the expected values that tests/image_io_test.cpp
compares our decoder with, bit for bit:

  * seed_decodes.json  for each seed photo (../shared/seed-examples/*.jpg|jpeg): the shape
                       of cv2.imread's array and a 64-bit FNV-1a hash of its bytes (C order,
                       row by row, B G R); the photos themselves are not ours to commit.
  * small/NAME.jpg     tiny JPEGs (made here with Pillow, or spliced by hand for the EXIF
                       variants) covering what the seeds do not: 4:4:4, 4:2:2 and 4:2:0
                       chroma, odd sizes, grey-scale, progressive, restart markers, CMYK
                       (Adobe), the eight EXIF orientations in both byte orders, and
                       an XMP APP1 segment ahead of the Exif one;
  * small/NAME.npy     cv2.imread's full output for each (uint8, height x width x 3).

The JPEG bytes are committed, so rerunning with another Pillow only changes the fixtures
consistently (file and expected output together).

Usage: .venv-oracle/bin/python tools/oracle/decode_fixtures.py [--seed DIR] [--out DIR]
       (defaults: ../shared/seed-examples, tests/fixtures/image_io)
"""
import argparse
import glob
import io
import json
import os
import struct

import cv2
import numpy as np
import PIL
from PIL import Image

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SHARED = os.path.join(os.path.dirname(REPO), 'shared')

FNV_OFFSET = 0xCBF29CE484222325
FNV_PRIME = 0x100000001B3


def fnv1a64(data: bytes) -> int:
    """64-bit FNV-1a (offset basis 0xcbf29ce484222325, prime 0x100000001b3), byte by byte:
    xor the byte in, then multiply modulo 2^64."""
    h = FNV_OFFSET
    mask = 0xFFFFFFFFFFFFFFFF
    for b in data:
        h = ((h ^ b) * FNV_PRIME) & mask
    return h


def libjpeg_turbo_version() -> str:
    for line in cv2.getBuildInformation().splitlines():
        if line.strip().startswith('JPEG:'):
            return line.split(':', 1)[1].strip()
    return 'unknown'


# ---- tiny test images ---------------------------------------------------------------------
def pattern(w, h):
    """RGB uint8: smooth ramps, a hard diagonal edge and a coloured disc, so that the chroma
    planes vary at block scale (exercising the upsampling) and no two orientations agree."""
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    r = 40 + 200 * x / max(w - 1, 1)
    g = 30 + 180 * y / max(h - 1, 1)
    b = 128 + 100 * np.sin(x * 0.7) * np.cos(y * 0.45)
    edge = (x + 2 * y) > (w + h) * 0.8
    r = np.where(edge, 255 - r, r)
    disc = (x - w * 0.3) ** 2 + (y - h * 0.4) ** 2 < (min(w, h) * 0.25) ** 2
    g = np.where(disc, 20, g)
    b = np.where(disc, 240, b)
    return np.clip(np.stack([r, g, b], axis=-1), 0, 255).astype(np.uint8)


def pil_jpeg(img: Image.Image, **kw) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format='JPEG', **kw)
    return buf.getvalue()


def app1(body: bytes) -> bytes:
    return b'\xff\xe1' + struct.pack('>H', len(body) + 2) + body


def exif_orientation_segment(orientation: int, big_endian: bool) -> bytes:
    """An APP1 Exif segment with IFD0 = {Make "abc", Orientation}, written by hand."""
    e = '>' if big_endian else '<'
    tiff = (b'MM' if big_endian else b'II') + struct.pack(e + 'HI', 42, 8)
    tiff += struct.pack(e + 'H', 2)
    tiff += struct.pack(e + 'HHI', 0x010F, 2, 4) + b'abc\0'          # Make, ASCII, inline
    tiff += struct.pack(e + 'HHIHH', 0x0112, 3, 1, orientation, 0)   # Orientation, SHORT
    tiff += struct.pack(e + 'I', 0)                                   # no next IFD
    return app1(b'Exif\0\0' + tiff)


def splice_after_soi(jpeg: bytes, *segments: bytes) -> bytes:
    assert jpeg[:2] == b'\xff\xd8'
    return jpeg[:2] + b''.join(segments) + jpeg[2:]


def small_fixtures():
    """name -> JPEG bytes."""
    out = {}
    rgb = Image.fromarray(pattern(37, 29))
    out['sub444'] = pil_jpeg(rgb, quality=90, subsampling=0)
    out['sub422'] = pil_jpeg(rgb, quality=90, subsampling=1)
    out['sub420'] = pil_jpeg(rgb, quality=90, subsampling=2)
    out['grey'] = pil_jpeg(Image.fromarray(np.ascontiguousarray(pattern(35, 23)[..., 1])), quality=90)
    out['progressive'] = pil_jpeg(Image.fromarray(pattern(45, 31)), quality=85,
                                  subsampling=2, progressive=True)
    out['restart'] = pil_jpeg(Image.fromarray(pattern(40, 24)), quality=85,
                              subsampling=2, restart_marker_blocks=2)
    # Pillow stores CMYK with an Adobe APP14 marker (transform 0), the inverted convention
    # Photoshop uses; libjpeg returns the samples as stored and OpenCV converts them.
    cmyk = np.concatenate([pattern(26, 18), pattern(18, 26).transpose(1, 0, 2)[..., :1]], axis=-1)
    out['cmyk'] = pil_jpeg(Image.frombytes('CMYK', (26, 18), np.ascontiguousarray(cmyk).tobytes()), quality=90)
    base = pil_jpeg(Image.fromarray(pattern(23, 15)), quality=90, subsampling=2)
    out['orient_none'] = base
    for o in range(1, 9):
        out[f'orient{o}_ii'] = splice_after_soi(base, exif_orientation_segment(o, False))
    for o in (3, 6, 8):
        out[f'orient{o}_mm'] = splice_after_soi(base, exif_orientation_segment(o, True))
    xmp = app1(b'http://ns.adobe.com/xap/1.0/\0<x:xmpmeta xmlns:x="adobe:ns:meta/"/>')
    out['orient6_after_xmp'] = splice_after_soi(base, xmp, exif_orientation_segment(6, False))
    return out


def decode(path):
    img = cv2.imread(path)  # the original's call: IMREAD_COLOR
    if img is None:
        raise SystemExit(f'cv2.imread could not read {path}')
    assert img.dtype == np.uint8 and img.ndim == 3 and img.shape[2] == 3
    return np.ascontiguousarray(img)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--seed', default=os.path.join(SHARED, 'seed-examples'))
    ap.add_argument('--out', default=os.path.join(REPO, 'tests', 'fixtures', 'image_io'))
    args = ap.parse_args()
    small_dir = os.path.join(args.out, 'small')
    os.makedirs(small_dir, exist_ok=True)
    for name, data in small_fixtures().items():
        path = os.path.join(small_dir, name + '.jpg')
        with open(path, 'wb') as f:
            f.write(data)
        np.save(os.path.join(small_dir, name + '.npy'), decode(path))
        print(f'{name}: {len(data)} bytes, {decode(path).shape}')

    seeds = sorted(glob.glob(os.path.join(args.seed, '*.jpg')) +
                   glob.glob(os.path.join(args.seed, '*.jpeg')))
    if not seeds:
        raise SystemExit(f'no seed photos in {args.seed}')
    records = {}
    for path in seeds:
        img = decode(path)
        records[os.path.basename(path)] = {
            'shape': list(img.shape),
            'fnv1a64': f'{fnv1a64(img.tobytes()):016x}',
        }
        print(os.path.basename(path), img.shape, records[os.path.basename(path)]['fnv1a64'])
    doc = {
        'what': 'cv2.imread(path) of each seed photo: shape [h, w, 3] and 64-bit FNV-1a of '
                'the BGR bytes (C order), hex',
        'opencv': cv2.__version__,
        'opencv_jpeg': libjpeg_turbo_version(),
        'pillow': PIL.__version__,
        'photos': records,
    }
    with open(os.path.join(args.out, 'seed_decodes.json'), 'w') as f:
        json.dump(doc, f, indent=1, sort_keys=True)
        f.write('\n')


if __name__ == '__main__':
    main()
