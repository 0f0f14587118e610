//! File I/O with SOPS's failure guarantees made strict: input is read whole before anything
//! is written, output is built whole in memory, and files are replaced atomically (temp file
//! in the same directory, fsync, rename) keeping their mode, so a failed or interrupted
//! command leaves every file byte-identical.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use super::error::{code, CliError, CliResult};

/// Reads the input file, or stdin when `file` is `None`.
pub fn read_input(file: Option<&Path>) -> CliResult<Vec<u8>> {
    match file {
        Some(p) => {
            if !p.exists() {
                return Err(CliError::new(
                    code::NO_FILE,
                    format!("{}: cannot operate on non-existent file", p.display()),
                ));
            }
            std::fs::read(p).map_err(|e| {
                CliError::new(
                    code::COULD_NOT_READ_INPUT,
                    format!("{}: cannot read: {e}", p.display()),
                )
            })
        }
        None => {
            let mut buf = Vec::new();
            std::io::stdin().read_to_end(&mut buf).map_err(|e| {
                CliError::new(
                    code::COULD_NOT_READ_INPUT,
                    format!("stdin: cannot read: {e}"),
                )
            })?;
            Ok(buf)
        }
    }
}

/// Replaces `path` with `bytes` atomically, keeping the permissions of an existing file.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> CliResult<()> {
    let fail = |e: std::io::Error| {
        CliError::new(
            code::COULD_NOT_WRITE_OUTPUT,
            format!("{}: cannot write: {e}", path.display()),
        )
    };
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(".shroud-")
        .tempfile_in(&dir)
        .map_err(fail)?;
    if let Ok(meta) = std::fs::metadata(path) {
        tmp.as_file()
            .set_permissions(meta.permissions())
            .map_err(fail)?;
    }
    tmp.write_all(bytes).map_err(fail)?;
    tmp.as_file().sync_all().map_err(fail)?;
    tmp.persist(path).map_err(|e| fail(e.error))?;
    Ok(())
}

/// Where a command's result goes.
#[derive(Debug, Clone)]
pub enum Output {
    Stdout,
    File(PathBuf),
}

impl Output {
    pub fn write(&self, bytes: &[u8]) -> CliResult<()> {
        match self {
            Output::File(p) => write_atomic(p, bytes),
            Output::Stdout => {
                let mut out = std::io::stdout().lock();
                match out.write_all(bytes).and_then(|_| out.flush()) {
                    Ok(()) => Ok(()),
                    // A closed pipe (`shroud decrypt f | head`) is not an error.
                    Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
                    Err(e) => Err(CliError::new(
                        code::COULD_NOT_WRITE_OUTPUT,
                        format!("stdout: cannot write: {e}"),
                    )),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn atomic_write_keeps_mode_and_leaves_no_temp() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f.yaml");
        std::fs::write(&p, b"old").unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o640)).unwrap();
        write_atomic(&p, b"new").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"new");
        let mode = std::fs::metadata(&p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o640);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
        assert_eq!(
            read_input(Some(&dir.path().join("missing")))
                .unwrap_err()
                .code,
            code::NO_FILE
        );
    }
}
