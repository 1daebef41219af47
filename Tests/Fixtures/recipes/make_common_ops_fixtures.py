"""Makes Tests/Fixtures/common_ops/: a small CNN with seeded random weights that uses what common
PyTorch models bring besides convolutions: GroupNorm and InstanceNorm2d (ONNX InstanceNormalization,
or the dynamo exporter's decomposition), `torch.amax` (ReduceMax), `torch.linalg.vector_norm` and
`F.normalize` (ReduceL2), sums over chosen axes (ReduceSum), and `torch.where` on computed values
with a constant mask (Where). Exported by both PyTorch exporters (TorchScript at opset 17, dynamo at
opset 18); with a batch of inputs, ONNX Runtime's logits for it and PyTorch autograd's input
gradient of each sample's top logit.

Made once with torch 2.15.0 (CPU), onnx and onnxruntime from pip in a throwaway venv (none of
them is a Probity dependency):

    python3 -m venv /tmp/venv && /tmp/venv/bin/pip install torch onnx onnxruntime onnxscript h5py   # torch from PyPI (its CUDA wheel runs on the CPU)
    /tmp/venv/bin/python Tests/Fixtures/recipes/make_common_ops_fixtures.py
"""
import pathlib

import h5py
import onnx
import onnxruntime
import torch
import torch.nn as nn
import torch.nn.functional as F

out = pathlib.Path(__file__).resolve().parents[1] / "common_ops"
out.mkdir(exist_ok=True)
torch.manual_seed(20261201)


class CommonOps(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 16, 3, padding=1)
        self.group_norm = nn.GroupNorm(4, 16)
        self.conv2 = nn.Conv2d(16, 16, 3, padding=1, stride=2)
        self.instance_norm = nn.InstanceNorm2d(16, affine=True)
        self.fc = nn.Linear(48, 5)
        # A fixed spatial mask (a constant condition): keep the centre of the 8 × 8 map, damp the border.
        mask = torch.zeros(1, 1, 8, 8, dtype=torch.bool)
        mask[..., 2:6, 2:6] = True
        self.register_buffer("mask", mask)

    def forward(self, x):
        h = F.gelu(self.group_norm(self.conv1(x)))
        h = self.instance_norm(self.conv2(h))
        h = torch.where(self.mask, h, 0.5 * h)
        gate = torch.sigmoid(h.sum(dim=1, keepdim=True))            # ReduceSum over channels
        h = F.relu(h) * gate
        peak = torch.amax(h, dim=(2, 3))                              # ReduceMax
        norm = torch.linalg.vector_norm(h, dim=(2, 3)) / 8            # ReduceL2
        total = h.sum(dim=(2, 3)) / 64                                # ReduceSum over space
        f = F.normalize(torch.cat([peak, norm, total], dim=1), dim=1) * 4   # ReduceL2, Clip, Expand, Div
        return self.fc(f)


model = CommonOps().eval()
with torch.no_grad():
    for p in [model.group_norm.weight, model.instance_norm.weight]:
        p.normal_(1, 0.3)
    for p in [model.group_norm.bias, model.instance_norm.bias]:
        p.normal_(0, 0.2)
x = torch.randn(4, 3, 16, 16)
with h5py.File(out / "expected.h5", "w") as f:
    f.attrs["versions"] = f"torch {torch.__version__}, onnxruntime {onnxruntime.__version__}"
    f["x"] = x.numpy()
    for exporter, kw in [("ts17", dict(opset_version=17, dynamo=False, input_names=["x"], output_names=["logits"], dynamic_axes={"x": {0: "batch"}})),
                         ("dyn18", dict(opset_version=18, dynamo=True, input_names=["x"], output_names=["logits"], dynamic_shapes={"x": {0: torch.export.Dim("batch")}}, external_data=False))]:
        path = out / f"common_{exporter}.onnx"
        torch.onnx.export(model, (x,), str(path), **kw)
        ops = sorted({n.op_type for n in onnx.load(str(path)).graph.node})
        print(path.name, ops)
        session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
        f[f"{exporter}/logits"] = session.run(None, {session.get_inputs()[0].name: x.numpy()})[0]
    xg = x.clone().requires_grad_(True)
    logits = model(xg)
    top = logits.argmax(1)
    logits.gather(1, top[:, None]).sum().backward()
    f["torch_logits"] = logits.detach().numpy()
    f["top"] = top.numpy()
    f["input_gradient"] = xg.grad.numpy()
for p in sorted(out.iterdir()):
    print(p.name, p.stat().st_size)
