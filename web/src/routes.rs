//! Every URL the server answers, in one table, and the layers in front.

use crate::AppState;
use crate::accounts::{login, logout, register, settings};
use crate::http::{
    conversation, go, health, live, lobby, members, mentions, messages, moderation, presence, read,
    room_pages, room_settings, rooms, server_fns,
};
use crate::middleware::{guard, guest_key, origin, peer, sessions::SessionLayer};
use crate::settings::Settings;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{delete, get, patch, post, put};
use std::sync::Arc;

pub fn router(state: AppState, settings: &Settings, sessions: SessionLayer) -> Router {
    let pages = state
        .ui
        .pages(state.leptos_options.clone(), state.chat.clone());
    let allowed_origins = origin::AllowedOrigins(Arc::new(settings.allowed_origins.clone()));
    Router::new()
        // The public API (docs/API.md).
        .route("/api/rooms", get(rooms::list).post(room_settings::create))
        .route(
            "/api/rooms/{room}",
            get(room_settings::show).patch(room_settings::change),
        )
        .route("/api/rooms/{room}/owner", put(room_settings::set_owner))
        .route("/api/dms/{name}", post(room_settings::open_dm))
        .route("/api/rooms/{room}/members", get(members::list))
        .route(
            "/api/rooms/{room}/members/{name}",
            put(members::add).delete(members::remove),
        )
        .route(
            "/api/rooms/{room}/moderators/{name}",
            put(members::add_moderator).delete(members::remove_moderator),
        )
        .route(
            "/api/rooms/{room}/invites",
            get(members::invites).post(members::invite),
        )
        .route(
            "/api/rooms/{room}/invites/{id}",
            delete(members::revoke_invite),
        )
        .route("/api/invites/{token}", post(members::join))
        .route("/api/rooms/{room}/timeouts", post(moderation::timeout))
        .route(
            "/api/rooms/{room}/timeouts/{name}",
            delete(moderation::end_timeout),
        )
        .route("/api/rooms/{room}/bans", post(moderation::ban))
        .route("/api/rooms/{room}/bans/{name}", delete(moderation::unban))
        .route("/api/rooms/{room}/sanctions", get(moderation::sanctions))
        .route("/api/rooms/{room}/modlog", get(moderation::modlog))
        .route(
            "/api/rooms/{room}/messages",
            get(messages::page).post(messages::post),
        )
        .route(
            "/api/rooms/{room}/messages/{seq}",
            patch(conversation::edit).delete(conversation::delete),
        )
        .route(
            "/api/rooms/{room}/messages/{seq}/edits",
            get(conversation::edits),
        )
        .route(
            "/api/rooms/{room}/messages/{seq}/reactions",
            get(conversation::reactions),
        )
        .route(
            "/api/rooms/{room}/messages/{seq}/reactions/{emoji}",
            put(conversation::react).delete(conversation::unreact),
        )
        .route("/api/names", get(conversation::names))
        .route("/api/emoji", get(conversation::emoji))
        .route("/api/mentions", get(mentions::list))
        .route("/api/rooms/{room}/read", post(read::mark))
        .route("/api/rooms/{room}/presence", get(presence::list))
        .route("/api/rooms/{room}/typing", post(presence::typing))
        .route("/api/rooms/{room}/live", get(live::live))
        .route("/api/rooms/{room}/events", get(live::events))
        .route("/healthz", get(health::healthz))
        // The pages' helpers.
        .route("/go", get(go::go))
        .route(
            "/fn/{*name}",
            post(server_fns::handle).get(server_fns::handle),
        )
        // Accounts: plain forms.
        .route("/login", get(login::page).post(login::submit))
        .route("/register", get(register::page).post(register::submit))
        .route("/logout", post(logout::submit))
        .route("/settings", get(settings::page))
        .route("/mentions", get(mentions::page))
        .route("/", get(lobby::page))
        .route("/rooms", post(room_pages::create))
        .route(
            "/r/{room}/settings",
            get(room_pages::settings).post(room_pages::settings_form),
        )
        .route("/r/{room}/modlog", get(room_pages::modlog))
        .route("/dm", post(room_pages::dm_form))
        .route("/dm/{name}", get(room_pages::dm).post(room_pages::open_dm))
        .route(
            "/invite/{token}",
            get(room_pages::invite).post(room_pages::join),
        )
        .route("/settings/appearance", post(settings::appearance))
        .route("/settings/password", post(settings::password))
        .route("/settings/sessions/end", post(settings::end_sessions))
        .route("/settings/tokens", post(settings::create_token))
        .route("/settings/tokens/{id}/revoke", post(settings::revoke_token))
        .merge(crate::http::site::pkg(std::path::Path::new(
            state.leptos_options.site_root.as_ref(),
        )))
        // The Leptos pages (`/r/{room}`, behind the access rule) and the
        // static site.
        .fallback_service(pages.layer(axum::middleware::from_fn_with_state(
            state.clone(),
            room_pages::room_gate,
        )))
        .layer(DefaultBodyLimit::max(settings.max_request_bytes))
        .with_state(state.clone())
        .layer(axum::middleware::from_fn_with_state(
            state,
            guard::require_login,
        ))
        .layer(sessions)
        .layer(axum::middleware::from_fn_with_state(
            guest_key::CookieSecurity {
                secure: settings.secure_cookies,
            },
            guest_key::attach,
        ))
        .layer(axum::middleware::from_fn_with_state(
            allowed_origins,
            origin::refuse_cross_site,
        ))
        .layer(axum::middleware::from_fn(peer::attach))
        .layer(crate::http::site::compression())
}
