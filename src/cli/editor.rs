//! Plaintext that must touch the disk (the editor's copy in `edit`, the decrypted file of
//! `exec-file --no-fifo`) lives only inside a private directory that is removed on every way
//! out: normal return, error, panic (the guard's `Drop`), and SIGINT/SIGTERM/SIGHUP (a signal
//! handler that removes every registered directory before exiting). Also here: finding and
//! running the user's editor the way sops does, and the "press enter" prompt.

use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Mutex, Once};

use super::error::{code, CliError, CliResult};

/// Directories to remove if a signal ends the process.
static REGISTERED: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());
/// Exit code after a signal (edit: 1, as sops; exec-file: 130).
static SIGNAL_EXIT: AtomicU8 = AtomicU8::new(code::GENERIC);
static HANDLER: Once = Once::new();

fn registered() -> std::sync::MutexGuard<'static, Vec<PathBuf>> {
    REGISTERED.lock().unwrap_or_else(|e| e.into_inner())
}

fn install_handler() {
    HANDLER.call_once(|| {
        // If another handler is already installed, the guard's Drop still covers every
        // non-signal exit; there is nothing better to do than carry on.
        let _ = ctrlc::set_handler(|| {
            for dir in registered().drain(..) {
                let _ = std::fs::remove_dir_all(dir);
            }
            eprintln!("\nInterrupted; temporary files removed.");
            std::process::exit(i32::from(SIGNAL_EXIT.load(Ordering::SeqCst)));
        });
    });
}

/// A fresh 0700 directory under `$TMPDIR`, removed when dropped or on a signal.
pub struct PrivateDir {
    dir: Option<tempfile::TempDir>,
}

impl PrivateDir {
    /// `signal_exit`: the exit code if SIGINT/SIGTERM ends the process while the directory
    /// exists.
    pub fn new(signal_exit: u8) -> CliResult<PrivateDir> {
        install_handler();
        SIGNAL_EXIT.store(signal_exit, Ordering::SeqCst);
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::Builder::new()
            .prefix(".shroud-")
            .permissions(std::fs::Permissions::from_mode(0o700))
            .tempdir()
            .map_err(|e| {
                CliError::new(
                    code::COULD_NOT_WRITE_OUTPUT,
                    format!("cannot create a private temporary directory: {e}"),
                )
            })?;
        registered().push(dir.path().to_path_buf());
        Ok(PrivateDir { dir: Some(dir) })
    }

    pub fn path(&self) -> &Path {
        self.dir.as_ref().expect("present until drop").path()
    }

    /// Writes `bytes` to a new 0600 file `name` inside the directory.
    pub fn write_private(&self, name: &std::ffi::OsStr, bytes: &[u8]) -> CliResult<PathBuf> {
        use std::os::unix::fs::OpenOptionsExt;
        let path = self.path().join(name);
        let fail = |e: std::io::Error| {
            CliError::new(
                code::COULD_NOT_WRITE_OUTPUT,
                format!("cannot write the temporary file: {e}"),
            )
        };
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)
            .map_err(fail)?;
        f.write_all(bytes).map_err(fail)?;
        f.sync_all().map_err(fail)?;
        Ok(path)
    }
}

impl Drop for PrivateDir {
    fn drop(&mut self) {
        if let Some(dir) = self.dir.take() {
            let path = dir.path().to_path_buf();
            registered().retain(|p| *p != path);
            let _ = dir.close();
        }
    }
}

/// The editor command: `$SOPS_EDITOR`, else `$EDITOR` (split into words like a shell), else
/// the first of vim, nano, vi on `PATH`.
fn editor_command() -> CliResult<Vec<String>> {
    for var in ["SOPS_EDITOR", "EDITOR"] {
        if let Some(v) = std::env::var_os(var).filter(|v| !v.is_empty()) {
            let v = v.to_string_lossy();
            let words = shell_words::split(&v).map_err(|e| {
                CliError::new(code::NO_EDITOR, format!("invalid ${var} ({e}): {v}"))
            })?;
            if words.is_empty() {
                continue;
            }
            return Ok(words);
        }
    }
    for name in ["vim", "nano", "vi"] {
        if let Some(p) = find_in_path(name) {
            return Ok(vec![p.to_string_lossy().into_owned()]);
        }
    }
    Err(CliError::new(code::NO_EDITOR, "no editor found")
        .hint("set SOPS_EDITOR or EDITOR, or install vim, nano or vi"))
}

/// `name` resolved on the current `PATH` (a name with a `/` is returned as is).
pub fn find_in_path(name: &str) -> Option<PathBuf> {
    if name.contains('/') {
        return Some(PathBuf::from(name));
    }
    use std::os::unix::fs::PermissionsExt;
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|d| d.join(name))
        .find(|p| {
            std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
}

/// Runs the editor on `path` with the terminal attached; any failure is exit 201.
pub fn run_editor(path: &Path) -> CliResult<()> {
    let words = editor_command()?;
    let status = Command::new(&words[0])
        .args(&words[1..])
        .arg(path)
        .status()
        .map_err(|e| {
            CliError::new(
                code::NO_EDITOR,
                format!("could not run editor {}: {e}", words[0]),
            )
        })?;
    if !status.success() {
        return Err(CliError::new(
            code::NO_EDITOR,
            format!("could not run editor: {status}; the file was not changed"),
        ));
    }
    Ok(())
}

/// After an edit that cannot be saved: on a terminal, show why and wait for Enter (Ok: edit
/// again); without one, fail with the reason (nothing is written).
pub fn ask_to_retry(problem: &str) -> CliResult<()> {
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        return Err(CliError::new(
            code::GENERIC,
            format!("{problem}; the file was not changed"),
        )
        .hint("run shroud edit from a terminal to fix the content in the editor"));
    }
    eprintln!("{problem}");
    eprintln!("Press enter to return to the editor, or Ctrl+C to exit.");
    let mut line = String::new();
    match stdin.lock().read_line(&mut line) {
        Ok(0) | Err(_) => Err(CliError::new(
            code::GENERIC,
            "edit cancelled; the file was not changed",
        )),
        Ok(_) => Ok(()),
    }
}

/// On a terminal, asks a yes/no question (`Some(answer)`); `None` without a terminal.
pub fn confirm(question: &str) -> Option<bool> {
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        return None;
    }
    loop {
        print!("{question} (y/n):");
        let _ = std::io::stdout().flush();
        let mut line = String::new();
        match stdin.lock().read_line(&mut line) {
            Ok(0) | Err(_) => return Some(false),
            Ok(_) => match line.trim() {
                "y" => return Some(true),
                "n" => return Some(false),
                _ => {}
            },
        }
    }
}
