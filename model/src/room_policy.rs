//! Who may do what in a room: its kind, its owner and moderators, who may
//! post, slow mode, and the moderators' sanctions, as the API shows them
//! (`/api/rooms/{room}`, members, invites, timeouts, bans, the modlog).

use serde::{Deserialize, Serialize};

/// Longest slow mode: one message per member every 6 hours.
pub const MAX_SLOW_MODE_S: u64 = 6 * 3600;
/// A timeout lasts 10 seconds to 28 days.
pub const MIN_TIMEOUT_S: u64 = 10;
pub const MAX_TIMEOUT_S: u64 = 28 * 24 * 3600;
/// A ban removes the banned member's messages of at most the last 7 days.
pub const MAX_PURGE_S: u64 = 7 * 24 * 3600;
pub const MAX_TOPIC_CHARS: usize = 250;
pub const MAX_REASON_CHARS: usize = 200;
/// An invite link lasts a day unless asked otherwise, 30 days at most.
pub const INVITE_DEFAULT_S: u64 = 24 * 3600;
pub const MAX_INVITE_S: u64 = 30 * 24 * 3600;
/// Rooms whose names start so are direct messages, made only by
/// `POST /api/dms/{name}`.
pub const DM_PREFIX: &str = "dm-";

/// Who can find and read a room.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Visibility {
    /// Anyone who can reach the chat (guests too, unless the room refuses
    /// them).
    #[default]
    Public,
    /// Invite-only: members, moderators, the owner; 404 for anyone else.
    Private,
    /// The private room of two accounts.
    Dm,
}

/// Who may post in a room (moderators always may).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PostPolicy {
    #[default]
    Everyone,
    Accounts,
    Members,
}

/// `POST /api/rooms`
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewRoom {
    pub name: String,
    #[serde(default)]
    pub visibility: Visibility,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub topic: Option<String>,
}

/// `PATCH /api/rooms/{room}`: what to change; absent fields stay.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoomChanges {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub topic: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub post: Option<PostPolicy>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slow_mode_s: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locked: Option<bool>,
    /// Whether guests may read the room (they post only where `post` is
    /// `everyone`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guests_read: Option<bool>,
}

/// A room's settings and people in charge: `GET /api/rooms/{room}`, the
/// answer of `POST /api/rooms`, `PATCH` and `POST /api/dms/{name}`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoomInfo {
    pub name: String,
    pub visibility: Visibility,
    #[serde(default)]
    pub topic: String,
    /// None until a server admin claims a room made before owners, or by a
    /// guest.
    pub owner: Option<String>,
    #[serde(default)]
    pub moderators: Vec<String>,
    pub post: PostPolicy,
    pub slow_mode_s: u64,
    pub locked: bool,
    pub guests_read: bool,
    /// For a DM: the other account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dm_with: Option<String>,
    /// What the caller may do here.
    #[serde(default)]
    pub you: YourStanding,
}

/// The caller's place in a room.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct YourStanding {
    /// `owner`, `moderator`, `member` or `none`; a server admin acts as
    /// owner.
    pub role: String,
    /// May change the settings, members, timeouts and bans.
    pub moderator: bool,
    /// Why the caller cannot post now, if it cannot.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cannot_post: Option<String>,
    /// Until when, for a timeout (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<String>,
}

/// One person of `GET /api/rooms/{room}/members`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    pub name: String,
    /// `owner`, `moderator` or `member`.
    pub role: String,
}

/// `POST /api/rooms/{room}/invites`
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewInvite {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_s: Option<u64>,
    /// How many may join by it: 1 (the default) to [`MAX_INVITE_USES`];
    /// 0 for any number while it lasts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uses: Option<u32>,
}

/// Joins one invite link allows at most (0: no limit).
pub const MAX_INVITE_USES: u32 = 1000;
/// Invite links a room holds at once; a moderator revokes or waits.
pub const MAX_INVITES_PER_ROOM: usize = 50;

/// One invite link as moderators see it, `GET /api/rooms/{room}/invites`
/// (the link itself is shown once, when made).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InviteSummary {
    pub id: String,
    pub by: String,
    pub expires_at: String,
    /// Joins left; absent: no limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uses_left: Option<u32>,
}

/// An invite link: whoever opens `url` with an account joins the room
/// until `expires_at`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invite {
    pub room: String,
    /// Its name for listing and revoking.
    #[serde(default)]
    pub id: String,
    pub token: String,
    /// Path of the invite page (`/invite/<token>`).
    pub url: String,
    pub expires_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uses_left: Option<u32>,
}

/// `POST /api/rooms/{room}/timeouts`
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewTimeout {
    pub name: String,
    pub seconds: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// `POST /api/rooms/{room}/bans`
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewBan {
    pub name: String,
    /// Also remove the member's messages of the last this many seconds
    /// (the page offers 1 h, 24 h and 7 d).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purge_s: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// A timeout or a ban as it stands.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sanction {
    pub name: String,
    /// `timeout` or `ban`.
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub by: String,
    /// For a ban: how many messages it removed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purged: Option<u64>,
}

/// What a moderation-log entry records; its JSON is the snake_case name.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ModActionKind {
    #[default]
    Create,
    Settings,
    AddMember,
    RemoveMember,
    Join,
    AddModerator,
    RemoveModerator,
    Claim,
    Timeout,
    EndTimeout,
    Ban,
    Unban,
    RemoveMessage,
    /// An entry written by a newer server: shown, never refused.
    #[serde(other)]
    Other,
}

