//! `/`: the rooms with their last activity (and, for an account, what it
//! has not read), and a form to open any room. Rendered on the server only,
//! like the account pages: it needs no WASM, and a short script of its own
//! keeps the unread counts current and shows times in the reader's zone.

use super::account::PlainHead;
use crate::components::account_bar::{AccountCorner, Flash, login_href};
use crate::components::unread::UnreadBadges;
use leptos::prelude::*;
use model::account::Viewer;
use model::room::RoomPage;

/// Every 5 s while the tab is visible: each listed room's badges from
/// `GET /api/rooms`; once: `<time>` as local `HH:MM`.
const KEEP_CURRENT: &str = r#"
(() => {
  const local = () => document.querySelectorAll('.room-list time[datetime]').forEach((t) => {
    const d = new Date(t.getAttribute('datetime'));
    if (!isNaN(d)) t.textContent = d.toTimeString().slice(0, 5);
  });
  local();
  const badges = (room) => {
    const unread = room.unread || 0, mentions = room.mentions || 0;
    if (!unread) return '';
    const shown = unread > 99 ? '99+' : String(unread);
    const at = mentions ? `<span class="mention-count" title="mentions and replies to you">@${mentions}</span>` : '';
    return `<span class="badges">${at}<span class="unread-count" title="unread messages">${shown}</span></span>`;
  };
  const refresh = async () => {
    if (document.hidden) return;
    try {
      const r = await fetch('/api/rooms?limit=1000', { credentials: 'same-origin' });
      if (!r.ok) return;
      for (const room of await r.json()) {
        const link = document.querySelector(`.room-list a[href="/r/${room.name}"]`);
        if (!link) continue;
        link.querySelector('.badges')?.remove();
        link.insertAdjacentHTML('beforeend', badges(room));
      }
    } catch (_) { /* offline for now: the next round tries again */ }
  };
  setInterval(refresh, 5000);
  document.addEventListener('visibilitychange', refresh);
})();
"#;

pub fn lobby_page(viewer: Viewer, page: RoomPage, older: bool) -> String {
    let owner = Owner::new();
    owner.with(move || {
        let Viewer { account, flash, .. } = viewer;
        let logged_in = account.is_some();
        view! {
            <!DOCTYPE html>
            <html lang="en">
                <PlainHead title="Chat".to_owned() />
                <body>
                    <main class="page lobby">
                        <header class="topbar">
                            <h1>"Chat"</h1>
                            <AccountCorner account login=login_href("/") />
                        </header>
                        {flash.map(|text| view! { <Flash text /> })}
                        <section class="lobby-body">
                            // A GET form: works the same with or without JavaScript.
                            <form class="open-room" method="get" action="/go">
                                <label for="room-name">"Open a room"</label>
                                <div class="row">
                                    <input id="room-name" name="room" required maxlength="32"
                                        pattern="[A-Za-z0-9_\\-]{1,32}" placeholder="room name"
                                        title="1 to 32 letters, digits, '-' or '_'" />
                                    <button type="submit">"Open"</button>
                                </div>
                            </form>
                            {logged_in.then(|| view! {
                                <form class="new-room" method="post" action="/rooms">
                                    <label for="new-room-name">"Make a room"</label>
                                    <div class="row">
                                        <input id="new-room-name" name="name" required maxlength="32"
                                            pattern="[A-Za-z0-9_\\-]{1,32}" placeholder="room name"
                                            title="1 to 32 letters, digits, '-' or '_'" />
                                        <label class="check"><input type="checkbox" name="private" value="on" />" Private"</label>
                                        <button type="submit">"Make"</button>
                                    </div>
                                </form>
                            })}
                            {logged_in.then(|| view! {
                                <form class="new-room" method="post" action="/dm">
                                    <label for="dm-name">"Message someone"</label>
                                    <div class="row">
                                        <input id="dm-name" name="name" required maxlength="32" placeholder="account name" />
                                        <button type="submit">"Message"</button>
                                    </div>
                                </form>
                            })}
                            <h2>"Rooms"</h2>
                            <RoomList page older />
                        </section>
                    </main>
                    <script>{KEEP_CURRENT}</script>
                </body>
            </html>
        }
        .to_html()
    })
}

#[component]
fn RoomList(page: RoomPage, older: bool) -> impl IntoView {
    view! {
        <ul class="room-list">
            {page.rooms.into_iter().map(|room| {
                let href = format!("/r/{}", room.name);
                let label = room.label();
                let private = room.is_private();
                let count = match room.count {
                    0 => "no messages yet".to_string(),
                    1 => "1 message".to_string(),
                    n => format!("{n} messages"),
                };
                view! {
                    <li>
                        <a href=href>
                            <span class="room-name">{label}</span>
                            {private.then(|| view! { <span class="private-mark">"private"</span> })}
                            <span class="muted">{count}</span>
                            // UTC here; the page's script shows the reader's time.
                            {room.last_ts.map(|ts| {
                                let utc = ts.get(11..16).unwrap_or_default().to_owned();
                                view! { <span class="muted">"last "<time datetime=ts.clone() title=ts>{utc}</time></span> }
                            })}
                            <UnreadBadges unread=room.unread.unwrap_or(0) mentions=room.mentions.unwrap_or(0) />
                        </a>
                    </li>
                }
            }).collect_view()}
        </ul>
        <p class="room-pages">
            {older.then(|| view! { <a href="/">"← Most recent rooms"</a> })}
            {page.next_after.map(|after| view! {
                <a class="older" href=format!("/?after={after}")>"Less recent rooms →"</a>
            })}
        </p>
    }
}
