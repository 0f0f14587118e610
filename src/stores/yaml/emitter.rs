//! go-yaml v3's emitter state machine, ported from `emitterc.go` (go.yaml.in/yaml/v3 v3.0.4).
//!
//! A hand-written pretty printer would get the common layout right, but SOPS files are compared
//! byte for byte and yaml.v3's comment handling has consequences no simple printer reproduces
//! (a line comment of a nested mapping surfacing after the next key's value, `{` … `}` wrapped
//! around a comment-only mapping, a blank line after a foot comment). Porting the state machine
//! keeps those for free. Anchors, aliases, directives, canonical mode and line folding are left
//! out: SOPS never produces them.

use super::events::{Event, Kind};
use super::write::{analyze, Analysis, Out, Style};
use crate::core::StoreError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    StreamStart,
    FirstDocStart,
    DocStart,
    DocContent,
    DocEnd,
    FlowSeqFirst,
    FlowSeqTrail,
    FlowSeqItem,
    FlowMapFirst,
    FlowMapTrail,
    FlowMapKey,
    FlowMapSimpleValue,
    FlowMapValue,
    BlockSeqFirst,
    BlockSeqItem,
    BlockMapFirst,
    BlockMapKey,
    BlockMapSimpleValue,
    BlockMapValue,
    End,
}

struct Emitter {
    out: Out,
    state: State,
    states: Vec<State>,
    indents: Vec<i64>,
    flow_level: usize,
    simple_key_context: bool,
    head: String,
    line: String,
    foot: String,
    tail: String,
    key_line: String,
    scalar: Analysis,
    style: Style,
    tag: Option<&'static str>,
}

fn bug(what: &str) -> StoreError {
    StoreError::new(format!("internal YAML emitter error: {what}"))
}

/// Prints an event stream; `indent` is yaml.v3's `SetIndent` value.
pub(crate) fn emit(events: Vec<Event<'_>>, indent: usize) -> Result<Vec<u8>, StoreError> {
    let best = if (2..=9).contains(&indent) { indent } else { 2 };
    let mut e = Emitter {
        out: Out::new(best),
        state: State::StreamStart,
        states: Vec::new(),
        indents: Vec::new(),
        flow_level: 0,
        simple_key_context: false,
        head: String::new(),
        line: String::new(),
        foot: String::new(),
        tail: String::new(),
        key_line: String::new(),
        scalar: Analysis::default(),
        style: Style::Plain,
        tag: None,
    };
    let mut it = events.into_iter().peekable();
    while let Some(mut ev) = it.next() {
        let next = it.peek().map(|n| n.kind);
        e.analyze_event(&mut ev);
        e.dispatch(&ev, next)?;
    }
    Ok(e.out.buf)
}

impl Emitter {
    fn analyze_event(&mut self, ev: &mut Event<'_>) {
        if let Some(c) = ev.comments.as_deref_mut() {
            for (src, dst) in [
                (&mut c.head, &mut self.head),
                (&mut c.line, &mut self.line),
                (&mut c.foot, &mut self.foot),
                (&mut c.tail, &mut self.tail),
            ] {
                if !src.is_empty() {
                    *dst = std::mem::take(src);
                }
            }
        }
        self.tag = None;
        if ev.kind == Kind::Scalar {
            self.tag = ev.tag;
            self.scalar = ev.analysis.unwrap_or_else(|| analyze(ev.value.as_bytes()));
        }
    }

