//! Writing a tree that has no remembered layout (converting from YAML/JSON, the `[sops]`
//! table, or a structure the merge could not follow).
//!
//! The output must load back to the *same* tree: the MAC covers values in tree order, and an
//! encrypted comment only decrypts in the mapping it was encrypted in. TOML prints a table's
//! plain keys before its sub-table headers, so a sub-table can only be a `[header]` if no plain
//! key follows it; earlier ones are written as dotted keys (`a.b = 1`) or inline tables, which
//! keep their place. Likewise a comment is only put where the loader will find it again:
//! comments at the end of a table or above a list of tables force the inline form.

use toml_edit::Key;

use super::comments::check_text;
use super::scalar::{comment_text, render, Style};
use super::splice::value_error;
use crate::core::{Comment, Item, Map, StoreError, Value};

const INDENT: &str = "    ";

/// A document's text.
pub(super) fn document(tree: &Map) -> Result<String, StoreError> {
    let mut w = Writer::default();
    let (groups, trailing) = groups(&tree.items);
    w.table_body(&[], &groups, &trailing, true)?;
    Ok(w.out)
}

/// The `[sops]` table: every list of tables as `[[sops.x]]`, key order as given (plain keys
/// first, as TOML requires; metadata order carries no meaning).
pub(super) fn metadata(meta: &Map) -> Result<String, StoreError> {
    let mut w = Writer {
        order_free: true,
        ..Writer::default()
    };
    let group = Group {
        comments: Vec::new(),
        key: "sops",
        value: Value::Map(meta.clone()),
    };
    w.header(&[], &group)?;
    Ok(w.out)
}

/// One value as TOML text (an inline table or array for containers).
pub(super) fn value(v: &Value) -> Result<String, StoreError> {
    Writer::default().inline(v, "")
}

/// An entry with the comments right before it.
pub(super) struct Group<'a> {
    pub comments: Vec<&'a Comment>,
    pub key: &'a str,
    pub value: Value,
}

/// Splits mapping items into entries (each with the comments before it) and trailing comments.
pub(super) fn groups(items: &[Item]) -> (Vec<Group<'_>>, Vec<&Comment>) {
    let mut out = Vec::new();
    let mut pending = Vec::new();
    for i in items {
        match i {
            Item::Comment(c) => pending.push(c),
            Item::Entry(k, v) => out.push(Group {
                comments: std::mem::take(&mut pending),
                key: k,
                value: v.clone(),
            }),
        }
    }
    (out, pending)
}

/// Sequence elements with the comments before each (comment elements may be encrypted).
fn elements(vals: &[Value]) -> (Vec<(Vec<Comment>, &Value)>, Vec<Comment>) {
    let mut out = Vec::new();
    let mut pending = Vec::new();
    for v in vals {
        match (v, comment_text(v)) {
            (Value::Comment(c), _) => pending.push(c.clone()),
            (_, Some(t)) => pending.push(Comment::new(t)),
            _ => out.push((std::mem::take(&mut pending), v)),
        }
    }
    (out, pending)
}

fn has_trailing(m: &Map) -> bool {
    matches!(m.items.last(), Some(Item::Comment(_)))
}

/// A list that can be written as `[[name]]` tables: only tables (and comments).
fn table_list(vals: &[Value]) -> bool {
    let mut maps = 0;
    for v in vals {
        match v {
            Value::Map(_) => maps += 1,
            v if comment_text(v).is_some() => {}
            _ => return false,
        }
    }
    maps > 0
}

fn key_text(k: &str) -> String {
    Key::new(k).display_repr().into_owned()
}

fn comment_line(out: &mut String, indent: &str, c: &Comment) -> Result<(), StoreError> {
    check_text(&c.text).map_err(StoreError::new)?;
    out.push_str(indent);
    out.push('#');
    out.push_str(&c.text);
    out.push('\n');
    Ok(())
}

/// The comments before an item: all but a final inline one go on their own lines; that one is
/// returned to be written after the item.
fn split_inline<'s, 'c>(cs: &'s [&'c Comment]) -> (&'s [&'c Comment], Option<&'c Comment>) {
    match cs.split_last() {
        Some((last, rest)) if last.inline => (rest, Some(last)),
        _ => (cs, None),
    }
}

#[derive(Default)]
struct Writer {
    out: String,
    /// Metadata: lists of tables are always `[[...]]`, order does not matter.
    order_free: bool,
    path: Vec<String>,
}

