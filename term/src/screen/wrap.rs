//! Breaking text into lines that fit a width in terminal cells.

use unicode_width::UnicodeWidthChar;

/// `text` in lines of at most `width` cells, broken after spaces where it
/// can be and inside a word where it must.
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut lines = Vec::new();
    for paragraph in text.split('\n') {
        let mut line = String::new();
        let mut used = 0;
        // Where the line may break: after its last space.
        let mut last_space: Option<(usize, usize)> = None;
        for c in paragraph.chars() {
            let w = c.width().unwrap_or(0);
            if used + w > width && !line.is_empty() {
                // A space at the edge is where this line ends.
                if c == ' ' {
                    lines.push(std::mem::take(&mut line));
                    used = 0;
                    last_space = None;
                    continue;
                }
                match last_space {
                    Some((at, cells)) if at < line.len() => {
                        let rest = line.split_off(at);
                        lines.push(std::mem::take(&mut line).trim_end().to_owned());
                        line = rest;
                        used -= cells;
                    }
                    _ => {
                        lines.push(std::mem::take(&mut line));
                        used = 0;
                    }
                }
                last_space = None;
            }
            line.push(c);
            used += w;
            if c == ' ' {
                last_space = Some((line.len(), used));
            }
        }
        lines.push(line);
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn breaks_after_spaces_and_inside_long_words() {
        assert_eq!(wrap("hello big world", 9), ["hello big", "world"]);
        assert_eq!(wrap("abcdefghij", 4), ["abcd", "efgh", "ij"]);
        assert_eq!(wrap("one\ntwo", 10), ["one", "two"]);
        assert_eq!(wrap("", 10), [""]);
        // Wide characters take two cells.
        assert_eq!(wrap("日本語です", 4), ["日本", "語で", "す"]);
    }
}
