"""Makes Tests/Fixtures/lime_figures.h5: lime_image's tutorial pictures for hand-made inputs.

An image (a crop of the first bundled photo, datasets/photos.h5), a segmentation into irregular
superpixels (with ids that do not follow position) and weights per superpixel, with ties in |w|.
For each case: lime's own `ImageExplanation.get_image_and_mask` (lime 0.2.0.1) on the image
scaled to [0, 1], then scikit-image's `mark_boundaries(temp, mask)` (0.26), the tutorial's calls.

    python3 -m venv /tmp/venv && /tmp/venv/bin/pip install lime scikit-image h5py numpy
    /tmp/venv/bin/python Tests/Fixtures/recipes/make_lime_figures_fixture.py
"""
import os

import h5py
import numpy as np
from lime.lime_image import ImageExplanation
from skimage.segmentation import mark_boundaries
import skimage
import lime

root = os.path.join(os.path.dirname(__file__), "..", "..", "..")
with h5py.File(os.path.join(root, "datasets", "photos.h5"), "r") as f:
    image = f["images"][2][60:84, 90:120]  # [24, 30, 3] uint8

h, w = image.shape[:2]
rng = np.random.default_rng(5)
# Irregular superpixels: a Voronoi partition of random seeds, ids shuffled.
seeds = rng.uniform(0, [h, w], size=(12, 2))
yy, xx = np.mgrid[0:h, 0:w]
nearest = np.argmin((yy[..., None] - seeds[:, 0]) ** 2 + (xx[..., None] - seeds[:, 1]) ** 2, axis=2)
segments = rng.permutation(12)[nearest]
weights = np.array([0.30, -0.25, 0.10, -0.30, 0.05, 0.22, -0.01, 0.0, 0.12, -0.12, 0.02, 0.40])

explanation = ImageExplanation(image / 255.0, segments)
order = sorted(range(12), key=lambda i: -abs(weights[i]))  # lime sorts local_exp by |w|, stably
explanation.local_exp = {0: [(i, weights[i]) for i in order]}

cases = {
    "positive_top5_hide": dict(positive_only=True, num_features=5, hide_rest=True),
    "pros_cons_top10": dict(positive_only=False, num_features=10, hide_rest=False),
    "positive_top3_keep": dict(positive_only=True, num_features=3, hide_rest=False),
    "pros_cons_top4_min": dict(positive_only=False, num_features=4, hide_rest=False, min_weight=0.3),
}
with h5py.File(os.path.join(root, "Tests", "Fixtures", "lime_figures.h5"), "w") as out:
    out.attrs["lime"] = lime.__version__ if hasattr(lime, "__version__") else "0.2.0.1"
    out.attrs["scikit_image"] = skimage.__version__
    out["image"] = image
    out["segments"] = segments.astype(np.int64)
    out["weights"] = weights
    for name, kw in cases.items():
        temp, mask = explanation.get_image_and_mask(0, **kw)
        g = out.create_group(name)
        for k, v in kw.items():
            g.attrs[k] = v
        g["mask"] = mask.astype(np.int64)
        g["picture"] = mark_boundaries(temp, mask).astype(np.float64)
print("wrote", list(cases))
