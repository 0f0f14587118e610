//! Finding the age identities that can unwrap a data key, the way SOPS does (spec §11.1).
//!
//! Every source is consulted and the results pooled, not first-wins: a user may keep an SSH key
//! and a keys file side by side. Each source fails on its own, so one broken key file does not
//! hide the identities of the others, and the failure is kept for the final error message.
//! Those messages name a source and a *line number*, never a line: the line is a secret.
//!
//! Discovery takes an environment lookup and a home directory instead of reading the process
//! environment, so tests never touch global state. The process-wide path reads the real
//! environment once (`process_fixed`); only the two command sources are keyed by recipient,
//! because SOPS hands them `SOPS_AGE_RECIPIENT` and their output may differ per recipient.

use std::fmt;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::str::FromStr;
use std::sync::{Arc, Mutex, OnceLock};

use age::armor::ArmoredReader;
use age::secrecy::SecretString;
use age::{plugin, ssh, x25519};
use base64::prelude::{Engine, BASE64_STANDARD, BASE64_STANDARD_NO_PAD};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use super::{clean, tty};

/// Looks up an environment variable; `None` when unset.
pub type EnvLookup<'a> = &'a dyn Fn(&str) -> Option<String>;

/// Asks the user for a passphrase; the argument says what it is for.
pub(super) type Ask = dyn Fn(&str) -> Result<SecretString, String> + Send + Sync;

/// The HRP of X25519 identities (followed by the bech32 separator `1`) and of hybrid ones
/// (followed by `PQ-1`).
const SECRET_KEY_HRP: &str = "AGE-SECRET-KEY-";
const PLUGIN_PREFIX: &str = "AGE-PLUGIN-";

/// Source order of spec §11.1; identities are tried in this order.
mod rank {
    pub const SSH_FILE: u8 = 0;
    pub const SSH_CMD: u8 = 1;
    pub const SSH_ED25519: u8 = 2;
    pub const SSH_RSA: u8 = 3;
    pub const KEY: u8 = 4;
    pub const KEY_FILE: u8 = 5;
    pub const KEY_CMD: u8 = 6;
    pub const DEFAULT_FILE: u8 = 7;
}

/// Identities found in the sources, plus what went wrong and what was absent, for messages.
pub struct Identities {
    pub(super) keys: Vec<Key>,
    /// Passphrase-encrypted identity files, opened only when the plain identities fail.
    pub(super) locked: Vec<LockedFile>,
    /// Per-source failures and notes (skipped identities), by source rank.
    pub(super) problems: Vec<(u8, String)>,
    /// Sources that were looked at and held nothing, by source rank.
    pub(super) absent: Vec<(u8, String)>,
    /// The default keys file path, for the "how to provide an identity" hint.
    pub(super) default_file: Option<PathBuf>,
    pub(super) ask: Box<Ask>,
}

/// One usable identity.
pub(super) struct Key {
    pub(super) secret: Secret,
    /// The public form (recipient or description); safe to show.
    pub(super) public: String,
    /// Where it came from, e.g. `SOPS_AGE_KEY_FILE=/path`.
    pub(super) source: String,
    pub(super) rank: u8,
}

pub(super) enum Secret {
    X25519(x25519::Identity),
    /// An unencrypted SSH key.
    Ssh(ssh::Identity),
    /// A passphrase-protected SSH key, opened when a stanza is addressed to it.
    SshLocked(LockedSsh),
    Plugin(plugin::Identity),
}

pub(super) struct LockedSsh {
    pub(super) key: ssh::Identity,
    /// The stanza tag and key-hash argument a stanza for this key carries.
    pub(super) stanza: Option<(String, String)>,
    pub(super) opened: OnceLock<Result<ssh::Identity, String>>,
}

/// A passphrase-encrypted identity file (age scrypt), decrypted at most once.
pub(super) struct LockedFile {
    pub(super) content: Zeroizing<Vec<u8>>,
    pub(super) source: String,
    pub(super) rank: u8,
    pub(super) opened: OnceLock<Result<Opened, String>>,
}

/// The contents of a decrypted identity file.
pub(super) struct Opened {
    pub(super) keys: Vec<Key>,
    /// Identities skipped (post-quantum), by line number.
    pub(super) notes: Vec<String>,
}

