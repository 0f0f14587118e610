//! One module per subcommand; shared steps (load an encrypted file and open it, print a tree)
//! live here so each command reads as its own recipe.

pub mod decrypt;
pub mod edit;
pub mod encrypt;
mod exec;
pub mod exec_env;
pub mod exec_file;
pub mod filestatus;
pub mod groups;
pub mod onto;
pub mod rotate;
pub mod set;
pub mod updatekeys;

use std::path::Path;

use super::context::Ctx;
use super::error::{code, CliError, CliResult, Phase};
use super::io::read_input;
use crate::core::codec::Cipher;
use crate::core::keys::wrap_data_key;
use crate::core::metadata::{KeyGroup, SOPS_VERSION};
use crate::core::ops::{self, Opened};
use crate::core::{DataKey, Document, Error, Format, Metadata, Store, Timestamp};
use crate::keys::{self, KeySpec, Registry};
use crate::stores::store_for;

/// An encrypted file, parsed and with its metadata read (not yet decrypted).
pub struct EncryptedFile {
    pub docs: Vec<Document>,
    pub meta: Metadata,
}

/// A label for messages: the file path, or `stdin`.
pub fn label(file: Option<&Path>) -> &Path {
    file.unwrap_or(Path::new("stdin"))
}

/// The input and output stores of a command. When both formats are the same, one instance
/// does both, so a store that remembers the layout it loaded (TOML) can print it back.
pub struct Stores {
    input: Box<dyn Store>,
    output: Option<Box<dyn Store>>,
    pub input_format: Format,
    pub output_format: Format,
}

impl Stores {
    pub fn new(ctx: &Ctx, file: Option<&Path>) -> CliResult<Stores> {
        let name = ctx.name_for(file);
        Stores::for_formats(ctx, ctx.input_format(&name), ctx.output_format(&name))
    }

    /// Stores for explicit formats (`encrypt --onto` reads two files of different formats).
    pub fn for_formats(ctx: &Ctx, inf: Format, outf: Format) -> CliResult<Stores> {
        let out_opts = ctx.store_options(true)?;
        Ok(if inf == outf {
            Stores {
                input: store_for(inf, out_opts),
                output: None,
                input_format: inf,
                output_format: outf,
            }
        } else {
            Stores {
                input: store_for(inf, ctx.store_options(false)?),
                output: Some(store_for(outf, out_opts)),
                input_format: inf,
                output_format: outf,
            }
        })
    }

    pub fn input(&self) -> &dyn Store {
        self.input.as_ref()
    }

    pub fn output(&self) -> &dyn Store {
        self.output.as_deref().unwrap_or(self.input.as_ref())
    }
}

/// Parses an encrypted file with the input store and reads its metadata.
pub fn load_encrypted(
    store: &dyn Store,
    file: Option<&Path>,
    bytes: &[u8],
) -> CliResult<EncryptedFile> {
    let lab = label(file);
    let loaded = store
        .load(bytes)
        .map_err(|e| CliError::from_core(lab, e.into(), Phase::LoadEncrypted))?;
    let meta_value = loaded
        .metadata
        .ok_or_else(|| CliError::from_core(lab, Error::MetadataNotFound, Phase::LoadEncrypted))?;
    let meta = Metadata::from_value(&meta_value, &Registry)
        .map_err(|e| CliError::from_core(lab, e, Phase::LoadEncrypted))?;
    Ok(EncryptedFile {
        docs: loaded.docs,
        meta,
    })
}

/// Unwraps the data key and decrypts in place (MAC checked unless `--ignore-mac`).
pub fn open(ctx: &Ctx, file: Option<&Path>, f: &mut EncryptedFile) -> CliResult<Opened> {
    let order = ctx.decryption_order()?;
    let opened = ops::open(&mut f.docs, &f.meta, &order, ctx.g.ignore_mac).map_err(|e| {
        let mut err = CliError::from_core(label(file), e, Phase::LoadEncrypted);
        if err.code == code::COULD_NOT_RETRIEVE_KEY {
            let recipients: Vec<String> = f
                .meta
                .all_keys()
                .map(|k| format!("{} {}", k.kind(), k.id()))
                .collect();
            err = err.hint(format!(
                "the file can be opened by: {}",
                recipients.join(", ")
            ));
        }
        err
    })?;
    for w in &opened.warnings {
        ctx.warn(&format!("{}: {w}", label(file).display()));
    }
    Ok(opened)
}

/// Maps an emit failure to exit code 4 naming the file.
pub fn emit_err(file: Option<&Path>, e: crate::core::StoreError, format: Format) -> CliError {
    let err = CliError::from_core(label(file), e.into(), Phase::Emit);
    match format {
        Format::Binary => err.hint("use --output-type to choose a structured format"),
        _ => err,
    }
}

/// sops's FailedToCompareVersions: `edit` of a file whose `version` is not SemVer.
pub const FAILED_TO_COMPARE_VERSIONS: u8 = 202;

