//! `/settings`: how your messages look, your password, and API tokens for
//! bots. The server's login guard keeps guests out.

use crate::account::{AccountSettings, TokenSummary};
use crate::account_bar::{AccountControl, FlashNotice};
use crate::load_account_settings;
use leptos::prelude::*;

#[component]
pub fn SettingsPage() -> impl IntoView {
    let settings = Resource::new(|| (), |_| load_account_settings());
    view! {
        <main class="page account-page">
            <header class="topbar">
                <a class="back" href="/" aria-label="All rooms">"←"</a>
                <h1>"Settings"</h1>
                <AccountControl />
            </header>
            <FlashNotice />
            <section class="account-body">
                <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                    {move || Suspend::new(async move {
                        match settings.await {
                            Ok(settings) => view! { <SettingsForms settings /> }.into_any(),
                            Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                        }
                    })}
                </Suspense>
            </section>
        </main>
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
            <input id="new-password" name="new" type="password" required minlength="8" autocomplete="new-password" />
            <button type="submit">"Change password"</button>
        </form>
        <h2>"API tokens"</h2>
        <p class="muted">"A bot posts as you with "<code>"Authorization: Bearer <token>"</code>" on the API."</p>
        <TokenList tokens=settings.tokens />
        <form class="settings-form" method="post" action="/settings/tokens">
            <label for="token-label">"New token's label"</label>
            <input id="token-label" name="label" required maxlength="40" placeholder="my bot" />
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
                let created = format!("created {}", token.created.get(..10).unwrap_or(&token.created));
                view! {
                    <li>
                        <span class="token-label">{token.label}</span>
                        <span class="muted">{created}</span>
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
