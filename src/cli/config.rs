//! `.sops.yaml`: discovery, creation rules and store settings, read the way sops reads them
//! (unknown keys ignored, comma strings or lists, first matching rule wins) so that an existing
//! repository's config works unchanged.

use std::path::{Path, PathBuf};

use regex::Regex;

use super::error::{code, CliError, CliResult};
use crate::core::{Format, Map, Value};
use crate::keys::{kms_spec, split_list, KeySpec};
use crate::stores::{store_for, StoreOptions};

/// A parsed `.sops.yaml`.
#[derive(Debug, Default)]
pub struct Config {
    /// The file it came from.
    pub path: PathBuf,
    /// `None` when the file has no `creation_rules` key. A malformed rule is kept as its error
    /// and reported only when rules are needed, so `decrypt` (which reads just `stores`, as in
    /// sops) is never broken by a typo in a creation rule.
    pub creation_rules: Option<Result<Vec<CreationRule>, String>>,
    pub yaml_indent: Option<i64>,
    pub json_indent: Option<i64>,
    pub json_binary_indent: Option<i64>,
}

/// One creation rule.
#[derive(Debug, Default)]
pub struct CreationRule {
    pub path_regex: Option<Regex>,
    /// Key groups; the flat keys of a rule form one group.
    pub key_groups: Vec<Vec<KeySpec>>,
    pub shamir_threshold: usize,
    /// `(field, value)` of the selection options present in the rule.
    pub selection: Vec<(&'static str, String)>,
    pub mac_only_encrypted: bool,
}

/// Finds the config: `--config`/`SOPS_CONFIG`, else `.sops.yaml` in the working directory or
/// up to 100 parents.
pub fn discover(explicit: Option<&Path>) -> CliResult<Option<PathBuf>> {
    if let Some(p) = explicit {
        return Ok(Some(p.to_path_buf()));
    }
    let mut dir = std::env::current_dir()
        .map_err(|e| CliError::new(code::GENERIC, format!("cannot read working directory: {e}")))?;
    for _ in 0..100 {
        let candidate = dir.join(".sops.yaml");
        if candidate.is_file() {
            return Ok(Some(candidate));
        }
        if !dir.pop() {
            break;
        }
    }
    Ok(None)
}

fn cfg_err(path: &Path, msg: impl std::fmt::Display) -> CliError {
    CliError::new(code::GENERIC, format!("{}: {msg}", path.display()))
}

/// A comma string or a list of strings.
fn string_list(path: &Path, what: &str, v: Option<&Value>) -> CliResult<Vec<String>> {
    match v {
        None | Some(Value::Null) => Ok(vec![]),
        Some(Value::Str(s)) => Ok(split_list(s)),
        Some(Value::Seq(items)) => {
            let mut out = Vec::new();
            for i in items {
                match i {
                    Value::Str(s) => out.extend(split_list(s)),
                    Value::Comment(_) => {}
                    _ => return Err(cfg_err(path, format!("{what}: list items must be strings"))),
                }
            }
            Ok(out)
        }
        Some(_) => Err(cfg_err(
            path,
            format!("{what} must be a string or a list of strings"),
        )),
    }
}

fn str_of(v: Option<&Value>) -> Option<String> {
    match v {
        Some(Value::Str(s)) => Some(s.clone()),
        Some(Value::Int(i)) => Some(i.to_string()),
        _ => None,
    }
}

fn int_of(path: &Path, what: &str, v: Option<&Value>) -> CliResult<Option<i64>> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Int(i)) => Ok(Some(*i)),
        Some(Value::Str(s)) => s
            .parse()
            .map(Some)
            .map_err(|_| cfg_err(path, format!("{what} must be an integer"))),
        Some(_) => Err(cfg_err(path, format!("{what} must be an integer"))),
    }
}

/// Pushes specs, dropping duplicates (same type and identity) inside the group.
fn push_unique(group: &mut Vec<KeySpec>, spec: KeySpec) {
    if !group
        .iter()
        .any(|s| s.kind() == spec.kind() && s.id() == spec.id())
    {
        group.push(spec);
    }
}

fn other_specs(kind: &'static str, ids: Vec<String>) -> impl Iterator<Item = KeySpec> {
    ids.into_iter().map(move |id| KeySpec::Other { kind, id })
}

/// The keys of a `key_groups` element (with `merge` groups first, recursively).
fn parse_group(path: &Path, m: &Map, out: &mut Vec<KeySpec>) -> CliResult<()> {
    if let Some(Value::Seq(merged)) = m.get("merge") {
        for g in merged {
            if let Value::Map(gm) = g {
                parse_group(path, gm, out)?;
            }
        }
    }
    for a in string_list(path, "age", m.get("age"))? {
        push_unique(out, KeySpec::Age(a));
    }
    for p in string_list(path, "pgp", m.get("pgp"))? {
        push_unique(out, KeySpec::Pgp(p.replace(' ', "")));
    }
    if let Some(Value::Seq(kms)) = m.get("kms") {
        for k in kms {
            let Value::Map(km) = k else { continue };
            let arn = str_of(km.get("arn")).unwrap_or_default();
            let context = match km.get("context") {
                Some(Value::Map(c)) => {
                    let pairs: Option<Vec<(String, String)>> = c
                        .entries()
                        .map(|(k, v)| v.as_str().map(|s| (k.to_string(), s.to_string())))
                        .collect();
                    pairs.unwrap_or_default()
                }
                _ => vec![],
            };
            let mut spec = kms_spec(&arn, &context, str_of(km.get("aws_profile")).as_deref());
            if let (KeySpec::Kms { role, .. }, Some(r)) = (&mut spec, str_of(km.get("role"))) {
                if !r.is_empty() {
                    *role = Some(r);
                }
            }
            push_unique(out, spec);
        }
    }
    let resource = |list: Option<&Value>, field: &str| -> Vec<String> {
        match list {
            Some(Value::Seq(items)) => items
                .iter()
                .filter_map(|i| i.as_map().and_then(|m| str_of(m.get(field))))
                .collect(),
            _ => vec![],
        }
    };
    for s in other_specs("gcp_kms", resource(m.get("gcp_kms"), "resource_id")) {
        push_unique(out, s);
    }
    for s in other_specs("hckms", resource(m.get("hckms"), "key_id")) {
        push_unique(out, s);
    }
    for s in other_specs("azure_kv", resource(m.get("azure_keyvault"), "vaultUrl")) {
        push_unique(out, s);
    }
    for s in other_specs(
        "hc_vault",
        string_list(path, "hc_vault", m.get("hc_vault"))?,
    ) {
        push_unique(out, s);
    }
    Ok(())
}

