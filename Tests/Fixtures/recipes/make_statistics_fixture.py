"""Makes Tests/Fixtures/statistics.json: reference values for Probity's statistics and map
similarities, computed once with SciPy 1.17.1, scikit-image 0.26.0 and krippendorff 0.9.0
(pip, in a throwaway venv; none of them is a Probity dependency).

    python3 -m venv /tmp/venv && /tmp/venv/bin/pip install scipy scikit-image krippendorff
    /tmp/venv/bin/python Tests/Fixtures/recipes/make_statistics_fixture.py

Every input is stored next to its expected output, so the Swift tests need nothing else.
"""
import json
import pathlib

import krippendorff
import numpy as np
import scipy
import skimage
from scipy import ndimage, stats
from skimage.feature import hog
from skimage.metrics import structural_similarity

rng = np.random.default_rng(20261123)
out = {"versions": {"scipy": scipy.__version__, "scikit-image": skimage.__version__, "krippendorff": "0.9.0", "numpy": np.__version__}}

# Spearman and Pearson, with ties.
cases = []
for n, tie in [(10, False), (25, True), (7, True)]:
    a = rng.normal(size=n)
    b = 0.6 * a + rng.normal(size=n)
    if tie:
        a = np.round(a, 1)
        b = np.round(b, 1)
    cases.append({"a": a.tolist(), "b": b.tolist(), "spearman": float(stats.spearmanr(a, b).statistic),
                  "pearson": float(stats.pearsonr(a, b).statistic), "ranks_a": stats.rankdata(a).tolist()})
out["correlation"] = cases

# SSIM (defaults: 7x7 uniform window, sample covariance) and HOG (defaults).
def smooth(h, w):
    return ndimage.gaussian_filter(rng.random((h, w)), 2)

cases = []
for h, w in [(16, 20), (31, 24)]:
    a = smooth(h, w)
    b = 0.7 * a + 0.3 * smooth(h, w)
    a, b = a / a.max(), b / b.max()
    cases.append({"height": h, "width": w, "a": a.ravel().tolist(), "b": b.ravel().tolist(),
                  "ssim": float(structural_similarity(a, b, data_range=1.0))})
out["ssim"] = cases

cases = []
for h, w in [(32, 40), (35, 27)]:
    img = smooth(h, w)
    feats = hog(img, orientations=9, pixels_per_cell=(8, 8), cells_per_block=(3, 3), block_norm="L2-Hys", feature_vector=True)
    cases.append({"height": h, "width": w, "image": img.ravel().tolist(), "hog": feats.tolist()})
out["hog"] = cases

# Wilcoxon signed-rank, SciPy defaults (zero_method="wilcox", correction=False, method="auto").
cases = []
for n, kind in [(12, "exact"), (30, "exact"), (70, "normal"), (20, "ties")]:
    a = rng.normal(size=n)
    b = a + 0.3 + rng.normal(size=n)
    if kind == "ties":
        a = np.round(a, 0)
        b = np.round(b, 0)
    r = stats.wilcoxon(a, b)
    cases.append({"a": a.tolist(), "b": b.tolist(), "statistic": float(r.statistic), "p": float(r.pvalue), "kind": kind})
out["wilcoxon"] = cases

# Krippendorff's alpha: raters x units, NaN = missing.
cases = []
for raters, units, missing in [(5, 6, 0.0), (8, 4, 0.15), (3, 10, 0.1)]:
    data = np.array([rng.permutation(units) + 1 for _ in range(raters)], dtype=float)
    data[0] = np.arange(units) + 1
    data[rng.random(data.shape) < missing] = np.nan
    cases.append({"data": [[None if np.isnan(v) else float(v) for v in row] for row in data],
                  "ordinal": float(krippendorff.alpha(reliability_data=data, level_of_measurement="ordinal")),
                  "interval": float(krippendorff.alpha(reliability_data=data, level_of_measurement="interval"))})
out["krippendorff"] = cases

# ROC AUC via Mann-Whitney U, with ties.
scores = np.round(rng.normal(size=60), 1)
labels = rng.random(60) < 0.3
u = stats.mannwhitneyu(scores[labels], scores[~labels]).statistic
out["auc"] = {"scores": scores.tolist(), "labels": labels.tolist(), "auc": float(u / (labels.sum() * (~labels).sum()))}

path = pathlib.Path(__file__).resolve().parent.parent / "statistics.json"
path.write_text(json.dumps(out, indent=1) + "\n")
print("wrote", path)
