//! Rights end when they end: an open `/live` or `/events` socket lasts no
//! longer than the login or API token it was opened with, on every
//! instance. Two server instances on one NATS share one account database.

use std::time::Duration;
use testkit::*;

const PASSWORD: &str = "correct horse";
/// The close code of a socket whose caller's login or token ended.
const IDENTITY_ENDED: u16 = 4401;

/// A socket to `path` sending `header` (an `authorization` or `cookie`).
async fn tab(server: &ChatServer, path: &str, header: (&str, &str)) -> LiveTab {
    LiveTab::connect_as(&server.ws_url(path), &[header]).await
}

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

fn cookie_of(browser: &Browser) -> String {
    format!(
        "{SESSION_COOKIE}={}",
        browser.session_cookie().expect("logged in")
    )
}

/// Waits up to `wait` for the socket to close; its close code.
async fn closes_within(tab: &mut LiveTab, wait: Duration) -> Option<u16> {
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        match tab.next_within(left).await {
            Next::Frame(_) => continue,
            Next::Closed(code) => return code,
            Next::Silent => panic!("the socket stayed open for {wait:?}"),
        }
    }
}

/// The socket is still open: it answers nothing but stays up for a moment.
async fn stays_open(tab: &mut LiveTab) {
    match tab.next_within(Duration::from_millis(300)).await {
        Next::Closed(code) => panic!("the socket closed ({code:?})"),
        Next::Frame(_) | Next::Silent => {}
    }
}

