//! Opening a wrapped data key with the identities found, and saying why it failed.
//!
//! Plain identities are tried first, all at once. Anything that would prompt is tried only
//! when it can help: a passphrase-protected SSH key only if the file holds a stanza addressed
//! to it, and passphrase-protected identity files only after the plain identities failed.
//! When nothing works, the error lists every identity tried by its public form and source,
//! every source problem, and every place looked at, so a user can tell a missing key from a
//! wrong one without running anything else.

use std::collections::BTreeMap;
use std::io::Read;

use age::armor::ArmoredReader;
use age::plugin;
use base64::prelude::{Engine, BASE64_STANDARD};
use zeroize::Zeroizing;

use super::identities::{Identities, Key, Secret};
use super::{clean, tty};

/// More than any data key or Shamir share, less than a reallocation.
const MAX_PAYLOAD: usize = 256;

/// Why one decryption attempt failed.
enum Failure {
    /// No identity had a stanza in this file.
    NoMatch,
    /// Anything else (malformed `enc`, a plugin error, a corrupt payload): stop here.
    Other(String),
}

/// Everything tried so far, for the error message.
#[derive(Default)]
struct Report {
    tried: Vec<String>,
    problems: Vec<(u8, String)>,
}

/// Unwraps `enc` with the identities of `parts` (tried in source order).
pub(super) fn open(enc: &str, parts: &[&Identities]) -> Result<Zeroizing<Vec<u8>>, String> {
    let mut report = Report::default();
    for part in parts {
        report.problems.extend(part.problems.iter().cloned());
    }
    let Some(first) = parts.first() else {
        return Err(no_identities(parts, &report));
    };
    let ask = &*first.ask;
    let stanzas = peek_stanzas(enc);

    let mut keys: Vec<&Key> = parts.iter().flat_map(|p| p.keys.iter()).collect();
    keys.sort_by_key(|k| k.rank);
    match attempt(enc, &keys, stanzas.as_deref(), ask, &mut report) {
        Ok(secret) => return Ok(secret),
        Err(Failure::Other(reason)) => return Err(failed(&reason, parts, &report)),
        Err(Failure::NoMatch) => {}
    }

    let mut locked: Vec<_> = parts.iter().flat_map(|p| p.locked.iter()).collect();
    locked.sort_by_key(|l| l.rank);
    for file in locked {
        match file.open(ask) {
            Ok(opened) => {
                let keys: Vec<&Key> = opened.keys.iter().collect();
                let notes = opened.notes.iter().map(|n| (file.rank, n.clone()));
                report.problems.extend(notes);
                match attempt(enc, &keys, stanzas.as_deref(), ask, &mut report) {
                    Ok(secret) => return Ok(secret),
                    Err(Failure::Other(reason)) => return Err(failed(&reason, parts, &report)),
                    Err(Failure::NoMatch) => {}
                }
            }
            Err(e) => report.problems.push((file.rank, e.clone())),
        }
    }

    if report.tried.is_empty() {
        Err(no_identities(parts, &report))
    } else {
        Err(failed(
            "none of the age identities found can decrypt the data key",
            parts,
            &report,
        ))
    }
}

/// One decryption with `keys`, recording each in `report`.
fn attempt(
    enc: &str,
    keys: &[&Key],
    stanzas: Option<&[(String, Option<String>)]>,
    ask: &super::identities::Ask,
    report: &mut Report,
) -> Result<Zeroizing<Vec<u8>>, Failure> {
    let mut identities: Vec<&dyn age::Identity> = Vec::new();
    let mut plugins: BTreeMap<&str, Vec<plugin::Identity>> = BTreeMap::new();
    for key in keys {
        let described = format!("{} (from {})", key.public, key.source);
        match &key.secret {
            Secret::X25519(id) => identities.push(id),
            Secret::Ssh(id) => identities.push(id),
            Secret::SshLocked(locked) => {
                let addressed = match (stanzas, &locked.stanza) {
                    (Some(stanzas), Some((kind, hash))) => stanzas
                        .iter()
                        .any(|(t, arg)| t == kind && arg.as_deref() == Some(hash)),
                    _ => true,
                };
                if !addressed {
                    report.tried.push(described);
                    continue;
                }
                match locked.open(&key.source, ask) {
                    Ok(id) => identities.push(id),
                    Err(e) => {
                        report.problems.push((key.rank, e.clone()));
                        continue;
                    }
                }
            }
            Secret::Plugin(id) => plugins.entry(id.plugin()).or_default().push(id.clone()),
        }
        report.tried.push(described);
    }
    let mut plugin_identities = Vec::new();
    for (name, ids) in &plugins {
        match plugin::IdentityPluginV1::new(name, ids, tty::TtyCallbacks) {
            Ok(p) => plugin_identities.push(p),
            Err(e) => report.problems.push((u8::MAX, clean(e))),
        }
    }
    identities.extend(plugin_identities.iter().map(|p| p as &dyn age::Identity));
    decrypt(enc, &identities)
}

