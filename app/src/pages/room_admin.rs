//! A room's pages for the people in charge, rendered on the server only
//! (plain forms, nothing in the WASM): settings, members, moderators,
//! invite links, timeouts and bans (`/r/{room}/settings`), the moderation
//! log (`/r/{room}/modlog`); and the page of an invite link and the page
//! that says a room cannot be shown.

use super::account::document;
use leptos::prelude::*;
use model::account::Viewer;
use model::room_policy::{
    ModLog, PostPolicy, RoomAdmin, SettingsAction, Visibility, duration_text,
};

/// Slow mode choices, in seconds (0: off).
const SLOW_MODES: [u64; 8] = [0, 10, 30, 60, 300, 900, 3600, 21600];
/// Timeout choices, in seconds.
const TIMEOUTS: [u64; 6] = [60, 600, 3600, 86400, 604800, 2419200];
/// Puts the page's origin in the invite link and copies it on a click.
const COPY_INVITE: &str = r#"(() => {
  const input = document.getElementById('invite-url');
  input.value = location.origin + input.dataset.path;
  document.querySelector('button[data-copy="invite-url"]').addEventListener('click', (e) => {
    input.select();
    navigator.clipboard.writeText(input.value).then(() => { e.target.textContent = 'Copied'; });
  });
})();"#;

/// How many may join by one invite link (0: any number).
const INVITE_USES: [(u32, &str); 4] = [
    (1, "for one person"),
    (5, "for 5 people"),
    (25, "for 25 people"),
    (0, "for anyone"),
];

/// How long an invite link lasts, in seconds.
const INVITE_LASTS: [u64; 4] = [3600, 86400, 604800, 2592000];
/// How much of a banned member's past a ban removes.
const PURGES: [(u64, &str); 4] = [
    (0, "Keep their messages"),
    (3600, "Remove the last hour"),
    (86400, "Remove the last 24 hours"),
    (604800, "Remove the last 7 days"),
];