/// `--add-*`/`--rm-*` on a file that does not exist (sops: exit 49).
pub fn missing_file_key_edits(file: &Path) -> CliError {
    CliError::new(
        code::CANNOT_CHANGE_KEYS_OF_MISSING_FILE,
        format!(
            "{}: cannot add or remove keys on non-existent files",
            file.display()
        ),
    )
    .hint("create it first with: shroud edit FILE (or shroud encrypt)")
}

/// Master keys for key specs, one group per spec list.
pub fn build_groups(lab: &Path, specs: &[Vec<KeySpec>]) -> CliResult<Vec<KeyGroup>> {
    specs
        .iter()
        .map(|group| {
            group
                .iter()
                .map(|s| {
                    keys::build(s).map_err(|e| {
                        CliError::new(code::GENERIC, format!("{}: {e}", lab.display()))
                    })
                })
                .collect()
        })
        .collect()
}

/// The metadata and data key of a file that does not exist yet (encrypt, edit of a new file,
/// encrypt --onto a missing file): keys and rules from the flags or the creation rule for
/// `rule_target`. A key that cannot wrap fails with `wrap_code`.
pub fn new_metadata(
    ctx: &Ctx,
    lab: &Path,
    rule_target: &Path,
    binary: bool,
    wrap_code: u8,
) -> CliResult<(Metadata, DataKey)> {
    let plan = ctx.encryption_plan(rule_target)?;
    let mut groups = build_groups(lab, &plan.groups)?;
    let key = DataKey::generate();
    wrap_data_key(&mut groups, &key, plan.threshold)
        .map_err(|e| CliError::new(wrap_code, format!("{}: {e}", lab.display())))?;
    let meta = Metadata {
        shamir_threshold: match (groups.len(), plan.threshold) {
            (1, _) => 0,
            (n, 0) => n,
            (_, t) => t,
        },
        key_groups: groups,
        lastmodified: Timestamp::now_utc(),
        mac: String::new(),
        // The binary store stores no selection rule: its one value is always encrypted.
        selection: (!binary).then_some(plan.selection),
        mac_only_encrypted: plan.mac_only && !binary,
        version: SOPS_VERSION.to_string(),
    };
    Ok((meta, key))
}

/// An encrypted file decrypted in memory for a command that changes it and writes it back.
pub struct Session {
    pub stores: Stores,
    /// The bytes read, for "nothing changed" checks.
    pub original: Vec<u8>,
    pub docs: Vec<Document>,
    pub meta: Metadata,
    /// The data key and the cipher holding every value's IV (unchanged values re-encrypt to
    /// the same ciphertext).
    pub opened: Opened,
}

/// Reads, parses and decrypts `file` (MAC checked unless `--ignore-mac`).
pub fn open_session(ctx: &Ctx, file: &Path) -> CliResult<Session> {
    let stores = Stores::new(ctx, Some(file))?;
    let original = read_input(Some(file))?;
    let mut f = load_encrypted(stores.input(), Some(file), &original)?;
    let opened = open(ctx, Some(file), &mut f)?;
    Ok(Session {
        stores,
        original,
        docs: f.docs,
        meta: f.meta,
        opened,
    })
}

/// Encrypts `docs` with `cipher` (new `lastmodified` and MAC) and prints the encrypted file.
pub fn seal_emit(
    stores: &Stores,
    file: &Path,
    docs: &mut [Document],
    meta: &mut Metadata,
    cipher: &mut Cipher,
) -> CliResult<Vec<u8>> {
    ops::seal(docs, meta, cipher).map_err(|e| CliError::from_core(file, e, Phase::LoadPlain))?;
    emit_encrypted(stores, file, docs, meta)
}

/// Prints documents (still encrypted) with their metadata, without touching either.
pub fn emit_encrypted(
    stores: &Stores,
    file: &Path,
    docs: &[Document],
    meta: &Metadata,
) -> CliResult<Vec<u8>> {
    stores
        .output()
        .emit(docs, Some(&meta.to_map()))
        .map_err(|e| emit_err(Some(file), e, stores.output_format))
}

/// Recovers the data key without decrypting the tree (key-only changes).
pub fn data_key(ctx: &Ctx, file: &Path, meta: &Metadata) -> CliResult<DataKey> {
    let order = ctx.decryption_order()?;
    crate::core::keys::recover_data_key(&meta.key_groups, meta.shamir_threshold, &order)
        .map_err(|e| CliError::from_core(file, e, Phase::LoadEncrypted))
}

/// Reads and parses an encrypted file without decrypting it.
pub fn load_session_meta(ctx: &Ctx, file: &Path) -> CliResult<(Stores, EncryptedFile)> {
    let stores = Stores::new(ctx, Some(file))?;
    let bytes = read_input(Some(file))?;
    let f = load_encrypted(stores.input(), Some(file), &bytes)?;
    Ok((stores, f))
}

/// `(type, identity)` of every key, per group: what a person compares.
pub fn group_ids(groups: &[KeyGroup]) -> Vec<Vec<(&'static str, String)>> {
    groups
        .iter()
        .map(|g| g.iter().map(|k| (k.kind(), k.id())).collect())
        .collect()
}

/// Logs with `--verbose` only.
pub fn info(ctx: &Ctx, msg: &str) {
    if ctx.g.verbose {
        eprintln!("[shroud] {msg}");
    }
}
