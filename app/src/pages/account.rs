//! The account pages (`/login`, `/register`, `/settings`): plain HTML forms
//! rendered on the server only. They need no JavaScript, so they add
//! nothing to the WASM bundle; each form posts to the server, which
//! answers with a redirect and a flash message.

use crate::components::account_bar::{AccountCorner, Flash, login_href};
use leptos::prelude::*;
use model::account::{
    AccountSettings, MAX_ACCOUNT_NAME_CHARS, MAX_TOKEN_LABEL_CHARS, MIN_ACCOUNT_NAME_CHARS,
    MIN_PASSWORD_CHARS, TokenSummary, Viewer,
};
use model::url::percent_encode;

/// `/login`; `next` is where to go afterwards (already checked to be local).
pub fn login_page(viewer: Viewer, next: &str) -> String {
    let register = with_next("/register", next);
    let next = next.to_owned();
    document("Log in", viewer, move || {
        view! {
            <CredentialsForm action="/login" submit="Log in" next new_password=false />
            <p class="muted">"No account yet? "<a href=register>"Register"</a></p>
        }
    })
}

/// `/register`
pub fn register_page(viewer: Viewer, next: &str) -> String {
    let login = with_next("/login", next);
    let next = next.to_owned();
    let rules = format!(
        "Names are {MIN_ACCOUNT_NAME_CHARS} to {MAX_ACCOUNT_NAME_CHARS} letters, digits, '-' or '_'; passwords at least {MIN_PASSWORD_CHARS} characters. "
    );
    document("Register", viewer, move || {
        view! {
            <CredentialsForm action="/register" submit="Create account" next new_password=true />
            <p class="muted">{rules}"Already registered? "<a href=login>"Log in"</a></p>
        }
    })
}

/// `/settings`, for a logged-in viewer.
pub fn settings_page(viewer: Viewer, settings: AccountSettings) -> String {
    document(
        "Settings",
        viewer,
        move || view! { <SettingsForms settings /> },
    )
}

fn with_next(page: &str, next: &str) -> String {
    if next == "/" {
        page.to_owned()
    } else {
        format!("{page}?next={}", percent_encode(next))
    }
}

/// A whole HTML document around one account page, without hydration.
pub(crate) fn document<V: IntoView + 'static>(
    title: impl Into<String>,
    viewer: Viewer,
    content: impl FnOnce() -> V + 'static,
) -> String {
    let owner = Owner::new();
    let title: String = title.into();
    owner.with(move || {
        let Viewer { account, flash, .. } = viewer;
        let logged_in_note = matches!(title.as_str(), "Log in" | "Register")
            .then(|| account.clone())
            .flatten()
            .map(|name| view! { <p class="muted">{format!("You are logged in as {name}.")}</p> });
        view! {
            <!DOCTYPE html>
            <html lang="en">
                <PlainHead title=format!("{title} · Chat") />
                <body>
                    <main class="page account-page">
                        <header class="topbar">
                            <a class="back" href="/" aria-label="All rooms">"←"</a>
                            <h1>{title.clone()}</h1>
                            <AccountCorner account login=login_href("/") />
                        </header>
                        {flash.map(|text| view! { <Flash text /> })}
                        <section class="account-body">
                            {logged_in_note}
                            {content()}
                        </section>
                    </main>
                </body>
            </html>
        }
        .to_html()
    })
}

/// A page that says one thing (too many attempts, try again later) and
/// leads back; `note_id` names the sentence for tests and scripts.
pub fn notice_page(title: &str, note: String, note_id: &'static str, back_to: String) -> String {
    let owner = Owner::new();
    let title = title.to_owned();
    owner.with(move || {
        view! {
            <!DOCTYPE html>
            <html lang="en">
                <PlainHead title=format!("{title} · Chat") />
                <body>
                    <main class="page notice">
                        <h1>{title}</h1>
                        <p id=note_id>{note}</p>
                        <p><a href=back_to>"Back"</a></p>
                    </main>
                </body>
            </html>
        }
        .to_html()
    })
}

/// The `<head>` of a page rendered on the server only (no hydration).
#[component]
pub(crate) fn PlainHead(title: String) -> impl IntoView {
    view! {
        <head>
            <meta charset="utf-8" />
            <meta name="viewport" content="width=device-width, initial-scale=1" />
            <meta name="color-scheme" content="light dark" />
            <link rel="icon" href="data:," />
            <link rel="stylesheet" href=crate::assets::stylesheet_href() />
            <title>{title}</title>
        </head>
    }
}