pub fn room_settings_page(viewer: Viewer, admin: RoomAdmin) -> String {
    let room = admin.info.name.clone();
    document(format!("#{room} settings"), viewer, move || {
        let RoomAdmin {
            info,
            members,
            sanctions,
            invite,
            invites,
        } = admin;
        // An invite link just made: in full, ready to copy (the script
        // puts the browser's own origin in front, as a proxy may hide it).
        let made_invite = invite.map(|invite| {
            view! {
                <div class="invite-made">
                    <label for="invite-url">"Invite link, to send to someone"</label>
                    <div class="row">
                        <input id="invite-url" readonly value=invite.url.clone()
                            data-path=format!("/invite/{}", invite.token) />
                        <button type="button" class="copy" data-copy="invite-url">"Copy"</button>
                    </div>
                    <script>{COPY_INVITE}</script>
                </div>
            }
        });
        let action = format!("/r/{room}/settings");
        let owner = info.you.role == "owner";
        let post = info.post;
        let kind = match info.visibility {
            Visibility::Public => "Public room: anyone can find and read it.",
            Visibility::Private => "Private room: only its members can find it.",
            Visibility::Dm => "Direct messages.",
        };
        view! {
            <p class="muted">{kind}" "<a href=format!("/r/{room}")>"Back to the room"</a>
                " · "<a href=format!("/r/{room}/modlog")>"Moderation log"</a></p>
            {match info.owner.clone() {
                Some(owner) => view! { <p>"Owner: "<b>{owner}</b></p> }.into_any(),
                // Only server admins reach this page for a room without one.
                None => view! {
                    <NameForm action=action.clone() what=SettingsAction::Claim id="owner-name"
                        label="This room has no owner. Give it to" submit="Make owner" />
                }.into_any(),
            }}
            <h2>"Settings"</h2>
            <form class="room-settings" method="post" action=action.clone()>
                <input type="hidden" name="do" value=SettingsAction::Settings.as_str() />
                <label for="topic">"Topic"</label>
                <input id="topic" name="topic" maxlength="250" value=info.topic.clone() />
                <label for="post">"Who may post"</label>
                <select id="post" name="post">
                    {[(PostPolicy::Everyone, "everyone", "Everyone (guests too)"),
                      (PostPolicy::Accounts, "accounts", "Accounts only"),
                      (PostPolicy::Members, "members", "Members only")]
                        .into_iter().map(|(p, value, label)| view! {
                            <option value=value selected=p == post>{label}</option>
                        }).collect_view()}
                </select>
                <label for="slow">"Slow mode"</label>
                <select id="slow" name="slow_mode_s">
                    {SLOW_MODES.into_iter().map(|s| {
                        let label = if s == 0 { "Off".to_owned() } else { format!("One message every {}", duration_text(s)) };
                        view! { <option value=s.to_string() selected=s == info.slow_mode_s>{label}</option> }
                    }).collect_view()}
                </select>
                <label class="check"><input type="checkbox" name="locked" value="on" checked=info.locked />
                    " Locked: only moderators can post"</label>
                <label class="check"><input type="checkbox" name="guests_read" value="on" checked=info.guests_read />
                    " Guests can read"</label>
                <button type="submit">"Save settings"</button>
            </form>

            <h2>"People"</h2>
            <ul class="member-list">
                {members.into_iter().map(|m| {
                    let removable = m.role != "owner";
                    let can_unmod = owner && m.role == "moderator";
                    let can_mod = owner && m.role == "member";
                    view! {
                        <li>
                            <span class="name">{m.name.clone()}</span>" "
                            <span class="muted role">{m.role.clone()}</span>
                            {can_mod.then(|| view! { <ActionButton room=room.clone() what=SettingsAction::AddModerator name=m.name.clone() label="Make moderator" /> })}
                            {can_unmod.then(|| view! { <ActionButton room=room.clone() what=SettingsAction::RemoveModerator name=m.name.clone() label="Remove as moderator" /> })}
                            {removable.then(|| view! { <ActionButton room=room.clone() what=SettingsAction::RemoveMember name=m.name.clone() label="Remove" /> })}
                        </li>
                    }
                }).collect_view()}
            </ul>
            <NameForm action=action.clone() what=SettingsAction::AddMember id="member-name"
                label="Add a member" submit="Add" />
            {owner.then(|| view! {
                <NameForm action=action.clone() what=SettingsAction::AddModerator id="moderator-name"
                    label="Name a moderator" submit="Make moderator" />
            })}
            {made_invite}
            <form class="inline-form" method="post" action=action.clone()>
                <input type="hidden" name="do" value=SettingsAction::Invite.as_str() />
                <label for="invite-lasts">"Invite link"</label>
                <select id="invite-lasts" name="expires_s">
                    {INVITE_LASTS.into_iter().map(|s| view! {
                        <option value=s.to_string() selected=s == 86400>{format!("valid {}", duration_text(s))}</option>
                    }).collect_view()}
                </select>
                <select name="uses" aria-label="How many may join by it">
                    {INVITE_USES.into_iter().map(|(n, label)| view! {
                        <option value=n.to_string() selected=n == 1>{label}</option>
                    }).collect_view()}
                </select>
                <button type="submit" class="make-invite">"Make an invite link"</button>
            </form>
            <ul class="invite-list">
                {invites.into_iter().map(|i| {
                    let uses = i.uses_left.map_or("any number of joins".to_owned(), |n| format!("{n} join{} left", if n == 1 { "" } else { "s" }));
                    let until = i.expires_at.get(..16).unwrap_or_default().replace('T', " ");
                    let label = format!("Revoke invite {}", i.id);
                    view! {
                        <li>
                            <span>{format!("Invite by {}, {uses}, until {until} UTC", i.by)}</span>
                            <form class="inline" method="post" action=format!("/r/{room}/settings")>
                                <input type="hidden" name="do" value=SettingsAction::RevokeInvite.as_str() />
                                <input type="hidden" name="invite" value=i.id.clone() />
                                <button type="submit" aria-label=label>"Revoke"</button>
                            </form>
                        </li>
                    }
                }).collect_view()}
            </ul>

            <h2>"Timeouts and bans"</h2>
            <form class="sanction-form" method="post" action=action.clone()>
                <input type="hidden" name="do" value=SettingsAction::Timeout.as_str() />
                <label for="timeout-name">"Time out"</label>
                <input id="timeout-name" name="name" required maxlength="32" placeholder="account name" />
                <select name="seconds" aria-label="For how long">
                    {TIMEOUTS.into_iter().map(|s| view! { <option value=s.to_string()>{format!("for {}", duration_text(s))}</option> }).collect_view()}
                </select>
                <input name="reason" maxlength="200" placeholder="reason (shown to them)" aria-label="Reason" />
                <button type="submit">"Time out"</button>
            </form>
            <form class="sanction-form" method="post" action=action.clone()>
                <input type="hidden" name="do" value=SettingsAction::Ban.as_str() />
                <label for="ban-name">"Ban"</label>
                <input id="ban-name" name="name" required maxlength="32" placeholder="account name" />
                <select name="purge_s" aria-label="Their messages">
                    {PURGES.into_iter().map(|(s, label)| view! { <option value=s.to_string()>{label}</option> }).collect_view()}
                </select>
                <input name="reason" maxlength="200" placeholder="reason" aria-label="Reason" />
                <button type="submit">"Ban"</button>
            </form>
            <ul class="sanction-list">
                {sanctions.into_iter().map(|s| {
                    let (what, label) = if s.kind == "ban" { (SettingsAction::Unban, "Unban") } else { (SettingsAction::EndTimeout, "End timeout") };
                    let until = s.until.as_deref().map(|u| format!(" until {} UTC", u.get(..16).unwrap_or(u).replace('T', " "))).unwrap_or_default();
                    let reason = s.reason.clone().map(|r| format!(": {r}")).unwrap_or_default();
                    view! {
                        <li>
                            <span class="name">{s.name.clone()}</span>" "
                            <span>{format!("{}{until}{reason} (by {})", s.kind, s.by)}</span>
                            <ActionButton room=room.clone() what name=s.name.clone() label />
                        </li>
                    }
                }).collect_view()}
            </ul>
        }
    })
}