/// The id of the API token labelled `label` on the settings page.
async fn token_id(browser: &Browser, label: &str) -> String {
    let (_, page) = browser.page("/settings").await;
    let named = page
        .find(&format!(">{label}</span>"))
        .expect("the token is listed");
    let at = named + page[named..].find("/settings/tokens/").expect("its form") + 17;
    page[at..]
        .split('/')
        .next()
        .expect("the token's id")
        .to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn sockets_end_with_their_login_or_token_on_every_instance() {
    let nats = NatsServer::start();
    let data = tempfile::tempdir().unwrap();
    let a = ChatServer::start(data.path(), &[("NATS_URL", &nats.url())]).await;
    // Logins made on B last 3 s.
    let b = ChatServer::start(
        data.path(),
        &[("NATS_URL", &nats.url()), ("CHAT_SESSION_TTL", "3s")],
    )
    .await;

    // A revoked API token ends its sockets on both instances; the other
    // token of the same account and its socket carry on.
    let ada = Browser::new(&a);
    assert_eq!(ada.register("ada", PASSWORD).await.status(), 303);
    let kept = ada.new_token("kept").await;
    let revoked = ada.new_token("revoked").await;
    let revoked_id = token_id(&ada, "revoked").await;
    let auth = bearer(&revoked);
    let mut events_on_b = tab(&b, "/api/rooms/hall/events", ("authorization", &auth)).await;
    let mut live_on_a = tab(&a, "/api/rooms/hall/live", ("authorization", &auth)).await;
    let kept_auth = bearer(&kept);
    let mut kept_on_b = tab(&b, "/api/rooms/hall/events", ("authorization", &kept_auth)).await;
    stays_open(&mut events_on_b).await;
    let answer = ada
        .form(&format!("/settings/tokens/{revoked_id}/revoke"), &[])
        .await;
    assert_eq!(answer.status(), 303);
    let second = Duration::from_secs(1);
    assert_eq!(
        closes_within(&mut events_on_b, second).await,
        Some(IDENTITY_ENDED)
    );
    assert_eq!(
        closes_within(&mut live_on_a, second).await,
        Some(IDENTITY_ENDED)
    );
    stays_open(&mut kept_on_b).await;
    assert_eq!(
        upgrade_status(
            &b.ws_url("/api/rooms/hall/events"),
            &[("authorization", &auth)]
        )
        .await,
        401
    );

    // "Log out everywhere" on A ends the account's browser sockets on B.
    let bo = Browser::new(&a);
    assert_eq!(bo.register("bo", PASSWORD).await.status(), 303);
    let elsewhere = Browser::new(&a);
    assert_eq!(elsewhere.login("bo", PASSWORD).await.status(), 303);
    let cookie = cookie_of(&elsewhere);
    let mut bo_on_b = tab(&b, "/api/rooms/hall/events", ("cookie", &cookie)).await;
    let mut bo_live_on_a = tab(&a, "/api/rooms/hall/live", ("cookie", &cookie)).await;
    stays_open(&mut bo_on_b).await;
    assert_eq!(bo.form("/settings/sessions/end", &[]).await.status(), 303);
    assert_eq!(
        closes_within(&mut bo_on_b, second).await,
        Some(IDENTITY_ENDED)
    );
    assert_eq!(
        closes_within(&mut bo_live_on_a, second).await,
        Some(IDENTITY_ENDED)
    );

    // A password change on A ends the other logins' sockets on B, and with
    // "revoke tokens" the token sockets too; a guest's socket is untouched.
    let cy = Browser::new(&a);
    assert_eq!(cy.register("cy", PASSWORD).await.status(), 303);
    let cy_token = cy.new_token("bot").await;
    let cy_elsewhere = Browser::new(&a);
    assert_eq!(cy_elsewhere.login("cy", PASSWORD).await.status(), 303);
    let cookie = cookie_of(&cy_elsewhere);
    let mut cy_on_b = tab(&b, "/api/rooms/hall/events", ("cookie", &cookie)).await;
    let cy_auth = bearer(&cy_token);
    let mut cy_bot_on_b = tab(&b, "/api/rooms/hall/live", ("authorization", &cy_auth)).await;
    let mut guest_on_b = LiveTab::connect(&b.ws_url("/api/rooms/hall/events"))
        .await
        .unwrap();
    let changed = cy
        .form(
            "/settings/password",
            &[
                ("current", PASSWORD),
                ("new", "battery staple"),
                ("revoke_tokens", "on"),
            ],
        )
        .await;
    assert_eq!(changed.status(), 303);
    assert_eq!(
        closes_within(&mut cy_on_b, second).await,
        Some(IDENTITY_ENDED)
    );
    assert_eq!(
        closes_within(&mut cy_bot_on_b, second).await,
        Some(IDENTITY_ENDED)
    );
    stays_open(&mut guest_on_b).await;
    // The browser that changed it is still logged in.
    assert!(cy.page("/settings").await.1.contains("cy"));

    // A login made on B (3 s) ends by itself: its socket on A closes when
    // its time is up, not before.
    let dee = Browser::new(&b);
    let logged_in = tokio::time::Instant::now();
    assert_eq!(dee.register("dee", PASSWORD).await.status(), 303);
    let cookie = cookie_of(&dee);
    let mut dee_on_a = tab(&a, "/api/rooms/hall/events", ("cookie", &cookie)).await;
    let code = closes_within(&mut dee_on_a, Duration::from_secs(6)).await;
    let after = logged_in.elapsed();
    assert_eq!(code, Some(IDENTITY_ENDED));
    // The login lasts 3 s (its end rounded up to the second), plus the
    // allowed second.
    assert!(
        after >= Duration::from_millis(2900) && after <= Duration::from_secs(5),
        "closed after {after:?}"
    );
    // The cookie is a guest's now: the settings page sends it to log in.
    assert_eq!(dee.page("/settings").await.0, 303);
}

/// Item 2: a socket opened while its member is being removed either is
/// refused or closes; it never keeps streaming the private room.
#[tokio::test]
async fn a_socket_racing_its_members_removal_never_outlives_it() {
    let data = tempfile::tempdir().unwrap();
    let server = ChatServer::start(data.path(), &[]).await;
    let ada = Browser::member(&server, "ada").await;
    let ada_token = ada.new_token("owner").await;
    let bo = Browser::member(&server, "bo").await;
    let bo_token = bearer(&bo.new_token("member").await);
    let owner = |method, path: &str| {
        server
            .http
            .request(method, server.url(path))
            .bearer_auth(&ada_token)
    };
    let made = owner(reqwest::Method::POST, "/api/rooms")
        .json(&serde_json::json!({"name": "inner", "visibility": "private"}))
        .send()
        .await
        .unwrap();
    assert_eq!(made.status(), 201);
    let url = server.ws_url("/api/rooms/inner/events");
    for round in 0..24 {
        let added = owner(reqwest::Method::PUT, "/api/rooms/inner/members/bo")
            .send()
            .await
            .unwrap();
        assert_eq!(added.status(), 204);
        // The removal and the socket's opening, at once.
        let removal = owner(reqwest::Method::DELETE, "/api/rooms/inner/members/bo").send();
        let headers = [("authorization", bo_token.as_str())];
        let opening = LiveTab::try_connect_as(&url, &headers);
        let (removed, opened) = tokio::join!(removal, opening);
        assert_eq!(removed.unwrap().status(), 204);
        let Ok(mut tab) = opened else {
            continue; // refused at the upgrade: fine
        };
        let secret = format!("secret {round}");
        let posted = owner(reqwest::Method::POST, "/api/rooms/inner/messages")
            .json(&serde_json::json!({"id": format!("s{round}"), "body": secret}))
            .send()
            .await
            .unwrap();
        assert_eq!(posted.status(), 201);
        loop {
            match tab.next_within(Duration::from_secs(5)).await {
                Next::Frame(frame) => assert_ne!(
                    frame["body"], secret,
                    "round {round}: a removed member's socket got the room's message"
                ),
                Next::Closed(_) => break,
                Next::Silent => panic!("round {round}: the removed member's socket stayed open"),
            }
        }
    }
}
