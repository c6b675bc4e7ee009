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
SYSTEM_PACKAGES  := build-essential pkg-config python3 python3-venv

.PHONY: help setup setup-system setup-python setup-rust run test lint unit bench clean-cache

help:
	@echo "make run    - set up, build and open Sift on the demo project"
	@echo "make test   - run every check CI runs (fmt, clippy, layering, unit and end-to-end tests)"
	@echo "make bench  - benchmarks against their baselines (needs a few minutes)"

## ---------------------------------------------------------------- set-up (idempotent)

setup: setup-system setup-python setup-rust

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

run: setup
	cargo build --release -p sift-cli
	@scripts/demo.sh "$(SIFT_RELEASE)" "$(DEMO_DIR)"

## ---------------------------------------------------------------- test

lint:
	cargo fmt --all --check
	cargo clippy --workspace --all-targets --locked -- -D warnings

unit:
	SIFT_PYTHON="$(PYTHON)" cargo test --workspace --locked --no-fail-fast

test: setup lint unit

## ---------------------------------------------------------------- bench

bench: setup
	cargo build --release -p sift-cli
	$(PYTHON) bench/manifest_bench.py --sift "$(SIFT_RELEASE)"

clean-cache:
	rm -rf "$(CACHE)"