#[component]
fn CredentialsForm(
    action: &'static str,
    submit: &'static str,
    next: String,
    new_password: bool,
) -> impl IntoView {
    let autocomplete = if new_password {
        "new-password"
    } else {
        "current-password"
    };
    let min_password = if new_password { MIN_PASSWORD_CHARS } else { 1 };
    view! {
        <form class="credentials" method="post" action=action>
            <input type="hidden" name="next" value=next />
            <label for="account-name">"Name"</label>
            <input id="account-name" name="name" required autocomplete="username"
                minlength=MIN_ACCOUNT_NAME_CHARS.to_string() maxlength=MAX_ACCOUNT_NAME_CHARS.to_string()
                pattern="[A-Za-z0-9_\\-]+" autofocus />
            <label for="account-password">"Password"</label>
            <input id="account-password" name="password" type="password" required
                autocomplete=autocomplete minlength=min_password.to_string() />
            <button type="submit">{submit}</button>
        </form>
    }
}

#[component]
fn SettingsForms(settings: AccountSettings) -> impl IntoView {
    let color = settings.appearance.color.clone();
    let emoji = settings.appearance.emoji.clone().unwrap_or_default();
    view! {
        <p>"Logged in as "<strong>{settings.account}</strong>"."</p>
        <h2>"How your name looks"</h2>
        <form class="settings-form" method="post" action="/settings/appearance">
            <label class="inline">
                <input type="checkbox" name="use_color" checked=color.is_some() />
                " Name colour "
                <input type="color" name="color" aria-label="Name colour"
                    value=color.unwrap_or_else(|| "#3b5bdb".to_owned()) />
            </label>
            <label for="emoji">"Emoji shown before your name (empty for none)"</label>
            <input id="emoji" name="emoji" value=emoji maxlength="32" placeholder="🦀" />
            <button type="submit">"Save appearance"</button>
        </form>
        <h2>"Password"</h2>
        <form class="settings-form" method="post" action="/settings/password">
            <label for="current-password">"Current password"</label>
            <input id="current-password" name="current" type="password" required autocomplete="current-password" />
            <label for="new-password">"New password"</label>
            <input id="new-password" name="new" type="password" required
                minlength=MIN_PASSWORD_CHARS.to_string() autocomplete="new-password" />
            <label class="inline">
                <input type="checkbox" name="revoke_tokens" />
                " Also revoke every API token"
            </label>
            <p class="muted">"Changing it logs you out everywhere else."</p>
            <button type="submit">"Change password"</button>
        </form>
        <h2>"Sessions"</h2>
        <form class="settings-form" method="post" action="/settings/sessions/end">
            <p class="muted">"Ends every login of this account, in this browser too."</p>
            <button type="submit">"Log out everywhere"</button>
        </form>
        <h2>"API tokens"</h2>
        <p class="muted">"A bot posts as you with "<code>"Authorization: Bearer <token>"</code>" on the API (see docs/API.md)."</p>
        <TokenList tokens=settings.tokens />
        <form class="settings-form" method="post" action="/settings/tokens">
            <label for="token-label">"New token's label"</label>
            <input id="token-label" name="label" required maxlength=MAX_TOKEN_LABEL_CHARS.to_string() placeholder="my bot" />
            <button type="submit">"Create token"</button>
        </form>
    }
}

#[component]
fn TokenList(tokens: Vec<TokenSummary>) -> impl IntoView {
    if tokens.is_empty() {
        return view! { <p class="muted">"No tokens yet."</p> }.into_any();
    }
    view! {
        <ul class="token-list">
            {tokens.into_iter().map(|token| {
                let revoke = format!("/settings/tokens/{}/revoke", token.id);
                let used = token.last_used.as_deref().map_or("never used".to_owned(), |t| {
                    format!("last used {}", t.get(..10).unwrap_or(t))
                });
                let created = format!("created {}", token.created.get(..10).unwrap_or(&token.created));
                view! {
                    <li>
                        <span class="token-label">{token.label}</span>
                        <span class="muted">{created}", "{used}</span>
                        <form method="post" action=revoke>
                            <button type="submit" class="link danger">"Revoke"</button>
                        </form>
                    </li>
                }
            }).collect_view()}
        </ul>
    }
    .into_any()
}
