//! Reactions: which text counts as one emoji, and how many a message holds.

/// Distinct emoji one message may carry.
pub const MAX_EMOJI_PER_MESSAGE: usize = 20;
/// The longest emoji sequence accepted (a family with skin tones).
const MAX_EMOJI_BYTES: usize = 64;

/// The quick-pick offered on every message; the full picker loads apart.
pub const QUICK_REACTIONS: [&str; 6] = ["👍", "❤️", "😂", "🎉", "😮", "🙏"];

/// The full picker's choices (`GET /api/emoji`), space-separated; a client
/// fetches them when the picker first opens.
pub const PICKER_EMOJI: &str = "😀 😃 😄 😁 😆 😅 🤣 😂 🙂 🙃 😉 😊 😇 🥰 😍 🤩 😘 😗 😚 😋 😛 😜 🤪 😝 🤑 🤗 🤭 🤫 🤔 🤐 🤨 😐 😑 😶 😏 😒 🙄 😬 😌 😔 😪 🤤 😴 😷 🤒 🤕 🤢 🤮 🥵 🥶 🥴 😵 🤯 🤠 🥳 😎 🤓 🧐 😕 😟 🙁 😮 😯 😲 😳 🥺 😦 😧 😨 😰 😥 😢 😭 😱 😖 😣 😞 😓 😩 😫 🥱 😤 😡 😠 🤬 😈 💀 💩 🤡 👻 👽 🤖 😺 🙈 🙉 🙊 💋 💯 💢 💥 💫 💦 💨 💬 💤 👋 🤚 ✋ 🖖 👌 🤌 🤏 ✌️ 🤞 🤟 🤘 🤙 👈 👉 👆 👇 ☝️ 👍 👎 ✊ 👊 👏 🙌 👐 🤲 🤝 🙏 💪 🧠 👀 ❤️ 🧡 💛 💚 💙 💜 🖤 🤍 🤎 💔 ❣️ 💕 💞 💓 💗 💖 💘 💝 🔥 ✨ ⭐ 🌟 ⚡ 🌈 ☀️ 🌙 ☁️ ❄️ 🎉 🎊 🎈 🎁 🏆 🥇 ⚽ 🏀 🎮 🎲 🎵 🎶 🎸 🍕 🍔 🍟 🌮 🍣 🍩 🍪 🎂 🍰 ☕ 🍺 🍻 🥂 🍷 🚀 ✈️ 🚗 🏠 ⏰ 📌 📎 ✏️ 📝 📚 💡 🔔 🔒 🔑 🛠️ ⚙️ 🧪 💻 📱 ✅ ❌ ❓ ❗ ⚠️ 🚫 ➕ ➖ 🫡 🫠 🐛 🦀 🐍 🐳 🐧 🦊 🐱 🐶 🌱 🌻";

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ReactionRuleError {
    #[error("a reaction must be exactly one emoji")]
    NotOneEmoji,
    #[error("a message holds at most {MAX_EMOJI_PER_MESSAGE} different emoji")]
    TooManyEmoji,
}

/// `emoji` if it is exactly one emoji grapheme: a pictograph (with its
/// presentation selector, skin tone, tag sequence), a flag, a keycap, or
/// such elements joined by ZWJ.
pub fn checked_reaction(emoji: &str) -> Result<&str, ReactionRuleError> {
    if emoji.is_empty() || emoji.len() > MAX_EMOJI_BYTES || !is_one_emoji(emoji) {
        return Err(ReactionRuleError::NotOneEmoji);
    }
    Ok(emoji)
}

fn is_one_emoji(text: &str) -> bool {
    let chars: Vec<char> = text.chars().collect();
    let mut at = 0;
    loop {
        match element(&chars[at..]) {
            Some(len) => at += len,
            None => return false,
        }
        if at == chars.len() {
            return true;
        }
        if chars[at] != '\u{200D}' {
            return false;
        }
        at += 1;
    }
}