fn parse_rule(path: &Path, m: &Map) -> CliResult<CreationRule> {
    let mut rule = CreationRule::default();
    if let Some(re) = str_of(m.get("path_regex")).filter(|s| !s.is_empty()) {
        rule.path_regex = Some(
            Regex::new(&re)
                .map_err(|e| cfg_err(path, format!("invalid path_regex {re:?}: {e}")))?,
        );
    }
    match m.get("key_groups") {
        Some(Value::Seq(groups)) if !groups.is_empty() => {
            for g in groups {
                let mut specs = Vec::new();
                if let Value::Map(gm) = g {
                    parse_group(path, gm, &mut specs)?;
                }
                rule.key_groups.push(specs);
            }
        }
        _ => {
            let mut group = Vec::new();
            let profile = str_of(m.get("aws_profile"));
            for a in string_list(path, "age", m.get("age"))? {
                push_unique(&mut group, KeySpec::Age(a));
            }
            for p in string_list(path, "pgp", m.get("pgp"))? {
                push_unique(&mut group, KeySpec::Pgp(p.replace(' ', "")));
            }
            for k in string_list(path, "kms", m.get("kms"))? {
                push_unique(&mut group, kms_spec(&k, &[], profile.as_deref()));
            }
            for (field, kind) in [
                ("gcp_kms", "gcp_kms"),
                ("hckms", "hckms"),
                ("azure_keyvault", "azure_kv"),
                ("hc_vault_transit_uri", "hc_vault"),
            ] {
                for s in other_specs(kind, string_list(path, field, m.get(field))?) {
                    push_unique(&mut group, s);
                }
            }
            rule.key_groups.push(group);
        }
    }
    rule.shamir_threshold = int_of(path, "shamir_threshold", m.get("shamir_threshold"))?
        .unwrap_or(0)
        .max(0) as usize;
    for f in crate::core::rules::FIELDS {
        if let Some(v) = str_of(m.get(f)).filter(|v| !v.is_empty()) {
            rule.selection.push((f, v));
        }
    }
    rule.mac_only_encrypted = matches!(m.get("mac_only_encrypted"), Some(Value::Bool(true)));
    Ok(rule)
}

/// Reads and parses a config file.
pub fn load(path: &Path) -> CliResult<Config> {
    let bytes = std::fs::read(path).map_err(|e| cfg_err(path, format!("cannot read: {e}")))?;
    let loaded = store_for(Format::Yaml, StoreOptions::default())
        .load(&bytes)
        .map_err(|e| cfg_err(path, e))?;
    let mut cfg = Config {
        path: path.to_path_buf(),
        ..Config::default()
    };
    let Some(doc) = loaded.docs.first() else {
        return Ok(cfg);
    };
    if let Some(rules) = doc.get("creation_rules") {
        let parsed: CliResult<Vec<CreationRule>> = match rules {
            Value::Seq(items) => items
                .iter()
                .filter_map(|r| r.as_map())
                .map(|m| parse_rule(path, m))
                .collect(),
            _ => Ok(Vec::new()),
        };
        cfg.creation_rules = Some(parsed.map_err(|e| e.message));
    }
    if let Some(Value::Map(stores)) = doc.get("stores") {
        let indent = |name: &str| -> CliResult<Option<i64>> {
            match stores.get(name) {
                Some(Value::Map(s)) => int_of(path, "indent", s.get("indent")),
                _ => Ok(None),
            }
        };
        cfg.yaml_indent = indent("yaml")?;
        cfg.json_indent = indent("json")?;
        cfg.json_binary_indent = indent("json_binary")?;
    }
    Ok(cfg)
}

impl Config {
    /// The first rule matching `file` (made absolute, then relative to the config's directory).
    pub fn matching_rule(&self, file: &Path) -> CliResult<Option<&CreationRule>> {
        let rules = match &self.creation_rules {
            None => return Ok(None),
            Some(Err(msg)) => return Err(CliError::new(code::GENERIC, msg.clone())),
            Some(Ok(rules)) => rules,
        };
        let abs = std::path::absolute(file).unwrap_or_else(|_| file.to_path_buf());
        let dir = self
            .path
            .parent()
            .map(|d| std::path::absolute(d).unwrap_or_else(|_| d.to_path_buf()))
            .unwrap_or_default();
        let rel = abs.strip_prefix(&dir).unwrap_or(&abs);
        let rel = rel.to_string_lossy();
        match rules.iter().find(|r| r.path_regex.as_ref().is_none_or(|re| re.is_match(&rel))) {
            Some(r) => Ok(Some(r)),
            None => Err(CliError::new(
                code::GENERIC,
                format!(
                    "{}: no matching creation rules found for {rel}",
                    self.path.display()
                ),
            )
            .hint("add a creation rule whose path_regex matches this file, or pass keys with --age/--pgp/--kms")),
        }
    }
}
