//! What a page does to a message after it is sent: edit, delete, react;
//! and the names `@` autocompletes.

use super::ChatError;
use leptos::prelude::*;
use model::message::ChatMessage;

#[server(prefix = "/fn", endpoint = "edit_message")]
pub async fn edit_message(room: String, seq: u64, body: String) -> Result<ChatMessage, ChatError> {
    use super::ssr;
    let room = ssr::room(&room)?;
    let chat = ssr::chat()?;
    let identity = ssr::identity(&chat).await?;
    Ok(chat.edit(&identity, &room, seq, &body).await?)
}

#[server(prefix = "/fn", endpoint = "delete_message")]
pub async fn delete_message(room: String, seq: u64) -> Result<(), ChatError> {
    use super::ssr;
    let room = ssr::room(&room)?;
    let chat = ssr::chat()?;
    let identity = ssr::identity(&chat).await?;
    Ok(chat.delete(&identity, &room, seq).await?)
}

/// Adds (`on`) or takes back the caller's reaction; the message as it is now.
#[server(prefix = "/fn", endpoint = "toggle_reaction")]
pub async fn toggle_reaction(
    room: String,
    seq: u64,
    emoji: String,
    on: bool,
) -> Result<ChatMessage, ChatError> {
    use super::ssr;
    let room = ssr::room(&room)?;
    let chat = ssr::chat()?;
    let identity = ssr::identity(&chat).await?;
    Ok(chat.react(&identity, &room, seq, &emoji, on).await?)
}

/// Registered names starting with `prefix`, for `@` autocomplete.
#[server(prefix = "/fn", endpoint = "mention_names")]
pub async fn mention_names(prefix: String) -> Result<Vec<String>, ChatError> {
    Ok(super::ssr::chat()?.names_starting(&prefix))
}

/// Who reacted to a message with what (shown on hover / long-press).
#[server(prefix = "/fn", endpoint = "who_reacted")]
pub async fn who_reacted(room: String, seq: u64) -> Result<model::api::ReactionList, ChatError> {
    use super::ssr;
    let room = ssr::room(&room)?;
    Ok(ssr::chat()?.reactions(&room, seq).await?)
}

/// The full emoji picker's choices: fetched when it is first opened, so
/// that they weigh on no page's first load.
#[server(prefix = "/fn", endpoint = "emoji_choices")]
pub async fn emoji_choices() -> Result<Vec<String>, ChatError> {
    const CHOICES: &str = "😀 😃 😄 😁 😆 😅 🤣 😂 🙂 🙃 😉 😊 😇 🥰 😍 🤩 😘 😗 😚 😋 😛 😜 🤪 😝 🤑 🤗 🤭 🤫 🤔 🤐 🤨 😐 😑 😶 😏 😒 🙄 😬 😌 😔 😪 🤤 😴 😷 🤒 🤕 🤢 🤮 🥵 🥶 🥴 😵 🤯 🤠 🥳 😎 🤓 🧐 😕 😟 🙁 😮 😯 😲 😳 🥺 😦 😧 😨 😰 😥 😢 😭 😱 😖 😣 😞 😓 😩 😫 🥱 😤 😡 😠 🤬 😈 💀 💩 🤡 👻 👽 🤖 😺 🙈 🙉 🙊 💋 💯 💢 💥 💫 💦 💨 💬 💤 👋 🤚 ✋ 🖖 👌 🤌 🤏 ✌️ 🤞 🤟 🤘 🤙 👈 👉 👆 👇 ☝️ 👍 👎 ✊ 👊 👏 🙌 👐 🤲 🤝 🙏 💪 🧠 👀 ❤️ 🧡 💛 💚 💙 💜 🖤 🤍 🤎 💔 ❣️ 💕 💞 💓 💗 💖 💘 💝 🔥 ✨ ⭐ 🌟 ⚡ 🌈 ☀️ 🌙 ☁️ ❄️ 🎉 🎊 🎈 🎁 🏆 🥇 ⚽ 🏀 🎮 🎲 🎵 🎶 🎸 🍕 🍔 🍟 🌮 🍣 🍩 🍪 🎂 🍰 ☕ 🍺 🍻 🥂 🍷 🚀 ✈️ 🚗 🏠 ⏰ 📌 📎 ✏️ 📝 📚 💡 🔔 🔒 🔑 🛠️ ⚙️ 🧪 💻 📱 ✅ ❌ ❓ ❗ ⚠️ 🚫 ➕ ➖ 👀 🫡 🫠 🐛 🦀 🐍 🐳 🐧 🦊 🐱 🐶 🌱 🌻";
    Ok(CHOICES.split(' ').map(str::to_owned).collect())
}
