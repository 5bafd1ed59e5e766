//! A room's pages outside the hydrated room view, as plain forms: its
//! settings and moderation (`/r/{room}/settings`), the moderation log
//! (`/r/{room}/modlog`), a DM (`/dm/{name}`), an invite link
//! (`/invite/{token}`), making a room from the lobby (`POST /rooms`); and
//! the gate in front of the room page itself, which asks the access rule
//! before the page is rendered (404 for a hidden room).

use super::identity::Caller;
use crate::AppState;
use crate::accounts::respond::{page as html_page, see_other};
use crate::accounts::viewer;
use axum::Form;
use axum::extract::{Path, Request, State};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use model::ErrorKind;
use model::room::RoomName;
use model::room_policy::{
    NewBan, NewInvite, NewRoom, NewTimeout, PostPolicy, RoomChanges, SettingsAction, Visibility,
};
use model::url::percent_encode;
use service::access::Action;
use service::session::{Session, set_flash};

/// What a refused page answers: a hidden room is "not found", a guest is
/// sent to log in, anything else says why.
async fn refused(state: &AppState, session: &Session, path: &str, e: service::Error) -> Response {
    let status = StatusCode::from_u16(e.kind().http_status()).unwrap_or(StatusCode::FORBIDDEN);
    if e.kind() == ErrorKind::LoginRequired {
        return see_other(&format!("/login?next={}", percent_encode(path)));
    }
    let title = match e.kind() {
        ErrorKind::NotFound => "Not found",
        ErrorKind::Forbidden => "Not allowed",
        _ => "This page cannot be shown",
    };
    let viewer = viewer(state, session).await;
    let html = state
        .ui
        .room_refused_page(viewer, title, e.message().to_owned());
    (status, html_page(html)).into_response()
}

/// In front of the room page (`GET /r/{room}`): the page renders only for
/// someone the access rule lets read the room.
pub async fn room_gate(
    State(state): State<AppState>,
    session: Session,
    request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path().to_owned();
    let room = path
        .strip_prefix("/r/")
        .filter(|rest| !rest.contains('/'))
        .and_then(|name| RoomName::parse(name).ok());
    if let (Some(room), &Method::GET) = (room, request.method()) {
        let (parts, body) = request.into_parts();
        let checked = match state.chat.identify_request(&parts).await {
            Ok(identity) => state.chat.check(&identity, Action::Read, &room).map(|_| ()),
            Err(e) => Err(e),
        };
        if let Err(e) = checked {
            return refused(&state, &session, &path, e).await;
        }
        return next.run(Request::from_parts(parts, body)).await;
    }
    next.run(request).await
}

/// `GET /r/{room}/settings`
#[derive(serde::Deserialize)]
pub struct SettingsQuery {
    /// The token of an invite link just made, to show it once in full.
    invite: Option<String>,
}

pub async fn settings(
    State(state): State<AppState>,
    session: Session,
    Caller(identity): Caller,
    Path(room): Path<String>,
    headers: axum::http::HeaderMap,
    query: Result<super::identity::ApiQuery<SettingsQuery>, super::error::ApiError>,
) -> Response {
    let path = format!("/r/{room}/settings");
    let admin = RoomName::parse(&room)
        .map_err(service::Error::from)
        .and_then(|room| state.chat.room_admin(&identity, &room));
    match admin {
        Ok(mut admin) => {
            let token = query.ok().and_then(|q| q.0.invite);
            if let Some(token) = token
                && state
                    .chat
                    .invite_room(&token)
                    .is_ok_and(|of| of.as_str() == admin.info.name)
            {
                admin.invite = Some(model::room_policy::Invite {
                    room: admin.info.name.clone(),
                    url: format!("{}/invite/{token}", origin_of(&headers)),
                    token,
                    ..Default::default()
                });
            }
            let viewer = viewer(&state, &session).await;
            html_page(state.ui.room_settings_page(viewer, admin))
        }
        Err(e) => refused(&state, &session, &path, e).await,
    }
}

/// `GET /r/{room}/modlog`
pub async fn modlog(
    State(state): State<AppState>,
    session: Session,
    Caller(identity): Caller,
    Path(room): Path<String>,
) -> Response {
    let path = format!("/r/{room}/modlog");
    let log = match RoomName::parse(&room) {
        Ok(room) => state.chat.modlog(&identity, &room).await,
        Err(e) => Err(e.into()),
    };
    match log {
        Ok(log) => {
            let viewer = viewer(&state, &session).await;
            html_page(state.ui.modlog_page(viewer, log))
        }
        Err(e) => refused(&state, &session, &path, e).await,
    }
}

