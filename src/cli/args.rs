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
    #[arg(short = 'a', long, global = true, env = "SOPS_AGE_RECIPIENTS", action = ArgAction::Append)]
    pub age: Option<String>,
    /// PGP fingerprints, comma separated
    #[arg(short = 'p', long, global = true, env = "SOPS_PGP_FP", action = ArgAction::Append)]
    pub pgp: Option<String>,
    /// AWS KMS ARNs (ARN[+ROLE_ARN]), comma separated
    #[arg(short = 'k', long, global = true, env = "SOPS_KMS_ARN", action = ArgAction::Append)]
    pub kms: Option<String>,
    /// AWS profile for the KMS keys
    #[arg(long, global = true)]
    pub aws_profile: Option<String>,
    /// GCP KMS resource IDs, comma separated
    #[arg(long, global = true, env = "SOPS_GCP_KMS_IDS", action = ArgAction::Append)]
    pub gcp_kms: Option<String>,
    /// Azure Key Vault key URLs, comma separated
    #[arg(long, global = true, env = "SOPS_AZURE_KEYVAULT_URLS", action = ArgAction::Append)]
    pub azure_kv: Option<String>,
    /// HashiCorp Vault transit URIs, comma separated
    #[arg(long, global = true, env = "SOPS_VAULT_URIS", action = ArgAction::Append)]
    pub hc_vault_transit: Option<String>,
    /// HuaweiCloud KMS key IDs, comma separated
    #[arg(long, global = true, env = "SOPS_HUAWEICLOUD_KMS_IDS", action = ArgAction::Append)]
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
    #[arg(long, global = true, hide = true, env = "SOPS_DISABLE_VERSION_CHECK",
          action = ArgAction::SetTrue, value_parser = clap::builder::BoolishValueParser::new())]
    pub disable_version_check: bool,
    /// Accepted for compatibility; shroud never checks for updates
    #[arg(long, global = true, hide = true)]
    pub check_for_updates: bool,

    #[command(flatten)]
    pub key_edits: KeyEdits,

    /// Key flags whose value came from an environment variable (`SOPS_AGE_RECIPIENTS`, ...),
    /// by field name; `groups add` takes keys from the command line only, as sops does.
    #[arg(skip)]
    pub keys_from_env: Vec<&'static str>,
}

/// `--add-*` / `--rm-*`: recipients to add to the first key group or remove from all groups
/// (rotate, legacy `-r`). Comma-separated and repeatable.
#[derive(Args, Debug, Default, Clone)]
pub struct KeyEdits {
    /// Add these AWS KMS ARNs to the first key group
    #[arg(long, global = true, action = ArgAction::Append)]
    pub add_kms: Vec<String>,
    /// Add these PGP fingerprints to the first key group
    #[arg(long, global = true, action = ArgAction::Append)]
    pub add_pgp: Vec<String>,
    /// Add these GCP KMS resource IDs to the first key group
    #[arg(long, global = true, action = ArgAction::Append)]
    pub add_gcp_kms: Vec<String>,
    /// Add these HuaweiCloud KMS key IDs to the first key group
    #[arg(long, global = true, action = ArgAction::Append)]
    pub add_hckms: Vec<String>,
    /// Add these Azure Key Vault key URLs to the first key group
    #[arg(long, global = true, action = ArgAction::Append)]
    pub add_azure_kv: Vec<String>,
    /// Add these HashiCorp Vault transit URIs to the first key group
    #[arg(long, global = true, action = ArgAction::Append)]
    pub add_hc_vault_transit: Vec<String>,
    /// Add these age recipients to the first key group
    #[arg(long, global = true, action = ArgAction::Append)]
    pub add_age: Vec<String>,
    /// Remove these AWS KMS ARNs from every key group
    #[arg(long, global = true, action = ArgAction::Append)]
    pub rm_kms: Vec<String>,
    /// Remove these PGP fingerprints from every key group
    #[arg(long, global = true, action = ArgAction::Append)]
    pub rm_pgp: Vec<String>,
    /// Remove these GCP KMS resource IDs from every key group
    #[arg(long, global = true, action = ArgAction::Append)]
    pub rm_gcp_kms: Vec<String>,
    /// Remove these HuaweiCloud KMS key IDs from every key group
    #[arg(long, global = true, action = ArgAction::Append)]
    pub rm_hckms: Vec<String>,
    /// Remove these Azure Key Vault key URLs from every key group
    #[arg(long, global = true, action = ArgAction::Append)]
    pub rm_azure_kv: Vec<String>,
    /// Remove these HashiCorp Vault transit URIs from every key group
    #[arg(long, global = true, action = ArgAction::Append)]
    pub rm_hc_vault_transit: Vec<String>,
    /// Remove these age recipients from every key group
    #[arg(long, global = true, action = ArgAction::Append)]
    pub rm_age: Vec<String>,
}

