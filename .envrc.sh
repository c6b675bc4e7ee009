export CARGO_TARGET_DIR=/work/wt/shards/target CARGO_BUILD_JOBS=2 CARGO_INCREMENTAL=0 RUSTC_WRAPPER=$HOME/.local/bin/sccache SCCACHE_DIR=$HOME/.cache/sccache
