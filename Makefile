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
DEMO_DIR         ?= $(CACHE)/demo

# Debian packages the build and the tests need (installed only when missing).
SYSTEM_PACKAGES  := build-essential pkg-config python3 python3-venv chromium fonts-dejavu-core fonts-noto-color-emoji ffmpeg

.PHONY: help setup setup-system setup-python setup-rust setup-node run test lint unit ui ui-test e2e types bench clean-cache

help:
	@echo "make run    - set up, build and open Sift on the demo project"
	@echo "make test   - run every check CI runs (fmt, clippy, layering, unit, UI and browser end-to-end tests)"
	@echo "make ui     - build the labeling UI (ui/dist)"
	@echo "make types  - regenerate the UI's TypeScript API types from Rust"
	@echo "make bench  - benchmarks against their baselines (needs a few minutes)"

## ---------------------------------------------------------------- set-up (idempotent)

setup: setup-system setup-python setup-rust setup-node

setup-node:
	@scripts/ensure-node.sh

# npm packages are reinstalled only when a lockfile changes. (`npm install` honours the
# lockfile; `npm ci` here refuses the lockfiles npm 11 writes for optional platform packages.)
ui/node_modules/.stamp: ui/package-lock.json
	cd ui && npm install --no-audit --no-fund
	@touch $@

tests/e2e/node_modules/.stamp: tests/e2e/package-lock.json
	cd tests/e2e && npm install --no-audit --no-fund
	@touch $@

# All crates for every platform in Cargo.lock, so builds and `cargo metadata --offline` never need the network.
setup-rust:
	cargo fetch --locked

setup-system:
	@scripts/install-system-packages.sh $(SYSTEM_PACKAGES)

# The virtual environment is rebuilt only when requirements.txt changes.
$(VENV)/.stamp: requirements.txt
	@mkdir -p $(CACHE)
	@test -x $(PYTHON) || python3 -m venv $(VENV)
	@$(PYTHON) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	@cp requirements.txt $@

setup-python: $(VENV)/.stamp

## ---------------------------------------------------------------- run

run: setup ui
	cargo build --release -p sift-cli
	@scripts/demo.sh "$(SIFT_RELEASE)" "$(DEMO_DIR)"

## ---------------------------------------------------------------- UI

ui: setup-node ui/node_modules/.stamp
	cd ui && npm run build

# Regenerates ui/src/lib/bindings from the Rust types (CI fails when they are stale).
types:
	SIFT_UPDATE_BINDINGS=1 cargo test -p sift-api --test bindings

## ---------------------------------------------------------------- test

lint:
	cargo fmt --all --check
	cargo clippy --workspace --all-targets --locked -- -D warnings

unit:
	SIFT_PYTHON="$(PYTHON)" cargo test --workspace --locked --no-fail-fast

ui-test: setup-node ui/node_modules/.stamp
	cd ui && npm run check && npm test

# Browser end to end: the real `sift serve` and Debian's Chromium; screenshots go to artifacts/.
e2e: ui tests/e2e/node_modules/.stamp
	cargo build -p sift-cli
	cd tests/e2e && npm test

test: setup lint unit ui-test e2e

## ---------------------------------------------------------------- bench

bench: setup
	cargo build --release -p sift-cli
	$(PYTHON) bench/manifest_bench.py --sift "$(SIFT_RELEASE)"

clean-cache:
	rm -rf "$(CACHE)"
