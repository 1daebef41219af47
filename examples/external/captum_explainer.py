#!/usr/bin/env python3
"""A worked external explainer for `probity explain --explainer external`: Captum's
DeepLift on the ONNX model converted to PyTorch. Not run in CI.

    pip install torch captum onnx2torch onnx h5py
    probity explain --model models/shapes_cnn.onnx --dataset datasets/shapes.h5 --explainer external \
        --option "command=python3 examples/external/captum_explainer.py" --indices 0..15 --out reports/attr.h5

Protocol (see Sources/ProbityExplainers/Methods/External.swift): Probity appends REQUEST.h5
RESPONSE.h5 to the command. The request holds /images float32 [N, C, H, W] as the model sees
them, /targets int64 [N], /samples int64 [N] and the root attribute `model` (the ONNX path);
the program writes /attributions float32 [N, H, W] and exits 0.
"""
import sys

import h5py
import numpy as np
import onnx
import torch
from captum.attr import DeepLift
from onnx2torch import convert

request, response = sys.argv[-2], sys.argv[-1]
with h5py.File(request, "r") as f:
    images = torch.tensor(f["images"][:])
    targets = torch.tensor(f["targets"][:])
    model_path = f.attrs["model"]
    if isinstance(model_path, bytes):
        model_path = model_path.decode()

model = convert(onnx.load(model_path)).eval()
attributions = DeepLift(model).attribute(images, baselines=torch.zeros_like(images), target=targets)
maps = attributions.sum(dim=1).detach().numpy().astype(np.float32)   # signed, summed over channels

with h5py.File(response, "w") as f:
    f["attributions"] = maps
