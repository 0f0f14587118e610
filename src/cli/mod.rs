//! The command line: flags, `.sops.yaml`, environment, terminal, exit codes.

use std::process::ExitCode;

pub fn main() -> ExitCode {
    ExitCode::SUCCESS
}