impl ModActionKind {
    /// The words the moderation-log page shows.
    pub fn label(self) -> &'static str {
        match self {
            ModActionKind::Create => "create",
            ModActionKind::Settings => "settings",
            ModActionKind::AddMember => "add member",
            ModActionKind::RemoveMember => "remove member",
            ModActionKind::Join => "join",
            ModActionKind::AddModerator => "add moderator",
            ModActionKind::RemoveModerator => "remove moderator",
            ModActionKind::Claim => "claim",
            ModActionKind::Timeout => "timeout",
            ModActionKind::EndTimeout => "end timeout",
            ModActionKind::Ban => "ban",
            ModActionKind::Unban => "unban",
            ModActionKind::RemoveMessage => "remove message",
            ModActionKind::Other => "other",
        }
    }
}

/// What one post of the room-settings page does: its form field `do`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SettingsAction {
    Settings,
    AddMember,
    RemoveMember,
    AddModerator,
    RemoveModerator,
    Claim,
    Invite,
    Timeout,
    EndTimeout,
    Ban,
    Unban,
    RevokeInvite,
}

impl SettingsAction {
    /// The value of the form's `do` field.
    pub fn as_str(self) -> &'static str {
        match self {
            SettingsAction::Settings => "settings",
            SettingsAction::AddMember => "add_member",
            SettingsAction::RemoveMember => "remove_member",
            SettingsAction::AddModerator => "add_moderator",
            SettingsAction::RemoveModerator => "remove_moderator",
            SettingsAction::Claim => "claim",
            SettingsAction::Invite => "invite",
            SettingsAction::Timeout => "timeout",
            SettingsAction::EndTimeout => "end_timeout",
            SettingsAction::Ban => "ban",
            SettingsAction::Unban => "unban",
            SettingsAction::RevokeInvite => "revoke_invite",
        }
    }
}

/// One entry of the moderation log, `GET /api/rooms/{room}/modlog`
/// (newest first).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModAction {
    /// The entry's sequence in the room's log.
    pub seq: u64,
    pub ts: String,
    pub action: ModActionKind,
    /// Who did it.
    pub by: String,
    /// Whom it concerns.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<String>,
    /// The removed message's sequence.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purged: Option<u64>,
    /// For `settings`: what changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub changes: Option<RoomChanges>,
}

/// `GET /api/rooms/{room}/modlog` and the `/r/{room}/modlog` page.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModLog {
    pub room: String,
    pub actions: Vec<ModAction>,
}

/// What the room settings page shows (`/r/{room}/settings`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoomAdmin {
    pub info: RoomInfo,
    pub members: Vec<Member>,
    pub sanctions: Vec<Sanction>,
    /// An invite link just made, shown once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invite: Option<Invite>,
    /// The invite links that still work.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub invites: Vec<InviteSummary>,
}

/// The events socket's `standing` frame: the caller's right to post in
/// the room changed (a timeout, a ban's lifting, a lock): why it cannot
/// post now, or `null` once it can.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename = "standing")]
pub struct StandingFrame {
    pub cannot_post: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<String>,
}

/// Duration text for people: `90 s`, `10 min`, `2 h`, `3 d`.
pub fn duration_text(seconds: u64) -> String {
    match seconds {
        s if s < 120 => format!("{s} s"),
        s if s < 2 * 3600 => format!("{} min", s / 60),
        s if s < 2 * 86400 => format!("{} h", s / 3600),
        s => format!("{} d", s / 86400),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_refuse_unknown_fields() {
        let ok: RoomChanges =
            serde_json::from_str(r#"{"post":"members","slow_mode_s":30}"#).unwrap();
        assert_eq!(ok.post, Some(PostPolicy::Members));
        assert!(serde_json::from_str::<RoomChanges>(r#"{"owner":"eve"}"#).is_err());
        assert!(serde_json::from_str::<RoomChanges>(r#"{"post":"nobody"}"#).is_err());
    }

    #[test]
    fn standing_frames_are_tagged() {
        let frame = StandingFrame {
            cannot_post: Some("locked".into()),
            until: None,
        };
        let json = serde_json::to_string(&frame).unwrap();
        assert_eq!(json, r#"{"type":"standing","cannot_post":"locked"}"#);
        assert_eq!(serde_json::from_str::<StandingFrame>(&json).unwrap(), frame);
    }

    #[test]
    fn durations_read_naturally() {
        assert_eq!(duration_text(10), "10 s");
        assert_eq!(duration_text(600), "10 min");
        assert_eq!(duration_text(3 * 3600), "3 h");
        assert_eq!(duration_text(28 * 86400), "28 d");
    }
}

#[cfg(test)]
mod action_names {
    use super::*;

    #[test]
    fn modlog_actions_keep_their_json_names() {
        for (kind, name) in [
            (ModActionKind::Create, "create"),
            (ModActionKind::AddMember, "add_member"),
            (ModActionKind::EndTimeout, "end_timeout"),
            (ModActionKind::RemoveMessage, "remove_message"),
        ] {
            assert_eq!(serde_json::to_string(&kind).unwrap(), format!("\"{name}\""));
            assert_eq!(kind.label(), name.replace('_', " "));
        }
        let newer: ModActionKind = serde_json::from_str("\"pin_message\"").unwrap();
        assert_eq!(newer, ModActionKind::Other);
    }

    #[test]
    fn settings_actions_are_read_from_their_form_names() {
        for action in [
            SettingsAction::Settings,
            SettingsAction::AddMember,
            SettingsAction::RemoveMember,
            SettingsAction::AddModerator,
            SettingsAction::RemoveModerator,
            SettingsAction::Claim,
            SettingsAction::Invite,
            SettingsAction::Timeout,
            SettingsAction::EndTimeout,
            SettingsAction::Ban,
            SettingsAction::Unban,
            SettingsAction::RevokeInvite,
        ] {
            let read: SettingsAction =
                serde_json::from_str(&format!("\"{}\"", action.as_str())).unwrap();
            assert_eq!(read, action);
        }
    }
}
