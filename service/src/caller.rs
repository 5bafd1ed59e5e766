//! Who a request is from, read from its parts the one way every entrance
//! uses: the API, the pages, the server functions and the sockets.

use crate::access::Identity;
use crate::{Chat, Error};
use std::net::IpAddr;

/// The header an API client sends its guest key in (a browser's cookie is
/// copied into it on the way in).
pub const GUEST_KEY_HEADER: &str = "x-chat-guest-key";

/// The address a request came from, put in its extensions by the HTTP
/// layer (which knows the connection).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PeerAddress(pub IpAddr);

impl Chat {
    /// The caller of a request: the account of a Bearer token, else the
    /// session's account, else a guest (with its key, if it sent one),
    /// counted against its address.
    pub async fn identify_request(&self, parts: &http::request::Parts) -> Result<Identity, Error> {
        // A header that is not text is no Bearer token: `identify` says so.
        let authorization = parts
            .headers
            .get(http::header::AUTHORIZATION)
            .map(|value| value.to_str().unwrap_or("?"));
        let guest_key = parts
            .headers
            .get(GUEST_KEY_HEADER)
            .and_then(|value| value.to_str().ok());
        let session = crate::session::of_request(parts);
        let peer = parts
            .extensions
            .get::<PeerAddress>()
            .map_or(IpAddr::from([127, 0, 0, 1]), |peer| peer.0);
        self.identify(authorization, session.as_ref(), peer, guest_key)
            .await
    }
}
