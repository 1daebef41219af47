"""Makes Tests/Fixtures/surrogates.json: reference fits for LIME's regression-tree and lasso
surrogates (`RegressionTree`, `LinearFit.lasso`), computed once with scikit-learn 1.9.1
(pip, in a throwaway venv; not a Probity dependency).

    python3 -m venv /tmp/venv && /tmp/venv/bin/pip install scikit-learn
    /tmp/venv/bin/python Tests/Fixtures/recipes/make_surrogate_fixture.py

Trees: `DecisionTreeRegressor(min_samples_split=10)` with sample weights grows the tree MATLAB's
`fitrtree` grows with its defaults (MinParentSize 10, MinLeafSize 1, squared error); MATLAB's
`predictorImportance` is scikit-learn's unnormalized importance divided by the number of branch
nodes. Lasso: `Lasso(alpha=λ)` with sample weights minimizes ½ Σ w̃ (y − b − xβ)² + λ‖β‖₁ with
the weights normalized to sum 1. Every input is stored next to its expected output.
"""
import json
import pathlib

import numpy as np
import sklearn
from sklearn.linear_model import Lasso
from sklearn.tree import DecisionTreeRegressor

rng = np.random.default_rng(20261201)
out = {"versions": {"scikit-learn": sklearn.__version__, "numpy": np.__version__}, "trees": [], "lasso": []}


def tree_case(x, y, w, name):
    # scikit-learn breaks exact ties between predictors (two predictors splitting a node into the
    # same two parts) at random, Probity by the lower index: such data cannot be compared, and the
    # caller draws new data until 20 random states grow trees with identical importances.
    fits = [DecisionTreeRegressor(min_samples_split=10, random_state=s).fit(x, y, sample_weight=w) for s in range(20)]
    if any(not np.array_equal(f.tree_.feature, fits[0].tree_.feature) for f in fits):
        return False
    t = fits[0]
    branches = int((t.tree_.children_left != -1).sum())
    raw = t.tree_.compute_feature_importances(normalize=False)
    out["trees"].append({
        "name": name, "x": x.tolist(), "y": y.tolist(), "w": w.tolist(),
        "branches": branches, "nodes": int(t.tree_.node_count),
        "importance": (raw / branches).tolist(), "prediction": t.predict(x).tolist(),
    })
    return True


# Continuous predictors (no ties between candidate splits), a nonlinear response, uneven weights.
while True:
    x = rng.normal(size=(300, 6))
    y = np.sin(2 * x[:, 0]) + 0.5 * x[:, 1] ** 2 - 0.8 * (x[:, 2] > 0.3) + 0.1 * rng.normal(size=300)
    if tree_case(x, y, rng.uniform(0.5, 2, size=300), "continuous"):
        break
# LIME's case: binary coalitions, an additive response with an interaction, kernel-like weights.
c = np.array([2.0, -1.5, 1.0, 0.7, -0.4, 0.25, 0.1, 0.0])
for attempt in range(200):
    z = (rng.uniform(size=(400, 8)) < 0.5).astype(float)
    y = z @ c + 1.2 * z[:, 0] * z[:, 1] + 0.05 * rng.normal(size=400)
    if tree_case(z, y, np.exp(-((1 - z.sum(1) / np.sqrt(8 * np.maximum(z.sum(1), 1))) ** 2) / 0.0625) ** 0.5, "binary"):
        break
print("binary case after", attempt + 1, "draws")

for lam in [0.0005, 0.01, 0.1]:
    z = (rng.uniform(size=(200, 8)) < 0.5).astype(float)
    y = z @ c + 0.3 * rng.normal(size=200)
    w = rng.uniform(0.2, 1, size=200)
    m = Lasso(alpha=lam, tol=1e-12, max_iter=1_000_000).fit(z, y, sample_weight=w)
    out["lasso"].append({"lambda": lam, "x": z.tolist(), "y": y.tolist(), "w": w.tolist(),
                         "coefficients": m.coef_.tolist(), "intercept": float(m.intercept_)})

path = pathlib.Path(__file__).resolve().parents[1] / "surrogates.json"
path.write_text(json.dumps(out, separators=(",", ":")) + "\n")
print(path, path.stat().st_size, "bytes")
