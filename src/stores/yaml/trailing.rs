//! Where go-yaml v3 puts own-line comments that follow the last item of blocks that end.
//!
//! SOPS authenticates an encrypted comment with the path of the mapping it sits in, so a comment
//! after a nested block must land in the same block upstream would put it in, or the file cannot
//! be decrypted. yaml.v3 decides this in its scanner (`yaml_parser_scan_comments`,
//! `yaml_parser_unroll_indent`), and the outcome is reproduced here from comment lines, their
//! columns and the blank lines between them:
//!
//! * Comment lines form groups. A new group starts at a line indented less than the innermost
//!   block and at another column than the current group's first line, and once after the first
//!   group at the first blank line if that group directly follows the last token (or is
//!   dedented). The end of input counts as such a blank line; the next token counts as a line.
//! * A group ended that way is a *foot*: the first one belongs to the innermost block, a later
//!   (or a dedented first) one to the first closing block whose earliest group at the block's
//!   own column is at or after it (yaml.v3 moves its block-end token there), else to the
//!   enclosing block. A sequence's end takes no comments, so one meant for it moves on to the
//!   next closing mapping, or to the enclosing block.
//! * The last group, if nothing ends it, is a *head* of the next token: it goes to the enclosing
//!   block (at the end of input, the document).

use super::gaps::RawComment;

/// A block that closes here, innermost first.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Level {
    /// Index of the frame on the builder's stack.
    pub depth: usize,
    /// Column of the block's keys or dashes.
    pub indent: usize,
    /// A block sequence: its end event takes no comments, so a foot comment meant for it goes
    /// to the next closing block (or the next item).
    pub is_seq: bool,
}

/// Where a comment goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dest {
    /// The end of the frame at this stack index.
    Frame(usize),
    /// Before the next item of the enclosing block (the end of the document at end of input).
    Next,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sem {
    /// Foot of the previous token: the innermost block.
    Prev,
    /// Foot placed by block-end repositioning.
    Later,
    /// Head of the next token.
    Head,
}

struct Group {
    first: usize,
    col: usize,
    sem: Sem,
}

