//! PGP master keys: one fingerprint each, wrapping the data key into an ASCII-armored OpenPGP
//! message.
//!
//! Upstream SOPS shells out to `gpg` for every real-world key (its in-process path only reads
//! the legacy `pubring.gpg`/`secring.gpg` files that GnuPG ≥ 2.1 no longer writes). Doing the
//! same keeps everything users already rely on working: gpg-agent caching, pinentry prompts,
//! smartcards and YubiKeys, trust settings, `SOPS_GPG_EXEC` and `GNUPGHOME`. So `gpg` is the
//! primary path, run with SOPS's exact arguments, one process per wrap or unwrap (`gpg`).
//!
//! Machines without GnuPG (CI images, containers) can still use PGP keys through a key file
//! read in-process by sequoia (`native`):
//!
//! * **`SHROUD_PGP_KEY_FILE`** — path to an armored OpenPGP key file (one or more certificates,
//!   as written by `gpg --export-secret-keys --armor` or `gpg --export --armor`). When set, it is
//!   consulted *first*: unwrapping uses its secret keys, wrapping uses its certificate whose
//!   fingerprint matches. Keys it does not hold fall through to `gpg`.
//! * **`SHROUD_PGP_PASSPHRASE`** — passphrase for protected secret keys in that file. Without it
//!   a protected key is reported as locked (and `gpg` is tried, whose agent may know it).
//!
//! The data key never appears in an error: gpg's stderr is reduced to its one meaningful line,
//! and sequoia's errors only describe the message or the key.

mod gpg;
mod legacy;
mod native;

#[cfg(test)]
mod tests;

use std::ffi::OsString;
use std::path::PathBuf;

use zeroize::Zeroizing;

use crate::core::error::KeyError;
use crate::core::keys::MasterKey;
use crate::core::tree::{Map, Value};
use crate::core::Timestamp;

/// The type identifier of PGP keys in the metadata.
pub const KIND: &str = "pgp";

/// Environment variable naming an armored key file used in-process instead of `gpg`.
pub const KEY_FILE_VAR: &str = "SHROUD_PGP_KEY_FILE";
/// Environment variable holding the passphrase of protected keys in [`KEY_FILE_VAR`].
pub const PASSPHRASE_VAR: &str = "SHROUD_PGP_PASSPHRASE";
/// Environment variable overriding the `gpg` program, as in SOPS.
pub const GPG_EXEC_VAR: &str = "SOPS_GPG_EXEC";

/// One PGP recipient of the data key, with the wrapped data key once there is one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PgpKey {
    /// As given (spaces removed), normally 40 hex digits, possibly ending in `!`.
    fingerprint: String,
    /// RFC 3339, UTC, seconds precision: when this entry was created.
    created_at: String,
    /// The armored OpenPGP message holding the data key, exactly as stored.
    enc: Option<String>,
}

/// Where PGP operations find their keys. [`PgpEnv::from_env`] reads the process environment;
/// tests and key services build their own.
#[derive(Debug, Clone)]
pub struct PgpEnv {
    /// The `gpg` program (`SOPS_GPG_EXEC`, else `gpg` from `PATH`).
    pub gpg_program: OsString,
    /// Passed to gpg as `--homedir` when set. Left unset, gpg itself honours `GNUPGHOME` and
    /// falls back to `~/.gnupg`, exactly as under SOPS.
    pub gnupg_home: Option<PathBuf>,
    /// An armored key file consulted before gpg (`SHROUD_PGP_KEY_FILE`).
    pub key_file: Option<PathBuf>,
    /// Passphrase for protected keys in `key_file` (`SHROUD_PGP_PASSPHRASE`).
    pub passphrase: Option<Zeroizing<String>>,
}

impl Default for PgpEnv {
    fn default() -> Self {
        PgpEnv {
            gpg_program: "gpg".into(),
            gnupg_home: None,
            key_file: None,
            passphrase: None,
        }
    }
}

