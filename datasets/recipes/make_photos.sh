#!/usr/bin/env bash
# Makes datasets/photos.h5 from the 8 photographs in ../shared/data/photos (see datasets/README.md).
# Run from the repository root after `make build`.
set -euo pipefail
probity=${PROBITY:-.build/release/probity}
"$probity" dataset import-images ../shared/data/photos \
  --out datasets/photos.h5 --size 224 --crop center --resize antialiased \
  --scale 2 --offset -1 \
  --labels datasets/recipes/photos_labels.csv \
  --class-names datasets/recipes/imagenet_classes.txt \
  --description "8 photographs, center square crop, anti-aliased resize to 224; labels are EfficientNet-Lite0's top-1 (ONNX Runtime)"
