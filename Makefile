# Probity — everything a fresh Debian machine with Swift needs:
#   make demo   installs what is missing, builds, and runs the main job on the bundled data
#   make test   installs what is missing, builds, and runs every test (release mode)

SWIFT        ?= swift
PROBITY      := .build/release/probity
APT_PACKAGES := libopenblas-dev libhdf5-dev libpng-dev libjpeg62-turbo-dev libxml2 libssl-dev pkg-config python3-h5py python3-yaml libonnx-testdata slurm-wlm munge
DEMO_OUT     ?= reports/quickstart

# The synthetic shapes the committed shapes models were trained on (deterministic; not committed).
SHAPES_ARGS  := --count 3000 --size 64 --seed 1 --test-fraction 0.2

# Reproductions of published comparisons: `make rise-2018` runs metrics/rise-2018.yaml into
# reports/rise-2018/ (its README.md compares with the paper).
PRESETS      := rise-2018 sanity-2018 sanity-2018-shapes pointing-game spurious-cue article-comparison readme-shapes readme-photos

.PHONY: setup build test demo bench clean shapes-models $(PRESETS) lime-tutorial

# apt-installs only what is missing; works as root with no prompt (sudo otherwise).
setup:
	@missing=""; \
	for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "make setup: installing$$missing"; \
	  if [ "$$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi; \
	  $$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq --no-install-recommends $$missing; \
	fi

build: setup
	$(SWIFT) build -c release --product probity

# Numeric code is too slow in debug builds; tests run optimized with @testable imports. The presets'
# test needs the shapes datasets the presets name (made with the binary just built).
test: setup
	$(SWIFT) build -c release -Xswiftc -enable-testing --build-tests
	@$(MAKE) --no-print-directory datasets/shapes.h5 datasets/shapes_spurious.h5
	$(SWIFT) test -c release -Xswiftc -enable-testing --skip-build

# The quickstart suite: explain, score, aggregate (resumes if interrupted), then print the ranking.
demo: build datasets/shapes.h5
	$(PROBITY) run metrics/quickstart.yaml --out $(DEMO_OUT)

datasets/shapes.h5:
	@test -x $(PROBITY) || $(MAKE) build
	$(PROBITY) dataset synth shapes --out $@ $(SHAPES_ARGS)

# The same images with a class-specific shortcut patch on every one; masks mark the patch.
datasets/shapes_spurious.h5:
	@test -x $(PROBITY) || $(MAKE) build
	$(PROBITY) dataset synth shapes --out $@ $(SHAPES_ARGS) --spurious 1 --ground-truth patch

$(PRESETS): build datasets/shapes.h5 datasets/shapes_spurious.h5
	$(PROBITY) run metrics/$@.yaml
	@if [ $@ = spurious-cue ]; then $(PROBITY) run metrics/spurious-cue.yaml --model models/shapes_cnn.onnx --out reports/spurious-cue-clean; fi

# The lime_image tutorial's pictures for the top-2 classes of the 8 photos (reports/lime-tutorial/index.html).
lime-tutorial: build
	$(PROBITY) figure lime --model models/efficientnet_lite0.onnx --dataset datasets/photos.h5 --indices all --labels 2 --out reports/lime-tutorial

# Retrains the committed models (about 1.5, 4 and 1.5 minutes on 2 cores); see models/README.md.
shapes-models: datasets/shapes.h5 datasets/shapes_spurious.h5
	$(PROBITY) model train --dataset datasets/shapes.h5 --arch small-cnn --epochs 20 --seed 0 --out models/shapes_cnn.onnx
	$(PROBITY) model train --dataset datasets/shapes.h5 --arch small-cnn --epochs 60 --seed 0 --shuffle-labels --out models/shapes_cnn_shuffled.onnx
	$(PROBITY) model train --dataset datasets/shapes_spurious.h5 --arch small-cnn --epochs 20 --seed 0 --out models/shapes_cnn_spurious.onnx

# Every figure of the Benchmarks table in README.md, in one process; writes bench.json too.
bench: build
	$(PROBITY) bench --json bench.json

clean:
	rm -rf .build reports/quickstart reports/demo
