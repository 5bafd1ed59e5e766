//! What CommonMark would turn into something a chat does not have, escaped
//! before parsing: a `#` starting a line (a heading), a line of only `=`
//! or `-` (a heading's underline), a rule (`***`, `___`), and a link
//! reference definition (`[x]: …`, which would vanish). Fenced code is left
//! alone.

pub(crate) fn guard(body: &str) -> String {
    let mut out = String::with_capacity(body.len() + 8);
    let mut fence: Option<(u8, usize)> = None;
    for line in body.split_inclusive('\n') {
        let start = content_start(line);
        let rest = &line[start..];
        if let Some((ch, len)) = fence_of(rest) {
            match fence {
                None => fence = Some((ch, len)),
                Some((open_ch, open_len)) if open_ch == ch && len >= open_len => fence = None,
                Some(_) => {}
            }
            out.push_str(line);
            continue;
        }
        if fence.is_none() && needs_escape(rest) && leading_spaces(&line[..start]) {
            out.push_str(&line[..start]);
            out.push('\\');
            out.push_str(rest);
        } else {
            out.push_str(line);
        }
    }
    out
}

/// Where a line's own text starts, after up to three spaces, quote markers
/// and one list marker.
fn content_start(line: &str) -> usize {
    let bytes = line.as_bytes();
    let mut i = 0;
    loop {
        let spaces = bytes[i..].iter().take_while(|b| **b == b' ').count();
        if spaces > 3 {
            return i;
        }
        let at = i + spaces;
        match bytes.get(at) {
            Some(b'>') => i = at + 1,
            Some(b'-' | b'*' | b'+')
                if bytes.get(at + 1) == Some(&b' ') && !is_rule(&line[at..]) =>
            {
                return at + 2;
            }
            Some(b'0'..=b'9') => {
                let digits = bytes[at..]
                    .iter()
                    .take_while(|b| b.is_ascii_digit())
                    .count();
                let after = at + digits;
                if digits <= 9
                    && matches!(bytes.get(after), Some(b'.' | b')'))
                    && bytes.get(after + 1) == Some(&b' ')
                {
                    return after + 2;
                }
                return at;
            }
            _ => return at,
        }
    }
}

/// An indented line (4+ spaces before any marker) is code; its `#` is text.
fn leading_spaces(prefix: &str) -> bool {
    prefix.bytes().take_while(|b| *b == b' ').count() <= 3
}

fn fence_of(rest: &str) -> Option<(u8, usize)> {
    let ch = *rest.as_bytes().first()?;
    if ch != b'`' && ch != b'~' {
        return None;
    }
    let len = rest.bytes().take_while(|b| *b == ch).count();
    (len >= 3).then_some((ch, len))
}

/// Three or more of one of `-`, `*`, `_`, and spaces: a thematic break.
fn is_rule(text: &str) -> bool {
    let text = text.trim_end();
    [b'-', b'*', b'_'].into_iter().any(|mark| {
        text.bytes().all(|b| b == mark || b == b' ')
            && text.bytes().filter(|b| *b == mark).count() >= 3
    })
}

fn needs_escape(rest: &str) -> bool {
    let text = rest.trim_end();
    if text.starts_with('#') {
        return true;
    }
    if is_rule(text) || (!text.is_empty() && text.bytes().all(|b| b == b'=' || b == b'-')) {
        return true;
    }
    // `[label]: destination`
    text.starts_with('[')
        && text
            .find("]:")
            .is_some_and(|end| end > 1 && !text[1..end].contains(']'))
}

#[cfg(test)]
mod tests {
    use super::guard;

    #[test]
    fn what_would_be_a_heading_rule_or_definition_is_escaped() {
        assert_eq!(guard("# not a title"), "\\# not a title");
        assert_eq!(guard("> ## quoted"), "> \\## quoted");
        assert_eq!(guard("* * *"), "\\* * *");
        assert_eq!(guard("text\n---\nmore"), "text\n\\---\nmore");
        assert_eq!(guard("a\n==="), "a\n\\===");
        assert_eq!(guard("***"), "\\***");
        assert_eq!(guard("[x]: https://e.org"), "\\[x]: https://e.org");
        assert_eq!(guard("- # item"), "- \\# item");
        assert_eq!(guard("1. # item"), "1. \\# item");
    }

    #[test]
    fn fenced_code_and_ordinary_lines_are_kept() {
        let code = "```\n# comment\n---\n```\n# after";
        assert_eq!(guard(code), "```\n# comment\n---\n```\n\\# after");
        for same in [
            "C# is fine",
            "- item",
            "**bold**",
            "a - b",
            "    # indented",
        ] {
            assert_eq!(guard(same), same);
        }
    }
}