impl Identities {
    /// No identities, passphrases asked on the terminal.
    pub fn empty() -> Identities {
        Identities {
            keys: Vec::new(),
            locked: Vec::new(),
            problems: Vec::new(),
            absent: Vec::new(),
            default_file: None,
            ask: Box::new(tty::ask_passphrase),
        }
    }

    /// Collects identities from every source of spec §11.1. `recipient` is passed to the
    /// commands as `SOPS_AGE_RECIPIENT`.
    pub fn discover(env: EnvLookup, home: Option<PathBuf>, recipient: &str) -> Identities {
        let mut ids = Identities::discover_fixed(env, home);
        ids.absorb(Identities::discover_commands(env, recipient));
        ids
    }

    /// The sources that do not depend on the recipient: SSH key files, `SOPS_AGE_KEY`,
    /// `SOPS_AGE_KEY_FILE` and the default keys file.
    pub(super) fn discover_fixed(env: EnvLookup, home: Option<PathBuf>) -> Identities {
        let mut ids = Identities::empty();
        let var = |name: &str| env(name).filter(|v| !v.is_empty());

        match var("SOPS_AGE_SSH_PRIVATE_KEY_FILE") {
            Some(path) => {
                let label = format!("SOPS_AGE_SSH_PRIVATE_KEY_FILE={path}");
                ids.add_ssh_file(Path::new(&path), label, rank::SSH_FILE);
            }
            None => ids.note_unset("SOPS_AGE_SSH_PRIVATE_KEY_FILE", rank::SSH_FILE),
        }
        match &home {
            Some(home) => {
                for (name, r) in [("id_ed25519", rank::SSH_ED25519), ("id_rsa", rank::SSH_RSA)] {
                    let path = home.join(".ssh").join(name);
                    if path.exists() {
                        ids.add_ssh_file(&path, path.display().to_string(), r);
                    } else {
                        ids.absent
                            .push((r, format!("{} (not found)", path.display())));
                    }
                }
            }
            None => ids.absent.push((
                rank::SSH_ED25519,
                "~/.ssh/id_ed25519 and ~/.ssh/id_rsa (home directory unknown)".into(),
            )),
        }
        match var("SOPS_AGE_KEY") {
            Some(text) => {
                let text = Zeroizing::new(text.into_bytes());
                ids.add_text(text, "SOPS_AGE_KEY".into(), rank::KEY, true);
            }
            None => ids.note_unset("SOPS_AGE_KEY", rank::KEY),
        }
        match var("SOPS_AGE_KEY_FILE") {
            Some(path) => {
                let label = format!("SOPS_AGE_KEY_FILE={path}");
                ids.add_key_file(Path::new(&path), label, rank::KEY_FILE, true);
            }
            None => ids.note_unset("SOPS_AGE_KEY_FILE", rank::KEY_FILE),
        }
        if let Some(dir) = user_config_dir(env, home.as_deref()) {
            let path = dir.join("sops").join("age").join("keys.txt");
            let label = format!("default keys file {}", path.display());
            ids.add_key_file(&path, label, rank::DEFAULT_FILE, false);
            ids.default_file = Some(path);
        }
        ids
    }

    /// The command sources, which receive `SOPS_AGE_RECIPIENT`.
    pub(super) fn discover_commands(env: EnvLookup, recipient: &str) -> Identities {
        let mut ids = Identities::empty();
        let var = |name: &str| env(name).filter(|v| !v.trim().is_empty());

        match var("SOPS_AGE_SSH_PRIVATE_KEY_CMD") {
            Some(cmd) => {
                let label = "SOPS_AGE_SSH_PRIVATE_KEY_CMD".to_string();
                match run_command(&label, &cmd, recipient) {
                    Ok(out) => ids.add_ssh(&out, label, rank::SSH_CMD, None, false),
                    Err(e) => ids.problems.push((rank::SSH_CMD, e)),
                }
            }
            None => ids.note_unset("SOPS_AGE_SSH_PRIVATE_KEY_CMD", rank::SSH_CMD),
        }
        match var("SOPS_AGE_KEY_CMD") {
            Some(cmd) => {
                let label = "SOPS_AGE_KEY_CMD".to_string();
                match run_command(&label, &cmd, recipient) {
                    Ok(out) => ids.add_text(out, label, rank::KEY_CMD, false),
                    Err(e) => ids.problems.push((rank::KEY_CMD, e)),
                }
            }
            None => ids.note_unset("SOPS_AGE_KEY_CMD", rank::KEY_CMD),
        }
        ids
    }

