//! Small components named for what they show.

pub mod account_bar;
pub mod avatar;
pub mod composer;
pub mod here;
pub mod live_state;
pub mod local_time;
pub mod message_list;
pub mod notify_level;
pub mod room_actions;
pub mod room_sidebar;
pub mod unread;
