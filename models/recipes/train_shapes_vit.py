"""Trains models/shapes_vit.onnx: a small torchvision VisionTransformer on the synthetic shapes.

The transformer twin of models/shapes_cnn.onnx (same data, same input and output conventions), so
that reports can compare the same explainers on a CNN and a ViT trained on the same task (issue 17).
PyTorch is used here only, in a throwaway venv; Probity never runs Python. Made once with
Python 3.11.7, torch 2.13.0+cpu, torchvision 0.28.0, onnx 1.23.2, onnxruntime 1.32.0, h5py 3.16.0,
numpy 2.4.6, from pip:

    python3 -m venv /tmp/venv && /tmp/venv/bin/pip install torch torchvision onnx onnxruntime h5py
    make datasets/shapes.h5
    /tmp/venv/bin/python models/recipes/train_shapes_vit.py      # from the repository root

It prints the loss and accuracies of every epoch, then the test accuracy of PyTorch and of ONNX
Runtime on the export, and fails if the two disagree on any test image.

Data: datasets/shapes.h5 (`probity dataset synth shapes --count 3000 --size 64 --seed 1
--test-fraction 0.2`), /split 0 to train (2380 images), 1 to test (620). The model input is what
the dataset's preprocessing defines, pixel / 255 × input_scale + input_offset per channel (read
from the file's attributes: [-1, 1] here), NCHW float32, as Probity feeds it.

Model: `torchvision.models.VisionTransformer(image_size=64, patch_size=8, num_layers=4,
num_heads=4, hidden_dim=64, mlp_dim=256, num_classes=4)`: 8×8 patches, 64 patch tokens + a class
token, torchvision's own initialization (head at zero), no dropout; 216,900 parameters.

Training: AdamW (learning rate 5e-4, weight decay 0.05), linear warm-up over the first epoch then
cosine decay to 0, batch 32, 80 epochs, cross-entropy, gradient norm clipped at 1. Unlike the CNN,
a ViT this small does not learn the shapes from 2380 images as they are (without augmentation and
clipping, 40 epochs reach 97 % training but 73 % test accuracy), so training images are augmented
with what the generator itself varies: a left-right flip (every shape is symmetric about its
vertical axis) and a shift of up to 16 pixels per axis that keeps the shape whole (see
`shifted`). Seeded: torch.manual_seed, and one generator for the batch order and the
augmentation; 1 thread (on a loaded 2-core machine 2 threads were 10× slower, and the thread count
changes the float sums). The test split is scored after each epoch for the log only; nothing is
selected on it.

Export: TorchScript exporter, opset 17, input `input` [N, 3, 64, 64], output `logits` [N, 4],
dynamic batch N, weights inside the file; the command and the accuracy go in the file's
doc_string, as `probity model train` does. The script checks the export with onnx.checker (full
check) and ONNX Runtime.

A rerun on the same machine and versions gives the same weights bit for bit. Other library versions
or CPUs may differ in the last bits (kernels are not bit-identical across builds) and the run then
drifts; how far the accuracy moves then has not been measured.
"""
import argparse
import collections
import math
import sys
import time
import types

# The CUDA build of torchvision 0.28 on PyPI cannot load its compiled operators on a machine
# without CUDA; VisionTransformer needs none of them, so the two modules that register them are skipped.
for m in ["torchvision._meta_registrations", "torchvision._autograd_registrations"]:
    sys.modules[m] = types.ModuleType(m)

import h5py
import numpy as np
import onnx
import onnxruntime
import torch
import torchvision
from torchvision.models import VisionTransformer

parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
parser.add_argument("--dataset", default="datasets/shapes.h5")
parser.add_argument("--out", default="models/shapes_vit.onnx")
parser.add_argument("--epochs", type=int, default=80)
parser.add_argument("--batch", type=int, default=32)
parser.add_argument("--lr", type=float, default=5e-4)
parser.add_argument("--weight-decay", type=float, default=0.05)
parser.add_argument("--seed", type=int, default=0)
parser.add_argument("--flip", type=int, default=1, help="1: flip each training batch left-right with probability 1/2 (0: never)")
parser.add_argument("--shift", type=int, default=16, help="shift each training image by up to this many pixels, keeping its shape inside (0: none)")
parser.add_argument("--clip", type=float, default=1.0, help="gradient norm clipping (0: none)")
parser.add_argument("--threads", type=int, default=1)
args = parser.parse_args()

torch.set_num_threads(args.threads)
torch.manual_seed(args.seed)
torch.use_deterministic_algorithms(True)

with h5py.File(args.dataset, "r") as f:
    images = f["images"][:]                      # uint8 [N, H, W, C]
    labels = f["labels"][:].astype(np.int64)
    split = f["split"][:]
    scale = np.asarray(f.attrs["input_scale"], dtype=np.float32)
    offset = np.asarray(f.attrs["input_offset"], dtype=np.float32)
    boxes = f["boxes"][:][np.argsort(f["box_sample"][:])]      # one box per image: x0, y0, x1, y1
    class_names = [c.decode() if isinstance(c, bytes) else str(c) for c in f["class_names"][:]]
# Probity's model input: pixel / 255 × scale + offset per channel, NCHW float32.
x_all = (images.astype(np.float32) / 255 * scale + offset).transpose(0, 3, 1, 2).copy()
n_classes = len(class_names)
size = x_all.shape[2]
train, test = np.flatnonzero(split == 0), np.flatnonzero(split == 1)
x_train, y_train = torch.from_numpy(x_all[train]), torch.from_numpy(labels[train])
box_train = torch.from_numpy(boxes[train].astype(np.int64))
x_test, y_test = torch.from_numpy(x_all[test]), torch.from_numpy(labels[test])
print(f"{args.dataset}: {len(train)} train / {len(test)} test images of {size}×{size}, "
      f"classes {class_names}, input scale {scale.tolist()} offset {offset.tolist()}")

