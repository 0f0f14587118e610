//! Emitting a tree whose shape no longer matches the remembered document (after `set`,
//! `unset`, or an edit that added keys): the remembered document is edited in place with
//! toml_edit. Matching keys keep their formatting and comments, removed keys go, new keys are
//! appended to their table, and a changed leaf is replaced inside its old decor. Comments are
//! compared with what the loader saw; a group that changed is rewritten.
//!
//! Anything this cannot express faithfully (keys reordered, a comment left dangling at the end
//! of a table) gives up, and the caller writes the tree afresh; the caller also checks that the
//! result loads back to the same tree.

use toml_edit::{
    ArrayOfTables, DocumentMut, InlineTable, Item as TItem, Key, Table, Value as TValue,
};

use super::comments::{self, entry_decors, header_decors};
use super::load::{Layout, Loader};
use super::scalar::{comment_text, leaf_from_toml, raw_of, render, same, Style};
use super::splice::value_error;
use super::write::{self, groups, Group};
use crate::core::{Comment, Item, Map, StoreError, Value};

/// What happened to one item.
enum Merge {
    Done,
    /// The item has to be rebuilt from the tree.
    Replace,
    /// The whole document has to be rebuilt.
    GiveUp,
}

/// The merged document, or `None` if it has to be written afresh.
pub(super) fn merge(layout: &Layout, tree: &Map) -> Result<Option<String>, StoreError> {
    let Ok(mut doc) = layout.text.parse::<DocumentMut>() else {
        return Ok(None);
    };
    let (gs, trailing) = groups(&tree.items);
    if let Merge::GiveUp = table(doc.as_table_mut(), &gs, &[], &mut Vec::new())? {
        return Ok(None);
    }
    let old: Vec<String> = texts(&[(doc.trailing(), false)]);
    if !same_texts(&old, &trailing) {
        let mut t = String::new();
        for c in &trailing {
            comments::check_text(&c.text).map_err(StoreError::new)?;
            t.push('#');
            t.push_str(&c.text);
            t.push('\n');
        }
        doc.set_trailing(t);
    }
    Ok(Some(doc.to_string()))
}