fn decrypt(enc: &str, identities: &[&dyn age::Identity]) -> Result<Zeroizing<Vec<u8>>, Failure> {
    let decryptor = age::Decryptor::new_buffered(ArmoredReader::new(enc.as_bytes()))
        .map_err(|e| Failure::Other(format!("enc is not a valid age file: {}", clean(e))))?;
    let mut reader = decryptor
        .decrypt(identities.iter().copied())
        .map_err(|e| match e {
            age::DecryptError::NoMatchingKeys => Failure::NoMatch,
            e => Failure::Other(clean(e)),
        })?;
    // The payload is a 32-byte data key or a 33-byte share: size the buffer so it never
    // reallocates (and leaves no unzeroized copy behind).
    let mut secret = Zeroizing::new(Vec::with_capacity(MAX_PAYLOAD + 1));
    reader
        .by_ref()
        .take(MAX_PAYLOAD as u64 + 1)
        .read_to_end(&mut secret)
        .map_err(|e| Failure::Other(format!("cannot decrypt the payload: {}", clean(e))))?;
    if secret.len() > MAX_PAYLOAD {
        return Err(Failure::Other(
            "the decrypted payload is far larger than a data key".into(),
        ));
    }
    Ok(secret)
}

/// The recipient stanzas of an armored age file as (tag, first argument), if readable.
pub(super) fn peek_stanzas(enc: &str) -> Option<Vec<(String, Option<String>)>> {
    let b64: String = enc
        .lines()
        .map(str::trim)
        .filter(|l| !l.starts_with("-----"))
        .collect();
    let raw = BASE64_STANDARD.decode(b64).ok()?;
    let end = raw.windows(4).position(|w| w == b"\n---")?;
    let header = std::str::from_utf8(&raw[..end]).ok()?;
    Some(
        header
            .lines()
            .filter_map(|l| l.strip_prefix("-> "))
            .map(|l| {
                let mut words = l.split(' ');
                let tag = words.next().unwrap_or_default().to_string();
                (tag, words.next().map(str::to_string))
            })
            .collect(),
    )
}

/// The error when identities were found but none worked.
fn failed(what: &str, parts: &[&Identities], report: &Report) -> String {
    let mut msg = format!("{what}; tried: {}", report.tried.join(", "));
    push_problems(&mut msg, report);
    push_absent(&mut msg, parts);
    msg
}

/// The error when no identity was found at all.
fn no_identities(parts: &[&Identities], report: &Report) -> String {
    let mut msg = "no age identity found to decrypt the data key".to_string();
    push_problems(&mut msg, report);
    push_absent(&mut msg, parts);
    let default = parts
        .iter()
        .find_map(|p| p.default_file.as_ref())
        .map(|p| format!(", or save it in {}", p.display()))
        .unwrap_or_default();
    msg.push_str(&format!(
        ". Provide one with SOPS_AGE_KEY_FILE=<path to a keys file>, SOPS_AGE_KEY=<identity> \
         or SOPS_AGE_KEY_CMD=<command>{default}"
    ));
    msg
}

fn push_problems(msg: &mut String, report: &Report) {
    let mut problems = report.problems.clone();
    problems.sort_by_key(|(rank, _)| *rank);
    problems.dedup();
    if !problems.is_empty() {
        let list: Vec<_> = problems.into_iter().map(|(_, p)| p).collect();
        msg.push_str(&format!(". Problems: {}", list.join("; ")));
    }
}

fn push_absent(msg: &mut String, parts: &[&Identities]) {
    let mut absent: Vec<_> = parts.iter().flat_map(|p| p.absent.iter()).collect();
    absent.sort_by_key(|(rank, _)| *rank);
    if !absent.is_empty() {
        let list: Vec<_> = absent.into_iter().map(|(_, a)| a.as_str()).collect();
        msg.push_str(&format!(". Also looked at: {}", list.join(", ")));
    }
}
