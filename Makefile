# Probity — everything a fresh Debian machine with Swift needs:
#   make demo   installs what is missing, builds, and runs the main job on the bundled data
#   make test   installs what is missing, builds, and runs every test (release mode)
#   make fuzz   builds the libFuzzer targets and runs each for FUZZ_SECONDS (not part of make test or CI)
#   make asan   runs the whole test suite under AddressSanitizer (not part of make test or CI)

SWIFT        ?= swift
PROBITY      := .build/release/probity
APT_PACKAGES := libopenblas-dev libhdf5-dev libpng-dev libjpeg62-turbo-dev libxml2 libssl-dev pkg-config python3-h5py python3-yaml libonnx-testdata slurm-wlm munge
DEMO_OUT     ?= reports/quickstart

# The synthetic shapes the committed shapes models were trained on (deterministic; not committed).
SHAPES_ARGS  := --count 3000 --size 64 --seed 1 --test-fraction 0.2

# Reproductions of published comparisons: `make rise-2018` runs metrics/rise-2018.yaml into
# reports/rise-2018/ (its README.md compares with the paper).
PRESETS      := rise-2018 sanity-2018 sanity-2018-shapes pointing-game spurious-cue article-comparison readme-shapes readme-photos

.PHONY: setup build test demo quickstart-vit bench clean shapes-models $(PRESETS) lime-tutorial imagelime fuzz fuzz-build asan

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

# The quickstart's transformer half: the same explainers and metrics on the shapes ViT, then both
# runs side by side (reports/quickstart-vit/cnn-vs-vit.html). Runs the CNN's quickstart first if
# `make demo` has not (about 5 minutes on 2 cores for the ViT's run).
quickstart-vit: build datasets/shapes.h5
	@test -f $(DEMO_OUT)/summary.csv || $(PROBITY) run metrics/quickstart.yaml --out $(DEMO_OUT)
	$(PROBITY) run metrics/quickstart-vit.yaml
	$(PROBITY) compare $(DEMO_OUT) reports/quickstart-vit --names CNN,ViT \
	  --html reports/quickstart-vit/cnn-vs-vit.html --csv reports/quickstart-vit/cnn-vs-vit.csv

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

# MATLAB's imageLIME workflow for the top-2 classes of 4 photos, beside occlusion and Grad-CAM (reports/imagelime/index.html).
imagelime: build
	$(PROBITY) figure imagelime --model models/efficientnet_lite0.onnx --dataset datasets/photos.h5 --indices 0..3 --classes 2 --out reports/imagelime

# Retrains the committed models (about 1.5, 4 and 1.5 minutes on 2 cores); see models/README.md.
shapes-models: datasets/shapes.h5 datasets/shapes_spurious.h5
	$(PROBITY) model train --dataset datasets/shapes.h5 --arch small-cnn --epochs 20 --seed 0 --out models/shapes_cnn.onnx
	$(PROBITY) model train --dataset datasets/shapes.h5 --arch small-cnn --epochs 60 --seed 0 --shuffle-labels --out models/shapes_cnn_shuffled.onnx
	$(PROBITY) model train --dataset datasets/shapes_spurious.h5 --arch small-cnn --epochs 20 --seed 0 --out models/shapes_cnn_spurious.onnx

# Every figure of the Benchmarks table in README.md, in one process; writes bench.json too.
bench: build
	$(PROBITY) bench --json bench.json

# libFuzzer targets (Tests/Fuzz/): the ONNX parser and planner, the PNG decoder, the suite and gate
# policy parsers, the dataset reader. Built only here (PROBITY_FUZZ declares them in Package.swift),
# every module instrumented (-sanitize=fuzzer,address), in .build-fuzz. Each runs FUZZ_SECONDS in
# turn on its committed seeds (Tests/Fuzz/corpus/<kind>) plus the fixtures and bad files of its kind;
# what it finds goes to .build-fuzz/findings/<kind>/ (crash-*, timeout-*, oom-*), and make stops.
# Run a finding again with: .build-fuzz/release/Fuzz<Kind> FILE. Leak checks are off: Foundation's
# FileManager.contents(atPath:) leaks 4 KB per empty file read (swift-foundation), which is not ours.
FUZZ_SECONDS ?= 60
FUZZ_FLAGS   := -detect_leaks=0 -timeout=30 -rss_limit_mb=3072 -malloc_limit_mb=2200 -print_final_stats=1
FUZZ_BUILD   := PROBITY_FUZZ=1 $(SWIFT) build -c release --scratch-path .build-fuzz -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library

