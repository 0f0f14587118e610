#!/usr/bin/env bash
# The README's first command: builds shroud and runs the main job on an embedded demo
# (fixtures/demo/secrets.yaml with a clearly labelled, public demo age key).
set -euo pipefail
cd "$(dirname "$0")/.."

cargo build --release --quiet
shroud="$PWD/target/release/shroud"
key="$PWD/fixtures/demo/demo-age-key.txt"           # DEMO KEY: public, never for real secrets
recipient=$(grep -o 'age1[0-9a-z]*' "$key" | head -n 1)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp fixtures/demo/secrets.yaml "$work/secrets.yaml"
cd "$work"

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "1. A plain config file"
cat secrets.yaml

step "2. shroud encrypt -i --age $recipient secrets.yaml"
"$shroud" encrypt -i --age "$recipient" secrets.yaml
cat secrets.yaml

step "3. SOPS_AGE_KEY_FILE=demo-age-key.txt shroud decrypt secrets.yaml"
export SOPS_AGE_KEY_FILE="$key"
"$shroud" decrypt secrets.yaml

step "4. One value for a deploy script: shroud decrypt --extract '[\"database\"][\"password\"]'"
"$shroud" decrypt --extract '["database"]["password"]' secrets.yaml
echo

step "5. Convert on the way out: --output-type json"
"$shroud" decrypt --output-type json secrets.yaml

step "6. A tampered file is refused (exit code 51, nothing printed)"
sed 's/lastmodified: "20/lastmodified: "19/' secrets.yaml > tampered.yaml
if "$shroud" decrypt tampered.yaml; then
    echo "unexpected: tampered file decrypted" >&2
    exit 1
else
    echo "(exit code $?)"
fi
step "Done. Every step above ran the real binary with a real age key."
