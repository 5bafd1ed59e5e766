//! Text between the two sides: IRC formatting taken out of what comes in,
//! and a room message cut into IRC lines that fit.

use crate::irc_line::one_line;

/// IRC text without its formatting codes (bold, colours with their
/// numbers, italics, …) and with a CTCP ACTION (`/me`) as `* text`.
/// `None` for other CTCP requests, which are not chat.
pub fn from_irc(text: &str) -> Option<String> {
    let text = match text.strip_prefix('\u{1}') {
        Some(ctcp) => {
            let ctcp = ctcp.trim_end_matches('\u{1}');
            let action = ctcp.strip_prefix("ACTION ")?;
            format!("* {action}")
        }
        None => text.to_owned(),
    };
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            // Colour: up to two digits, optionally a comma and two more.
            '\u{3}' => {
                for _ in 0..2 {
                    chars.next_if(char::is_ascii_digit);
                }
                if chars.peek() == Some(&',') {
                    let mut ahead = chars.clone();
                    ahead.next();
                    if ahead.peek().is_some_and(char::is_ascii_digit) {
                        chars.next();
                        for _ in 0..2 {
                            chars.next_if(char::is_ascii_digit);
                        }
                    }
                }
            }
            // Hex colour: six hex digits, optionally a comma and six more.
            '\u{4}' => {
                for _ in 0..6 {
                    chars.next_if(char::is_ascii_hexdigit);
                }
            }
            '\u{2}' | '\u{f}' | '\u{11}' | '\u{16}' | '\u{1d}' | '\u{1e}' | '\u{1f}' => {}
            c => out.push(c),
        }
    }
    let out = out.trim().to_owned();
    (!out.is_empty()).then_some(out)
}

/// The IRC lines of a room message: `<name> text` for each line of its
/// text, each cut (at a space where it can) to at most `max_bytes`.
pub fn to_irc(name: &str, body: &str, max_bytes: usize) -> Vec<String> {
    let prefix = format!("<{}> ", one_line(name));
    let room = max_bytes.saturating_sub(prefix.len()).max(16);
    let mut lines = Vec::new();
    for paragraph in body.split('\n') {
        let mut rest = one_line(paragraph);
        rest = rest.trim().to_owned();
        while !rest.is_empty() {
            let cut = cut_at(&rest, room);
            let (head, tail) = rest.split_at(cut);
            lines.push(format!("{prefix}{}", head.trim_end()));
            rest = tail.trim_start().to_owned();
        }
    }
    lines
}

/// Where to cut `text` to at most `max` bytes: after the last space that
/// fits, else at the last character boundary.
fn cut_at(text: &str, max: usize) -> usize {
    if text.len() <= max {
        return text.len();
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    match text[..end].rfind(' ') {
        Some(space) if space > 0 => space,
        _ => end,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formatting_codes_are_taken_out() {
        assert_eq!(
            from_irc("\u{2}bold\u{2} \u{3}04,12red\u{f} 5\u{3}3,x").unwrap(),
            "bold red 5,x"
        );
        assert_eq!(from_irc("\u{1}ACTION waves\u{1}").unwrap(), "* waves");
        assert_eq!(from_irc("\u{1}VERSION\u{1}"), None);
        assert_eq!(from_irc("\u{3}04  "), None);
        assert_eq!(from_irc("\u{4}ff0000hex").unwrap(), "hex");
    }

    #[test]
    fn long_and_multi_line_messages_become_several_lines() {
        assert_eq!(to_irc("ada", "one\n\ntwo", 100), ["<ada> one", "<ada> two"]);
        let long = "word ".repeat(50);
        let lines = to_irc("ada", &long, 60);
        assert!(lines.len() > 4);
        assert!(
            lines
                .iter()
                .all(|l| l.len() <= 60 && l.starts_with("<ada> word"))
        );
        let rejoined: Vec<&str> = lines.iter().map(|l| &l[6..]).collect();
        assert_eq!(rejoined.join(" "), long.trim());
        // No space to cut at: cut between characters, never inside one.
        let lines = to_irc("a", &"é".repeat(40), 20);
        assert!(lines.iter().all(|l| l.len() <= 20));
        assert_eq!(
            lines.iter().map(|l| l[4..].chars().count()).sum::<usize>(),
            40
        );
        // A name or text cannot smuggle a second command.
        assert_eq!(
            to_irc("x\r\nQUIT", "hi\rJOIN #x", 100),
            ["<xQUIT> hiJOIN #x"]
        );
    }
}
