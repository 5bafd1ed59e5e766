//! Small components named for what they show.

pub mod account_bar;
pub mod composer;
pub mod here;
pub mod local_time;
pub mod message_list;
pub mod room_actions;