impl PgpEnv {
    /// The configuration named by the process environment.
    pub fn from_env() -> Self {
        let non_empty = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
        PgpEnv {
            gpg_program: non_empty(GPG_EXEC_VAR).unwrap_or_else(|| "gpg".into()),
            gnupg_home: None,
            key_file: non_empty(KEY_FILE_VAR).map(PathBuf::from),
            passphrase: std::env::var(PASSPHRASE_VAR).ok().map(Zeroizing::new),
        }
    }
}

impl PgpKey {
    /// A key for a fingerprint given on the command line or in `.sops.yaml`: spaces removed,
    /// 16, 40 or 64 hex digits (key ID, v4 or v6 fingerprint), optionally followed by `!`
    /// (gpg's "exactly this subkey"). `created_at` is now.
    pub fn from_fingerprint(spec: &str) -> Result<PgpKey, KeyError> {
        let fingerprint: String = spec.chars().filter(|c| !c.is_whitespace()).collect();
        check_fingerprint(&fingerprint)
            .map_err(|reason| KeyError::new(KIND, displayable_id(&fingerprint), reason))?;
        Ok(PgpKey {
            fingerprint,
            created_at: Timestamp::now_utc().to_rfc3339(),
            enc: None,
        })
    }

    /// A key from a `pgp` metadata entry (`fp`, `created_at`, `enc`). The fingerprint is kept
    /// as written; `created_at` must be RFC 3339 (as SOPS requires) and is normalised to UTC
    /// seconds, which is how SOPS writes it back.
    pub fn from_entry(entry: &Map) -> Result<PgpKey, String> {
        let fingerprint = match entry.get("fp") {
            Some(Value::Str(s)) if !s.is_empty() => s.clone(),
            Some(Value::Str(_)) | Some(Value::Null) | None => {
                return Err("pgp key without a fingerprint (fp)".into())
            }
            Some(other) => {
                return Err(format!(
                    "pgp key: fp must be a string, found {}",
                    other.kind_name()
                ))
            }
        };
        let created = match entry.get("created_at") {
            Some(Value::Str(s)) => Timestamp::parse_rfc3339(s.trim()),
            Some(Value::Time(t)) => Some(*t),
            _ => None,
        }
        .ok_or_else(|| format!("pgp key {fingerprint}: created_at is not an RFC 3339 time"))?;
        let enc = match entry.get("enc") {
            Some(Value::Str(s)) if !s.trim().is_empty() => Some(s.clone()),
            Some(Value::Str(_)) | Some(Value::Null) | None => None,
            Some(other) => {
                return Err(format!(
                    "pgp key {fingerprint}: enc must be a string, found {}",
                    other.kind_name()
                ))
            }
        };
        Ok(PgpKey {
            fingerprint,
            created_at: utc_seconds(created),
            enc,
        })
    }

    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    pub fn created_at(&self) -> &str {
        &self.created_at
    }

    /// The armored message holding the data key, if the key has been wrapped or read.
    pub fn enc(&self) -> Option<&str> {
        self.enc.as_deref()
    }

    /// Wraps with an explicit configuration instead of the process environment.
    pub fn wrap_with(&mut self, env: &PgpEnv, secret: &[u8]) -> Result<(), KeyError> {
        let fail = |reason: String| KeyError::new(KIND, &self.fingerprint, reason);
        let mut skipped = None;
        if let Some(path) = &env.key_file {
            match native::encrypt(path, &self.fingerprint, secret) {
                Ok(armored) => {
                    self.enc = Some(armored);
                    return Ok(());
                }
                Err(native::Failure::Unavailable(reason)) => {
                    skipped = Some(format!("{KEY_FILE_VAR}: {reason}"))
                }
                Err(native::Failure::Final(reason)) => return Err(fail(reason)),
            }
        }
        let armored = gpg::encrypt(env, &self.fingerprint, secret)
            .map_err(|reason| fail(join_reasons(skipped, reason)))?;
        self.enc = Some(armored);
        Ok(())
    }

