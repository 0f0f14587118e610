#!/usr/bin/env bash
# A local AWS KMS for the tests: moto_server on 127.0.0.1 with a few keys, so KMS files are
# encrypted and decrypted for real (by shroud and by upstream sops) without any cloud.
#
#   env="$(scripts/kms-server.sh start)" && eval "$env"   # prints `export SHROUD_TEST_KMS_...` lines
#   scripts/kms-server.sh stop              # stops the server started above, by its PID
#
# Exported for the tests: SHROUD_TEST_KMS_ENDPOINT, SHROUD_TEST_KMS_KEY_ARN,
# SHROUD_TEST_KMS_KEY2_ARN, SHROUD_TEST_KMS_ALIAS_ARN (alias of KEY), SHROUD_TEST_KMS_DISABLED_ARN,
# SHROUD_TEST_KMS_DISABLED_ENC (a data key it wrapped before it was disabled),
# SHROUD_TEST_KMS_LOG (the server's request log) and SHROUD_TEST_KMS_PID.
set -euo pipefail
cd "$(dirname "$0")/.."

state="${SHROUD_KMS_STATE:-$PWD/target/kms-server}"
pidfile="$state/pid"

start() {
    if ! command -v moto_server >/dev/null 2>&1 || ! python3 -c 'import moto.server, boto3' 2>/dev/null; then
        python3 -m pip install --quiet --disable-pip-version-check 'moto[server]' >&2
    fi
    mkdir -p "$state"
    # moto_server, except that a key that is not enabled refuses Encrypt and Decrypt with
    # DisabledException as AWS does (moto ignores the key state), so that error path is real.
    cat >"$state/moto_kms.py" <<'EOF'
import sys
from moto.core.exceptions import JsonRESTError
from moto.kms.models import KmsBackend
from moto.server import main

def check_enabled(backend, key_id):
    key = backend.keys[backend.any_id_to_key_id(key_id)]
    if key.key_state != "Enabled":
        raise JsonRESTError("DisabledException", f"{key.arn} is disabled.")

def encrypt(self, key_id, *args, _orig=KmsBackend.encrypt, **kwargs):
    check_enabled(self, key_id)
    return _orig(self, key_id, *args, **kwargs)

def decrypt(self, *args, _orig=KmsBackend.decrypt, **kwargs):
    plaintext, arn = _orig(self, *args, **kwargs)
    check_enabled(self, arn)
    return plaintext, arn

KmsBackend.encrypt, KmsBackend.decrypt = encrypt, decrypt
main(sys.argv[1:])
EOF
    if [[ -f "$pidfile" ]] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
        echo "kms-server: already running (PID $(cat "$pidfile")); stop it first" >&2
        exit 1
    fi
    local port log
    port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
    log="$state/moto.log"
    # setsid: its own process group, so the caller's Ctrl+C does not leave it half-dead.
    setsid python3 "$state/moto_kms.py" -H 127.0.0.1 -p "$port" >"$log" 2>&1 </dev/null &
    echo $! >"$pidfile"
    local endpoint="http://127.0.0.1:$port"
    # On failure, do not leave a server behind.
    trap 'stop; echo "kms-server: setup failed; log: $log" >&2' ERR
    AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test python3 - "$endpoint" >"$state/env" <<'EOF'
import base64, sys, time, urllib.request
endpoint = sys.argv[1]
deadline = time.time() + 30
while True:
    try:
        urllib.request.urlopen(endpoint + "/moto-api/", timeout=1).read()
        break
    except Exception:
        if time.time() > deadline:
            sys.exit("kms-server: moto_server did not answer within 30 s")
        time.sleep(0.2)
import boto3
kms = boto3.client("kms", endpoint_url=endpoint, region_name="us-east-1")
key = kms.create_key(Description="shroud test key")["KeyMetadata"]["Arn"]
probe = kms.encrypt(KeyId=key, Plaintext=b"probe")["CiphertextBlob"]
key2 = kms.create_key(Description="shroud test key 2")["KeyMetadata"]["Arn"]
disabled = kms.create_key(Description="shroud disabled key")["KeyMetadata"]
blob = kms.encrypt(KeyId=disabled["KeyId"], Plaintext=bytes(32))["CiphertextBlob"]
kms.disable_key(KeyId=disabled["KeyId"])
for call in (lambda: kms.encrypt(KeyId=disabled["Arn"], Plaintext=b"probe"),
             lambda: kms.decrypt(CiphertextBlob=blob)):
    try:
        call()
        sys.exit("kms-server: the disabled key still works (moto patch not applied)")
    except kms.exceptions.DisabledException:
        pass
assert kms.decrypt(CiphertextBlob=probe)["Plaintext"] == b"probe"
kms.create_alias(AliasName="alias/shroud-test", TargetKeyId=key)
alias = key.split(":key/")[0] + ":alias/shroud-test"
print(f"export SHROUD_TEST_KMS_ENDPOINT={endpoint}")
print(f"export SHROUD_TEST_KMS_KEY_ARN={key}")
print(f"export SHROUD_TEST_KMS_KEY2_ARN={key2}")
print(f"export SHROUD_TEST_KMS_ALIAS_ARN={alias}")
print(f"export SHROUD_TEST_KMS_DISABLED_ARN={disabled['Arn']}")
# A data key (32 zero bytes) wrapped by the disabled key before it was disabled.
print(f"export SHROUD_TEST_KMS_DISABLED_ENC={base64.b64encode(blob).decode()}")
EOF
    trap - ERR
    echo "export SHROUD_TEST_KMS_LOG=$log" >>"$state/env"
    echo "export SHROUD_TEST_KMS_PID=$(cat "$pidfile")" >>"$state/env"
    cat "$state/env"
}

stop() {
    local pid="${SHROUD_TEST_KMS_PID:-}"
    [[ -z "$pid" && -f "$pidfile" ]] && pid="$(cat "$pidfile")"
    if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then
        kill "$pid"
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    fi
    rm -f "$pidfile"
}

case "${1:-}" in
start) start ;;
stop) stop ;;
*)
    echo "usage: $0 start|stop" >&2
    exit 2
    ;;
esac