    fn dispatch(&mut self, ev: &Event<'_>, next: Option<Kind>) -> Result<(), StoreError> {
        match self.state {
            State::StreamStart => {
                if ev.kind != Kind::StreamStart {
                    return Err(bug("expected STREAM-START"));
                }
                self.state = State::FirstDocStart;
                Ok(())
            }
            State::FirstDocStart => self.document_start(ev, true),
            State::DocStart => self.document_start(ev, false),
            State::DocContent => self.document_content(ev, next),
            State::DocEnd => self.document_end(ev),
            State::FlowSeqFirst => self.flow_sequence_item(ev, next, true, false),
            State::FlowSeqTrail => self.flow_sequence_item(ev, next, false, true),
            State::FlowSeqItem => self.flow_sequence_item(ev, next, false, false),
            State::FlowMapFirst => self.flow_mapping_key(ev, next, true, false),
            State::FlowMapTrail => self.flow_mapping_key(ev, next, false, true),
            State::FlowMapKey => self.flow_mapping_key(ev, next, false, false),
            State::FlowMapSimpleValue => self.flow_mapping_value(ev, next, true),
            State::FlowMapValue => self.flow_mapping_value(ev, next, false),
            State::BlockSeqFirst => self.block_sequence_item(ev, next, true),
            State::BlockSeqItem => self.block_sequence_item(ev, next, false),
            State::BlockMapFirst => self.block_mapping_key(ev, next, true),
            State::BlockMapKey => self.block_mapping_key(ev, next, false),
            State::BlockMapSimpleValue => self.block_mapping_value(ev, next, true),
            State::BlockMapValue => self.block_mapping_value(ev, next, false),
            State::End => Err(bug("expected nothing after STREAM-END")),
        }
    }

    fn pop_state(&mut self) -> Result<(), StoreError> {
        self.state = self
            .states
            .pop()
            .ok_or_else(|| bug("state stack underflow"))?;
        Ok(())
    }

    fn pop_indent(&mut self) {
        self.out.indent = self.indents.pop().unwrap_or(-1);
    }

    fn increase_indent(&mut self, flow: bool, indentless: bool) {
        self.indents.push(self.out.indent);
        let best = self.out.best_indent;
        if self.out.indent < 0 {
            self.out.indent = if flow { best } else { 0 };
        } else if !indentless {
            if self.states.last() == Some(&State::BlockSeqItem) {
                self.out.indent += 2;
            } else {
                self.out.indent = best * ((self.out.indent + best) / best);
            }
        }
    }

    fn comments_pending(&self) -> bool {
        !(self.line.is_empty() && self.foot.is_empty() && self.tail.is_empty())
    }

    fn process_head_comment(&mut self) {
        if !self.tail.is_empty() {
            self.out.write_indent();
            let tail = std::mem::take(&mut self.tail);
            self.out.write_comment(tail.as_bytes());
            self.out.foot_indent = self.out.indent.max(0);
        }
        if self.head.is_empty() {
            return;
        }
        self.out.write_indent();
        let head = std::mem::take(&mut self.head);
        self.out.write_comment(head.as_bytes());
    }

    fn process_line_comment(&mut self, linebreak: bool) {
        if self.line.is_empty() {
            if linebreak {
                self.out.put_break();
            }
            return;
        }
        if !self.out.whitespace {
            self.out.put(b' ');
        }
        let line = std::mem::take(&mut self.line);
        self.out.write_comment(line.as_bytes());
    }

    fn process_foot_comment(&mut self) {
        if self.foot.is_empty() {
            return;
        }
        self.out.write_indent();
        let foot = std::mem::take(&mut self.foot);
        self.out.write_comment(foot.as_bytes());
        self.out.foot_indent = self.out.indent.max(0);
    }

    fn document_start(&mut self, ev: &Event<'_>, first: bool) -> Result<(), StoreError> {
        match ev.kind {
            Kind::DocStart => {
                if !first {
                    self.out.write_indent();
                    self.out.write_indicator(b"---", true, false, false);
                    self.out.write_indent();
                }
                if !self.head.is_empty() {
                    self.process_head_comment();
                    self.out.put_break();
                }
                self.state = State::DocContent;
                Ok(())
            }
            Kind::StreamEnd => {
                self.state = State::End;
                Ok(())
            }
            _ => Err(bug("expected DOCUMENT-START or STREAM-END")),
        }
    }

    fn document_content(&mut self, ev: &Event<'_>, next: Option<Kind>) -> Result<(), StoreError> {
        self.states.push(State::DocEnd);
        self.process_head_comment();
        self.emit_node(ev, next, false)?;
        self.process_line_comment(false);
        self.process_foot_comment();
        Ok(())
    }

    fn document_end(&mut self, ev: &Event<'_>) -> Result<(), StoreError> {
        if ev.kind != Kind::DocEnd {
            return Err(bug("expected DOCUMENT-END"));
        }
        self.out.foot_indent = 0;
        self.process_foot_comment();
        self.out.foot_indent = -1;
        self.out.write_indent();
        self.state = State::DocStart;
        Ok(())
    }