impl Writer {
    fn err(&self, msg: &str) -> StoreError {
        let p: Vec<&str> = self.path.iter().map(String::as_str).collect();
        value_error(&p, msg)
    }

    /// Whether an entry can be written as a header (`[a]` or `[[a]]`) without moving a
    /// comment to another mapping.
    fn header_form(&self, g: &Group<'_>) -> bool {
        match &g.value {
            Value::Map(m) => self.order_free || !has_trailing(m),
            Value::Seq(s) if table_list(s) => {
                self.order_free
                    || (g.comments.is_empty()
                        && s.last().and_then(comment_text).is_none()
                        && s.iter()
                            .all(|v| !matches!(v, Value::Map(m) if has_trailing(m))))
            }
            _ => false,
        }
    }

    /// A table's plain keys, then its sub-tables. `path` is the header path.
    fn table_body(
        &mut self,
        path: &[String],
        groups: &[Group<'_>],
        trailing: &[&Comment],
        root: bool,
    ) -> Result<(), StoreError> {
        // Order-free (metadata): every table is a header. Otherwise only those after the
        // last plain key.
        let last_line = if self.order_free {
            None
        } else {
            groups.iter().rposition(|g| !self.header_form(g))
        };
        let in_body = |i: usize, g: &Group<'_>| match last_line {
            Some(l) => i <= l,
            None => !self.header_form(g),
        };
        let body: Vec<bool> = groups
            .iter()
            .enumerate()
            .map(|(i, g)| in_body(i, g))
            .collect();
        for (g, _) in groups.iter().zip(&body).filter(|(_, b)| **b) {
            self.body_entry(&[], g)?;
        }
        if !root {
            for c in trailing {
                comment_line(&mut self.out, "", c)?;
            }
        }
        for (g, _) in groups.iter().zip(&body).filter(|(_, b)| !**b) {
            self.header(path, g)?;
        }
        if root {
            for c in trailing {
                comment_line(&mut self.out, "", c)?;
            }
        }
        Ok(())
    }

    /// A `key = value` line, or dotted lines for a sub-table that must stay in the body.
    fn body_entry(&mut self, dotted: &[String], g: &Group<'_>) -> Result<(), StoreError> {
        self.path.push(g.key.to_string());
        let (own, inline) = split_inline(&g.comments);
        for c in own {
            comment_line(&mut self.out, "", c)?;
        }
        let mut keys = dotted.to_vec();
        keys.push(key_text(g.key));
        match &g.value {
            Value::Map(m)
                if g.comments.is_empty() && !has_trailing(m) && m.entries().next().is_some() =>
            {
                let (inner, _) = groups(&m.items);
                for ig in &inner {
                    self.body_entry(&keys, ig)?;
                }
            }
            v => {
                let text = self.inline(v, "")?;
                self.out.push_str(&keys.join("."));
                self.out.push_str(" = ");
                self.out.push_str(&text);
                if let Some(c) = inline {
                    check_text(&c.text).map_err(StoreError::new)?;
                    self.out.push_str(" #");
                    self.out.push_str(&c.text);
                }
                self.out.push('\n');
            }
        }
        self.path.pop();
        Ok(())
    }

    fn header_line(
        &mut self,
        open: &str,
        path: &[String],
        close: &str,
        cs: &[&Comment],
    ) -> Result<(), StoreError> {
        if !self.out.is_empty() {
            self.out.push('\n');
        }
        let (own, inline) = split_inline(cs);
        for c in own {
            comment_line(&mut self.out, "", c)?;
        }
        self.out.push_str(open);
        self.out.push_str(&path.join("."));
        self.out.push_str(close);
        if let Some(c) = inline {
            check_text(&c.text).map_err(StoreError::new)?;
            self.out.push_str(" #");
            self.out.push_str(&c.text);
        }
        self.out.push('\n');
        Ok(())
    }

