"""Exports torchvision CNNs to ONNX and checks that `probity model predict` gives ONNX Runtime's logits.

Optional interop example, not run in CI. Needs a throwaway venv:
    python3 -m venv /tmp/tv && /tmp/tv/bin/pip install torch torchvision onnx onnxruntime onnxscript h5py
    /tmp/tv/bin/python examples/interop/compare_with_onnxruntime.py [--probity .build/release/probity]

Weights are torchvision's random initialization (weights=None): parity is about the graph and the ops,
which do not depend on the weight values. Each model is exported with the TorchScript exporter at two
opsets and with the dynamo exporter.
"""
import argparse, os, subprocess, sys, tempfile
import numpy as np, h5py, torch, torchvision, onnxruntime as ort

parser = argparse.ArgumentParser()
parser.add_argument("--probity", default=".build/release/probity")
parser.add_argument("--models", default="resnet18,mobilenet_v3_small,squeezenet1_1,densenet121,googlenet,vgg11_bn,shufflenet_v2_x0_5,efficientnet_b0")
args = parser.parse_args()

tmp = tempfile.mkdtemp()
rng = np.random.default_rng(0)
images = rng.integers(0, 256, (4, 224, 224, 3), dtype=np.uint8)
mean, std = np.array([0.485, 0.456, 0.406]), np.array([0.229, 0.224, 0.225])
with h5py.File(f"{tmp}/data.h5", "w") as f:          # Probity's dataset schema v1, ImageNet normalization
    f["images"] = images
    f["labels"] = np.zeros(4, dtype=np.int64)
    f.attrs["probity_schema"] = 1
    f.attrs["input_scale"] = (1 / std).astype(np.float32)
    f.attrs["input_offset"] = (-mean / std).astype(np.float32)
x = ((images.transpose(0, 3, 1, 2) / 255.0 - mean[:, None, None]) / std[:, None, None]).astype(np.float32)

worst_all = 0.0
for name in args.models.split(","):
    torch.manual_seed(0)
    kwargs = {"aux_logits": False, "init_weights": True} if name == "googlenet" else {}
    net = getattr(torchvision.models, name)(weights=None, **kwargs).eval()
    for label, export in [("torchscript opset 11", dict(opset_version=11, dynamo=False)),
                          ("torchscript opset 17", dict(opset_version=17, dynamo=False)),
                          ("dynamo opset 18", dict(opset_version=18, dynamo=True))]:
        path = f"{tmp}/{name}_{label.replace(' ', '_')}.onnx"
        try:
            torch.onnx.export(net, torch.from_numpy(x[:1]), path, input_names=["input"], output_names=["logits"],
                              dynamic_axes={"input": {0: "N"}, "logits": {0: "N"}} if not export["dynamo"] else None,
                              external_data=False, **export) if export["dynamo"] else \
            torch.onnx.export(net, torch.from_numpy(x[:1]), path, input_names=["input"], output_names=["logits"],
                              dynamic_axes={"input": {0: "N"}, "logits": {0: "N"}}, **export)
        except Exception as e:
            print(f"{name:22s} {label:22s} export failed: {type(e).__name__}: {str(e)[:80]}")
            continue
        sess = ort.InferenceSession(path)
        ref = np.concatenate([sess.run(None, {sess.get_inputs()[0].name: x[i:i + 1]})[0] for i in range(4)])
        out = subprocess.run([args.probity, "model", "predict", path, "--dataset", f"{tmp}/data.h5", "--out", f"{tmp}/p.h5", "--quiet"],
                             capture_output=True, text=True)
        if out.returncode != 0:
            print(f"{name:22s} {label:22s} probity failed: {out.stderr.strip()[:160]}")
            continue
        got = h5py.File(f"{tmp}/p.h5")["logits"][:]
        worst = float(np.abs(got - ref).max() / max(np.abs(ref).max(), 1e-30))   # relative to the largest logit
        worst_all = max(worst_all, worst)
        same = (got.argmax(1) == ref.argmax(1)).all()
        print(f"{name:22s} {label:22s} max |Δlogit| / max |logit| {worst:.2e}  top-1 {'same' if same else 'DIFFERENT'}")
print(f"worst relative difference over all models: {worst_all:.2e}")
