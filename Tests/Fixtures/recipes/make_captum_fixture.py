"""Makes Tests/Fixtures/captum_lite0.h5: Captum's maps for 2 photos with EfficientNet-Lite0,
the independent reference of ProbityExplainersTests.CaptumParityTests.

Run once in a throwaway venv (not in CI):
    python -m venv /tmp/torchvenv && /tmp/torchvenv/bin/pip install torch captum onnx2torch h5py onnx  (issue 14: torch 2.13 CPU)
    /tmp/torchvenv/bin/python Tests/Fixtures/recipes/make_captum_fixture.py

Inputs are the parity fixture's images 0 and 1 (input = pixel/255*2-1), targets their top-1
classes. Options are Probity's defaults: saliency abs, max over channels; Integrated Gradients
50 Gauss-Legendre steps from the black image (input -1), summed over channels; Grad-CAM on the
last spatial activation (the ReLU6 before global pooling), ReLU, bilinear upsampling to 224;
occlusion with 32x32 windows over all channels, stride 16, baseline 0 (one channel kept).

Added for issue 14:
- `occlusion_w30_s15`: occlusion with 30x30 windows, stride 15, where (224 - 30) / 15 is not a
  whole number, so Captum's last window is cropped at the border;
- `occlusion_linear`: Captum's exact occlusion values on a linear model small enough to write
  down (3 x 11 x 11 input, 2 classes, target 1, window 4, stride 3, baseline 0; weights and
  input are the closed forms below, so the Swift test rebuilds the same model);
- `smoothgrad_captum_seed0`, `smoothgrad_captum_seed1`: `NoiseTunnel(Saliency(model))`,
  nt_type "smoothgrad", 50 samples, stdevs = 0.15 x (max - min) of each image, Saliency's
  default abs=True (|gradient| per noisy copy, then the mean), max over channels; two seeds so
  the test can hold Probity to Captum's own seed-to-seed agreement;
- `gradcam_pp_pytorch_grad_cam`, `scorecam_pytorch_grad_cam`: pytorch-grad-cam 1.5.7's
  `GradCAMPlusPlus` and `ScoreCAM` (logit targets, batch 32) on the Grad-CAM layer, its own
  output (ReLU, min-max scaled, OpenCV-resized to 224). pytorch-grad-cam and onnx2torch import
  torchvision for helpers these models do not use; with a CPU torch and no matching
  torchvision, a stub package on PYTHONPATH stands in (`torchvision.ops`, `.transforms`).
"""
import h5py
import numpy as np
import onnx
import torch
import torch.nn.functional as F
from captum.attr import IntegratedGradients, LayerAttribution, LayerGradCam, NoiseTunnel, Occlusion, Saliency
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
occ = Occlusion(model).attribute(x, target=targets, sliding_window_shapes=(3, 30, 30), strides=(3, 15, 15), baselines=0)
maps["occlusion_w30_s15"] = occ[:, 0]

for seed in (0, 1):
    torch.manual_seed(seed)
    parts = []
    for i in range(2):
        xi = x[i:i + 1]
        sigma = float(0.15 * (xi.max() - xi.min()))
        sg = NoiseTunnel(Saliency(model)).attribute(xi, nt_type="smoothgrad", nt_samples=50, nt_samples_batch_size=10,
                                                    stdevs=sigma, target=int(targets[i]))
        parts.append(sg.max(dim=1).values)
    maps[f"smoothgrad_captum_seed{seed}"] = torch.cat(parts)

from pytorch_grad_cam import GradCAMPlusPlus, ScoreCAM
from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget
cam_targets = [ClassifierOutputTarget(int(t)) for t in targets]
maps["gradcam_pp_pytorch_grad_cam"] = torch.tensor(GradCAMPlusPlus(model=model, target_layers=[layer])(input_tensor=x, targets=cam_targets))
scorecam = ScoreCAM(model=model, target_layers=[layer])
scorecam.batch_size = 32
maps["scorecam_pytorch_grad_cam"] = torch.tensor(scorecam(input_tensor=x, targets=cam_targets))

# A linear model written down in closed form: w[k, c, y, x] = sin(0.37 i + 0.5) with
# i = k*363 + c*121 + y*11 + x, input[c, y, x] = cos(0.23 j) with j = c*121 + y*11 + x, no bias.
idx = torch.arange(2 * 363, dtype=torch.float64)
linear = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(363, 2, bias=False)).double()
with torch.no_grad():
    linear[1].weight.copy_(torch.sin(0.37 * idx + 0.5).reshape(2, 363))
xl = torch.cos(0.23 * torch.arange(363, dtype=torch.float64)).reshape(1, 3, 11, 11)
occ = Occlusion(linear).attribute(xl, target=1, sliding_window_shapes=(3, 4, 4), strides=(3, 3, 3), baselines=0)
maps["occlusion_linear"] = occ[:, 0]

with h5py.File(f"{root}/Tests/Fixtures/captum_lite0.h5", "w") as f:
    for k, v in maps.items():
        f.create_dataset(k, data=v.detach().numpy().astype(np.float32), compression="gzip")
    f["targets"] = targets.numpy().astype(np.int64)
    f.attrs["gradcam_layer"] = last.output[0]
    f.attrs["producer"] = "captum %s, torch %s, onnx2torch; see recipes/make_captum_fixture.py" % (
        __import__("captum").__version__, torch.__version__)
print({k: tuple(v.shape) for k, v in maps.items()})
