//! `/login` and `/register`: plain forms that post to the server, which
//! answers with a redirect and a flash message.

use crate::account::{
    MAX_ACCOUNT_NAME_CHARS, MIN_ACCOUNT_NAME_CHARS, MIN_PASSWORD_CHARS, safe_return_path,
};
use crate::account_bar::{FlashNotice, use_viewer};
use crate::url::percent_encode;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

fn next_path() -> String {
    let next = use_query_map().with_untracked(|q| q.get("next").unwrap_or_default());
    safe_return_path(&next).to_owned()
}

fn with_next(page: &str, next: &str) -> String {
    if next == "/" {
        page.to_owned()
    } else {
        format!("{page}?next={}", percent_encode(next))
    }
}

#[component]
pub fn LoginPage() -> impl IntoView {
    let next = next_path();
    let register = with_next("/register", &next);
    view! {
        <AccountPage title="Log in">
            <CredentialsForm action="/login" submit="Log in" next=next.clone() new_password=false />
            <p class="muted">"No account yet? "<a href=register rel="external">"Register"</a></p>
        </AccountPage>
    }
}

#[component]
pub fn RegisterPage() -> impl IntoView {
    let next = next_path();
    let login = with_next("/login", &next);
    view! {
        <AccountPage title="Register">
            <CredentialsForm action="/register" submit="Create account" next=next.clone() new_password=true />
            <p class="muted">
                {format!("Names are {MIN_ACCOUNT_NAME_CHARS} to {MAX_ACCOUNT_NAME_CHARS} letters, digits, '-' or '_'; passwords at least {MIN_PASSWORD_CHARS} characters. ")}
                "Already registered? "<a href=login rel="external">"Log in"</a>
            </p>
        </AccountPage>
    }
}

/// The frame both pages share, with a note when already logged in.
#[component]
fn AccountPage(title: &'static str, children: Children) -> impl IntoView {
    let viewer = use_viewer();
    view! {
        <main class="page account-page">
            <header class="topbar">
                <a class="back" href="/" aria-label="All rooms">"←"</a>
                <h1>{title}</h1>
            </header>
            <FlashNotice />
            <section class="account-body">
                <Suspense fallback=|| ()>
                    {move || Suspend::new(async move {
                        viewer.await.ok().and_then(|v| v.account).map(|name| view! {
                            <p class="muted">{format!("You are logged in as {name}.")}</p>
                        })
                    })}
                </Suspense>
                {children()}
            </section>
        </main>
    }
}

#[component]
fn CredentialsForm(
    action: &'static str,
    submit: &'static str,
    next: String,
    new_password: bool,
) -> impl IntoView {
    let autocomplete = if new_password { "new-password" } else { "current-password" };
    view! {
        <form class="credentials" method="post" action=action>
            <input type="hidden" name="next" value=next />
            <label for="account-name">"Name"</label>
            <input id="account-name" name="name" required autocomplete="username"
                minlength=MIN_ACCOUNT_NAME_CHARS.to_string() maxlength=MAX_ACCOUNT_NAME_CHARS.to_string()
                pattern="[A-Za-z0-9_\\-]+" autofocus />
            <label for="account-password">"Password"</label>
            <input id="account-password" name="password" type="password" required
                autocomplete=autocomplete
                minlength=if new_password { MIN_PASSWORD_CHARS.to_string() } else { "1".to_string() } />
            <button type="submit">{submit}</button>
        </form>
    }
}
