//! Puts the address a request came from where the service reads it
//! ([`service::caller::PeerAddress`]), for every way in alike.

use axum::extract::{ConnectInfo, Request};
use axum::middleware::Next;
use axum::response::Response;
use service::caller::PeerAddress;
use std::net::SocketAddr;

pub async fn attach(mut request: Request, next: Next) -> Response {
    if let Some(ConnectInfo(address)) = request.extensions().get::<ConnectInfo<SocketAddr>>() {
        let peer = PeerAddress(address.ip());
        request.extensions_mut().insert(peer);
    }
    next.run(request).await
}