fuzz-build: setup
	for t in ONNX PNG Suite Dataset; do $(FUZZ_BUILD) --product Fuzz$$t || exit 1; done

fuzz: fuzz-build build
	@mkdir -p .build-fuzz/corpus/onnx .build-fuzz/corpus/png .build-fuzz/corpus/suite .build-fuzz/corpus/dataset
	@cp -n Tests/Fuzz/corpus/onnx/* Tests/Fixtures/bad/*.onnx .build-fuzz/corpus/onnx/
	@cp -n Tests/Fuzz/corpus/png/* Tests/Fixtures/png/*.png Tests/Fixtures/bad/*.png .build-fuzz/corpus/png/
	@cp -n Tests/Fuzz/corpus/suite/* metrics/*.yaml Tests/Fixtures/bad/*.yaml .build-fuzz/corpus/suite/
	@cp -n Tests/Fuzz/corpus/dataset/* Tests/Fixtures/bad/*.h5 Tests/Fixtures/h5py_dataset.h5 .build-fuzz/corpus/dataset/
	for k in ONNX:onnx PNG:png Suite:suite Dataset:dataset; do \
	  t=$${k%%:*}; d=$${k##*:}; mkdir -p .build-fuzz/findings/$$d; \
	  echo "make fuzz: Fuzz$$t for $(FUZZ_SECONDS) s"; \
	  if [ $$d = dataset ]; then mode="-fork=1 -ignore_timeouts=1 -ignore_crashes=1 -ignore_ooms=0"; else mode=""; fi; \
	  SWIFT_BACKTRACE=enable=no ASAN_OPTIONS=detect_leaks=0 .build-fuzz/release/Fuzz$$t $(FUZZ_FLAGS) $$mode -max_total_time=$(FUZZ_SECONDS) -artifact_prefix=.build-fuzz/findings/$$d/ .build-fuzz/corpus/$$d || [ $$d = dataset ] || exit 1; \
	done
	@# libhdf5 1.10 loops for ever or crashes on some damaged global heaps (C code no Swift code can stop):
	@# the dataset target goes on past such timeouts, crashes and out-of-memory inputs (its exit status says
	@# only that there were some), and Probity (HDF5StringGuard, read limits) must refuse each of those files
	@# with status 2 or read it (0), never crash or hang, in both dataset commands.
	@for f in .build-fuzz/findings/dataset/timeout-* .build-fuzz/findings/dataset/crash-* .build-fuzz/findings/dataset/oom-*; do \
	  [ -e "$$f" ] || continue; \
	  for c in info validate; do \
	    timeout 60 $(PROBITY) dataset $$c "$$f" >/dev/null 2>&1; s=$$?; \
	    if [ $$s -ne 2 ] && [ $$s -ne 0 ]; then echo "make fuzz: $$f: probity dataset $$c exited $$s"; exit 1; fi; \
	  done; \
	  echo "make fuzz: $$f: a libhdf5 fault, contained by probity (status $$s)"; \
	done

# The whole test suite under AddressSanitizer, built in .build-asan (on 2 cores here: 22 minutes to
# build, 24 to test). allocator_may_return_null: the bad-input corpus makes libhdf5 ask for 3.6 × 10¹⁷
# bytes (fuzz_hdf5_open_overflow.h5), which must fail as plain malloc does, not abort the process;
# log_path keeps ASan's warning about it out of the one line the corpus test reads, and any report
# ASan writes there fails the target. Leak checks are off, as for make fuzz.
ASAN_LOGS := $(CURDIR)/.build-asan/asan-logs
asan: setup
	$(SWIFT) build -c release -Xswiftc -enable-testing --build-tests --scratch-path .build-asan --sanitize=address
	@$(MAKE) --no-print-directory datasets/shapes.h5 datasets/shapes_spurious.h5
	@rm -rf $(ASAN_LOGS) && mkdir -p $(ASAN_LOGS)
	ASAN_OPTIONS=detect_leaks=0:allocator_may_return_null=1:log_path=$(ASAN_LOGS)/asan \
	  $(SWIFT) test -c release -Xswiftc -enable-testing --scratch-path .build-asan --sanitize=address --skip-build
	@if grep -l "ERROR: AddressSanitizer" $(ASAN_LOGS)/* 2>/dev/null; then echo "make asan: AddressSanitizer reports above"; exit 1; fi

clean:
	rm -rf .build .build-asan .build-fuzz reports/quickstart reports/demo
