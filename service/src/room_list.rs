//! What the room list shows of each room to whom: hidden rooms only to the
//! people in them, marked private or as a DM; rooms with rules but no
//! messages yet after the rest. From memory, like the room index.

use crate::access::{Action, Identity, Role, role_of};
use crate::chat::Chat;
use model::room::{RoomName, RoomPage, RoomSummary};

impl Chat {
    /// Whether the room list shows `summary` to the viewer, with what it
    /// is. A hidden room shows to the people in it (not to an admin who
    /// merely may enter).
    pub(crate) fn describe(&self, viewer: &Identity, summary: &mut RoomSummary) -> bool {
        let Ok(room) = RoomName::parse(&summary.name) else {
            return false;
        };
        let Ok(standing) = self.check(viewer, Action::Read, &room) else {
            return false;
        };
        let Some(policy) = standing.policy else {
            return true;
        };
        if policy.is_hidden() {
            let role = role_of(Some(&policy), &viewer.caller, false);
            if role < Role::Member {
                return false;
            }
            summary.visibility = Some(policy.visibility);
        }
        summary.dm_with = policy
            .dm_partner(viewer.account().map(|a| a.id))
            .map(str::to_owned);
        true
    }

    /// Rooms with rules but no messages yet (made, or a new DM) that the
    /// viewer would see: the lobby lists them after the rest.
    pub(crate) fn add_quiet_rooms_of(&self, viewer: &Identity, page: &mut RoomPage) {
        let mut quiet: Vec<RoomSummary> = self
            .inner
            .policies
            .all()
            .into_iter()
            .filter(|(room, _)| self.inner.rooms.count_of(room) == 0)
            .filter_map(|(room, _)| {
                let mut summary = RoomSummary {
                    name: room,
                    ..RoomSummary::default()
                };
                self.describe(viewer, &mut summary).then_some(summary)
            })
            .collect();
        quiet.sort_by(|a, b| a.name.cmp(&b.name));
        page.rooms.extend(quiet);
    }
}