    fn flow_sequence_item(
        &mut self,
        ev: &Event<'_>,
        next: Option<Kind>,
        first: bool,
        trail: bool,
    ) -> Result<(), StoreError> {
        if first {
            self.out.write_indicator(b"[", true, true, false);
            self.increase_indent(true, false);
            self.flow_level += 1;
        }
        if ev.kind == Kind::SeqEnd {
            self.flow_level -= 1;
            self.pop_indent();
            if self.out.column == 0 {
                self.out.write_indent();
            }
            self.out.write_indicator(b"]", false, false, false);
            self.process_line_comment(false);
            self.process_foot_comment();
            return self.pop_state();
        }
        if !first && !trail {
            self.out.write_indicator(b",", false, false, false);
        }
        self.process_head_comment();
        if self.out.column == 0 {
            self.out.write_indent();
        }
        self.flow_entry(ev, next, State::FlowSeqTrail, State::FlowSeqItem)
    }

    /// The tail shared by a flow sequence item and a flow mapping value: go-yaml writes the
    /// separating comma early when comments follow, so they land after it.
    fn flow_entry(
        &mut self,
        ev: &Event<'_>,
        next: Option<Kind>,
        trail: State,
        then: State,
    ) -> Result<(), StoreError> {
        let pending = self.comments_pending();
        self.states.push(if pending { trail } else { then });
        self.emit_node(ev, next, false)?;
        if pending {
            self.out.write_indicator(b",", false, false, false);
        }
        self.process_line_comment(false);
        self.process_foot_comment();
        Ok(())
    }

    fn flow_mapping_key(
        &mut self,
        ev: &Event<'_>,
        next: Option<Kind>,
        first: bool,
        trail: bool,
    ) -> Result<(), StoreError> {
        if first {
            self.out.write_indicator(b"{", true, true, false);
            self.increase_indent(true, false);
            self.flow_level += 1;
        }
        if ev.kind == Kind::MapEnd {
            let comments = !(self.head.is_empty() && self.foot.is_empty() && self.tail.is_empty());
            if comments && !first && !trail {
                self.out.write_indicator(b",", false, false, false);
            }
            self.process_head_comment();
            self.flow_level -= 1;
            self.pop_indent();
            self.out.write_indicator(b"}", false, false, false);
            self.process_line_comment(false);
            self.process_foot_comment();
            return self.pop_state();
        }
        if !first && !trail {
            self.out.write_indicator(b",", false, false, false);
        }
        self.process_head_comment();
        if self.out.column == 0 {
            self.out.write_indent();
        }
        if self.check_simple_key(ev, next) {
            self.states.push(State::FlowMapSimpleValue);
            self.emit_node(ev, next, true)
        } else {
            self.out.write_indicator(b"?", true, false, false);
            self.states.push(State::FlowMapValue);
            self.emit_node(ev, next, false)
        }
    }

    fn flow_mapping_value(
        &mut self,
        ev: &Event<'_>,
        next: Option<Kind>,
        simple: bool,
    ) -> Result<(), StoreError> {
        self.out.write_indicator(b":", !simple, false, false);
        self.flow_entry(ev, next, State::FlowMapTrail, State::FlowMapKey)
    }

    fn block_sequence_item(
        &mut self,
        ev: &Event<'_>,
        next: Option<Kind>,
        first: bool,
    ) -> Result<(), StoreError> {
        if first {
            self.increase_indent(false, false);
        }
        if ev.kind == Kind::SeqEnd {
            self.pop_indent();
            return self.pop_state();
        }
        self.process_head_comment();
        self.out.write_indent();
        self.out.write_indicator(b"-", true, false, true);
        self.states.push(State::BlockSeqItem);
        self.emit_node(ev, next, false)?;
        self.process_line_comment(false);
        self.process_foot_comment();
        Ok(())
    }

    fn block_mapping_key(
        &mut self,
        ev: &Event<'_>,
        next: Option<Kind>,
        first: bool,
    ) -> Result<(), StoreError> {
        if first {
            self.increase_indent(false, false);
        }
        self.process_head_comment();
        if ev.kind == Kind::MapEnd {
            self.pop_indent();
            return self.pop_state();
        }
        self.out.write_indent();
        if !self.line.is_empty() {
            self.key_line = std::mem::take(&mut self.line);
        }
        if self.check_simple_key(ev, next) {
            self.states.push(State::BlockMapSimpleValue);
            self.emit_node(ev, next, true)
        } else {
            self.out.write_indicator(b"?", true, false, true);
            self.states.push(State::BlockMapValue);
            self.emit_node(ev, next, false)
        }
    }

