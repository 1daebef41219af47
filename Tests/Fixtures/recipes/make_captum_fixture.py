"""Makes Tests/Fixtures/captum_lite0.h5: Captum's maps for 2 photos with EfficientNet-Lite0,
the independent reference of ProbityExplainersTests.CaptumParityTests.

Run once in a throwaway venv (not in CI):
    python -m venv /tmp/torchvenv && /tmp/torchvenv/bin/pip install torch captum onnx2torch h5py onnx
    /tmp/torchvenv/bin/python Tests/Fixtures/recipes/make_captum_fixture.py

Inputs are the parity fixture's images 0 and 1 (input = pixel/255*2-1), targets their top-1
classes. Options are Probity's defaults: saliency abs, max over channels; Integrated Gradients
50 Gauss-Legendre steps from the black image (input -1), summed over channels; Grad-CAM on the
last spatial activation (the ReLU6 before global pooling), ReLU, bilinear upsampling to 224;
occlusion with 32x32 windows over all channels, stride 16, baseline 0 (one channel kept).
"""
import h5py
import numpy as np
import onnx
import torch
import torch.nn.functional as F
from captum.attr import IntegratedGradients, LayerAttribution, LayerGradCam, Occlusion, Saliency
from onnx2torch import convert

root = __file__.rsplit("/Tests/", 1)[0]
fixture = h5py.File(f"{root}/Tests/Fixtures/efficientnet_lite0.expected.h5", "r")
images = fixture["images"][:2]
x = torch.tensor(images.astype(np.float32) / 255 * 2 - 1).permute(0, 3, 1, 2).contiguous()

model = convert(onnx.load(f"{root}/models/efficientnet_lite0.onnx")).eval()
with torch.no_grad():
    logits = model(x)
targets = logits.argmax(1)
print("targets", targets.tolist())

# The last Clip node whose output is spatial: the activation before GlobalAveragePool.
graph = onnx.load(f"{root}/models/efficientnet_lite0.onnx").graph
gap = next(n for n in graph.node if n.op_type == "GlobalAveragePool")
last = next(n for n in graph.node if gap.input[0] in n.output)
modules = dict(model.named_modules())
layer = next(m for name, m in modules.items() if name.replace("/", ".").endswith(last.name.replace("/", ".").lstrip(".")))
print("Grad-CAM layer:", last.name, "output", last.output[0])

maps = {}
sal = Saliency(model).attribute(x, target=targets, abs=True)
maps["saliency"] = sal.max(dim=1).values
ig = IntegratedGradients(model).attribute(x, baselines=-torch.ones_like(x), target=targets, n_steps=50, method="gausslegendre")
maps["integrated_gradients"] = ig.sum(dim=1)
cam = LayerGradCam(model, layer).attribute(x, target=targets, relu_attributions=True)
maps["gradcam"] = LayerAttribution.interpolate(cam, (224, 224), interpolate_mode="bilinear")[:, 0]
occ = Occlusion(model).attribute(x, target=targets, sliding_window_shapes=(3, 32, 32), strides=(3, 16, 16), baselines=0)
maps["occlusion"] = occ[:, 0]

with h5py.File(f"{root}/Tests/Fixtures/captum_lite0.h5", "w") as f:
    for k, v in maps.items():
        f.create_dataset(k, data=v.detach().numpy().astype(np.float32), compression="gzip")
    f["targets"] = targets.numpy().astype(np.int64)
    f.attrs["gradcam_layer"] = last.output[0]
    f.attrs["producer"] = "captum %s, torch %s, onnx2torch; see recipes/make_captum_fixture.py" % (
        __import__("captum").__version__, torch.__version__)
print({k: tuple(v.shape) for k, v in maps.items()})