model = VisionTransformer(image_size=size, patch_size=8, num_layers=4, num_heads=4, hidden_dim=64,
                          mlp_dim=256, num_classes=n_classes)
n_params = sum(p.numel() for p in model.parameters())
print(f"VisionTransformer: {n_params:,} parameters")

optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=args.weight_decay)
steps_per_epoch = math.ceil(len(train) / args.batch)
total_steps, warmup = args.epochs * steps_per_epoch, steps_per_epoch
schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: (s + 1) / warmup if s < warmup else
                                             0.5 * (1 + math.cos(math.pi * (s - warmup) / max(1, total_steps - warmup))))
order = torch.Generator().manual_seed(args.seed)


def mirror(i, n):
    """Indices reflected into 0..<n (edge pixel repeated, as numpy's 'symmetric' padding)."""
    i = i % (2 * n)
    return torch.where(i < n, i, 2 * n - 1 - i)


def shifted(x, box):
    """x moved by a random whole-pixel offset of at most --shift per axis, the uncovered border filled by
    reflecting the image. The offset is at most the shape's distance to the nearer edge, so the shape stays
    whole and its reflection never enters the picture."""
    out = torch.empty_like(x)
    grid = torch.arange(size)
    for k in range(len(x)):
        x0, y0, x1, y1 = box[k].tolist()
        mx, my = min(args.shift, x0, size - x1), min(args.shift, y0, size - y1)
        dx = int(torch.randint(-mx, mx + 1, (), generator=order))
        dy = int(torch.randint(-my, my + 1, (), generator=order))
        out[k] = x[k][:, mirror(grid - dy, size)][:, :, mirror(grid - dx, size)]
    return out


def accuracy(net, x, y):
    net.eval()
    with torch.no_grad():
        logits = torch.cat([net(x[i:i + 128]) for i in range(0, len(x), 128)])
    return logits, int((logits.argmax(1) == y).sum())


start, start_cpu = time.time(), time.process_time()
for epoch in range(args.epochs):
    model.train()
    perm = torch.randperm(len(train), generator=order)
    total, correct = 0.0, 0
    for i in range(0, len(train), args.batch):
        idx = perm[i:i + args.batch]
        xb = x_train[idx]
        if args.shift:
            xb = shifted(xb, box_train[idx])
        if args.flip and torch.rand((), generator=order) < 0.5:
            xb = xb.flip(3)
        logits = model(xb)
        loss = torch.nn.functional.cross_entropy(logits, y_train[idx])
        optimizer.zero_grad()
        loss.backward()
        if args.clip > 0:
            torch.nn.utils.clip_grad_norm_(model.parameters(), args.clip)
        optimizer.step()
        schedule.step()
        total += loss.item() * len(idx)
        correct += int((logits.argmax(1) == y_train[idx]).sum())
    _, test_correct = accuracy(model, x_test, y_test)
    print(f"epoch {epoch + 1:3d}  loss {total / len(train):.4f}  train {correct / len(train):.4f}  "
          f"test {test_correct / len(test):.4f}  {time.time() - start:.0f} s", flush=True)
train_seconds, train_cpu_seconds = time.time() - start, time.process_time() - start_cpu

torch_logits, torch_correct = accuracy(model, x_test, y_test)
torch_accuracy = torch_correct / len(test)
print(f"PyTorch test accuracy {torch_accuracy:.4f} ({torch_correct} of {len(test)}); training took {train_seconds:.0f} s "
      f"({train_cpu_seconds:.0f} s of CPU on {args.threads} threads)")

model.eval()
torch.onnx.export(model, (x_test[:1],), args.out, opset_version=17, dynamo=False,
                  input_names=["input"], output_names=["logits"],
                  dynamic_axes={"input": {0: "N"}, "logits": {0: "N"}})

session = onnxruntime.InferenceSession(args.out, providers=["CPUExecutionProvider"])
ort_logits = session.run(None, {"input": x_test.numpy()})[0]
ort_correct = int((ort_logits.argmax(1) == y_test.numpy()).sum())
ort_accuracy = ort_correct / len(test)
difference = float(np.abs(ort_logits - torch_logits.numpy()).max())

command = " ".join(["python", "models/recipes/train_shapes_vit.py"] + sys.argv[1:])
onnx_model = onnx.load(args.out)
onnx_model.doc_string = (f"VisionTransformer (torchvision {torchvision.__version__}: image 64, patch 8, 4 layers, 4 heads, "
                         f"hidden 64, MLP 256) trained by {command} (torch {torch.__version__}, seed {args.seed}, "
                         f"{args.epochs} epochs, AdamW, batch {args.batch}, learning rate {args.lr:g}); test accuracy {ort_accuracy:.4f}")
onnx.checker.check_model(onnx_model, full_check=True)
onnx.save(onnx_model, args.out)

ops = collections.Counter(node.op_type for node in onnx_model.graph.node)
print(f"{args.out}: opset 17, ops {dict(sorted(ops.items()))}")
print(f"ONNX Runtime {onnxruntime.__version__} test accuracy {ort_accuracy:.4f} ({ort_correct} of {len(test)}); "
      f"largest |logit difference| from PyTorch {difference:.2e}")
if ort_correct != torch_correct or (ort_logits.argmax(1) != torch_logits.numpy().argmax(1)).any():
    sys.exit("ONNX Runtime and PyTorch disagree on the test split")