    fn block_mapping_value(
        &mut self,
        ev: &Event<'_>,
        next: Option<Kind>,
        simple: bool,
    ) -> Result<(), StoreError> {
        if simple {
            self.out.write_indicator(b":", false, false, false);
        } else {
            self.out.write_indent();
            self.out.write_indicator(b":", true, false, true);
        }
        if !self.key_line.is_empty() {
            match ev.kind {
                Kind::Scalar if self.line.is_empty() => {
                    self.line = std::mem::take(&mut self.key_line);
                }
                Kind::MapStart | Kind::SeqStart => {
                    // An indented block follows: the key's line comment is written now.
                    std::mem::swap(&mut self.line, &mut self.key_line);
                    self.process_line_comment(false);
                    std::mem::swap(&mut self.line, &mut self.key_line);
                }
                _ => {}
            }
        }
        self.states.push(State::BlockMapKey);
        self.emit_node(ev, next, false)?;
        self.process_line_comment(false);
        self.process_foot_comment();
        Ok(())
    }

    fn emit_node(
        &mut self,
        ev: &Event<'_>,
        next: Option<Kind>,
        simple_key: bool,
    ) -> Result<(), StoreError> {
        self.simple_key_context = simple_key;
        match ev.kind {
            Kind::Scalar => self.emit_scalar(ev),
            Kind::SeqStart => {
                self.state = if self.flow_level > 0 || next == Some(Kind::SeqEnd) {
                    State::FlowSeqFirst
                } else {
                    State::BlockSeqFirst
                };
                Ok(())
            }
            Kind::MapStart => {
                self.state = if self.flow_level > 0 || next == Some(Kind::MapEnd) {
                    State::FlowMapFirst
                } else {
                    State::BlockMapFirst
                };
                Ok(())
            }
            _ => Err(bug("expected SCALAR, SEQUENCE-START or MAPPING-START")),
        }
    }

    fn check_simple_key(&self, ev: &Event<'_>, next: Option<Kind>) -> bool {
        match ev.kind {
            Kind::Scalar => {
                let tag_len = self.tag.map_or(0, |t| 2 + t.len());
                !self.scalar.multiline && tag_len + ev.value.len() <= 128
            }
            Kind::SeqStart => next == Some(Kind::SeqEnd),
            Kind::MapStart => next == Some(Kind::MapEnd),
            _ => false,
        }
    }

    fn select_scalar_style(&mut self, ev: &Event<'_>) {
        let a = self.scalar;
        let mut style = ev.style;
        if self.simple_key_context && a.multiline {
            style = Style::Double;
        }
        if style == Style::Plain {
            let flow = self.flow_level > 0;
            if (flow && !a.flow_plain_allowed) || (!flow && !a.block_plain_allowed) {
                style = Style::Single;
            }
            if ev.value.is_empty() && (flow || self.simple_key_context) {
                style = Style::Single;
            }
        }
        if style == Style::Single && !a.single_quoted_allowed {
            style = Style::Double;
        }
        if style == Style::Literal
            && (!a.block_allowed || self.flow_level > 0 || self.simple_key_context)
        {
            style = Style::Double;
        }
        self.style = style;
    }

    fn emit_scalar(&mut self, ev: &Event<'_>) -> Result<(), StoreError> {
        self.select_scalar_style(ev);
        if let Some(tag) = self.tag {
            self.out.write_tag(tag);
        }
        self.increase_indent(true, false);
        let v = ev.value.as_bytes();
        match self.style {
            Style::Plain => self.out.write_plain(v),
            Style::Single => self.out.write_single(v),
            Style::Double => self.out.write_double(v),
            Style::Literal => {
                self.out.write_indicator(b"|", true, false, false);
                self.out.write_block_hints(v);
                self.process_line_comment(true);
                self.out.write_literal_body(v);
            }
        }
        self.pop_indent();
        self.pop_state()
    }
}
