"""Images/s of a ViT-S/16-sized model and ConvNeXt-Tiny at batch 32: Probity beside ONNX Runtime.

Optional interop example, not run in CI (the README's transformer speed rows come from it). Needs a
throwaway venv:
    python3 -m venv /tmp/tv && /tmp/tv/bin/pip install torch torchvision onnx onnxruntime onnxscript
    /tmp/tv/bin/python examples/interop/transformer_speed.py [--probity .build/release/probity] [--threads 2]

Weights are torchvision's random initialization (speed does not depend on them). ViT-S/16 is
torchvision's VisionTransformer at DeiT-S/timm's vit_small_patch16_224 size (12 layers, 6 heads, width
384, MLP 1536; torchvision has no vit_s_16); ConvNeXt-Tiny is torchvision's convnext_tiny. Both are
exported by the TorchScript exporter at opset 17. ONNX Runtime runs on the CPU execution provider with
`intra_op_num_threads` set to Probity's thread count (the machine's cores); each figure is the best of
timed batches over about 5 seconds after a warm-up, Probity's from `probity bench engine` (its
batch-32 forward).
"""
import argparse, json, os, subprocess, sys, tempfile, time, types

for m in ["torchvision._meta_registrations", "torchvision._autograd_registrations"]:
    sys.modules[m] = types.ModuleType(m)   # the CUDA wheel's compiled operators; these models need none
import numpy as np, onnxruntime as ort, torch, torchvision
from torchvision.models import VisionTransformer

parser = argparse.ArgumentParser()
parser.add_argument("--probity", default=".build/release/probity")
parser.add_argument("--threads", type=int, default=os.cpu_count(), help="ONNX Runtime's threads (Probity uses every core)")
args = parser.parse_args()

tmp = tempfile.mkdtemp()
torch.manual_seed(0)
models = {
    "ViT-S/16": VisionTransformer(image_size=224, patch_size=16, num_layers=12, num_heads=6, hidden_dim=384, mlp_dim=1536),
    "ConvNeXt-Tiny": torchvision.models.convnext_tiny(weights=None),
}
x = np.random.default_rng(0).standard_normal((32, 3, 224, 224)).astype(np.float32)
rows = []
for name, net in models.items():
    path = os.path.join(tmp, name.replace("/", "_") + ".onnx")
    torch.onnx.export(net.eval(), (torch.from_numpy(x[:1]),), path, opset_version=17, dynamo=False,
                      input_names=["x"], output_names=["logits"], dynamic_axes={"x": {0: "batch"}})
    options = ort.SessionOptions()
    options.intra_op_num_threads = args.threads
    options.inter_op_num_threads = 1
    session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
    session.run(None, {"x": x})
    times, began = [], time.perf_counter()
    while len(times) < 3 or time.perf_counter() - began < 5:
        start = time.perf_counter()
        session.run(None, {"x": x})
        times.append(time.perf_counter() - start)
    ort_rate = 32 / min(times)
    out = subprocess.run([args.probity, "bench", "engine", "--model", path, "--json", "--seconds", "5"],
                         capture_output=True, text=True, check=True)
    forward = next(f for f in json.loads(out.stdout) if f["name"].endswith("forward, batch 32"))
    rows.append((name, forward["value"], ort_rate))
    print(f"{name}: Probity {forward['value']:.2f} images/s ({forward['name']}), ONNX Runtime {ort_rate:.2f} images/s", flush=True)

print(f"\n| model (batch {32}, {args.threads} threads) | Probity images/s | ONNX Runtime images/s | Probity / ONNX Runtime |")
print("|---|---:|---:|---:|")
for name, p, o in rows:
    print(f"| {name} | {p:.2f} | {o:.2f} | {p / o:.2f} |")