    /// Unwraps with an explicit configuration instead of the process environment: the key
    /// file first (if any), then one `gpg -d`.
    pub fn unwrap_with(&self, env: &PgpEnv) -> Result<Zeroizing<Vec<u8>>, KeyError> {
        let fail = |reason: String| KeyError::new(KIND, &self.fingerprint, reason);
        let enc = self.enc.as_deref().ok_or_else(|| {
            fail("the metadata holds no encrypted data key (enc) for this fingerprint".into())
        })?;
        let mut skipped = None;
        if let Some(path) = &env.key_file {
            let passphrase = env.passphrase.as_ref().map(|p| p.as_str());
            match native::decrypt(path, passphrase, enc) {
                Ok(secret) => return Ok(secret),
                Err(native::Failure::Unavailable(reason)) => {
                    skipped = Some(format!("{KEY_FILE_VAR} ({}): {reason}", path.display()))
                }
                Err(native::Failure::Final(reason)) => return Err(fail(reason)),
            }
        }
        gpg::decrypt(env, enc).map_err(|reason| fail(join_reasons(skipped, reason)))
    }
}

fn join_reasons(first: Option<String>, then: String) -> String {
    match first {
        Some(f) => format!("{f}; {then}"),
        None => then,
    }
}

/// Parses a comma-separated fingerprint list (`--pgp`, `SOPS_PGP_FP`, `.sops.yaml`).
pub fn parse_fingerprints(list: &str) -> Result<Vec<PgpKey>, KeyError> {
    list.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(PgpKey::from_fingerprint)
        .collect()
}

impl MasterKey for PgpKey {
    fn kind(&self) -> &'static str {
        KIND
    }

    fn id(&self) -> String {
        self.fingerprint.clone()
    }

    fn wrap(&mut self, secret: &[u8]) -> Result<(), KeyError> {
        self.wrap_with(&PgpEnv::from_env(), secret)
    }

    fn unwrap(&self) -> Result<Zeroizing<Vec<u8>>, KeyError> {
        self.unwrap_with(&PgpEnv::from_env())
    }

    fn to_entry(&self) -> Map {
        let mut m = Map::new();
        m.push("fp", self.fingerprint.as_str());
        m.push("created_at", self.created_at.as_str());
        m.push("enc", self.enc.clone().unwrap_or_default());
        m
    }
}

/// `t` as SOPS writes `created_at`: UTC, no fractional seconds, `Z`.
fn utc_seconds(t: Timestamp) -> String {
    Timestamp {
        unix: t.unix,
        nanos: 0,
        offset: None,
    }
    .to_rfc3339()
}

/// Accepts what gpg accepts as an exact key specification: hex key ID (16), v4 (40) or v6 (64)
/// fingerprint, with an optional trailing `!`.
fn check_fingerprint(fp: &str) -> Result<(), String> {
    if fp.is_empty() {
        return Err("empty PGP fingerprint".into());
    }
    if looks_secret(fp) {
        return Err("this is private key material, not a fingerprint".into());
    }
    let hex = fp.strip_suffix('!').unwrap_or(fp);
    if hex.bytes().all(|b| b.is_ascii_hexdigit()) && matches!(hex.len(), 16 | 40 | 64) {
        return Ok(());
    }
    Err(
        "not a PGP fingerprint: expected 40 hex digits (spaces allowed), \
         optionally followed by `!`"
            .into(),
    )
}

/// The hex part of a fingerprint spec, for `--trusted-key` and key-file lookups.
fn hex_part(fp: &str) -> &str {
    fp.strip_suffix('!').unwrap_or(fp)
}

fn looks_secret(s: &str) -> bool {
    let squashed: String = s
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_uppercase();
    squashed.contains("PRIVATEKEY") || squashed.contains("AGE-SECRET-KEY")
}

/// The fingerprint as shown in an error: withheld if it is secret material pasted by
/// mistake, shortened if it is long garbage.
fn displayable_id(fp: &str) -> String {
    if looks_secret(fp) {
        "(private key withheld)".into()
    } else if fp.chars().count() > 80 {
        format!("{}…", fp.chars().take(80).collect::<String>())
    } else {
        fp.to_string()
    }
}
