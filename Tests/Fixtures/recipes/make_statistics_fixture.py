"""Makes Tests/Fixtures/statistics.json: reference values for Probity's statistics and map
similarities, computed once with SciPy 1.17.1, scikit-image 0.26.0, krippendorff 0.9.0 and shap 0.51.0
(pip, in a throwaway venv; none of them is a Probity dependency).

    python3 -m venv /tmp/venv && /tmp/venv/bin/pip install scipy scikit-image krippendorff shap
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

# Wilcoxon with zero differences and ties (issue 14): SciPy 1.17's method="auto" takes the exact
# distribution only without ties and zeros, an exhaustive sign-flip permutation test when
# N <= 13 pairs (zeros counted), else the normal approximation. Own generator, so the cases
# above keep their values.
wrng = np.random.default_rng(14)
cases = []
def wcase(d, label):
    d = np.asarray(d, dtype=float)
    a = wrng.integers(-5, 6, size=d.size).astype(float)
    b = a - d
    dd = a - b
    zeros, ties = int(np.sum(dd == 0)), len(np.unique(np.abs(dd[dd != 0]))) < np.sum(dd != 0)
    method = "normal" if dd.size > 50 else ("exact" if not (zeros or ties) else ("permutation" if dd.size <= 13 else "normal"))
    r = stats.wilcoxon(a, b)
    cases.append({"a": a.tolist(), "b": b.tolist(), "statistic": float(r.statistic), "p": float(r.pvalue),
                  "kind": label, "method": method})
wcase(np.arange(21), "zeros 0..20")
wcase([0, 0, 1.5, -0.5, 2, 3, 4.5, 5, 6], "zeros, n 9")
wcase([1, 1, 2, -2, 3, 3, 3, 4, -5, 6, 7], "ties, n 11")
wcase([0, 1, 1, -2, 2, 3, 4, 4, 5, -6, 7, 8, 9], "zeros and ties, n 13")
wcase([0, 1, 2, -3, 4, 5, 6, 7, 8, 9, 10, -11, 12, 13], "zeros, n 14")
# Differences are multiples of 1/4 (or 1/8): exact in binary, so the ties survive the JSON
# round trip in any parser.
wcase(np.round(wrng.normal(0.4, 1, size=40) * 4) / 4, "ties, n 40")
wcase((np.arange(1, 51) + 0.25) * np.where(wrng.random(50) < 0.35, -1, 1), "n 50")
wcase((np.arange(1, 52) + 0.25) * np.where(wrng.random(51) < 0.35, -1, 1), "n 51")
d = np.round(wrng.normal(0.3, 1, size=60) * 8) / 8; d[:5] = 0
wcase(d, "zeros, n 60")
d = np.round(wrng.normal(0.2, 1, size=80) * 4) / 4; d[::9] = 0
wcase(d, "zeros and ties, n 80")
out["wilcoxon_zeros_ties"] = cases

# Quantus' ssim (quantus/functions/similarity_func.py, 0.6.0) as RandomLogit applies it by
# default: each map / max |map| (normalise_by_max), flattened, 1-D structural_similarity with
# data_range = max - min over both (checked once against quantus 0.6.0 itself).
cases = []
for n in (60, 200):
    a = ndimage.gaussian_filter(wrng.normal(size=n), 2)
    b = 0.5 * a + 0.5 * ndimage.gaussian_filter(wrng.normal(size=n), 2)
    ua, ub = a / np.max(np.abs(a)), b / np.max(np.abs(b))
    both = np.concatenate([ua, ub])
    cases.append({"a": a.tolist(), "b": b.tolist(),
                  "ssim": float(structural_similarity(ua, ub, data_range=float(np.abs(both.max() - both.min()))))})
out["ssim_quantus"] = cases

# KernelSHAP's solve (shap 0.51.0, KernelExplainer.solve) on a fixed set of coalitions of
# M = 8 features: kernel-weighted least squares with the efficiency constraint, with no
# selection (l1_reg=False), with shap's default kind of selection l1_reg="num_features(3)"
# (lars_path, method "lar"), and with "aic" and "bic" (StandardScaler + LassoLarsIC; scikit-learn
# 1.9.1). Needs `pip install shap` (only this section).
import itertools
from scipy.special import comb
from shap.explainers._kernel import KernelExplainer
from shap.utils._legacy import IdentityLink
M = 8
rows = [list(c) for s in (1, 7) for c in itertools.combinations(range(M), s)]
while len(rows) < 60:
    size = int(wrng.integers(2, 7))
    rows.append(sorted(wrng.choice(M, size, replace=False).tolist()))
mask = np.zeros((len(rows), M))
for r, c in enumerate(rows):
    mask[r, c] = 1
sizes = mask.sum(1)
kw = (M - 1) / (comb(M, sizes) * sizes * (M - sizes))
kw = kw / kw.sum()
coef = np.array([2.0, -1.5, 0.2, 0.1, 1.0, -0.05, 0.6, 0.02])
def f(z):
    return 0.3 + z @ coef + 0.8 * z[..., 0] * z[..., 1] - 0.5 * z[..., 2] * z[..., 4]
ey = f(mask) + np.round(wrng.normal(0, 0.05, size=len(rows)), 4)
shap_cases = []
for l1 in (False, "num_features(3)", "aic", "bic"):
    k = object.__new__(KernelExplainer)
    k.maskMatrix, k.kernelWeights, k.ey = mask, kw, ey[:, None]
    k.fx, k.fnull, k.M, k.l1_reg = np.array([f(np.ones(M))]), np.array([f(np.zeros(M))]), M, l1
    k.link = IdentityLink()
    k.linkfv = np.vectorize(k.link.f)
    phi, _ = k.solve(0.1, 0)
    shap_cases.append({"l1_reg": "none" if l1 is False else l1, "phi": phi.tolist()})
out["kernel_shap_solve"] = {"rows": mask.astype(int).tolist(), "weights": kw.tolist(), "values": ey.tolist(),
                            "fx": float(f(np.ones(M))), "f0": float(f(np.zeros(M))), "cases": shap_cases}

# A second, noisier problem (M = 10, 80 coalitions) where AIC and BIC keep different features.
M = 10
rows = [list(c) for s in (1, M - 1) for c in itertools.combinations(range(M), s)]
while len(rows) < 80:
    rows.append(sorted(wrng.choice(M, int(wrng.integers(2, M - 1)), replace=False).tolist()))
mask = np.zeros((len(rows), M))
for r, c in enumerate(rows):
    mask[r, c] = 1
sizes = mask.sum(1)
kw = (M - 1) / (comb(M, sizes) * sizes * (M - sizes))
kw = kw / kw.sum()
coef = np.round(wrng.normal(0, 1, M) * (wrng.random(M) < 0.5), 2)
def f(z):
    return 0.3 + z @ coef + 0.9 * z[..., 0] * z[..., 1] - 0.7 * z[..., 2] * z[..., 3]
ey = f(mask) + np.round(wrng.normal(0, 0.5, size=len(rows)), 4)
shap_cases = []
for l1 in (False, "num_features(4)", "aic", "bic"):
    k = object.__new__(KernelExplainer)
    k.maskMatrix, k.kernelWeights, k.ey = mask, kw, ey[:, None]
    k.fx, k.fnull, k.M, k.l1_reg = np.array([f(np.ones(M))]), np.array([f(np.zeros(M))]), M, l1
    k.link = IdentityLink()
    k.linkfv = np.vectorize(k.link.f)
    phi, _ = k.solve(0.1, 0)
    shap_cases.append({"l1_reg": "none" if l1 is False else l1, "phi": phi.tolist()})
assert (np.array(shap_cases[2]["phi"]) != 0).tolist() != (np.array(shap_cases[3]["phi"]) != 0).tolist(), "AIC and BIC agree"
out["kernel_shap_solve_noisy"] = {"rows": mask.astype(int).tolist(), "weights": kw.tolist(), "values": ey.tolist(),
                                  "fx": float(f(np.ones(M))), "f0": float(f(np.zeros(M))), "cases": shap_cases}

# Insertion as the RISE reference code scores it (eclique/RISE evaluation.py, CausalMetric
# 'ins' with substrate_fn = blur): blur = conv2d(x, gkern(11, 5), padding=5) (correlation with
# zero padding; gkern = gaussian_filter of an 11x11 delta at sigma 5), pixels inserted in order
# of decreasing saliency `step` at a time, the softmax probability of the top-1 class at each of
# the n_steps + 1 frames, auc = (sum - first/2 - last/2) / n_steps. A linear model on a 1 x 16 x 16
# image, written in closed form so the Swift test rebuilds it; a map without ties.
H = W = 16
HW = H * W
iw = np.sin(0.37 * np.arange(2 * HW) + 0.5).reshape(2, HW) * 0.5
ib = np.array([0.1, -0.2])
ix = np.cos(0.23 * np.arange(HW)).reshape(1, H, W) * 2
imap = np.sin(1.7 * np.arange(HW) + 0.3).reshape(H, W)
delta = np.zeros((11, 11)); delta[5, 5] = 1
gkern = ndimage.gaussian_filter(delta, 5)
def probs(img):
    z = iw @ img.reshape(HW) + ib
    e = np.exp(z - z.max())
    return e / e.sum()
c = int(np.argmax(probs(ix)))
start = np.stack([ndimage.correlate(ch, gkern, mode="constant", cval=0.0) for ch in ix])
finish = ix.copy()
step = W
n_steps = (HW + step - 1) // step
order = np.flip(np.argsort(imap.reshape(-1, HW), axis=1), axis=-1)
curve = []
for i in range(n_steps + 1):
    curve.append(float(probs(start)[c]))
    if i < n_steps:
        coords = order[:, step * i:step * (i + 1)]
        start.reshape(1, HW)[0, coords] = finish.reshape(1, HW)[0, coords]
curve = np.array(curve)
out["rise_insertion"] = {"height": H, "width": W, "target": c, "step": step, "map": imap.ravel().tolist(),
                         "curve": curve.tolist(), "auc": float((curve.sum() - curve[0] / 2 - curve[-1] / 2) / (curve.shape[0] - 1))}

path = pathlib.Path(__file__).resolve().parent.parent / "statistics.json"
path.write_text(json.dumps(out, indent=1) + "\n")
print("wrote", path)
