//! Direct messages: the private room of two accounts, made by whichever
//! of them opens it first.

use crate::Error;
use crate::access::Identity;
use crate::accounts::Account;
use crate::chat::Chat;
use crate::room_policy::RoomPolicy;
use model::room::RoomName;
use model::room_policy::{DM_PREFIX, RoomInfo, Visibility};

impl Chat {
    /// The DM room of the caller and `name`: made on the first call, the
    /// same room for both whoever calls first.
    pub async fn open_dm(&self, identity: &Identity, name: &str) -> Result<RoomInfo, Error> {
        let (room, low, high) = self.dm_of(identity, name).await?;
        if self.inner.policies.get(room.as_str()).is_none() {
            let policy = RoomPolicy {
                visibility: Visibility::Dm,
                members: [(low.id, low.name.clone()), (high.id, high.name.clone())].into(),
                guests_read: false,
                ..RoomPolicy::default()
            };
            // Made by the other side meanwhile: theirs is the same room.
            self.inner.policies.create(&room, policy).await?;
        }
        self.room_info(identity, &room)
    }

    /// The DM room of the caller and `name` if it is made already: a link
    /// to it opens it, while making one takes a deliberate post.
    pub async fn existing_dm(
        &self,
        identity: &Identity,
        name: &str,
    ) -> Result<Option<RoomName>, Error> {
        let (room, ..) = self.dm_of(identity, name).await?;
        Ok(self.inner.policies.get(room.as_str()).map(|_| room))
    }

    /// The DM room's name for the caller and `name`, and its two accounts
    /// (lower id first).
    async fn dm_of(
        &self,
        identity: &Identity,
        name: &str,
    ) -> Result<(RoomName, Account, Account), Error> {
        let me = Self::account_of(identity, "send direct messages")?.clone();
        let other = self.named_account(name).await?;
        if other.id == me.id {
            return Err(Error::bad_input("a direct message needs another account"));
        }
        let (low, high) = if me.id < other.id {
            (me, other)
        } else {
            (other, me)
        };
        let room = RoomName::parse(&format!("{DM_PREFIX}{}-{}", low.id, high.id))?;
        Ok((room, low, high))
    }
}
