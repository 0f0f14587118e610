//! Flags + environment + `.sops.yaml` → the decisions a command needs (formats, indentation,
//! key groups, selection rule, decryption order, output target), resolved before any file is
//! touched and testable without keys.

use std::cell::OnceCell;
use std::path::{Path, PathBuf};

use super::args::Global;
use super::config::{self, Config};
use super::error::{code, CliError, CliResult};
use super::io::Output;
use crate::core::keys::DEFAULT_DECRYPTION_ORDER;
use crate::core::{Format, Selection};
use crate::keys::{kms_spec, split_list, KeySpec};
use crate::stores::StoreOptions;

/// What `encrypt` (and a new file in `edit`) will use.
#[derive(Debug)]
pub struct EncryptionPlan {
    pub groups: Vec<Vec<KeySpec>>,
    pub threshold: usize,
    pub selection: Selection,
    pub mac_only: bool,
}

/// The resolved global flags plus the lazily loaded config.
pub struct Ctx {
    pub g: Global,
    config: OnceCell<Option<Config>>,
}

const KEY_TYPE_NAMES: [&str; 7] = [
    "age", "pgp", "kms", "gcp_kms", "azure_kv", "hc_vault", "hckms",
];

impl Ctx {
    pub fn new(g: Global) -> Self {
        Ctx {
            g,
            config: OnceCell::new(),
        }
    }

    pub fn warn(&self, msg: &str) {
        eprintln!("[shroud] warning: {msg}");
    }

    /// The `.sops.yaml` in effect, if any (loaded once).
    pub fn config(&self) -> CliResult<Option<&Config>> {
        if let Some(c) = self.config.get() {
            return Ok(c.as_ref());
        }
        let loaded = match config::discover(self.g.config.as_deref())? {
            Some(p) => Some(config::load(&p)?),
            None => None,
        };
        Ok(self.config.get_or_init(|| loaded).as_ref())
    }

    /// The name used to pick formats and creation rules.
    pub fn name_for(&self, file: Option<&Path>) -> String {
        match (&self.g.filename_override, file) {
            (Some(n), _) => n.clone(),
            (None, Some(f)) => f.to_string_lossy().into_owned(),
            (None, None) => String::new(),
        }
    }

    fn pick_format(flag: Option<&str>, name: &str) -> Format {
        flag.and_then(Format::from_name)
            .unwrap_or_else(|| Format::from_path(name))
    }

    pub fn input_format(&self, name: &str) -> Format {
        Self::pick_format(self.g.input_type.as_deref(), name)
    }

    pub fn output_format(&self, name: &str) -> Format {
        Self::pick_format(self.g.output_type.as_deref(), name)
    }

    /// Store settings from `stores:` in the config, overridden by `--indent` for output.
    pub fn store_options(&self, for_output: bool) -> CliResult<StoreOptions> {
        let cfg = self.config()?;
        let mut opts = StoreOptions::default();
        let yaml = |v: i64| -> CliResult<usize> {
            match v {
                v if v < 0 => Err(CliError::new(
                    code::GENERIC,
                    format!("YAML indentation cannot be negative ({v})"),
                )),
                0 => Ok(4),
                v if (2..=9).contains(&v) => Ok(v as usize),
                _ => Ok(2),
            }
        };
        let json = |v: i64| -> CliResult<Option<usize>> {
            match v {
                -1 => Ok(None),
                v if v < -1 => Err(CliError::new(
                    code::GENERIC,
                    format!("JSON indentation must be -1 or more ({v})"),
                )),
                v => Ok(Some(v as usize)),
            }
        };
        if let Some(c) = cfg {
            if let Some(v) = c.yaml_indent {
                opts.yaml_indent = yaml(v)?;
            }
            if let Some(v) = c.json_indent {
                opts.json_indent = json(v)?;
            }
            if let Some(v) = c.json_binary_indent {
                opts.json_binary_indent = json(v)?;
            }
        }
        if let (true, Some(v)) = (for_output, self.g.indent) {
            opts.yaml_indent = yaml(v)?;
            opts.json_indent = json(v)?;
            opts.json_binary_indent = json(v)?;
        }
        Ok(opts)
    }

    /// `--decryption-order` / `SOPS_DECRYPTION_ORDER`, validated.
    pub fn decryption_order(&self) -> CliResult<Vec<String>> {
        let Some(s) = self
            .g
            .decryption_order
            .as_deref()
            .filter(|s| !s.trim().is_empty())
        else {
            return Ok(DEFAULT_DECRYPTION_ORDER
                .iter()
                .map(|s| s.to_string())
                .collect());
        };
        let order = split_list(s);
        for (i, o) in order.iter().enumerate() {
            if order[..i].contains(o) {
                return Err(CliError::new(
                    code::DUPLICATE_DECRYPTION_KEY_TYPE,
                    format!("duplicate key type {o:?} in the decryption order"),
                ));
            }
            if !KEY_TYPE_NAMES.contains(&o.as_str()) && o != "gcp_kms" {
                return Err(CliError::new(
                    code::GENERIC,
                    format!("unknown key type {o:?} in the decryption order"),
                )
                .hint(format!("known types: {}", KEY_TYPE_NAMES.join(", "))));
            }
        }
        Ok(order)
    }

