//! Talking to the user on the terminal for passphrases and plugin requests.
//!
//! The prompt goes to `/dev/tty`, never stdin/stdout: those carry the file being encrypted or
//! decrypted. Echo is switched off with `stty` (no `unsafe` termios calls in this crate). With
//! no terminal there is nobody to ask, and the caller reports that source as failed.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

use age::secrecy::SecretString;
use zeroize::Zeroizing;

/// Reads a passphrase from the terminal without echo.
pub(super) fn ask_passphrase(what: &str) -> Result<SecretString, String> {
    let line = read_line(&format!("Enter {what}: "), false)?;
    Ok(SecretString::from(line.as_str()))
}

fn open_tty() -> Result<File, String> {
    OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/tty")
        .map_err(|e| format!("no terminal to ask on ({e})"))
}

/// Prompts on the terminal and reads one line (without its line ending).
fn read_line(prompt: &str, echo: bool) -> Result<Zeroizing<String>, String> {
    let mut tty = open_tty()?;
    tty.write_all(prompt.as_bytes())
        .and_then(|()| tty.flush())
        .map_err(|e| format!("cannot write to the terminal: {e}"))?;
    let silenced = !echo && set_echo(&tty, false);
    let mut line = Zeroizing::new(String::new());
    let read = BufReader::new(&tty).read_line(&mut line);
    if silenced {
        set_echo(&tty, true);
        let _ = tty.write_all(b"\n");
    }
    match read {
        Ok(0) => return Err("no input on the terminal".into()),
        Ok(_) => {}
        Err(e) => return Err(format!("cannot read from the terminal: {e}")),
    }
    let len = line.trim_end_matches(['\r', '\n']).len();
    line.truncate(len);
    Ok(line)
}

/// Switches terminal echo; whether it worked.
fn set_echo(tty: &File, on: bool) -> bool {
    let Ok(stdin) = tty.try_clone() else {
        return false;
    };
    Command::new("stty")
        .arg(if on { "echo" } else { "-echo" })
        .stdin(stdin)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// age plugin callbacks backed by the terminal.
#[derive(Clone, Copy, Debug)]
pub(super) struct TtyCallbacks;

impl age::Callbacks for TtyCallbacks {
    fn display_message(&self, message: &str) {
        eprintln!("{}", super::clean(message));
    }

    fn confirm(&self, message: &str, yes_string: &str, no_string: Option<&str>) -> Option<bool> {
        let no = no_string.unwrap_or("no");
        let prompt = format!("{} [{yes_string}/{no}]: ", super::clean(message));
        let answer = read_line(&prompt, true).ok()?;
        Some(answer.trim().eq_ignore_ascii_case(yes_string))
    }

    fn request_public_string(&self, description: &str) -> Option<String> {
        let prompt = format!("{}: ", super::clean(description));
        read_line(&prompt, true).ok().map(|s| s.to_string())
    }

    fn request_passphrase(&self, description: &str) -> Option<SecretString> {
        let prompt = format!("{}: ", super::clean(description));
        let line = read_line(&prompt, false).ok()?;
        Some(SecretString::from(line.as_str()))
    }
}