    /// The public forms of the usable identities found (recipients or descriptions).
    pub fn public_keys(&self) -> Vec<String> {
        self.keys.iter().map(|k| k.public.clone()).collect()
    }

    /// Whether no identity at all was found (not even a passphrase-protected file).
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty() && self.locked.is_empty()
    }

    /// Source failures and skipped identities, without secrets.
    pub fn problems(&self) -> impl Iterator<Item = &str> {
        self.problems.iter().map(|(_, p)| p.as_str())
    }

    #[cfg(test)]
    pub(super) fn with_ask(mut self, ask: Box<Ask>) -> Identities {
        self.ask = ask;
        self
    }

    fn absorb(&mut self, other: Identities) {
        self.keys.extend(other.keys);
        self.locked.extend(other.locked);
        self.problems.extend(other.problems);
        self.absent.extend(other.absent);
        self.keys.sort_by_key(|k| k.rank);
        self.locked.sort_by_key(|l| l.rank);
    }

    fn note_unset(&mut self, var: &str, rank: u8) {
        self.absent.push((rank, format!("{var} (not set)")));
    }

    fn add_ssh_file(&mut self, path: &Path, label: String, rank: u8) {
        match std::fs::read(path) {
            Ok(bytes) => {
                let bytes = Zeroizing::new(bytes);
                let filename = Some(path.display().to_string());
                self.add_ssh(&bytes, label, rank, filename, true);
            }
            Err(e) => self
                .problems
                .push((rank, format!("{label}: cannot read: {e}"))),
        }
    }

    fn add_ssh(
        &mut self,
        bytes: &[u8],
        label: String,
        rank: u8,
        filename: Option<String>,
        allow_passphrase: bool,
    ) {
        let identity = match ssh::Identity::from_buffer(BufReader::new(bytes), filename) {
            Ok(identity) => identity,
            Err(e) => {
                let reason = clean(e);
                self.problems.push((
                    rank,
                    format!("{label}: not a usable SSH private key ({reason})"),
                ));
                return;
            }
        };
        let public = match ssh::Recipient::try_from(identity.clone()) {
            Ok(r) => r.to_string(),
            Err(_) => {
                let reason = match &identity {
                    ssh::Identity::Unsupported(k) => clean(Unsupported(k)),
                    _ => "unsupported SSH key type".into(),
                };
                self.problems.push((rank, format!("{label}: {reason}")));
                return;
            }
        };
        let secret = match identity {
            ssh::Identity::Unencrypted(_) => Secret::Ssh(identity),
            ssh::Identity::Encrypted(_) if allow_passphrase => Secret::SshLocked(LockedSsh {
                stanza: ssh_stanza_id(&public),
                key: identity,
                opened: OnceLock::new(),
            }),
            ssh::Identity::Encrypted(_) => {
                self.problems.push((
                    rank,
                    format!("{label}: passphrase-protected SSH keys are not supported here"),
                ));
                return;
            }
            ssh::Identity::Unsupported(k) => {
                self.problems
                    .push((rank, format!("{label}: {}", clean(Unsupported(&k)))));
                return;
            }
        };
        self.keys.push(Key {
            secret,
            public,
            source: label,
            rank,
        });
    }

    /// Reads an identities file; a missing default file is only noted, not an error.
    fn add_key_file(&mut self, path: &Path, label: String, rank: u8, must_exist: bool) {
        match std::fs::read(path) {
            Ok(bytes) => self.add_text(Zeroizing::new(bytes), label, rank, false),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !must_exist => {
                self.absent.push((rank, format!("{label} (not found)")));
            }
            Err(e) => self
                .problems
                .push((rank, format!("{label}: cannot read: {e}"))),
        }
    }

    /// Adds an identities text (file, variable or command output), or remembers it as a
    /// passphrase-encrypted identity file.
    fn add_text(&mut self, bytes: Zeroizing<Vec<u8>>, label: String, rank: u8, several: bool) {
        let start = bytes.iter().position(|b| !b.is_ascii_whitespace());
        let body = &bytes[start.unwrap_or(bytes.len())..];
        if body.starts_with(b"age-encryption") || body.starts_with(b"-----BEGIN AGE") {
            self.locked.push(LockedFile {
                content: bytes,
                source: label,
                rank,
                opened: OnceLock::new(),
            });
            return;
        }
        let Ok(text) = std::str::from_utf8(&bytes) else {
            self.problems
                .push((rank, format!("{label}: not valid UTF-8 text")));
            return;
        };
        let mut notes = Vec::new();
        match parse_identities(text, &label, rank, several, &mut notes) {
            Ok(keys) if keys.is_empty() => self
                .absent
                .push((rank, format!("{label} (no identities in it)"))),
            Ok(keys) => self.keys.extend(keys),
            Err(e) => self.problems.push((rank, e)),
        }
        self.problems.extend(notes.into_iter().map(|n| (rank, n)));
    }
}

