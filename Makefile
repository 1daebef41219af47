# Probity — everything a fresh Debian machine with Swift needs:
#   make demo   installs what is missing, builds, and runs the main job on the bundled data
#   make test   installs what is missing, builds, and runs every test (release mode)

SWIFT        ?= swift
PROBITY      := .build/release/probity
APT_PACKAGES := libopenblas-dev libhdf5-dev libpng-dev libssl-dev pkg-config python3-h5py libonnx-testdata slurm-wlm munge
DEMO_OUT     ?= reports/demo

# The synthetic shapes the committed shapes models were trained on (deterministic; not committed).
SHAPES_ARGS  := --count 3000 --size 64 --seed 1 --test-fraction 0.2

.PHONY: setup build test demo bench clean shapes-models

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

# Numeric code is too slow in debug builds; tests run optimized with @testable imports.
test: setup
	$(SWIFT) build -c release -Xswiftc -enable-testing --build-tests
	$(SWIFT) test -c release -Xswiftc -enable-testing --skip-build

demo: build
	@mkdir -p $(DEMO_OUT)
	$(PROBITY) dataset info datasets/photos.h5
	$(PROBITY) dataset synth shapes --out $(DEMO_OUT)/shapes.h5 --count 64 --size 64 --seed 1 --spurious 0.3 --test-fraction 0.25
	$(PROBITY) dataset validate $(DEMO_OUT)/shapes.h5
	$(PROBITY) model info models/efficientnet_lite0.onnx
	@echo "sample  class  probability  name"
	$(PROBITY) model predict models/efficientnet_lite0.onnx --dataset datasets/photos.h5 --out $(DEMO_OUT)/predictions.h5 --quiet
	$(PROBITY) explain --model models/efficientnet_lite0.onnx --dataset datasets/photos.h5 --explainer gradcam --out $(DEMO_OUT)/attributions.h5 --png $(DEMO_OUT)/heatmaps --quiet
	$(PROBITY) explain --model models/efficientnet_lite0.onnx --dataset datasets/photos.h5 --explainer integrated_gradients --out $(DEMO_OUT)/attributions.h5 --png $(DEMO_OUT)/heatmaps --quiet
	$(PROBITY) explain --model models/shapes_cnn.onnx --dataset $(DEMO_OUT)/shapes.h5 --explainer lrp --out $(DEMO_OUT)/shapes_attributions.h5 --png $(DEMO_OUT)/heatmaps --quiet
	for e in gradcam saliency random; do $(PROBITY) explain --model models/shapes_cnn.onnx --dataset $(DEMO_OUT)/shapes.h5 --explainer $$e --out $(DEMO_OUT)/shapes_attributions.h5 --quiet || exit 2; done
	$(PROBITY) evaluate --model models/efficientnet_lite0.onnx --dataset datasets/photos.h5 --attributions $(DEMO_OUT)/attributions.h5 \
		--metric deletion --metric insertion --out $(DEMO_OUT)/photos_evaluation --quiet
	$(PROBITY) evaluate --model models/shapes_cnn.onnx --dataset $(DEMO_OUT)/shapes.h5 --attributions $(DEMO_OUT)/shapes_attributions.h5 \
		--metric pointing_game --metric relevance_mass --metric mask_roc_auc --metric deletion --metric road_morf \
		--metric model_randomization --metric data_randomization --metric random_logit --out $(DEMO_OUT)/shapes_evaluation --quiet
	@echo "demo outputs are in $(DEMO_OUT)/: shapes.h5, predictions.h5, attributions.h5 (h5py reads them all), heatmaps/*.png,"
	@echo "and photos_evaluation/, shapes_evaluation/ (per_sample, summary, pairwise, reliability CSVs; curves.h5)"

datasets/shapes.h5:
	$(MAKE) build
	$(PROBITY) dataset synth shapes --out $@ $(SHAPES_ARGS)

# Retrains the committed models (about 1.5 and 4 minutes on 2 cores); see models/README.md.
shapes-models: datasets/shapes.h5
	$(PROBITY) model train --dataset datasets/shapes.h5 --arch small-cnn --epochs 20 --seed 0 --out models/shapes_cnn.onnx
	$(PROBITY) model train --dataset datasets/shapes.h5 --arch small-cnn --epochs 60 --seed 0 --shuffle-labels --out models/shapes_cnn_shuffled.onnx

bench: build
	$(PROBITY) bench engine

clean:
	rm -rf .build reports/demo
