//! Running the child of `exec-env`/`exec-file`. The command line is split into words the way a
//! shell would (quotes, backslashes) but is never given to a shell, so nothing in it, and
//! nothing in the decrypted values, is expanded or evaluated.

use std::ffi::OsString;
use std::os::unix::process::CommandExt;
use std::process::{Command, ExitStatus};

use crate::cli::editor::find_in_path;
use crate::cli::error::{code, CliError, CliResult};

/// The words of `line`, with `{}` in each word replaced by `placeholder` if given.
pub fn words(line: &str, placeholder: Option<&str>) -> CliResult<Vec<String>> {
    let words = shell_words::split(line).map_err(|e| {
        CliError::new(
            code::GENERIC,
            format!("cannot split the command into words: {e}"),
        )
        .hint("quote it the way a POSIX shell would")
    })?;
    if words.is_empty() {
        return Err(CliError::new(code::GENERIC, "the command is empty"));
    }
    Ok(match placeholder {
        Some(p) => words.into_iter().map(|w| w.replace("{}", p)).collect(),
        None => words,
    })
}

/// A command for `words`, the program looked up on this process's `PATH` (so it is found even
/// when the child's environment has none, as with `--pristine`).
pub fn command(words: &[String]) -> CliResult<Command> {
    let program = find_in_path(&words[0])
        .ok_or_else(|| CliError::new(code::GENERIC, format!("{}: command not found", words[0])))?;
    let mut cmd = Command::new(program);
    cmd.arg0(&words[0]).args(&words[1..]);
    Ok(cmd)
}

/// `--user NAME` (or a numeric uid): the child runs with that user's uid and gid and `HOME`.
/// Returns the uid and gid, for files the child must be able to read.
pub fn as_user(cmd: &mut Command, user: &str) -> CliResult<(u32, u32)> {
    let passwd = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
    let entry = passwd.lines().find_map(|l| {
        let f: Vec<&str> = l.split(':').collect();
        (f.len() >= 7 && (f[0] == user || f[2] == user)).then(|| {
            (
                f[2].parse::<u32>().ok(),
                f[3].parse::<u32>().ok(),
                f[5].to_string(),
            )
        })
    });
    let Some((Some(uid), Some(gid), home)) = entry else {
        return Err(CliError::new(
            code::GENERIC,
            format!("user {user:?} not found"),
        ));
    };
    cmd.uid(uid).gid(gid).env("HOME", home);
    Ok((uid, gid))
}

/// Passes the child's exit status on: its code, or 128 + signal like a shell.
pub fn propagate(status: ExitStatus) -> CliResult<()> {
    use std::os::unix::process::ExitStatusExt;
    if status.success() {
        return Ok(());
    }
    let c = status
        .code()
        .or_else(|| status.signal().map(|s| 128 + s))
        .unwrap_or(1);
    Err(CliError::new(u8::try_from(c).unwrap_or(1), ""))
}

/// Error for a child that could not be started.
pub fn spawn_err(program: &str, e: std::io::Error) -> CliError {
    CliError::new(code::GENERIC, format!("cannot run {program}: {e}"))
}

/// An environment value from raw bytes (values of the binary store need not be UTF-8).
pub fn os_string(bytes: Vec<u8>) -> OsString {
    use std::os::unix::ffi::OsStringExt;
    OsString::from_vec(bytes)
}