impl fmt::Debug for Identities {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Identities")
            .field("public_keys", &self.public_keys())
            .field(
                "passphrase_protected",
                &self.locked.iter().map(|l| &l.source).collect::<Vec<_>>(),
            )
            .field("problems", &self.problems)
            .finish_non_exhaustive()
    }
}

impl LockedFile {
    /// Asks for the passphrase and decrypts, once.
    pub(super) fn open(&self, ask: &Ask) -> &Result<Opened, String> {
        self.opened.get_or_init(|| {
            let prompt = format!("passphrase for the age identity file from {}", self.source);
            let passphrase = ask(&prompt).map_err(|e| format!("{}: {e}", self.source))?;
            let text = decrypt_identity_file(&self.content, passphrase)
                .map_err(|e| format!("{}: {e}", self.source))?;
            let mut notes = Vec::new();
            let keys = parse_identities(&text, &self.source, self.rank, false, &mut notes)?;
            Ok(Opened { keys, notes })
        })
    }
}

impl LockedSsh {
    /// Asks for the passphrase and decrypts, once.
    pub(super) fn open(&self, source: &str, ask: &Ask) -> &Result<ssh::Identity, String> {
        self.opened.get_or_init(|| {
            let ssh::Identity::Encrypted(key) = &self.key else {
                return Ok(self.key.clone());
            };
            let passphrase = ask(&format!("passphrase for the SSH key {source}"))?;
            key.decrypt(passphrase)
                .map(ssh::Identity::Unencrypted)
                .map_err(|e| format!("{source}: cannot decrypt the SSH key: {}", clean(e)))
        })
    }
}

/// Decrypts a passphrase-protected (scrypt) identity file, armored or binary.
pub(super) fn decrypt_identity_file(
    content: &[u8],
    passphrase: SecretString,
) -> Result<Zeroizing<String>, String> {
    let decryptor = age::Decryptor::new_buffered(ArmoredReader::new(content))
        .map_err(|e| format!("not a valid encrypted identity file: {}", clean(e)))?;
    if !decryptor.is_scrypt() {
        return Err("the encrypted identity file is not passphrase-protected".into());
    }
    let mut identity = age::scrypt::Identity::new(passphrase);
    // Go age's limit, so any file SOPS opens opens here too.
    identity.set_max_work_factor(22);
    let mut reader = decryptor
        .decrypt(std::iter::once(&identity as &dyn age::Identity))
        .map_err(|e| match e {
            age::DecryptError::DecryptionFailed | age::DecryptError::KeyDecryptionFailed => {
                "wrong passphrase".to_string()
            }
            e => clean(e),
        })?;
    let mut bytes = Zeroizing::new(Vec::with_capacity(4096));
    reader
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot decrypt the identity file: {}", clean(e)))?;
    String::from_utf8(std::mem::take(&mut *bytes))
        .map(Zeroizing::new)
        .map_err(|_| "the decrypted identity file is not valid UTF-8".into())
}