/// The settings form's `do`: an unknown one is answered on the page, not
/// with the form extractor's plain-text rejection.
#[derive(serde::Deserialize)]
#[serde(untagged)]
enum FormAction {
    Known(SettingsAction),
    Unknown(String),
}

/// The settings page's forms: one field `do` says which.
#[derive(serde::Deserialize)]
pub struct SettingsForm {
    #[serde(rename = "do")]
    what: FormAction,
    #[serde(default)]
    name: String,
    topic: Option<String>,
    post: Option<PostPolicy>,
    slow_mode_s: Option<u64>,
    locked: Option<String>,
    guests_read: Option<String>,
    seconds: Option<u64>,
    purge_s: Option<u64>,
    expires_s: Option<u64>,
    uses: Option<u32>,
    /// The invite a `revoke_invite` ends.
    invite: Option<String>,
    reason: Option<String>,
}

/// `POST /r/{room}/settings`: does one thing, then back to the page with
/// what happened.
pub async fn settings_form(
    State(state): State<AppState>,
    session: Session,
    Caller(identity): Caller,
    Path(room): Path<String>,
    Form(form): Form<SettingsForm>,
) -> Response {
    let back = format!("/r/{room}/settings");
    let Ok(room) = RoomName::parse(&room) else {
        return see_other("/");
    };
    let chat = &state.chat;
    let name = form.name.trim().to_owned();
    let reason = form.reason.filter(|r| !r.trim().is_empty());
    let what = match form.what {
        FormAction::Known(what) => what,
        FormAction::Unknown(other) => {
            set_flash(&session, &format!("unknown action \"{other}\"")).await;
            return see_other(&back);
        }
    };
    let mut made_invite = None;
    let done: Result<String, service::Error> = match what {
        SettingsAction::Settings => {
            let changes = RoomChanges {
                topic: form.topic,
                post: form.post,
                slow_mode_s: form.slow_mode_s,
                locked: Some(form.locked.is_some()),
                guests_read: Some(form.guests_read.is_some()),
            };
            chat.change_room(&identity, &room, &changes)
                .await
                .map(|_| "Settings saved".into())
        }
        SettingsAction::AddMember => chat
            .set_member(&identity, &room, &name, true)
            .await
            .map(|()| format!("{name} is a member now")),
        SettingsAction::RemoveMember => chat
            .set_member(&identity, &room, &name, false)
            .await
            .map(|()| format!("{name} was removed")),
        SettingsAction::AddModerator => chat
            .set_moderator(&identity, &room, &name, true)
            .await
            .map(|()| format!("{name} is a moderator now")),
        SettingsAction::RemoveModerator => chat
            .set_moderator(&identity, &room, &name, false)
            .await
            .map(|()| format!("{name} is no longer a moderator")),
        SettingsAction::Claim => chat
            .set_owner(&identity, &room, &name)
            .await
            .map(|info| format!("{} owns #{room} now", info.owner.unwrap_or_default())),
        SettingsAction::Invite => chat
            .create_invite(
                &identity,
                &room,
                &NewInvite {
                    expires_s: form.expires_s,
                    uses: form.uses,
                },
            )
            .await
            .map(|invite| {
                made_invite = Some(invite.token.clone());
                format!(
                    "Invite link made, valid until {} UTC",
                    invite
                        .expires_at
                        .get(..16)
                        .unwrap_or_default()
                        .replace('T', " "),
                )
            }),
        SettingsAction::Timeout => chat
            .timeout(
                &identity,
                &room,
                &NewTimeout {
                    name: name.clone(),
                    seconds: form.seconds.unwrap_or(600),
                    reason,
                },
            )
            .await
            .map(|s| {
                format!(
                    "{} is timed out until {}",
                    s.name,
                    s.until.unwrap_or_default()
                )
            }),
        SettingsAction::EndTimeout => chat
            .end_timeout(&identity, &room, &name)
            .await
            .map(|()| format!("{name}'s timeout is over")),
        SettingsAction::Ban => chat
            .ban(
                &identity,
                &room,
                &NewBan {
                    name: name.clone(),
                    purge_s: form.purge_s.filter(|s| *s > 0),
                    reason,
                },
            )
            .await
            .map(|s| match s.purged {
                Some(n) => format!("{} is banned; {n} of their messages removed", s.name),
                None => format!("{} is banned", s.name),
            }),
        SettingsAction::RevokeInvite => chat
            .revoke_invite(&identity, &room, form.invite.as_deref().unwrap_or_default())
            .await
            .map(|()| "The invite link was revoked".to_owned()),
        SettingsAction::Unban => chat
            .unban(&identity, &room, &name)
            .await
            .map(|()| format!("{name} is no longer banned")),
    };
    match done {
        Ok(text) => set_flash(&session, &text).await,
        Err(e) if e.code() == "no_such_room" => {
            return refused(&state, &session, &back, e).await;
        }
        Err(e) => set_flash(&session, e.message()).await,
    }
    match made_invite {
        Some(token) => see_other(&format!("{back}?invite={}", percent_encode(&token))),
        None => see_other(&back),
    }
}