/// A form that names an account for one action (`what`).
#[component]
fn NameForm(
    action: String,
    what: SettingsAction,
    id: &'static str,
    label: &'static str,
    submit: &'static str,
) -> impl IntoView {
    view! {
        <form class="inline-form" method="post" action=action>
            <input type="hidden" name="do" value=what.as_str() />
            <label for=id>{label}</label>
            <input id=id name="name" required maxlength="32" placeholder="account name" />
            <button type="submit">{submit}</button>
        </form>
    }
}

/// One button that posts one action about one person.
#[component]
fn ActionButton(
    room: String,
    what: SettingsAction,
    name: String,
    label: &'static str,
) -> impl IntoView {
    view! {
        <form class="inline" method="post" action=format!("/r/{room}/settings")>
            <input type="hidden" name="do" value=what.as_str() />
            <input type="hidden" name="name" value=name.clone() />
            <button type="submit" aria-label=format!("{label} {name}")>{label}</button>
        </form>
    }
}

pub fn modlog_page(viewer: Viewer, log: ModLog) -> String {
    let room = log.room.clone();
    document(format!("#{room} moderation log"), viewer, move || {
        let empty = log.actions.is_empty();
        view! {
            <p class="muted"><a href=format!("/r/{room}")>"Back to the room"</a>" · "
                <a href=format!("/r/{room}/settings")>"Settings"</a></p>
            {empty.then(|| view! { <p class="muted">"Nothing has happened here yet."</p> })}
            <table class="modlog">
                <thead><tr><th>"When (UTC)"</th><th>"Who"</th><th>"What"</th><th>"Whom"</th><th>"Details"</th></tr></thead>
                <tbody>
                    {log.actions.into_iter().map(|a| {
                        let mut details = Vec::new();
                        if let Some(reason) = &a.reason { details.push(format!("reason: {reason}")); }
                        if let Some(until) = &a.until { details.push(format!("until {}", until.get(..16).unwrap_or(until).replace('T', " "))); }
                        if let Some(seq) = a.message { details.push(format!("message {seq}")); }
                        if let Some(n) = a.purged { details.push(format!("{n} messages removed")); }
                        if let Some(changes) = &a.changes { details.push(serde_json::to_string(changes).unwrap_or_default()); }
                        view! {
                            <tr>
                                <td><time datetime=a.ts.clone()>{a.ts.get(..19).unwrap_or_default().replace('T', " ")}</time></td>
                                <td>{a.by}</td>
                                <td>{a.action.label()}</td>
                                <td>{a.target.unwrap_or_default()}</td>
                                <td>{details.join("; ")}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        }
    })
}

/// `/invite/{token}`: what the link leads to, and a button to join.
pub fn invite_page(viewer: Viewer, room: String, token: String) -> String {
    let logged_in = viewer.account.is_some();
    document(format!("Join #{room}"), viewer, move || {
        let next = format!("/invite/{token}");
        view! {
            <p>{format!("You are invited to the private room #{room}.")}</p>
            {if logged_in {
                view! {
                    <form method="post" action=next>
                        <button type="submit" class="join">{format!("Join #{room}")}</button>
                    </form>
                }.into_any()
            } else {
                view! {
                    <p><a href=format!("/login?next={}", model::url::percent_encode(&next))>"Log in"</a>" or "
                    <a href=format!("/register?next={}", model::url::percent_encode(&next))>"register"</a>" to join."</p>
                }.into_any()
            }}
        }
    })
}

/// `/dm/{name}` before the DM is made: one button starts it.
pub fn dm_confirm_page(viewer: Viewer, name: String) -> String {
    document(format!("Message {name}"), viewer, move || {
        let action = format!("/dm/{}", model::url::percent_encode(&name));
        view! {
            <p>{format!("Start a direct conversation with {name}? Only the two of you will see it.")}</p>
            <form method="post" action=action>
                <button type="submit" class="join">{format!("Message {name}")}</button>
            </form>
        }
    })
}

/// A room page the viewer cannot see: 404 (no such room, as far as they
/// know), or why not.
pub fn room_refused_page(viewer: Viewer, title: &str, text: String) -> String {
    document(title.to_owned(), viewer, move || {
        view! {
            <p class="error" role="alert">{text}</p>
            <p><a href="/">"Back to the rooms"</a></p>
        }
    })
}