/// The length of the emoji element at the start of `chars`.
fn element(chars: &[char]) -> Option<usize> {
    let first = *chars.first()?;
    if is_regional_indicator(first) {
        return chars
            .get(1)
            .filter(|c| is_regional_indicator(**c))
            .map(|_| 2);
    }
    if first.is_ascii_digit() || first == '#' || first == '*' {
        return match chars.get(1..) {
            Some(['\u{FE0F}', '\u{20E3}', ..]) => Some(3),
            Some(['\u{20E3}', ..]) => Some(2),
            _ => None,
        };
    }
    if !is_pictographic(first) {
        return None;
    }
    let mut len = 1;
    if chars.get(len) == Some(&'\u{FE0F}') {
        len += 1;
    }
    if chars.get(len).is_some_and(|c| is_skin_tone(*c)) {
        len += 1;
    }
    // Subdivision flags: 🏴 then tag letters, ended by a cancel tag.
    if first == '\u{1F3F4}' && chars.get(len).is_some_and(|c| is_tag(*c)) {
        while chars.get(len).is_some_and(|c| is_tag(*c)) {
            len += 1;
        }
        if chars.get(len) != Some(&'\u{E007F}') {
            return None;
        }
        len += 1;
    }
    Some(len)
}

fn is_regional_indicator(c: char) -> bool {
    ('\u{1F1E6}'..='\u{1F1FF}').contains(&c)
}

fn is_skin_tone(c: char) -> bool {
    ('\u{1F3FB}'..='\u{1F3FF}').contains(&c)
}

fn is_tag(c: char) -> bool {
    ('\u{E0020}'..='\u{E007E}').contains(&c)
}

/// Unicode's Extended_Pictographic, in the ranges emoji use.
fn is_pictographic(c: char) -> bool {
    let c = c as u32;
    if is_regional_indicator(char::from_u32(c).unwrap_or('\0')) || (0x1F3FB..=0x1F3FF).contains(&c)
    {
        return false;
    }
    matches!(c,
        0x00A9 | 0x00AE | 0x203C | 0x2049 | 0x2122 | 0x2139
        | 0x2194..=0x2199 | 0x21A9..=0x21AA | 0x231A..=0x231B | 0x2328 | 0x23CF
        | 0x23E9..=0x23F3 | 0x23F8..=0x23FA | 0x24C2 | 0x25AA..=0x25AB | 0x25B6
        | 0x25C0 | 0x25FB..=0x25FE | 0x2600..=0x27BF | 0x2934..=0x2935
        | 0x2B05..=0x2B07 | 0x2B1B..=0x2B1C | 0x2B50 | 0x2B55 | 0x3030 | 0x303D
        | 0x3297 | 0x3299 | 0x1F000..=0x1FAFF)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_emoji_passes() {
        for ok in [
            "👍",
            "❤️",
            "👍🏽",
            "🇫🇷",
            "1️⃣",
            "#️⃣",
            "👨‍👩‍👧‍👦",
            "🏳️‍🌈",
            "🧑🏿‍💻",
            "🏴\u{E0067}\u{E0062}\u{E0073}\u{E0063}\u{E0074}\u{E007F}",
        ] {
            assert_eq!(checked_reaction(ok), Ok(ok), "{ok:?}");
        }
        for choice in QUICK_REACTIONS.into_iter().chain(PICKER_EMOJI.split(' ')) {
            assert!(checked_reaction(choice).is_ok(), "{choice:?}");
        }
    }

    #[test]
    fn anything_else_is_refused() {
        for bad in [
            "",
            "a",
            "👍👍",
            "👍 ",
            " 👍",
            "🇫",
            "1",
            "ok👍",
            "👍\u{200D}",
            "\u{200D}👍",
            "\u{1F3FB}",
            "👍\u{202E}",
            "🏴\u{E0067}",
        ] {
            assert_eq!(
                checked_reaction(bad),
                Err(ReactionRuleError::NotOneEmoji),
                "{bad:?}"
            );
        }
    }
}
