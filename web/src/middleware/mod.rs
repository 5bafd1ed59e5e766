//! What stands in front of every route: the caller's address, the Origin
//! check, the session cookie, and the login guard of the protected pages.

pub mod guard;
pub mod guest_key;
pub mod origin;
pub mod peer;
pub mod sessions;
