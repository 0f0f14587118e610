//! The format-agnostic, ordered tree every store loads into and prints from.
//!
//! SOPS's MAC and AAD depend on item order and on comments sitting *between* items, so the tree
//! keeps both: a mapping is a list of items (entries or comments), and a sequence may hold comment
//! elements. Stores never see ciphertext semantics; the walker never sees syntax.

use super::scalar::Timestamp;

/// A comment line, without its marker (`#`/`;`). `inline` is only meaningful for YAML: the
/// comment sat after a value on the same line.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Comment {
    pub text: String,
    pub inline: bool,
}

impl Comment {
    pub fn new(text: impl Into<String>) -> Self {
        Comment {
            text: text.into(),
            inline: false,
        }
    }
    pub fn inline(text: impl Into<String>) -> Self {
        Comment {
            text: text.into(),
            inline: true,
        }
    }
}

/// One item of a mapping: a key/value entry or a comment between entries.
#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    Entry(String, Value),
    Comment(Comment),
}

/// An ordered mapping. Duplicate keys are representable (JSON keeps them).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Map {
    pub items: Vec<Item>,
}

/// A document is a top-level mapping; only YAML files hold more than one.
pub type Document = Map;

/// A tree value. `Comment` appears only as a sequence element.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    /// A UTF-8 string.
    Str(String),
    /// A string that is not valid UTF-8 (binary store, YAML `!!binary`). Encrypts as `type:str`.
    Bytes(Vec<u8>),
    Time(Timestamp),
    /// A date and/or time without a UTC offset, kept as its literal text (TOML local date,
    /// local time, local datetime). A shroud extension: encrypts as `type:datetime`, which only
    /// the TOML store produces.
    LocalDateTime(String),
    Map(Map),
    Seq(Vec<Value>),
    Comment(Comment),
}

impl Value {
    pub fn is_leaf(&self) -> bool {
        !matches!(self, Value::Map(_) | Value::Seq(_))
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_map(&self) -> Option<&Map> {
        match self {
            Value::Map(m) => Some(m),
            _ => None,
        }
    }

    /// A short name of the value's kind, for error messages (never the value itself).
    pub fn kind_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "bool",
            Value::Int(_) => "int",
            Value::Float(_) => "float",
            Value::Str(_) | Value::Bytes(_) => "string",
            Value::Time(_) | Value::LocalDateTime(_) => "timestamp",
            Value::Map(_) => "mapping",
            Value::Seq(_) => "sequence",
            Value::Comment(_) => "comment",
        }
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::Str(s.to_string())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::Str(s)
    }
}

impl Map {
    pub fn new() -> Self {
        Map { items: Vec::new() }
    }

    /// Appends an entry.
    pub fn push(&mut self, key: impl Into<String>, value: impl Into<Value>) {
        self.items.push(Item::Entry(key.into(), value.into()));
    }

    pub fn push_comment(&mut self, c: Comment) {
        self.items.push(Item::Comment(c));
    }

    /// The first entry with this key.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.entries().find(|(k, _)| *k == key).map(|(_, v)| v)
    }

    pub fn get_mut(&mut self, key: &str) -> Option<&mut Value> {
        self.items.iter_mut().find_map(|i| match i {
            Item::Entry(k, v) if k == key => Some(v),
            _ => None,
        })
    }

    /// Removes every entry with this key and returns the first one's value.
    pub fn remove(&mut self, key: &str) -> Option<Value> {
        let pos = self
            .items
            .iter()
            .position(|i| matches!(i, Item::Entry(k, _) if k == key))?;
        let removed = match self.items.remove(pos) {
            Item::Entry(_, v) => v,
            Item::Comment(_) => unreachable!(),
        };
        self.items
            .retain(|i| !matches!(i, Item::Entry(k, _) if k == key));
        Some(removed)
    }

    /// Entries only, in order, skipping comments.
    pub fn entries(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.items.iter().filter_map(|i| match i {
            Item::Entry(k, v) => Some((k.as_str(), v)),
            Item::Comment(_) => None,
        })
    }

    pub fn contains_key(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

impl From<Map> for Value {
    fn from(m: Map) -> Self {
        Value::Map(m)
    }
}

/// Builds a map from `(key, value)` pairs; handy in tests and metadata code.
impl<K: Into<String>, V: Into<Value>> FromIterator<(K, V)> for Map {
    fn from_iter<T: IntoIterator<Item = (K, V)>>(iter: T) -> Self {
        Map {
            items: iter
                .into_iter()
                .map(|(k, v)| Item::Entry(k.into(), v.into()))
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remove_drops_duplicates_and_keeps_comments() {
        let mut m = Map::new();
        m.push("a", "1");
        m.push_comment(Comment::new(" c"));
        m.push("a", "2");
        m.push("b", "3");
        assert_eq!(m.remove("a"), Some(Value::from("1")));
        assert_eq!(m.items.len(), 2);
        assert_eq!(m.get("b"), Some(&Value::from("3")));
        assert_eq!(m.remove("zz"), None);
    }
}
