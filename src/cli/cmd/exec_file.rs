//! `exec-file`: the child reads the decrypted file from a FIFO by default, so the plaintext
//! never lands on a disk; with `--no-fifo` it is a 0600 file in a private directory. Either
//! way the directory is gone when shroud exits, by any path (see
//! [`crate::cli::editor::PrivateDir`]).

use std::io::Write;
use std::path::{Component, Path, PathBuf};
use std::time::Duration;

use rand::distributions::{Alphanumeric, DistString};

use super::exec::{as_user, command, propagate, spawn_err, words};
use super::{emit_err, load_encrypted, open, Stores};
use crate::cli::args::ExecFileArgs;
use crate::cli::context::Ctx;
use crate::cli::editor::PrivateDir;
use crate::cli::error::{code, CliError, CliResult};
use crate::cli::io::read_input;

/// Exit code when SIGINT/SIGTERM interrupts shroud while the child runs (128 + SIGINT).
const INTERRUPTED: u8 = 130;

pub fn run(ctx: &Ctx, a: &ExecFileArgs) -> CliResult<()> {
    let [file, line] = a.args.as_slice() else {
        return Err(
            CliError::new(code::NO_FILE, "need exactly 2 arguments: FILE COMMAND")
                .hint("quote the command: shroud exec-file secrets.yaml 'cat {}'"),
        );
    };
    if a.background && a.no_fifo {
        return Err(CliError::new(
            code::CONFLICTING_PARAMETERS,
            "--background cannot be used with --no-fifo: the decrypted file would have to stay on disk",
        ));
    }
    let name = match &a.filename {
        Some(n) => checked_name(n)?,
        None => None,
    };
    let file = Path::new(file);
    let stores = Stores::new(ctx, Some(file))?;
    let bytes = read_input(Some(file))?;
    let mut f = load_encrypted(stores.input(), Some(file), &bytes)?;
    open(ctx, Some(file), &mut f)?;
    let plain = stores
        .output()
        .emit(&f.docs, None)
        .map_err(|e| emit_err(Some(file), e, stores.output_format))?;
    drop(f);

    let dir = PrivateDir::new(INTERRUPTED)?;
    let path = if a.no_fifo {
        let name = name.unwrap_or_else(|| {
            PathBuf::from(format!(
                "tmp-file{}",
                Alphanumeric.sample_string(&mut rand::thread_rng(), 10)
            ))
        });
        dir.write_private(name.as_os_str(), &plain)?
    } else {
        let path = dir
            .path()
            .join(name.unwrap_or_else(|| PathBuf::from("tmp-file")));
        rustix::fs::mkfifoat(
            rustix::fs::CWD,
            &path,
            rustix::fs::Mode::RUSR | rustix::fs::Mode::WUSR,
        )
        .map_err(|e| {
            CliError::new(
                code::COULD_NOT_WRITE_OUTPUT,
                format!("cannot create a FIFO: {e}"),
            )
            .hint("use --no-fifo for a private temporary file instead")
        })?;
        path
    };
    let path_str = path.to_string_lossy().into_owned();
    let argv = words(line, Some(&path_str))?;
    let mut cmd = command(&argv)?;
    if let Some(u) = &a.user {
        let (uid, gid) = as_user(&mut cmd, u)?;
        for p in [dir.path(), path.as_path()] {
            std::os::unix::fs::chown(p, Some(uid), Some(gid)).map_err(|e| {
                CliError::new(code::GENERIC, format!("cannot hand the file to {u}: {e}"))
            })?;
        }
    }
    // Opening a FIFO for writing blocks until the child opens it for reading.
    let writer = (!a.no_fifo).then(|| {
        let p = path.clone();
        std::thread::spawn(move || {
            if let Ok(mut w) = std::fs::OpenOptions::new().write(true).open(&p) {
                let _ = w.write_all(&plain);
            }
        })
    });
    let mut child = cmd.spawn().map_err(|e| spawn_err(&argv[0], e))?;
    if a.background {
        // Stay only until the child has read the FIFO (or has exited without reading it).
        if let Some(w) = writer {
            while !w.is_finished() {
                if matches!(child.try_wait(), Ok(Some(_))) {
                    break;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        drop(dir);
        return Ok(());
    }
    let status = child.wait().map_err(|e| spawn_err(&argv[0], e))?;
    drop(dir);
    propagate(status)
}

/// `--filename`: a relative path inside the private directory (no `..`, not absolute). Its
/// parent directories are not created, so a plain name is what works.
fn checked_name(n: &str) -> CliResult<Option<PathBuf>> {
    let p = PathBuf::from(n);
    let ok = !n.is_empty()
        && p.components().count() == 1
        && matches!(p.components().next(), Some(Component::Normal(_)));
    if !ok {
        return Err(CliError::new(
            code::GENERIC,
            format!("--filename must be a plain file name, got {n:?}"),
        ));
    }
    Ok(Some(p))
}