    /// Where the result goes: `-i` → the input file, `--output`, else stdout.
    pub fn output(&self, file: Option<&Path>) -> CliResult<Output> {
        match (self.g.in_place, &self.g.output, file) {
            (true, Some(_), _) => Err(CliError::new(
                code::CONFLICTING_PARAMETERS,
                "--in-place and --output cannot be used together",
            )),
            (true, None, None) => Err(CliError::new(
                code::CONFLICTING_PARAMETERS,
                "--in-place cannot be used with standard input",
            )),
            (true, None, Some(f)) => Ok(Output::File(f.to_path_buf())),
            (false, Some(o), _) => Ok(Output::File(o.clone())),
            (false, None, _) => Ok(Output::Stdout),
        }
    }

    /// `--encryption-context k:v,k2:v2`.
    pub fn encryption_context(&self) -> CliResult<Vec<(String, String)>> {
        let Some(s) = self.g.encryption_context.as_deref() else {
            return Ok(vec![]);
        };
        split_list(s)
            .into_iter()
            .map(|pair| {
                let parts: Vec<&str> = pair.split(':').collect();
                match parts.as_slice() {
                    [k, v] => Ok((k.to_string(), v.to_string())),
                    _ => Err(CliError::new(
                        code::INVALID_KMS_CONTEXT,
                        "invalid --encryption-context: expected key:value pairs separated by commas",
                    )),
                }
            })
            .collect()
    }

    /// Keys given as flags (or their environment variables): one group, in sops's order.
    fn flag_keys(&self) -> CliResult<Vec<KeySpec>> {
        let g = &self.g;
        let ctx = self.encryption_context()?;
        let mut group = Vec::new();
        let list = |v: &Option<String>| v.as_deref().map(split_list).unwrap_or_default();
        for k in list(&g.kms) {
            group.push(kms_spec(&k, &ctx, g.aws_profile.as_deref()));
        }
        for (kind, v) in [
            ("gcp_kms", &g.gcp_kms),
            ("hckms", &g.hckms),
            ("azure_kv", &g.azure_kv),
        ] {
            group.extend(list(v).into_iter().map(|id| KeySpec::Other { kind, id }));
        }
        group.extend(
            list(&g.pgp)
                .into_iter()
                .map(|p| KeySpec::Pgp(p.replace(' ', ""))),
        );
        group.extend(
            list(&g.hc_vault_transit)
                .into_iter()
                .map(|id| KeySpec::Other {
                    kind: "hc_vault",
                    id,
                }),
        );
        group.extend(list(&g.age).into_iter().map(KeySpec::Age));
        Ok(group)
    }

    fn flag_selection(&self) -> Vec<(&'static str, String)> {
        let g = &self.g;
        [
            ("unencrypted_suffix", &g.unencrypted_suffix),
            ("encrypted_suffix", &g.encrypted_suffix),
            ("unencrypted_regex", &g.unencrypted_regex),
            ("encrypted_regex", &g.encrypted_regex),
            ("unencrypted_comment_regex", &g.unencrypted_comment_regex),
            ("encrypted_comment_regex", &g.encrypted_comment_regex),
        ]
        .into_iter()
        .filter_map(|(f, v)| v.clone().filter(|v| !v.is_empty()).map(|v| (f, v)))
        .collect()
    }

    /// Keys and rules for encrypting `target`: key flags win over the creation rule; the
    /// selection rule and `mac_only_encrypted` come from flags if set, else from the rule.
    pub fn encryption_plan(&self, target: &Path) -> CliResult<EncryptionPlan> {
        let flag_sel = self.flag_selection();
        if flag_sel.len() > 1 {
            return Err(CliError::new(
                code::CONFLICTING_PARAMETERS,
                format!(
                    "cannot use more than one of {}",
                    flag_sel
                        .iter()
                        .map(|(f, _)| format!("--{}", f.replace('_', "-")))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
        let flag_group = self.flag_keys()?;
        let rule = if flag_group.is_empty() || flag_sel.is_empty() {
            match self.config()? {
                Some(c) => c.matching_rule(target)?,
                None => None,
            }
        } else {
            None
        };
        let groups = if !flag_group.is_empty() {
            vec![flag_group]
        } else {
            match rule {
                Some(r) => r.key_groups.clone(),
                None => {
                    return Err(CliError::new(
                        code::GENERIC,
                        "config file not found, or has no creation rules, and no keys provided through command line options",
                    )
                    .hint("pass recipients with --age/--pgp/--kms, or add creation_rules to .sops.yaml (see .sops.yaml.example)"))
                }
            }
        };
        let sel_pairs: Vec<(&str, &str)> = if !flag_sel.is_empty() {
            flag_sel.iter().map(|(f, v)| (*f, v.as_str())).collect()
        } else {
            rule.map(|r| r.selection.iter().map(|(f, v)| (*f, v.as_str())).collect())
                .unwrap_or_default()
        };
        let selection = Selection::pick(sel_pairs)
            .map_err(|e| CliError::new(code::CONFLICTING_PARAMETERS, e))?;
        let threshold = match self.g.shamir_threshold {
            Some(t) if t > 0 => t,
            _ => rule.map(|r| r.shamir_threshold).unwrap_or(0),
        };
        Ok(EncryptionPlan {
            groups,
            threshold,
            selection,
            mac_only: self.g.mac_only_encrypted || rule.is_some_and(|r| r.mac_only_encrypted),
        })
    }

    /// The path creation rules see for `file`.
    pub fn rule_target(&self, file: Option<&Path>) -> PathBuf {
        PathBuf::from(self.name_for(file))
    }
}
