//! The `gpg` program, run exactly as SOPS runs it so that keyrings, agents, pinentry and
//! smartcards behave the same under both tools.
//!
//! Decryption deliberately has no `--batch`: with it gpg refuses to ask gpg-agent's pinentry
//! for a passphrase, which would lock out users of protected keys (SOPS runs plain `gpg -d`).
//! Without a terminal, gpg-agent still serves unprotected and cached keys. Our stdout is never
//! handed to gpg: its output is piped and read, its stderr is captured and reduced to the one
//! line that explains a failure.

use std::io::{Read, Write};
use std::process::{Command, Stdio};

use zeroize::Zeroizing;

use super::{hex_part, PgpEnv, GPG_EXEC_VAR, KEY_FILE_VAR};

/// Largest plaintext accepted from `gpg -d`: a data key is 32 bytes, a Shamir share 33.
const MAX_SECRET: usize = 1024;

/// `gpg --no-default-recipient --yes --encrypt -a -r FP --trusted-key ID --no-encrypt-to`
/// with the secret on stdin; the armored output trimmed of surrounding whitespace.
pub(super) fn encrypt(env: &PgpEnv, fingerprint: &str, secret: &[u8]) -> Result<String, String> {
    let hex = hex_part(fingerprint);
    let short = &hex[hex.len().saturating_sub(16)..];
    let args = [
        "--no-default-recipient",
        "--yes",
        "--encrypt",
        "-a",
        "-r",
        fingerprint,
        "--trusted-key",
        short,
        "--no-encrypt-to",
    ];
    let out = run(env, &args, secret)?;
    let text = String::from_utf8(out.to_vec())
        .map_err(|_| "gpg produced output that is not ASCII armor".to_string())?;
    let text = text.trim();
    if !text.starts_with("-----BEGIN PGP MESSAGE-----") {
        return Err("gpg produced no armored message".into());
    }
    Ok(text.to_string())
}

/// `gpg -d` with the armored message on stdin.
pub(super) fn decrypt(env: &PgpEnv, armored: &str) -> Result<Zeroizing<Vec<u8>>, String> {
    let out = run(env, &["-d"], armored.as_bytes())?;
    if out.is_empty() {
        return Err("gpg decrypted to nothing (it may not support this message's format)".into());
    }
    if out.len() > MAX_SECRET {
        return Err(format!(
            "gpg decrypted to {} bytes, far more than a data key",
            out.len()
        ));
    }
    Ok(out)
}

/// Runs one gpg process: `input` on stdin (written from a thread so a chatty gpg cannot
/// deadlock us), stdout collected into zeroizing memory, stderr summarised on failure.
fn run(env: &PgpEnv, args: &[&str], input: &[u8]) -> Result<Zeroizing<Vec<u8>>, String> {
    let mut cmd = Command::new(&env.gpg_program);
    if let Some(home) = &env.gnupg_home {
        cmd.arg("--homedir").arg(home);
    }
    cmd.args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let program = env.gpg_program.to_string_lossy().into_owned();
    let mut child = cmd
        .spawn()
        .map_err(|e| spawn_error(&program, env.key_file.is_some(), e))?;

    let mut stdin = child.stdin.take().expect("piped stdin");
    let mut stdout = child.stdout.take().expect("piped stdout");
    let mut stderr = child.stderr.take().expect("piped stderr");
    let input = Zeroizing::new(input.to_vec());
    let (out, err) = std::thread::scope(|s| {
        s.spawn(move || {
            // A gpg that exits early closes the pipe; its stderr says why.
            let _ = stdin.write_all(&input);
        });
        let err = s.spawn(move || {
            let mut err = Vec::new();
            let _ = stderr.read_to_end(&mut err);
            err
        });
        let mut out = Zeroizing::new(Vec::new());
        let read = stdout.read_to_end(&mut out);
        (read.map(|_| out), err.join().unwrap_or_default())
    });
    let status = child
        .wait()
        .map_err(|e| format!("could not wait for {program}: {e}"))?;
    let out = out.map_err(|e| format!("could not read the output of {program}: {e}"))?;
    if !status.success() {
        return Err(match summarize(&String::from_utf8_lossy(&err)) {
            Some(line) => format!("{program}: {}", explain(&line)),
            None => match status.code() {
                Some(c) => format!("{program} failed (exit status {c})"),
                None => format!("{program} was killed by a signal"),
            },
        });
    }
    Ok(out)
}

fn spawn_error(program: &str, have_key_file: bool, e: std::io::Error) -> String {
    if e.kind() != std::io::ErrorKind::NotFound {
        return format!("could not run {program}: {e}");
    }
    if have_key_file {
        format!("{program} not found (install GnuPG or set {GPG_EXEC_VAR})")
    } else {
        format!(
            "{program} not found: install GnuPG, set {GPG_EXEC_VAR} to the gpg program, \
             or set {KEY_FILE_VAR} to an armored key file to work without gpg"
        )
    }
}

/// The part of gpg's stderr that explains a failure, without the `gpg: ` prefix. gpg prints
/// progress (`encrypted with …`, user IDs) before its verdict; a `KEY: skipped: REASON` line
/// names the cause of an encryption failure more precisely than the final summary.
pub(super) fn summarize(stderr: &str) -> Option<String> {
    let lines: Vec<&str> = stderr
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| l.strip_prefix("gpg: ").unwrap_or(l))
        .filter(|l| !l.starts_with('"') && !l.starts_with("encrypted with"))
        .collect();
    if let Some(reason) = lines
        .iter()
        .find_map(|l| l.split_once("skipped: ").map(|(_, r)| r))
    {
        return Some(clip(reason));
    }
    let is_verdict = |l: &str| {
        let lower = l.to_ascii_lowercase();
        [
            "failed",
            "error",
            "no secret key",
            "no public key",
            "expired",
        ]
        .iter()
        .any(|w| lower.contains(w))
    };
    let verdict = lines
        .iter()
        .rev()
        .find(|l| is_verdict(l))
        .or(lines.last())?;
    Some(clip(verdict.strip_prefix("[stdin]: ").unwrap_or(verdict)))
}

/// gpg's verdict with what to do about the common ones.
fn explain(verdict: &str) -> String {
    let hint = match verdict {
        "No public key" => " (import the public key: gpg --import KEYFILE)",
        "Unusable public key" => " (the key is expired, revoked or cannot encrypt)",
        v if v.ends_with("No secret key") => " (this keyring does not hold the secret key)",
        _ => "",
    };
    format!("{verdict}{hint}")
}

fn clip(s: &str) -> String {
    const MAX: usize = 300;
    if s.chars().count() <= MAX {
        s.to_string()
    } else {
        format!("{}…", s.chars().take(MAX).collect::<String>())
    }
}
