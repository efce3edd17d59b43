#!/usr/bin/env python3
"""Oracle for the head masks of step 2 and the stitch ring of step 4.

A direct transcription, with numpy, scikit-image and cv2 as the original uses them, of
Deep3dPortrait's step2_face_segmentation.py (prepare_mask, up to the triangulation),
utils/face_parsing.py (split_segmask) and utils/construct_triangles.py (remove_small_area, and
the first two lines of find_boundary_ind that step4_save_obj.py runs on facemask_withouthair).
It runs them on synthetic label maps drawn to hit the edge cases (components of 19/20/21 and
199/200/201 pixels, diagonal chains that only 8-connectivity would join, a spiral, shapes on
the image border) and on label maps of the seed photos (their face-parsing .mat resized to
256x256 by nearest neighbour) with a synthetic render mask (an ellipse over the face labels),
and writes one PNG per case into tests/fixtures/head_masks/ for tests/head_masks_test.cpp.

Each fixture PNG is 256x256, 8-bit grey, one byte per pixel packing inputs and outputs:
  bits 0-2  the face-parsing label (0..5)          input
  bit  3    render_mask (the step-1 face_mask)      input
  bit  4    hairear_mask                            output
  bit  5    stitchmask after remove_small_area(20)  output
  bit  6    facemask_withouthair                    output
  bit  7    boundary after remove_small_area(200)   output (step 4's ring)
meta.json records the cases and the package versions.

scikit-image note: the original ran a 2020 scikit-image, where remove_small_objects(ar,
min_size) removes components with fewer than min_size pixels (`component_sizes < min_size`):
a 20-pixel component survives thres=20. scikit-image 0.26 deprecated min_size in favour of
max_size and its shim turns the positional min_size into max_size, which removes sizes <=
the value: 20-pixel components (and 200-pixel rings) would go. requirements.txt therefore
pins 0.25.2, and check_skimage_rule() refuses to write a fixture under any other rule.

Usage: .venv-oracle/bin/python tools/oracle/head_masks.py [OUT_DIR] [SEED_DIR]
       (defaults: tests/fixtures/head_masks, ../shared/seed-examples)
"""
import json
import os
import sys
import warnings

import cv2
import numpy as np
import skimage
from scipy.io import loadmat
from skimage.measure import label
from skimage.morphology import remove_small_objects

SIZE = 256
SEED_CASES = ["12_1313", "16_0461", "20_0040", "45_1373"]


# ---- the original's code, transcribed -----------------------------------------------------

def split_segmask(mask):  # utils/face_parsing.py
    face_mask, hairear_mask, mouth_mask = np.zeros_like(mask), np.zeros_like(mask), np.zeros_like(mask)
    face_mask[mask == 1] = 1
    face_mask[mask == 5] = 1
    hairear_mask[mask == 2] = 1
    hairear_mask[mask == 3] = 1
    hairear_mask[mask == 4] = 1
    mouth_mask[mask == 5] = 1
    return face_mask, hairear_mask, mouth_mask


