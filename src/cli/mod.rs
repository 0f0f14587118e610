//! The command line: flags, `.sops.yaml`, environment, terminal and exit codes. Everything
//! below this layer is I/O-free library code.

pub mod args;
pub mod cmd;
pub mod config;
pub mod context;
pub mod error;
pub mod io;

use std::process::ExitCode;

use clap::Parser;

use args::{Cli, Command};
use context::Ctx;
use error::{code, CliError, CliResult};

/// Parses arguments, runs, prints any error and returns SOPS's exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{e}");
            ExitCode::from(e.code)
        }
    }
}

pub fn run(cli: Cli) -> CliResult<()> {
    if cli.legacy.version {
        println!(
            "shroud {} (sops {} compatible)",
            env!("CARGO_PKG_VERSION"),
            crate::core::metadata::SOPS_VERSION
        );
        return Ok(());
    }
    let ctx = Ctx::new(cli.g);
    if !ctx.g.keyservice.is_empty() {
        ctx.warn("remote key services (--keyservice) are not supported; using local keys only");
    }
    match cli.command {
        Some(Command::Encrypt(a)) => cmd::encrypt::run(&ctx, a.file.as_deref()),
        Some(Command::Decrypt(a)) => cmd::decrypt::run(&ctx, a.file.as_deref()),
        None => legacy(&ctx, &cli.legacy, cli.file.as_deref(), &cli.extra),
    }
}

/// `shroud [-e|-d|-r|--set] FILE`: the form sops had before subcommands.
fn legacy(
    ctx: &Ctx,
    l: &args::Legacy,
    file: Option<&std::path::Path>,
    extra: &[String],
) -> CliResult<()> {
    if !extra.is_empty() {
        ctx.warn(&format!(
            "more than one file argument; only the first is used (flags must come before the file): {}",
            extra.join(" ")
        ));
    }
    let Some(file) = file else {
        return Err(CliError::new(code::NO_FILE, "no file specified")
            .hint("usage: shroud encrypt|decrypt|edit FILE (see shroud --help)"));
    };
    if l.encrypt {
        if !file.exists() {
            return Err(CliError::new(
                code::NO_FILE,
                format!("{}: cannot operate on non-existent file", file.display()),
            ));
        }
        cmd::encrypt::run(ctx, Some(file))
    } else if l.decrypt {
        cmd::decrypt::run(ctx, Some(file))
    } else {
        Err(CliError::new(
            code::GENERIC,
            format!(
                "{}: this command is not available in this build yet",
                file.display()
            ),
        ))
    }
}
