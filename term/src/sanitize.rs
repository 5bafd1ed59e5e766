//! Text from the chat is other people's input: before it reaches the
//! terminal, escape sequences and control characters are taken out, so a
//! name or a message can never move the cursor, recolour the screen, set
//! the window title or reorder text.

use model::message::is_forbidden_in_text;

/// `text` without terminal escape sequences (CSI, OSC, DCS, …), control
/// characters or text-direction overrides. Newlines are kept when `lines`
/// is true (a body), else they become spaces (a name); tabs become spaces.
pub fn printable(text: &str, lines: bool) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\u{1b}' => skip_escape(&mut chars),
            // The one-character forms of CSI, OSC, DCS, PM and APC.
            '\u{9b}' => skip_csi(&mut chars),
            '\u{90}' | '\u{9d}' | '\u{9e}' | '\u{9f}' => skip_string(&mut chars),
            '\n' if lines => out.push('\n'),
            '\n' | '\t' => out.push(' '),
            c if is_forbidden_in_text(c) => {}
            c => out.push(c),
        }
    }
    out
}

type Chars<'a> = std::iter::Peekable<std::str::Chars<'a>>;

fn skip_escape(chars: &mut Chars) {
    match chars.next() {
        Some('[') => skip_csi(chars),
        Some(']' | 'P' | 'X' | '^' | '_') => skip_string(chars),
        // Two-character sequences (ESC 7, ESC c, …); an intermediate byte
        // (ESC ( B) takes one more.
        Some(c) if ('\u{20}'..='\u{2f}').contains(&c) => {
            chars.next();
        }
        _ => {}
    }
}

/// Parameters and intermediates up to the final byte (`@`–`~`).
fn skip_csi(chars: &mut Chars) {
    for c in chars.by_ref() {
        if ('\u{40}'..='\u{7e}').contains(&c) {
            return;
        }
        if !('\u{20}'..='\u{3f}').contains(&c) {
            return;
        }
    }
}

/// A string up to its terminator: BEL, ESC \ or the one-character ST.
fn skip_string(chars: &mut Chars) {
    while let Some(c) = chars.next() {
        match c {
            '\u{7}' | '\u{9c}' => return,
            '\u{1b}' => {
                if chars.peek() == Some(&'\\') {
                    chars.next();
                }
                return;
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_sequences_and_controls_never_pass() {
        let hostile = [
            ("\u{1b}[31mred\u{1b}[0m", "red"),
            ("\u{1b}]0;pwned\u{7}title", "title"),
            ("\u{1b}]8;;http://x\u{1b}\\link\u{1b}]8;;\u{1b}\\", "link"),
            ("a\u{1b}[2J\u{1b}[Hb", "ab"),
            ("\u{9b}1;1Hx", "x"),
            ("\u{1b}Pq#0;2;0;0;0\u{1b}\\sixel", "sixel"),
            ("bell\u{7}\u{8}\u{7f}", "bell"),
            ("\u{202e}evil", "evil"),
            ("\u{1b}(Bplain", "plain"),
            ("cr\roverwrite", "croverwrite"),
        ];
        for (input, shown) in hostile {
            assert_eq!(printable(input, false), shown, "{input:?}");
        }
    }

    #[test]
    fn text_stays_text() {
        assert_eq!(printable("héllo 👨‍👩‍👧 [1] ~", false), "héllo 👨‍👩‍👧 [1] ~");
        assert_eq!(printable("two\nlines\tand tab", true), "two\nlines and tab");
        assert_eq!(printable("two\nlines", false), "two lines");
        // An escape at the very end swallows nothing it should not.
        assert_eq!(printable("end\u{1b}", false), "end");
    }
}
