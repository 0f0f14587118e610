//! The command line: flags, `.sops.yaml`, environment, terminal and exit codes. Everything
//! below this layer is I/O-free library code.

pub mod args;
pub mod cmd;
pub mod config;
pub mod context;
pub mod editor;
pub mod error;
pub mod io;

use std::process::ExitCode;

use clap::parser::ValueSource;
use clap::{ArgMatches, CommandFactory, FromArgMatches};

use args::{Cli, Command, GroupsCommand};
use context::Ctx;
use error::{code, CliError, CliResult};

/// Parses arguments, runs, prints any error and returns SOPS's exit code.
pub fn main() -> ExitCode {
    let cli = parse_args();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // A child's exit status (exec-env/exec-file) is passed on without a message.
            if !e.message.is_empty() {
                eprintln!("{e}");
            }
            ExitCode::from(e.code)
        }
    }
}

/// Key flags that may be repeated (`--age a --age b` = `--age a,b`), by argument id and the
/// `Global` field they fill.
const REPEATABLE_KEY_FLAGS: [&str; 7] = [
    "age",
    "pgp",
    "kms",
    "gcp_kms",
    "azure_kv",
    "hc_vault_transit",
    "hckms",
];

/// `Cli::parse`, plus what the derive cannot express: repeated key flags are joined into one
/// comma list, and key flags that came from environment variables are remembered.
fn parse_args() -> Cli {
    let matches = Cli::command().get_matches();
    let mut cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    // Global flags are propagated down: the innermost subcommand sees them all.
    let mut m: &ArgMatches = &matches;
    while let Some((_, sub)) = m.subcommand() {
        m = sub;
    }
    for id in REPEATABLE_KEY_FLAGS {
        let joined = m
            .get_many::<String>(id)
            .map(|vals| vals.cloned().collect::<Vec<_>>().join(","));
        if m.value_source(id) == Some(ValueSource::EnvVariable) {
            cli.g.keys_from_env.push(id);
        }
        let slot = match id {
            "age" => &mut cli.g.age,
            "pgp" => &mut cli.g.pgp,
            "kms" => &mut cli.g.kms,
            "gcp_kms" => &mut cli.g.gcp_kms,
            "azure_kv" => &mut cli.g.azure_kv,
            "hc_vault_transit" => &mut cli.g.hc_vault_transit,
            _ => &mut cli.g.hckms,
        };
        if joined.is_some() {
            *slot = joined;
        }
    }
    cli
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
        Some(Command::Encrypt(a)) => match a.onto {
            Some(onto) => cmd::onto::run(&ctx, a.file.as_deref(), &onto),
            None => cmd::encrypt::run(&ctx, a.file.as_deref()),
        },
        Some(Command::Decrypt(a)) => cmd::decrypt::run(&ctx, a.file.as_deref()),
        Some(Command::Edit(a)) => cmd::edit::run(&ctx, a.file.as_deref()),
        Some(Command::Set(a)) => cmd::set::run(&ctx, &a),
        Some(Command::Unset(a)) => cmd::set::run_unset(&ctx, &a),
        Some(Command::Rotate(a)) => cmd::rotate::run(&ctx, a.file.as_deref(), false),
        Some(Command::Updatekeys(a)) => cmd::updatekeys::run(&ctx, &a),
        Some(Command::Filestatus(a)) => cmd::filestatus::run(&ctx, a.file.as_deref()),
        Some(Command::Groups(a)) => match a.command {
            GroupsCommand::Add(a) => cmd::groups::add(&ctx, &a),
            GroupsCommand::Delete(a) => cmd::groups::delete(&ctx, &a),
        },
        Some(Command::ExecEnv(a)) => cmd::exec_env::run(&ctx, &a),
        Some(Command::ExecFile(a)) => cmd::exec_file::run(&ctx, &a),
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
    let modes = [l.encrypt, l.decrypt, l.rotate, l.set.is_some()];
    if modes.iter().filter(|m| **m).count() > 1 {
        ctx.warn("more than one of --encrypt, --decrypt, --rotate, --set; the last one wins");
    }
    if !file.exists() {
        if ctx.g.key_edits.any() {
            return Err(cmd::missing_file_key_edits(file));
        }
        if l.encrypt || l.decrypt || l.rotate {
            return Err(CliError::new(
                code::NO_FILE,
                format!("{}: cannot operate on non-existent file", file.display()),
            ));
        }
    }
    if let Some(spec) = &l.set {
        cmd::set::run_legacy(ctx, file, spec)
    } else if l.rotate {
        cmd::rotate::run(ctx, Some(file), true)
    } else if l.decrypt {
        cmd::decrypt::run(ctx, Some(file))
    } else if l.encrypt {
        cmd::encrypt::run(ctx, Some(file))
    } else {
        cmd::edit::run(ctx, Some(file))
    }
}