/// `scheme://host` the request was made to, for links people copy: the
/// proxy's `X-Forwarded-Proto` when there is one (the page's script puts
/// the browser's own origin in anyway).
fn origin_of(headers: &axum::http::HeaderMap) -> String {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let scheme = header("x-forwarded-proto").unwrap_or("http");
    let host = header("host").unwrap_or("localhost");
    format!("{scheme}://{host}")
}

/// `GET /dm/{name}`: opens the DM with `name` when it is made already,
/// else asks whether to start one (the start is a `POST`).
pub async fn dm(
    State(state): State<AppState>,
    session: Session,
    Caller(identity): Caller,
    Path(name): Path<String>,
) -> Response {
    let path = format!("/dm/{name}");
    match state.chat.existing_dm(&identity, &name).await {
        Ok(Some(room)) => see_other(&format!("/r/{room}")),
        Ok(None) => {
            let viewer = viewer(&state, &session).await;
            html_page(state.ui.dm_confirm_page(viewer, name.trim().to_owned()))
        }
        Err(e) => refused(&state, &session, &path, e).await,
    }
}

/// `POST /dm/{name}`: opens (or makes) the DM with `name` and goes there;
/// a post, so that a link from elsewhere cannot make one.
pub async fn open_dm(
    State(state): State<AppState>,
    session: Session,
    Caller(identity): Caller,
    Path(name): Path<String>,
) -> Response {
    open_dm_with(&state, &session, &identity, &name).await
}

#[derive(serde::Deserialize)]
pub struct DmForm {
    name: String,
}

/// `POST /dm` `name=`: the lobby's "message someone" form.
pub async fn dm_form(
    State(state): State<AppState>,
    session: Session,
    Caller(identity): Caller,
    Form(form): Form<DmForm>,
) -> Response {
    open_dm_with(&state, &session, &identity, form.name.trim()).await
}

async fn open_dm_with(
    state: &AppState,
    session: &Session,
    identity: &service::access::Identity,
    name: &str,
) -> Response {
    match state.chat.open_dm(identity, name).await {
        Ok(info) => see_other(&format!("/r/{}", info.name)),
        Err(e) => refused(state, session, &format!("/dm/{name}"), e).await,
    }
}

/// `GET /invite/{token}`
pub async fn invite(
    State(state): State<AppState>,
    session: Session,
    Path(token): Path<String>,
) -> Response {
    let path = format!("/invite/{token}");
    match state.chat.invite_room(&token) {
        Ok(room) => {
            let viewer = viewer(&state, &session).await;
            html_page(state.ui.invite_page(viewer, room.to_string(), token))
        }
        Err(e) => refused(&state, &session, &path, e).await,
    }
}

/// `POST /invite/{token}`: joins, then opens the room.
pub async fn join(
    State(state): State<AppState>,
    session: Session,
    Caller(identity): Caller,
    Path(token): Path<String>,
) -> Response {
    let path = format!("/invite/{token}");
    match state.chat.join(&identity, &token).await {
        Ok(info) => see_other(&format!("/r/{}", info.name)),
        Err(e) => refused(&state, &session, &path, e).await,
    }
}

#[derive(serde::Deserialize)]
pub struct NewRoomForm {
    name: String,
    #[serde(default)]
    private: Option<String>,
    #[serde(default)]
    topic: Option<String>,
}

/// `POST /rooms` (the lobby's form): makes the room and opens it.
pub async fn create(
    State(state): State<AppState>,
    session: Session,
    Caller(identity): Caller,
    Form(form): Form<NewRoomForm>,
) -> Response {
    if identity.account().is_none() {
        return see_other("/login?next=%2F");
    }
    let new = NewRoom {
        name: form.name,
        visibility: if form.private.is_some() {
            Visibility::Private
        } else {
            Visibility::Public
        },
        topic: form.topic.filter(|t| !t.trim().is_empty()),
    };
    match state.chat.create_room(&identity, &new).await {
        Ok(info) => see_other(&format!("/r/{}", info.name)),
        Err(e) => {
            set_flash(&session, e.message()).await;
            see_other("/")
        }
    }
}