/// Comment texts of decor strings of a despanned document.
fn texts(decors: &[comments::Decor<'_>]) -> Vec<String> {
    Loader::new("", false)
        .comments(decors)
        .map(|cs| cs.into_iter().map(|(c, _)| c.text).collect())
        .unwrap_or_default()
}

fn same_texts(old: &[String], new: &[&Comment]) -> bool {
    old.len() == new.len() && old.iter().zip(new).all(|(a, b)| *a == b.text)
}

/// The comment texts a container value holds itself, in tree order.
fn own_comments(v: &Value) -> Vec<String> {
    match v {
        Value::Seq(s) => s
            .iter()
            .filter_map(comment_text)
            .map(str::to_string)
            .collect(),
        Value::Map(m) => m
            .items
            .iter()
            .filter_map(|i| match i {
                Item::Comment(c) => Some(c.text.clone()),
                Item::Entry(..) => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// Builds an entry through the fresh writer and parses it back into toml_edit items.
fn fresh_entry(key: &str, v: &Value, cs: &[&Comment]) -> Result<(Key, TItem), StoreError> {
    let mut m = Map::new();
    for c in cs {
        m.push_comment((*c).clone());
    }
    m.push(key, v.clone());
    let text = write::document(&m)?;
    let mut doc: DocumentMut = text
        .parse()
        .map_err(|_| StoreError::new("internal: fresh entry does not parse"))?;
    let (k, mut item) = doc
        .remove_entry(key)
        .ok_or_else(|| StoreError::new("internal: fresh entry missing"))?;
    clear_positions(&mut item);
    if let TItem::Table(t) = &mut item {
        let p = t.decor().prefix().and_then(|p| p.as_str()).unwrap_or("");
        if !p.starts_with('\n') {
            let p = format!("\n{p}");
            t.decor_mut().set_prefix(p);
        }
    }
    Ok((k, item))
}

fn fresh_value(v: &Value) -> Result<TValue, StoreError> {
    write::value(v)?
        .parse()
        .map_err(|_| StoreError::new("internal: fresh value does not parse"))
}

/// New tables must not claim positions of the old document (they would print out of place).
fn clear_positions(item: &mut TItem) {
    match item {
        TItem::Table(t) => clear_table(t),
        TItem::ArrayOfTables(a) => a.iter_mut().for_each(clear_table),
        _ => {}
    }
}

fn clear_table(t: &mut Table) {
    t.set_position(None);
    for (_, item) in t.iter_mut() {
        clear_positions(item);
    }
}

/// Leading blank lines and the indentation of a decor prefix, without its comments.
fn frame(old: &str) -> (String, String) {
    let first = comments::scan(old).first().map(|r| r.start - 1);
    let head = match first {
        Some(h) => &old[..old[..h].rfind('\n').map_or(0, |i| i + 1)],
        None => &old[..old.rfind('\n').map_or(0, |i| i + 1)],
    };
    let indent = &old[old.rfind('\n').map_or(0, |i| i + 1)..];
    (head.to_string(), indent.to_string())
}

/// Comment lines for a prefix and the inline comment for a suffix.
fn render_comments(cs: &[&Comment], old_prefix: &str) -> Result<(String, String), StoreError> {
    let (head, indent) = frame(old_prefix);
    let mut prefix = head;
    let (own, inline) = match cs.split_last() {
        Some((last, rest)) if last.inline => (rest, Some(last)),
        _ => (cs, None),
    };
    for c in own {
        comments::check_text(&c.text).map_err(StoreError::new)?;
        prefix.push_str(&indent);
        prefix.push('#');
        prefix.push_str(&c.text);
        prefix.push('\n');
    }
    prefix.push_str(&indent);
    let suffix = match inline {
        Some(c) => {
            comments::check_text(&c.text).map_err(StoreError::new)?;
            format!(" #{}", c.text)
        }
        None => String::new(),
    };
    Ok((prefix, suffix))
}

/// Rewrites the comments of entry `k`; `false` if they have nowhere to go.
fn set_comments(t: &mut Table, k: &str, cs: &[&Comment]) -> Result<bool, StoreError> {
    match t.get_mut(k) {
        Some(TItem::Value(v)) => {
            let (_, suffix) = render_comments(cs, "")?;
            v.decor_mut().set_suffix(suffix);
            let Some(mut key) = t.key_mut(k) else {
                return Ok(false);
            };
            let old = key
                .leaf_decor()
                .prefix()
                .and_then(|p| p.as_str())
                .unwrap_or("")
                .to_string();
            let (prefix, _) = render_comments(cs, &old)?;
            key.leaf_decor_mut().set_prefix(prefix);
            Ok(true)
        }
        Some(TItem::Table(tt)) if !tt.is_dotted() && !tt.is_implicit() => {
            set_header_comments(tt, cs)?;
            Ok(true)
        }
        _ => Ok(cs.is_empty()),
    }
}

fn set_header_comments(t: &mut Table, cs: &[&Comment]) -> Result<(), StoreError> {
    let old = t
        .decor()
        .prefix()
        .and_then(|p| p.as_str())
        .unwrap_or("")
        .to_string();
    let (prefix, suffix) = render_comments(cs, &old)?;
    t.decor_mut().set_prefix(prefix);
    t.decor_mut().set_suffix(suffix);
    Ok(())
}

/// Merges a table's entries. `path` names the table for errors.
fn table(
    t: &mut Table,
    gs: &[Group<'_>],
    trailing: &[&Comment],
    path: &mut Vec<String>,
) -> Result<Merge, StoreError> {
    if !trailing.is_empty() {
        return Ok(Merge::GiveUp);
    }
    let keys: Vec<String> = t.iter().map(|(k, _)| k.to_string()).collect();
    let mut used = vec![false; gs.len()];
    let mut last = None;
    for k in keys {
        let Some(i) = (0..gs.len()).find(|&i| !used[i] && gs[i].key == k) else {
            t.remove(&k);
            continue;
        };
        if last.is_some_and(|l| l > i) {
            return Ok(Merge::GiveUp);
        }
        last = Some(i);
        used[i] = true;
        let g = &gs[i];
        let unchanged = match t.get_key_value(&k) {
            Some((key, item)) => same_texts(&texts(&entry_decors(key, item)), &g.comments),
            None => false,
        };
        if !unchanged && !set_comments(t, &k, &g.comments)? {
            return Ok(Merge::GiveUp);
        }
        path.push(k.clone());
        let Some(item) = t.get_mut(&k) else {
            return Ok(Merge::GiveUp);
        };
        match merge_item(item, &g.value, path)? {
            Merge::Done => {}
            Merge::GiveUp => return Ok(Merge::GiveUp),
            Merge::Replace => {
                let (key, new) = fresh_entry(&k, &g.value, &g.comments)?;
                *item = new;
                if let Some(mut km) = t.key_mut(&k) {
                    *km.leaf_decor_mut() = key.leaf_decor().clone();
                }
            }
        }
        path.pop();
    }
    for (i, g) in gs.iter().enumerate() {
        if !used[i] {
            let (key, item) = fresh_entry(g.key, &g.value, &g.comments)?;
            t.insert_formatted(&key, item);
        }
    }
    Ok(Merge::Done)
}

fn merge_item(item: &mut TItem, v: &Value, path: &mut Vec<String>) -> Result<Merge, StoreError> {
    match (item, v) {
        (TItem::Table(t), Value::Map(m)) => {
            let (gs, trailing) = groups(&m.items);
            table(t, &gs, &trailing, path)
        }
        (TItem::ArrayOfTables(a), Value::Seq(s)) => tables(a, s, path),
        (TItem::Value(tv), v) => value(tv, v, path),
        _ => Ok(Merge::Replace),
    }
}

fn value(tv: &mut TValue, v: &Value, path: &mut Vec<String>) -> Result<Merge, StoreError> {
    match (&mut *tv, v) {
        (TValue::Array(a), Value::Seq(s)) => array(a, s, path),
        (TValue::InlineTable(it), Value::Map(m)) => inline_table(it, m, path),
        (TValue::Array(_) | TValue::InlineTable(_), _) | (_, Value::Seq(_) | Value::Map(_)) => {
            Ok(Merge::Replace)
        }
        (scalar, leaf) => {
            let raw = raw_of(scalar, "").into_owned();
            if leaf_from_toml(scalar, &raw).is_ok_and(|orig| same(&orig, leaf)) {
                return Ok(Merge::Done);
            }
            let p: Vec<&str> = path.iter().map(String::as_str).collect();
            let text = render(leaf, Style::of(&raw)).map_err(|m| value_error(&p, &m))?;
            let mut new: TValue = text
                .parse()
                .map_err(|_| StoreError::new("internal: rendered value does not parse"))?;
            *new.decor_mut() = scalar.decor().clone();
            *tv = new;
            Ok(Merge::Done)
        }
    }
}

/// Replaces `tv` by a fresh value, keeping its outer decor.
fn replace_value(tv: &mut TValue, v: &Value) -> Result<(), StoreError> {
    let mut new = fresh_value(v)?;
    *new.decor_mut() = tv.decor().clone();
    *tv = new;
    Ok(())
}

fn array(
    a: &mut toml_edit::Array,
    s: &[Value],
    path: &mut Vec<String>,
) -> Result<Merge, StoreError> {
    let (old, _) = Loader::new("", false).value(&TValue::Array(a.clone()))?;
    if own_comments(&old) != own_comments(&Value::Seq(s.to_vec())) {
        return Ok(Merge::Replace);
    }
    let vals: Vec<&Value> = s.iter().filter(|v| comment_text(v).is_none()).collect();
    let common = vals.len().min(a.len());
    for (i, v) in vals.iter().enumerate().take(common) {
        let Some(tv) = a.get_mut(i) else {
            return Ok(Merge::GiveUp);
        };
        match value(tv, v, path)? {
            Merge::Done => {}
            Merge::Replace => replace_value(tv, v)?,
            Merge::GiveUp => return Ok(Merge::GiveUp),
        }
    }
    // Whitespace before `]` sits on the last element; it moves with the end of the list.
    let tail = |a: &toml_edit::Array| {
        a.iter()
            .last()
            .and_then(|e| e.decor().suffix().and_then(|s| s.as_str()))
            .filter(|s| comments::scan(s).is_empty())
            .map(str::to_string)
    };
    let end = tail(a);
    let old_len = a.len();
    while a.len() > vals.len() {
        a.remove(a.len() - 1);
    }
    let indent = a
        .iter()
        .last()
        .and_then(|e| e.decor().prefix().and_then(|p| p.as_str()))
        .and_then(|p| p.rfind('\n').map(|i| format!("\n{}", &p[i + 1..])))
        .unwrap_or_else(|| " ".into());
    for v in &vals[common..] {
        let mut new = fresh_value(v)?;
        let prefix = if a.is_empty() { "" } else { indent.as_str() };
        new.decor_mut().set_prefix(prefix);
        new.decor_mut().set_suffix("");
        a.push_formatted(new);
    }
    if let (Some(end), true) = (end, vals.len() != old_len) {
        let n = a.len();
        for (i, e) in a.iter_mut().enumerate() {
            if i + 1 == n {
                e.decor_mut().set_suffix(end.as_str());
            } else if e.decor().suffix().and_then(|s| s.as_str()) == Some(end.as_str()) {
                e.decor_mut().set_suffix("");
            }
        }
    }
    Ok(Merge::Done)
}

fn inline_table(
    it: &mut InlineTable,
    m: &Map,
    path: &mut Vec<String>,
) -> Result<Merge, StoreError> {
    let (old, _) = Loader::new("", false).value(&TValue::InlineTable(it.clone()))?;
    if own_comments(&old) != own_comments(&Value::Map(m.clone())) {
        return Ok(Merge::Replace);
    }
    let (gs, _) = groups(&m.items);
    let keys: Vec<String> = it.iter().map(|(k, _)| k.to_string()).collect();
    let mut used = vec![false; gs.len()];
    let mut last = None;
    for k in keys {
        let Some(i) = (0..gs.len()).find(|&i| !used[i] && gs[i].key == k) else {
            it.remove(&k);
            continue;
        };
        if last.is_some_and(|l| l > i) {
            return Ok(Merge::GiveUp);
        }
        last = Some(i);
        used[i] = true;
        let Some(tv) = it.get_mut(&k) else {
            return Ok(Merge::GiveUp);
        };
        path.push(k.clone());
        match value(tv, &gs[i].value, path)? {
            Merge::Done => {}
            Merge::Replace => replace_value(tv, &gs[i].value)?,
            Merge::GiveUp => return Ok(Merge::GiveUp),
        }
        path.pop();
    }
    for (i, g) in gs.iter().enumerate() {
        if !used[i] {
            it.insert(g.key, fresh_value(&g.value)?);
        }
    }
    Ok(Merge::Done)
}

fn tables(a: &mut ArrayOfTables, s: &[Value], path: &mut Vec<String>) -> Result<Merge, StoreError> {
    // Encrypted comment elements are strings; give them comment form.
    let mut elems: Vec<(Vec<Comment>, &Map)> = Vec::new();
    let mut pending: Vec<Comment> = Vec::new();
    for v in s {
        match (v, comment_text(v)) {
            (Value::Map(m), _) => elems.push((std::mem::take(&mut pending), m)),
            (Value::Comment(c), _) => pending.push(c.clone()),
            (_, Some(t)) => pending.push(Comment::new(t)),
            _ => return Ok(Merge::Replace),
        }
    }
    if !pending.is_empty() || elems.is_empty() {
        return Ok(Merge::GiveUp);
    }
    let common = elems.len().min(a.len());
    for (i, (cs, m)) in elems.iter().enumerate().take(common) {
        let Some(t) = a.get_mut(i) else {
            return Ok(Merge::GiveUp);
        };
        let cs: Vec<&Comment> = cs.iter().collect();
        if !same_texts(&texts(&header_decors(t)), &cs) {
            set_header_comments(t, &cs)?;
        }
        let (gs, trailing) = groups(&m.items);
        if let Merge::GiveUp = table(t, &gs, &trailing, path)? {
            return Ok(Merge::GiveUp);
        }
    }
    while a.len() > elems.len() {
        a.remove(a.len() - 1);
    }
    for (cs, m) in &elems[common..] {
        let mut seq: Vec<Value> = cs.iter().cloned().map(Value::Comment).collect();
        seq.push(Value::Map((*m).clone()));
        let (_, item) = fresh_entry("t", &Value::Seq(seq), &[])?;
        let TItem::ArrayOfTables(mut fresh) = item else {
            return Ok(Merge::GiveUp);
        };
        if fresh.is_empty() {
            return Ok(Merge::GiveUp);
        }
        a.push(fresh.remove(0));
    }
    Ok(Merge::Done)
}