    /// `[path.key]` with its body, or one `[[path.key]]` per table of a list.
    fn header(&mut self, path: &[String], g: &Group<'_>) -> Result<(), StoreError> {
        self.path.push(g.key.to_string());
        let mut p = path.to_vec();
        p.push(key_text(g.key));
        match &g.value {
            Value::Map(m) => {
                self.header_line("[", &p, "]", &g.comments)?;
                let (inner, trailing) = groups(&m.items);
                self.table_body(&p, &inner, &trailing, false)?;
            }
            Value::Seq(s) => {
                let mut pending: Vec<Comment> = g.comments.iter().map(|c| (*c).clone()).collect();
                for v in s {
                    match (v, comment_text(v)) {
                        (Value::Map(m), _) => {
                            let cs: Vec<&Comment> = pending.iter().collect();
                            self.header_line("[[", &p, "]]", &cs)?;
                            let (inner, trailing) = groups(&m.items);
                            self.table_body(&p, &inner, &trailing, false)?;
                            pending.clear();
                        }
                        (Value::Comment(c), _) => pending.push(c.clone()),
                        (_, Some(t)) => pending.push(Comment::new(t)),
                        _ => return Err(self.err("internal: not a list of tables")),
                    }
                }
                for c in &pending {
                    comment_line(&mut self.out, "", c)?;
                }
            }
            _ => return Err(self.err("internal: not a table")),
        }
        self.path.pop();
        Ok(())
    }

    /// A value in inline form; containers holding comments span several lines.
    fn inline(&mut self, v: &Value, indent: &str) -> Result<String, StoreError> {
        match v {
            Value::Seq(s) => self.array(s, indent),
            Value::Map(m) => self.inline_table(m, indent),
            Value::Str(s) if s.contains('\n') => {
                Ok(super::scalar::render_str(s, Style::MlBasic("\n")))
            }
            v => render(v, None).map_err(|m| self.err(&m)),
        }
    }

    fn array(&mut self, s: &[Value], indent: &str) -> Result<String, StoreError> {
        let (elems, trailing) = elements(s);
        let has_comments = elems.iter().any(|(c, _)| !c.is_empty()) || !trailing.is_empty();
        if !has_comments {
            let parts = elems
                .iter()
                .map(|(_, v)| self.inline(v, indent))
                .collect::<Result<Vec<_>, _>>()?;
            return Ok(format!("[{}]", parts.join(", ")));
        }
        let inner = format!("{indent}{INDENT}");
        let mut out = String::from("[\n");
        for (cs, v) in &elems {
            let refs: Vec<&Comment> = cs.iter().collect();
            let (own, inline) = split_inline(&refs);
            for c in own {
                comment_line(&mut out, &inner, c)?;
            }
            out.push_str(&inner);
            out.push_str(&self.inline(v, &inner)?);
            out.push(',');
            if let Some(c) = inline {
                check_text(&c.text).map_err(StoreError::new)?;
                out.push_str(" #");
                out.push_str(&c.text);
            }
            out.push('\n');
        }
        for c in &trailing {
            comment_line(&mut out, &inner, c)?;
        }
        out.push_str(indent);
        out.push(']');
        Ok(out)
    }

    /// `{ k = v }`; with comments, the multi-line form of TOML 1.1.
    fn inline_table(&mut self, m: &Map, indent: &str) -> Result<String, StoreError> {
        let (gs, trailing) = groups(&m.items);
        let has_comments = gs.iter().any(|g| !g.comments.is_empty()) || !trailing.is_empty();
        let mut parts = Vec::new();
        for g in &gs {
            self.path.push(g.key.to_string());
            let inner = format!("{indent}{INDENT}");
            let text = self.inline(&g.value, if has_comments { &inner } else { indent });
            self.path.pop();
            parts.push(format!("{} = {}", key_text(g.key), text?));
        }
        if !has_comments {
            return Ok(if parts.is_empty() {
                "{}".into()
            } else {
                format!("{{ {} }}", parts.join(", "))
            });
        }
        let inner = format!("{indent}{INDENT}");
        let mut out = String::from("{\n");
        let n = gs.len();
        for (i, (g, part)) in gs.iter().zip(&parts).enumerate() {
            let (own, inline) = split_inline(&g.comments);
            for c in own {
                comment_line(&mut out, &inner, c)?;
            }
            out.push_str(&inner);
            out.push_str(part);
            if i + 1 < n {
                out.push(',');
            }
            if let Some(c) = inline {
                check_text(&c.text).map_err(StoreError::new)?;
                out.push_str(" #");
                out.push_str(&c.text);
            }
            out.push('\n');
        }
        for c in &trailing {
            comment_line(&mut out, &inner, c)?;
        }
        out.push_str(indent);
        out.push('}');
        Ok(out)
    }
}