/// Parses an identities text: `#` lines and blank lines skipped, every other line an
/// identity (several whitespace-separated ones per line if `several`). A bad line fails the
/// whole source, reported by line number only.
fn parse_identities(
    text: &str,
    source: &str,
    rank: u8,
    several: bool,
    notes: &mut Vec<String>,
) -> Result<Vec<Key>, String> {
    let mut keys = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let n = index + 1;
        let line = line.trim_end();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let items: Vec<&str> = if several {
            line.split_whitespace().collect()
        } else {
            vec![line]
        };
        for item in items {
            let bad = |what: &str| format!("{source}: line {n}: {what}");
            let (secret, public) = if let Some(rest) = item.strip_prefix(SECRET_KEY_HRP) {
                if rest.starts_with("PQ-1") {
                    notes.push(bad(
                        "post-quantum hybrid identity skipped (this build of shroud uses age \
                         0.11, which cannot use it)",
                    ));
                    continue;
                }
                let id = x25519::Identity::from_str(item)
                    .map_err(|e| bad(&format!("malformed X25519 identity ({e})")))?;
                let public = id.to_public().to_string();
                (Secret::X25519(id), public)
            } else if item.starts_with(PLUGIN_PREFIX) {
                let id = plugin::Identity::from_str(item)
                    .map_err(|e| bad(&format!("malformed plugin identity ({e})")))?;
                let public = format!("identity for age-plugin-{}", id.plugin());
                (Secret::Plugin(id), public)
            } else {
                return Err(bad(&format!(
                    "not an age identity (expected {SECRET_KEY_HRP}… or {PLUGIN_PREFIX}…)"
                )));
            };
            keys.push(Key {
                secret,
                public,
                source: source.to_string(),
                rank,
            });
        }
    }
    Ok(keys)
}

/// Runs a `*_CMD` command directly (no shell), with `SOPS_AGE_RECIPIENT` set; its stdout.
fn run_command(label: &str, cmdline: &str, recipient: &str) -> Result<Zeroizing<Vec<u8>>, String> {
    let args = shell_words::split(cmdline)
        .map_err(|e| format!("{label}: cannot split the command into words: {e}"))?;
    let (program, rest) = args
        .split_first()
        .ok_or_else(|| format!("{label}: the command is empty"))?;
    let output = Command::new(program)
        .args(rest)
        .env("SOPS_AGE_RECIPIENT", recipient)
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("{label}: cannot run {program}: {e}"))?;
    let stdout = Zeroizing::new(output.stdout);
    if !output.status.success() {
        return Err(format!("{label}: {program} failed ({})", output.status));
    }
    Ok(stdout)
}

/// The stanza tag and key-hash argument age writes for an SSH recipient (its public line).
fn ssh_stanza_id(public: &str) -> Option<(String, String)> {
    let mut parts = public.split_whitespace();
    let kind = parts.next()?;
    let key = BASE64_STANDARD.decode(parts.next()?).ok()?;
    let hash = Sha256::digest(&key);
    Some((kind.to_string(), BASE64_STANDARD_NO_PAD.encode(&hash[..4])))
}

/// `$XDG_CONFIG_HOME`, else the platform's user config directory (as Go's
/// `os.UserConfigDir`, with SOPS's macOS exception honouring `XDG_CONFIG_HOME`).
fn user_config_dir(env: EnvLookup, home: Option<&Path>) -> Option<PathBuf> {
    if cfg!(windows) {
        return env("APPDATA").filter(|v| !v.is_empty()).map(PathBuf::from);
    }
    if let Some(xdg) = env("XDG_CONFIG_HOME").filter(|v| !v.is_empty()) {
        return Some(PathBuf::from(xdg));
    }
    let home = home?;
    Some(if cfg!(target_os = "macos") {
        home.join("Library").join("Application Support")
    } else {
        home.join(".config")
    })
}

/// The user's home directory from the environment.
fn home_dir() -> Option<PathBuf> {
    let var = if cfg!(windows) { "USERPROFILE" } else { "HOME" };
    std::env::var_os(var)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}

fn real_env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// The process's recipient-independent identities, discovered on first use.
pub(super) fn process_fixed() -> &'static Identities {
    static FIXED: OnceLock<Identities> = OnceLock::new();
    FIXED.get_or_init(|| Identities::discover_fixed(&real_env, home_dir()))
}

/// The process's command identities for `recipient`, each command run once per recipient.
pub(super) fn process_commands(recipient: &str) -> Arc<Identities> {
    static BY_RECIPIENT: Mutex<Vec<(String, Arc<Identities>)>> = Mutex::new(Vec::new());
    let mut cache = BY_RECIPIENT.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((_, ids)) = cache.iter().find(|(r, _)| r == recipient) {
        return Arc::clone(ids);
    }
    let ids = Arc::new(Identities::discover_commands(&real_env, recipient));
    cache.push((recipient.to_string(), Arc::clone(&ids)));
    ids
}

/// Shows age's explanation of an unsupported SSH key.
struct Unsupported<'a>(&'a ssh::UnsupportedKey);

impl fmt::Display for Unsupported<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.display(f, None)
    }
}
