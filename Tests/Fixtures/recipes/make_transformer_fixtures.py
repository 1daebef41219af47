"""Makes Tests/Fixtures/transformers/: small torchvision VisionTransformer, Swin and ConvNeXt models with
seeded random weights, exported by both PyTorch exporters (TorchScript at opset 17, dynamo at
opset 18, which writes its weights to an external `.onnx.data` file), a batch of inputs, ONNX
Runtime's logits for it, PyTorch autograd's input gradient of each sample's top logit, and for the ViT
pytorch-grad-cam 1.5.7's Grad-CAM of the top class on the last block's `ln_1` with the `reshape_transform` its
documentation gives for ViTs (class token dropped, patch tokens to the 4 × 4 grid), before its min-max scaling and
resize.

Made once with torch 2.13.0 (CPU), torchvision 0.28.0, onnx and onnxruntime from pip in a throwaway
venv (none of them is a Probity dependency):

    python3 -m venv /tmp/venv && /tmp/venv/bin/pip install torch torchvision onnx onnxruntime onnxscript h5py
    /tmp/venv/bin/python Tests/Fixtures/recipes/make_transformer_fixtures.py

The CUDA build of torchvision 0.28 on PyPI cannot load its compiled operators on a machine
without CUDA; the models need none of them, so the two modules that register them are skipped.
"""
import pathlib
import sys
import types

for m in ["torchvision._meta_registrations", "torchvision._autograd_registrations"]:
    sys.modules[m] = types.ModuleType(m)

import h5py
from pytorch_grad_cam import GradCAM
from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget
import numpy as np
import onnxruntime
import torch
import torchvision
from torchvision.models import VisionTransformer
from torchvision.models.convnext import CNBlockConfig, ConvNeXt
from torchvision.models.swin_transformer import SwinTransformer

out = pathlib.Path(__file__).resolve().parents[1] / "transformers"
out.mkdir(exist_ok=True)
torch.manual_seed(20261201)
models = {
    # vit_b_16's architecture at a test size: 32 px, 8 px patches, 2 layers of 2 heads, width 32.
    "vit": VisionTransformer(image_size=32, patch_size=8, num_layers=2, num_heads=2, hidden_dim=32, mlp_dim=64, num_classes=5),
    # convnext_tiny's blocks (depthwise 7×7, LayerNorm, GELU MLP, layer scale) at two narrow stages.
    "convnext": ConvNeXt([CNBlockConfig(16, 32, 2), CNBlockConfig(32, None, 2)], num_classes=5, layer_scale=0.5),
    # swin_t's blocks (shifted windows, relative position bias, patch merging) at two narrow stages.
    "swin": SwinTransformer(patch_size=[4, 4], embed_dim=16, depths=[2, 2], num_heads=[2, 2], window_size=[4, 4], num_classes=5),
}
x = torch.randn(4, 3, 32, 32)
with h5py.File(out / "expected.h5", "w") as f:
    f.attrs["versions"] = f"torch {torch.__version__}, torchvision {torchvision.__version__}, onnxruntime {onnxruntime.__version__}"
    f["x"] = x.numpy()
    for name, m in models.items():
        m.eval()
        # Random weights with some spread: torchvision starts the ViT head at zero (all logits 0)
        # and ConvNeXt's layer scale at 1e-6.
        with torch.no_grad():
            if name == "vit":
                torch.nn.init.normal_(m.heads.head.weight, std=0.5)
                torch.nn.init.normal_(m.heads.head.bias, std=0.1)
            if name == "swin":
                torch.nn.init.normal_(m.head.weight, std=0.5)
            for p in m.parameters():
                if p.dim() == 3 and p.shape[1:] == (1, 1):
                    p.fill_(0.5)
        for exporter, kw in [("ts17", dict(opset_version=17, dynamo=False, input_names=["x"], output_names=["logits"], dynamic_axes={"x": {0: "batch"}})),
                             ("dyn18", dict(opset_version=18, dynamo=True, input_names=["x"], output_names=["logits"], dynamic_shapes={"x": {0: torch.export.Dim("batch")}}))]:
            path = out / f"{name}_{exporter}.onnx"
            torch.onnx.export(m, (x,), str(path), **kw)
            session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
            f[f"{name}_{exporter}/logits"] = session.run(None, {session.get_inputs()[0].name: x.numpy()})[0]
        xg = x.clone().requires_grad_(True)
        logits = m(xg)
        top = logits.argmax(1)
        logits.gather(1, top[:, None]).sum().backward()
        f[f"{name}/torch_logits"] = logits.detach().numpy()
        f[f"{name}/top"] = top.numpy()
        f[f"{name}/input_gradient"] = xg.grad.numpy()
        if name == "vit":
            def reshape_transform(t, height=4, width=4):
                return t[:, 1:, :].reshape(t.size(0), height, width, t.size(2)).permute(0, 3, 1, 2)
            cam = GradCAM(model=m, target_layers=[m.encoder.layers[-1].ln_1], reshape_transform=reshape_transform)
            targets = [ClassifierOutputTarget(int(c)) for c in top]
            outputs = cam.activations_and_grads(x)
            m.zero_grad()
            sum(t(o) for t, o in zip(targets, outputs)).backward()
            a = cam.activations_and_grads.activations[0].numpy()
            g = cam.activations_and_grads.gradients[0].numpy()
            low = np.maximum(cam.get_cam_image(x, None, targets, a, g), 0)
            f["vit/gradcam_ln1_lowres"] = low.astype(np.float32)
            cam.activations_and_grads.release()
for p in sorted(out.iterdir()):
    print(p.name, p.stat().st_size)
