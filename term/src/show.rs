//! How a message looks in a terminal: local time, the name's colour, and
//! the one-line form that line mode prints.

use crate::sanitize::printable;
use chrono::{DateTime, Local};
use model::look::name_hue;
use model::message::ChatMessage;

/// `HH:MM` in the local time zone; `--:--` for a time that is not RFC 3339.
pub fn local_time(ts: &str) -> String {
    DateTime::parse_from_rfc3339(ts)
        .map(|t| t.with_timezone(&Local).format("%H:%M").to_string())
        .unwrap_or_else(|_| "--:--".into())
}

/// The name as shown: sanitised, with the network a bridge relayed it from.
pub fn author(message: &ChatMessage) -> String {
    let name = printable(&message.from, false);
    match &message.via {
        Some(via) => format!("{name} [{}]", printable(via, false)),
        None => name,
    }
}

/// `HH:MM name: body`, continuation lines indented under the name.
pub fn line(message: &ChatMessage) -> String {
    let body = printable(&message.body, true);
    let mut out = format!("{} {}: ", local_time(&message.ts), author(message));
    for (i, part) in body.split('\n').enumerate() {
        if i > 0 {
            out.push_str("\n      ");
        }
        out.push_str(part);
    }
    out
}

/// The name's colour as on the web: the account's choice, else a hue
/// derived from the name (65 % saturation, 45 % lightness).
pub fn name_rgb(message: &ChatMessage) -> (u8, u8, u8) {
    if let Some(rgb) = message.color.as_deref().and_then(parse_hex) {
        return rgb;
    }
    hsl(name_hue(&message.from) as f32, 0.65, 0.45)
}

fn parse_hex(color: &str) -> Option<(u8, u8, u8)> {
    let hex = color.strip_prefix('#').filter(|h| h.len() == 6)?;
    let byte = |i: usize| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok();
    Some((byte(0)?, byte(2)?, byte(4)?))
}

fn hsl(h: f32, s: f32, l: f32) -> (u8, u8, u8) {
    let c = (1.0 - (2.0 * l - 1.0).abs()) * s;
    let x = c * (1.0 - ((h / 60.0) % 2.0 - 1.0).abs());
    let m = l - c / 2.0;
    let (r, g, b) = match h as u32 / 60 {
        0 => (c, x, 0.0),
        1 => (x, c, 0.0),
        2 => (0.0, c, x),
        3 => (0.0, x, c),
        4 => (x, 0.0, c),
        _ => (c, 0.0, x),
    };
    let to = |v: f32| ((v + m) * 255.0).round() as u8;
    (to(r), to(g), to(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_is_time_name_and_sanitised_body() {
        let message = ChatMessage {
            from: "ada\u{1b}[2J".into(),
            body: "hi\nthere\u{1b}]0;x\u{7}".into(),
            ts: "not a time".into(),
            via: Some("twitch".into()),
            ..ChatMessage::default()
        };
        assert_eq!(line(&message), "--:-- ada [twitch]: hi\n      there");
    }

    #[test]
    fn colours_match_the_web() {
        assert_eq!(hsl(0.0, 0.65, 0.45), (189, 40, 40));
        assert_eq!(hsl(120.0, 0.65, 0.45), (40, 189, 40));
        let chosen = ChatMessage {
            color: Some("#0a0B0c".into()),
            ..ChatMessage::default()
        };
        assert_eq!(name_rgb(&chosen), (10, 11, 12));
    }
}
