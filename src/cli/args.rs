//! The flag definitions: the only place that knows flag names. Spellings, short forms and
//! environment variables follow sops, and global flags may come before the subcommand, as with
//! sops's urfave/cli, so `alias sops=shroud` keeps scripts working.

use clap::{ArgAction, Args, Parser, Subcommand};
use std::path::PathBuf;

#[derive(Parser, Debug)]
#[command(
    name = "shroud",
    about = "Encrypted config files in git, compatible with SOPS",
    disable_version_flag = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    #[command(flatten)]
    pub g: Global,

    #[command(flatten)]
    pub legacy: Legacy,

    /// File to operate on (legacy form: `shroud [-e|-d|-r] FILE`; no mode means edit)
    pub file: Option<PathBuf>,

    /// Extra arguments are ignored with a warning, as sops does
    #[arg(hide = true)]
    pub extra: Vec<String>,
}

/// Flags of the legacy single-command form.
#[derive(Args, Debug, Default)]
pub struct Legacy {
    /// Encrypt the file (legacy form of `encrypt`)
    #[arg(short = 'e', long = "encrypt")]
    pub encrypt: bool,
    /// Decrypt the file (legacy form of `decrypt`)
    #[arg(short = 'd', long = "decrypt")]
    pub decrypt: bool,
    /// Rotate the data key (legacy form of `rotate`)
    #[arg(short = 'r', long = "rotate")]
    pub rotate: bool,
    /// Set a value: '["a"]["b"] VALUE' (legacy form of `set`)
    #[arg(long = "set")]
    pub set: Option<String>,
    /// Print the version
    #[arg(short = 'v', long = "version")]
    pub version: bool,
}

/// Flags that every command sees, wherever they are written.
#[derive(Args, Debug, Default, Clone)]
pub struct Global {
    /// Path to .sops.yaml (default: search upward from the working directory)
    #[arg(long, global = true, env = "SOPS_CONFIG")]
    pub config: Option<PathBuf>,
    /// Print more about what happens
    #[arg(long, global = true)]
    pub verbose: bool,

    /// age recipients, comma separated
    #[arg(short = 'a', long, global = true, env = "SOPS_AGE_RECIPIENTS")]
    pub age: Option<String>,
    /// PGP fingerprints, comma separated
    #[arg(short = 'p', long, global = true, env = "SOPS_PGP_FP")]
    pub pgp: Option<String>,
    /// AWS KMS ARNs (ARN[+ROLE_ARN]), comma separated
    #[arg(short = 'k', long, global = true, env = "SOPS_KMS_ARN")]
    pub kms: Option<String>,
    /// AWS profile for the KMS keys
    #[arg(long, global = true)]
    pub aws_profile: Option<String>,
    /// GCP KMS resource IDs, comma separated
    #[arg(long, global = true, env = "SOPS_GCP_KMS_IDS")]
    pub gcp_kms: Option<String>,
    /// Azure Key Vault key URLs, comma separated
    #[arg(long, global = true, env = "SOPS_AZURE_KEYVAULT_URLS")]
    pub azure_kv: Option<String>,
    /// HashiCorp Vault transit URIs, comma separated
    #[arg(long, global = true, env = "SOPS_VAULT_URIS")]
    pub hc_vault_transit: Option<String>,
    /// HuaweiCloud KMS key IDs, comma separated
    #[arg(long, global = true, env = "SOPS_HUAWEICLOUD_KMS_IDS")]
    pub hckms: Option<String>,
    /// KMS encryption context: key:value,key2:value2
    #[arg(long, global = true)]
    pub encryption_context: Option<String>,
    /// Number of key groups needed to decrypt (Shamir)
    #[arg(long = "shamir-secret-sharing-threshold", global = true)]
    pub shamir_threshold: Option<usize>,

    /// Keys ending with this suffix stay in clear (default _unencrypted)
    #[arg(long, global = true)]
    pub unencrypted_suffix: Option<String>,
    /// Only keys ending with this suffix are encrypted
    #[arg(long, global = true)]
    pub encrypted_suffix: Option<String>,
    /// Keys matching this regex stay in clear
    #[arg(long, global = true)]
    pub unencrypted_regex: Option<String>,
    /// Only keys matching this regex are encrypted
    #[arg(long, global = true)]
    pub encrypted_regex: Option<String>,
    /// Values below a comment matching this regex stay in clear
    #[arg(long, global = true)]
    pub unencrypted_comment_regex: Option<String>,
    /// Only values below a comment matching this regex are encrypted
    #[arg(long, global = true)]
    pub encrypted_comment_regex: Option<String>,
    /// Compute the MAC over encrypted values only
    #[arg(long, global = true)]
    pub mac_only_encrypted: bool,

    /// Input format: yaml, json, dotenv, ini, binary, toml (default: from the file name)
    #[arg(long, global = true)]
    pub input_type: Option<String>,
    /// Output format (default: from the file name)
    #[arg(long, global = true)]
    pub output_type: Option<String>,
    /// Indentation of YAML/JSON output
    #[arg(long, global = true, allow_negative_numbers = true)]
    pub indent: Option<i64>,

    /// Decrypt even if the MAC does not match
    #[arg(long, global = true)]
    pub ignore_mac: bool,
    /// Key types to try first when decrypting, comma separated (default age,pgp)
    #[arg(long, global = true, env = "SOPS_DECRYPTION_ORDER")]
    pub decryption_order: Option<String>,

    /// Write the result to this file instead of stdout
    #[arg(long, global = true)]
    pub output: Option<PathBuf>,
    /// Write the result back to the input file (atomically)
    #[arg(short = 'i', long, global = true)]
    pub in_place: bool,
    /// Print only this part of the tree, e.g. '["db"]["password"]'
    #[arg(long, global = true)]
    pub extract: Option<String>,
    /// Use this name instead of the real path for creation rules and the file format
    #[arg(long, global = true)]
    pub filename_override: Option<String>,
    /// Show master keys while editing
    #[arg(short = 's', long, global = true)]
    pub show_master_keys: bool,

    /// Use the local key service (always on in shroud)
    #[arg(long, global = true, action = ArgAction::Set, num_args = 0..=1,
          default_value_t = true, default_missing_value = "true", hide = true)]
    pub enable_local_keyservice: bool,
    /// Remote key services (not supported by shroud)
    #[arg(long, global = true, env = "SOPS_KEYSERVICE", hide = true)]
    pub keyservice: Vec<String>,
    /// Accepted for compatibility; shroud never checks for updates
    #[arg(long, global = true, hide = true, env = "SOPS_DISABLE_VERSION_CHECK")]
    pub disable_version_check: bool,
    /// Accepted for compatibility; shroud never checks for updates
    #[arg(long, global = true, hide = true)]
    pub check_for_updates: bool,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Encrypt a file
    Encrypt(FileArg),
    /// Decrypt a file
    Decrypt(FileArg),
}

#[derive(Args, Debug)]
pub struct FileArg {
    /// The file (stdin if absent)
    pub file: Option<PathBuf>,
}