/// Plans `comments` (own-line, in order) found after the token ending on `token_line`.
/// `top` is the innermost open block (stack index, indentation), `levels` the blocks that close,
/// `next` the line and column of the next token, or `None` at the end of input. `after_colon`
/// says the last token was a key's `:` (then a blank line only ends a dedented group).
pub(crate) fn plan(
    comments: &[RawComment],
    token_line: usize,
    top: (usize, usize),
    levels: &[Level],
    next: Option<(usize, usize)>,
    after_colon: bool,
) -> Vec<Dest> {
    if comments.is_empty() {
        return Vec::new();
    }
    let (top_depth, next_indent) = top;
    let dedented = |col: usize| col < next_indent;
    // yaml.v3's `first_empty`: no blank line yet since the token.
    let mut first_empty = comments[0].line <= token_line + 1;
    let direct = first_empty;
    let mut groups: Vec<Group> = Vec::new();
    let mut cur = Group {
        first: 0,
        col: comments[0].col,
        sem: Sem::Head,
    };
    // Whether a group ended by a blank line (or the end of input) becomes a foot, and how.
    let blank_foot = |g: &Group, first_empty: bool, is_first: bool| -> Option<Sem> {
        if !first_empty {
            None
        } else if dedented(g.col) {
            Some(Sem::Later)
        } else if is_first && direct && !after_colon {
            Some(Sem::Prev)
        } else {
            None
        }
    };
    for j in 1..comments.len() {
        let c = &comments[j];
        if c.line > comments[j - 1].line + 1 && first_empty {
            let sem = blank_foot(&cur, first_empty, groups.is_empty());
            first_empty = false;
            if let Some(sem) = sem {
                let next = Group {
                    first: j,
                    col: c.col,
                    sem: Sem::Head,
                };
                cur.sem = sem;
                groups.push(std::mem::replace(&mut cur, next));
                continue;
            }
        }
        if dedented(c.col) && c.col != cur.col {
            let next = Group {
                first: j,
                col: c.col,
                sem: Sem::Head,
            };
            cur.sem = if groups.is_empty() {
                Sem::Prev
            } else {
                Sem::Later
            };
            groups.push(std::mem::replace(&mut cur, next));
        }
    }
    let last_line = comments[comments.len() - 1].line;
    let is_first = groups.is_empty();
    cur.sem = match next {
        // The end of input is read like a line break.
        None => blank_foot(&cur, first_empty, is_first).unwrap_or(Sem::Head),
        Some((line, col)) => {
            let blank = if line > last_line + 1 {
                blank_foot(&cur, first_empty, is_first)
            } else {
                None
            };
            match blank {
                Some(sem) => sem,
                None if dedented(col) && col != cur.col => {
                    if is_first {
                        Sem::Prev
                    } else {
                        Sem::Later
                    }
                }
                None => Sem::Head,
            }
        }
    };
    groups.push(cur);

    // yaml.v3 puts each closing block's end token at the earliest following group that starts
    // at the block's column (searching from the previous block's position outwards).
    let mut marks: Vec<Option<usize>> = Vec::with_capacity(levels.len());
    let mut mark: Option<usize> = None;
    for level in levels {
        let from = mark.unwrap_or(0);
        if let Some(g) = (from..groups.len()).find(|&g| groups[g].col == level.indent) {
            mark = Some(g);
        }
        marks.push(mark);
    }

    let mut out = Vec::with_capacity(comments.len());
    for (gi, g) in groups.iter().enumerate() {
        let dest = match g.sem {
            Sem::Prev => Dest::Frame(top_depth),
            Sem::Later => marks
                .iter()
                .position(|m| m.is_some_and(|m| m >= gi))
                .and_then(|j| levels[j..].iter().find(|l| !l.is_seq))
                .map_or(Dest::Next, |l| Dest::Frame(l.depth)),
            Sem::Head => Dest::Next,
        };
        let end = groups.get(gi + 1).map_or(comments.len(), |n| n.first);
        out.extend(std::iter::repeat_n(dest, end - g.first));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(line: usize, col: usize) -> RawComment {
        RawComment {
            text: String::new(),
            line,
            col,
            trailing: false,
        }
    }

    const LEVELS: [Level; 3] = [
        Level {
            depth: 2,
            indent: 8,
            is_seq: false,
        },
        Level {
            depth: 1,
            indent: 4,
            is_seq: false,
        },
        Level {
            depth: 0,
            indent: 0,
            is_seq: false,
        },
    ];

    #[test]
    fn dedented_first_group_is_a_foot_of_the_innermost_block() {
        // `c: 1` on line 3, then `# x` at column 4, then a key at column 0.
        let d = plan(&[c(4, 4)], 3, (2, 8), &LEVELS[..2], Some((5, 0)), false);
        assert_eq!(d, vec![Dest::Frame(2)]);
        // At the next key's column it is that key's head comment.
        let d = plan(&[c(4, 0)], 3, (2, 8), &LEVELS[..2], Some((5, 0)), false);
        assert_eq!(d, vec![Dest::Next]);
    }

    #[test]
    fn later_groups_follow_block_columns() {
        let cs = [c(4, 8), c(5, 4), c(6, 2), c(7, 0)];
        let d = plan(&cs, 3, (2, 8), &LEVELS[..2], Some((8, 0)), false);
        assert_eq!(
            d,
            vec![Dest::Frame(2), Dest::Frame(1), Dest::Next, Dest::Next]
        );
    }

    #[test]
    fn end_of_input_acts_as_a_blank_line() {
        let d = plan(&[c(4, 4)], 3, (2, 8), &LEVELS, None, false);
        assert_eq!(d, vec![Dest::Frame(1)]);
        // After a blank line nothing is a foot any more: the document gets it.
        let d = plan(&[c(5, 4)], 3, (2, 8), &LEVELS, None, false);
        assert_eq!(d, vec![Dest::Next]);
    }
}