def remove_small_area(mask, thres=20):  # utils/construct_triangles.py
    labels = label(mask.astype(np.int32), connectivity=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "only one label" on empty or one-blob masks
        mask = remove_small_objects(labels.astype(np.bool), thres, connectivity=1)
    return mask.astype(np.float32)


def prepare_mask(seg_mask, render_mask):  # step2_face_segmentation.py, per portrait
    face_segmask, hairear_mask, _ = split_segmask(seg_mask)
    face_remain_mask = np.zeros_like(face_segmask)
    face_remain_mask[(face_segmask - render_mask) == 1] = 1
    stitchmask = np.clip(hairear_mask + face_remain_mask, 0, 1)
    stitchmask = remove_small_area(stitchmask)
    facemask_withouthair = render_mask.copy()
    facemask_withouthair[(render_mask + hairear_mask) == 2] = 0
    return stitchmask, hairear_mask, facemask_withouthair


def boundary_ring(mask):  # the start of find_boundary_ind (step4_save_obj.py passes fwoh)
    boundary = cv2.dilate(mask.astype(np.uint8),
                          np.uint8(np.ones((3, 3))), iterations=1).astype(np.float32) - mask
    boundary = remove_small_area(boundary, thres=200)
    return boundary


def check_skimage_rule():
    """The fixture is only valid under the original's `< min_size` rule (see the docstring)."""
    line = np.zeros([3, 30], bool)
    line[1, :20] = True
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        kept = remove_small_objects(line, 20, connectivity=1).sum()
    if kept != 20:
        sys.exit(f"scikit-image {skimage.__version__} removes a 20-pixel component at "
                 "min_size=20; the original kept it: install tools/oracle/requirements.txt")


# ---- inputs --------------------------------------------------------------------------------

def blank():
    return np.zeros([SIZE, SIZE], np.uint8), np.zeros([SIZE, SIZE], np.float32)


def case_sizes():
    """Hair components of 19, 20, 21 pixels in several shapes, inside and on the border."""
    labels, render = blank()
    def put(cells, value=2):
        for r, c in cells:
            labels[r, c] = value
    for k, n in enumerate([19, 20, 21]):
        y = 10 + 30 * k
        put([(y, 10 + i) for i in range(n)])                               # a line
        put([(y + i, 60) for i in range(n - 5)] + [(y + n - 6, 61 + i) for i in range(5)], 3)  # an L
        snake = []
        r, c, d = y, 90, 1
        while len(snake) < n:                                               # a zig-zag snake
            snake.append((r, c))
            if len(snake) % 4 == 0:
                r += 1
            else:
                c += d
            if len(snake) % 8 == 0:
                d = -d
        put(snake, 4)
    # On the borders and corners: 19 and 20 pixel strips along each edge.
    put([(0, i) for i in range(19)])                      # top-left corner, 19: removed
    put([(i, SIZE - 1) for i in range(20)])               # top-right, along the right edge, 20
    put([(SIZE - 1, SIZE - 1 - i) for i in range(21)])    # bottom-right, 21
    put([(SIZE - 1 - i, 0) for i in range(19)])           # bottom-left, 19
    # A 4-connected spiral (one large component) and a diagonal chain of 40 (40 singletons).
    spiral = np.zeros([41, 41], bool)
    r, c, dr, dc, run = 20, 20, 0, 1, 1
    while 0 <= r < 41 and 0 <= c < 41:
        for _ in range(2):
            for _ in range(run):
                if 0 <= r < 41 and 0 <= c < 41:
                    spiral[r, c] = True
                r, c = r + dr, c + dc
            dr, dc = dc, -dr
        run += 2
    labels[150:191, 150:191][spiral] = 2
    put([(120 + i, 10 + i) for i in range(40)])
    # A checkerboard patch: 8-connected it is one blob, 4-connected it is all singletons.
    for r in range(200, 230):
        for c in range(40, 70):
            if (r + c) % 2 == 0:
                labels[r, c] = 2
    # Face labels outside the render join a hair piece: 10 face_remain + 10 hair = 20, kept;
    # another pair of 10 + 9 = 19 removed. Inner mouth (5) counts as face.
    put([(110, 150 + i) for i in range(10)], 1)
    put([(110, 160 + i) for i in range(10)], 2)
    put([(115, 150 + i) for i in range(10)], 5)
    put([(115, 160 + i) for i in range(9)], 3)
    # Face labels under the render (not face_remain) and hair under it (cut from fwoh).
    labels[40:80, 140:200] = 1
    labels[40:50, 140:200] = 2
    render[35:85, 135:205] = 1
    return labels, render


def case_rings():
    """Render rectangles on the left and top borders whose rings have 199/200/201 pixels."""
    labels, render = blank()
    # Left border, width 75, heights 47/48/49: ring = 2 * (75 + 1) + h.
    y = 2
    for h in (47, 48, 49):
        render[y:y + h, 0:75] = 1
        y += h + 4
    # Top border, height 80, widths 37/38/39: ring = 2 * 80 + w + 2.
    x = 100
    for w in (37, 38, 39):
        render[0:80, x:x + w] = 1
        x += w + 4
    # Inner rectangles 49x48 / 49x49 / 49x50: ring = 2 * (a + b) + 4 = 198 / 200 / 202.
    x = 80
    for w in (48, 49, 50):
        render[100:149, x:x + w] = 1
        x += w + 5
    # A render square with hair over its top half: the ring is cut by hair (fwoh = 0 there).
    render[170:250, 20:100] = 1
    labels[170:210, 20:100] = 2
    labels[210:250, 20:100] = 1
    # Full-height column on the right: touches top and bottom borders.
    render[:, 241:251] = 1
    labels[:, 245] = 3
    return labels, render


def case_blobs(seed):
    """Random smooth blobs of every label and a random blobby render mask."""
    rng = np.random.default_rng(seed)
    small = rng.integers(0, 6, size=[24, 24]).astype(np.uint8)
    labels = cv2.resize(small, (SIZE, SIZE), interpolation=cv2.INTER_NEAREST)
    noise = rng.random([SIZE, SIZE])
    labels[noise < 0.03] = rng.integers(0, 6, size=int((noise < 0.03).sum())).astype(np.uint8)
    field = cv2.GaussianBlur(rng.random([SIZE, SIZE]).astype(np.float32), (0, 0), 6)
    render = (field > np.median(field)).astype(np.float32)
    return labels, render


def case_uniform(value, covered):
    labels, render = blank()
    labels[:] = value
    render[:] = covered
    return labels, render


def case_seed(seed_dir, name):
    """A seed photo's labels resized to 256x256 (nearest) and an ellipse render over the face."""
    mask = loadmat(os.path.join(seed_dir, name + ".mat"))["mask"].astype(np.uint8)
    labels = cv2.resize(mask, (SIZE, SIZE), interpolation=cv2.INTER_NEAREST)
    rows, cols = np.nonzero((labels == 1) | (labels == 5))
    cy, cx = (rows.min() + rows.max()) / 2.0, (cols.min() + cols.max()) / 2.0
    ry, rx = 0.5 * (rows.max() - rows.min()), 0.45 * (cols.max() - cols.min())
    yy, xx = np.mgrid[0:SIZE, 0:SIZE]
    render = ((((yy - cy + 0.08 * ry) / ry) ** 2 + ((xx - cx) / rx) ** 2) <= 1.0).astype(np.float32)
    return labels, render


# ---- the fixture ---------------------------------------------------------------------------

def pack(labels, render, outputs):
    stitch, hairear, fwoh, ring = outputs
    for name, a in (("stitch", stitch), ("hairear", hairear), ("fwoh", fwoh), ("ring", ring)):
        assert set(np.unique(a)) <= {0, 1}, name
    assert labels.max() <= 5 and set(np.unique(render)) <= {0, 1}
    return (labels.astype(np.uint8) | (render.astype(np.uint8) << 3) |
            (hairear.astype(np.uint8) << 4) | (stitch.astype(np.uint8) << 5) |
            (fwoh.astype(np.uint8) << 6) | (ring.astype(np.uint8) << 7)).astype(np.uint8)


def main():
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    out_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(root, "tests/fixtures/head_masks")
    seed_dir = sys.argv[2] if len(sys.argv) > 2 else os.path.join(root, "../shared/seed-examples")
    check_skimage_rule()
    os.makedirs(out_dir, exist_ok=True)
    cases = {
        "sizes": case_sizes(),
        "rings": case_rings(),
        "blobs_1": case_blobs(1),
        "empty": case_uniform(0, 0),
        "all_hair_rendered": case_uniform(2, 1),
        "all_face_unrendered": case_uniform(1, 0),
    }
    for name in SEED_CASES:
        cases["seed_" + name] = case_seed(seed_dir, name)
    meta = {"generator": "tools/oracle/head_masks.py", "size": SIZE, "cases": {},
            "numpy": np.__version__, "scikit-image": skimage.__version__,
            "opencv": cv2.__version__,
            "bits": "0-2 label, 3 render_mask, 4 hairear_mask, 5 stitchmask, "
                    "6 facemask_withouthair, 7 ring"}
    for name, (labels, render) in cases.items():
        stitch, hairear, fwoh = prepare_mask(labels, render)
        ring = boundary_ring(fwoh)
        packed = pack(labels, render, (stitch, hairear, fwoh, ring))
        assert cv2.imwrite(os.path.join(out_dir, name + ".png"), packed,
                           [cv2.IMWRITE_PNG_COMPRESSION, 9])
        meta["cases"][name] = {k: int(v.sum()) for k, v in
                               (("stitch", stitch), ("hairear", hairear), ("fwoh", fwoh),
                                ("ring", ring))}
        print(name, meta["cases"][name])
    with open(os.path.join(out_dir, "meta.json"), "w") as f:
        json.dump(meta, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
