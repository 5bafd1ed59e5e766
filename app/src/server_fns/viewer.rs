//! Who is looking at the page.

use super::ChatError;
use leptos::prelude::*;
use model::account::Viewer;

/// Who is looking at the page; takes the session's flash message, which is
/// therefore shown once.
#[server(prefix = "/fn", endpoint = "viewer")]
pub async fn load_viewer() -> Result<Viewer, ChatError> {
    use super::ssr;
    let chat = ssr::chat()?;
    Ok(chat.viewer(ssr::session().as_ref()).await?)
}
