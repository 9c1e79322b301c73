# Shared by the scripts in this folder: where things are, and how to say what is happening.
# shellcheck shell=bash

ORBIT_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export ORBIT_ROOT
export PATH="$HOME/.cargo/bin:$ORBIT_ROOT/sdk-wasm/js/node_modules/.bin:$PATH"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

# The same bytes from the same sources wherever the checkout lives: absolute paths must not
# reach the .wasm. Tests build for wasm32 with the same flags, so both share one build.
CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="--remap-path-prefix=$ORBIT_ROOT=/orbit --remap-path-prefix=${CARGO_HOME:-$HOME/.cargo}=/cargo"
export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS

# The toolchain of the browser bundles only (scripts/build-sdk): a pinned nightly, for
# -Zbuild-std with panic=immediate-abort and no panic locations, which drops the standard
# library's panic and allocation-failure messages, file names and formatting from the .wasm
# (measured on the core bundle: 24,296 -> 23,644 B gzip; a panic was already a trap, so
# nothing changes for the page). Everything else (tests, clippy, the collector) uses stable.
BUNDLE_TOOLCHAIN=nightly-2026-10-30
BUNDLE_RUSTFLAGS="-Zunstable-options -Cpanic=immediate-abort -Zlocation-detail=none"

# `bundle_build CARGO_ARGS...`: builds orbit-sdk's release .wasm as the bundles are built,
# into target/bundle (a folder of its own, so that it and the stable wasm32 builds of the tests
# do not rebuild each other): target/bundle/wasm32-unknown-unknown/release/orbit_sdk.wasm.
bundle_build() {
  CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="$CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS $BUNDLE_RUSTFLAGS" \
    cargo "+$BUNDLE_TOOLCHAIN" build --quiet -p orbit-sdk --target wasm32-unknown-unknown --release \
    --target-dir "$ORBIT_ROOT/target/bundle" -Zbuild-std=core,alloc "$@"
}

# What this rustc emits for wasm32 and wasm-opt must accept (SIZE.md, known facts).
WASM_OPT_FEATURES=(--enable-bulk-memory --enable-reference-types --enable-nontrapping-float-to-int
  --enable-sign-ext --enable-mutable-globals --enable-multivalue)

step() { printf '\n==> %s\n' "$*"; }
info() { printf '    %s\n' "$*"; }
die() {
  printf '\nerror: %s\n' "$*" >&2
  exit 1
}
have() { command -v "$1" >/dev/null 2>&1; }

# The wasm-bindgen version pinned in Cargo.lock (the CLI must match it exactly).
lockfile_wasm_bindgen_version() {
  awk '$0 == "name = \"wasm-bindgen\"" { getline; gsub(/version = |"/, ""); print; exit }' \
    "$ORBIT_ROOT/Cargo.lock"
}
