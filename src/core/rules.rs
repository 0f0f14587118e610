//! Which leaves get encrypted. Exactly one selection rule is active per file and it is stored
//! in the metadata, so that decryption reproduces every decision without the config.

use regex::Regex;

/// The active selection rule (spec §9).
#[derive(Debug, Clone)]
pub enum Selection {
    UnencryptedSuffix(String),
    EncryptedSuffix(String),
    UnencryptedRegex(Regex),
    EncryptedRegex(Regex),
    UnencryptedCommentRegex(Regex),
    EncryptedCommentRegex(Regex),
}

impl Default for Selection {
    fn default() -> Self {
        Selection::UnencryptedSuffix("_unencrypted".into())
    }
}

impl PartialEq for Selection {
    fn eq(&self, other: &Self) -> bool {
        self.field() == other.field() && self.pattern() == other.pattern()
    }
}

/// Metadata field names of the six rules, in the order SOPS lists them.
pub const FIELDS: [&str; 6] = [
    "unencrypted_suffix",
    "encrypted_suffix",
    "unencrypted_regex",
    "encrypted_regex",
    "unencrypted_comment_regex",
    "encrypted_comment_regex",
];

impl Selection {
    /// Builds a rule from its metadata field / flag name and value.
    pub fn from_field(field: &str, value: &str) -> Result<Selection, String> {
        let re = || Regex::new(value).map_err(|e| format!("invalid {field} {value:?}: {e}"));
        Ok(match field {
            "unencrypted_suffix" => Selection::UnencryptedSuffix(value.into()),
            "encrypted_suffix" => Selection::EncryptedSuffix(value.into()),
            "unencrypted_regex" => Selection::UnencryptedRegex(re()?),
            "encrypted_regex" => Selection::EncryptedRegex(re()?),
            "unencrypted_comment_regex" => Selection::UnencryptedCommentRegex(re()?),
            "encrypted_comment_regex" => Selection::EncryptedCommentRegex(re()?),
            _ => return Err(format!("unknown selection rule {field}")),
        })
    }

    /// Picks the single rule among `(field, value)` pairs; empty values do not count.
    /// More than one → error, none → the default `_unencrypted` suffix.
    pub fn pick<'a>(
        pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Selection, String> {
        let set: Vec<_> = pairs.into_iter().filter(|(_, v)| !v.is_empty()).collect();
        match set.as_slice() {
            [] => Ok(Selection::default()),
            [(f, v)] => Selection::from_field(f, v),
            _ => Err(format!(
                "cannot use more than one of {}",
                set.iter().map(|(f, _)| *f).collect::<Vec<_>>().join(", ")
            )),
        }
    }

    pub fn field(&self) -> &'static str {
        match self {
            Selection::UnencryptedSuffix(_) => FIELDS[0],
            Selection::EncryptedSuffix(_) => FIELDS[1],
            Selection::UnencryptedRegex(_) => FIELDS[2],
            Selection::EncryptedRegex(_) => FIELDS[3],
            Selection::UnencryptedCommentRegex(_) => FIELDS[4],
            Selection::EncryptedCommentRegex(_) => FIELDS[5],
        }
    }

    pub fn pattern(&self) -> &str {
        match self {
            Selection::UnencryptedSuffix(s) | Selection::EncryptedSuffix(s) => s,
            Selection::UnencryptedRegex(r)
            | Selection::EncryptedRegex(r)
            | Selection::UnencryptedCommentRegex(r)
            | Selection::EncryptedCommentRegex(r) => r.as_str(),
        }
    }

    /// Whether a leaf is encrypted. `path` holds the mapping keys down to the leaf (for a
    /// comment: of its container); `comments` is the comment context, outermost first;
    /// `own_comment` is the index in `comments` of the comment being decided, if it is one.
    pub fn should_encrypt(&self, path: &[&str], comments: &[&str], own: Option<usize>) -> bool {
        match self {
            Selection::UnencryptedSuffix(s) => !path.iter().any(|k| k.ends_with(s.as_str())),
            Selection::EncryptedSuffix(s) => path.iter().any(|k| k.ends_with(s.as_str())),
            Selection::UnencryptedRegex(r) => !path.iter().any(|k| r.is_match(k)),
            Selection::EncryptedRegex(r) => path.iter().any(|k| r.is_match(k)),
            Selection::UnencryptedCommentRegex(r) => !comments.iter().any(|c| r.is_match(c)),
            Selection::EncryptedCommentRegex(r) => comments
                .iter()
                .enumerate()
                .any(|(i, c)| Some(i) != own && r.is_match(c)),
        }
    }

    pub fn uses_comments(&self) -> bool {
        matches!(
            self,
            Selection::UnencryptedCommentRegex(_) | Selection::EncryptedCommentRegex(_)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suffix_and_regex_rules() {
        let d = Selection::default();
        assert!(d.should_encrypt(&["a", "b"], &[], None));
        assert!(!d.should_encrypt(&["a_unencrypted", "b"], &[], None));
        let e = Selection::from_field("encrypted_regex", "^(password|token)$").unwrap();
        assert!(e.should_encrypt(&["db", "password"], &[], None));
        assert!(!e.should_encrypt(&["db", "passwords"], &[], None));
        assert!(!e.should_encrypt(&[], &[], None));
        let es = Selection::from_field("encrypted_suffix", "_enc").unwrap();
        assert!(es.should_encrypt(&["x_enc", "y"], &[], None));
        assert!(!es.should_encrypt(&["x"], &[], None));
    }

    #[test]
    fn comment_rules_exclude_own_comment_for_encrypted_regex() {
        let r = Selection::from_field("encrypted_comment_regex", "sops:enc").unwrap();
        assert!(!r.should_encrypt(&[], &[" sops:enc"], Some(0)));
        assert!(r.should_encrypt(&["k"], &[" sops:enc"], None));
        let u = Selection::from_field("unencrypted_comment_regex", "clear").unwrap();
        assert!(!u.should_encrypt(&[], &[" clear"], Some(0)));
        assert!(u.should_encrypt(&["k"], &[" other"], None));
    }

    #[test]
    fn pick_rejects_two_rules() {
        assert_eq!(Selection::pick([]).unwrap(), Selection::default());
        assert!(Selection::pick([("encrypted_regex", "a"), ("unencrypted_suffix", "b")]).is_err());
        assert_eq!(
            Selection::pick([("encrypted_regex", "a"), ("unencrypted_suffix", "")])
                .unwrap()
                .field(),
            "encrypted_regex"
        );
        assert!(Selection::from_field("encrypted_regex", "(").is_err());
    }
}