impl KeyEdits {
    /// Whether any `--add-*` or `--rm-*` flag was given.
    pub fn any(&self) -> bool {
        [
            &self.add_kms,
            &self.add_pgp,
            &self.add_gcp_kms,
            &self.add_hckms,
            &self.add_azure_kv,
            &self.add_hc_vault_transit,
            &self.add_age,
            &self.rm_kms,
            &self.rm_pgp,
            &self.rm_gcp_kms,
            &self.rm_hckms,
            &self.rm_azure_kv,
            &self.rm_hc_vault_transit,
            &self.rm_age,
        ]
        .iter()
        .any(|v| v.iter().any(|s| !s.trim().is_empty()))
    }
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Encrypt a file
    Encrypt(EncryptArgs),
    /// Decrypt a file
    Decrypt(FileArg),
    /// Edit an encrypted file in $SOPS_EDITOR / $EDITOR (creates it if missing)
    Edit(FileArg),
    /// Set one value: FILE INDEX VALUE (VALUE is JSON), e.g. set f.yaml '["db"]["pw"]' '"x"'
    Set(SetArgs),
    /// Remove one key or list element: FILE INDEX
    Unset(UnsetArgs),
    /// New data key, re-encrypt every value; --add-*/--rm-* change recipients
    Rotate(FileArg),
    /// Apply the matching creation rule's keys to the files (same data key and values)
    Updatekeys(UpdatekeysArgs),
    /// Print {"encrypted":true} or {"encrypted":false}
    Filestatus(FileArg),
    /// Add or delete key groups
    Groups(GroupsArgs),
    /// Run COMMAND with the file's top-level entries as environment variables
    ExecEnv(ExecEnvArgs),
    /// Run COMMAND with {} replaced by the path of the decrypted file
    ExecFile(ExecFileArgs),
}

#[derive(Args, Debug)]
pub struct FileArg {
    /// The file (stdin if absent)
    pub file: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct EncryptArgs {
    /// The plaintext file (stdin if absent)
    pub file: Option<PathBuf>,
    /// Encrypt onto this existing encrypted file: keep its data key, recipients and rules,
    /// re-encrypt only what changed (unchanged values keep their ciphertext) and write it
    /// back atomically; nothing is written when the plaintext is unchanged. Created like a
    /// normal encrypt if it does not exist yet.
    #[arg(long, value_name = "ENCRYPTED_FILE")]
    pub onto: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct SetArgs {
    /// FILE INDEX VALUE (FILE INDEX with --value-stdin)
    #[arg(allow_negative_numbers = true, value_name = "FILE INDEX VALUE")]
    pub args: Vec<String>,
    /// VALUE is a file whose content is the JSON value
    #[arg(long)]
    pub value_file: bool,
    /// Read the JSON value from standard input
    #[arg(long)]
    pub value_stdin: bool,
    /// Do not write the file when the value is already set
    #[arg(long)]
    pub idempotent: bool,
}

#[derive(Args, Debug)]
pub struct UnsetArgs {
    /// FILE INDEX
    #[arg(value_name = "FILE INDEX")]
    pub args: Vec<String>,
    /// A missing INDEX is not an error
    #[arg(long)]
    pub idempotent: bool,
}

#[derive(Args, Debug)]
pub struct UpdatekeysArgs {
    /// The files to update
    pub files: Vec<PathBuf>,
    /// Do not ask for confirmation
    #[arg(short = 'y', long)]
    pub yes: bool,
}

#[derive(Args, Debug)]
pub struct GroupsArgs {
    #[command(subcommand)]
    pub command: GroupsCommand,
}

#[derive(Subcommand, Debug)]
pub enum GroupsCommand {
    /// Append a key group made of the given --age/--pgp/--kms/... keys
    Add(GroupsAddArgs),
    /// Delete the key group INDEX (0-based)
    Delete(GroupsDeleteArgs),
}

#[derive(Args, Debug)]
pub struct GroupsAddArgs {
    /// The encrypted file
    #[arg(short = 'f', long)]
    pub file: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct GroupsDeleteArgs {
    /// The encrypted file
    #[arg(short = 'f', long)]
    pub file: Option<PathBuf>,
    /// Index of the group to delete (0-based)
    pub index: Option<usize>,
}

#[derive(Args, Debug)]
pub struct ExecEnvArgs {
    /// FILE COMMAND (COMMAND is split into words like a shell would, but never run by one)
    #[arg(value_name = "FILE COMMAND")]
    pub args: Vec<String>,
    /// Start COMMAND and return at once (deprecated in sops)
    #[arg(long)]
    pub background: bool,
    /// Only the file's variables, no inherited environment
    #[arg(long)]
    pub pristine: bool,
    /// Run COMMAND as this user
    #[arg(long)]
    pub user: Option<String>,
    /// Replace shroud with COMMAND instead of running it as a child
    #[arg(long)]
    pub same_process: bool,
}

#[derive(Args, Debug)]
pub struct ExecFileArgs {
    /// FILE COMMAND; every {} in COMMAND becomes the path of the decrypted file
    #[arg(value_name = "FILE COMMAND")]
    pub args: Vec<String>,
    /// Start COMMAND and return once it has read the file (FIFO only)
    #[arg(long)]
    pub background: bool,
    /// Use a 0600 file in a private temp dir instead of a FIFO
    #[arg(long)]
    pub no_fifo: bool,
    /// Run COMMAND as this user
    #[arg(long)]
    pub user: Option<String>,
    /// Name of the decrypted file (a relative name inside the private temp dir)
    #[arg(long)]
    pub filename: Option<String>,
}
