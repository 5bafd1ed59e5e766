//! Accounts and sessions against the real server binary, its embedded NATS
//! and the SQLite file in its data dir: registration rules, login and
//! logout, session renewal, flash messages, the login guard, server-set
//! identity, rate limits, the Origin check and API tokens.

use serde_json::Value;
use std::time::{Duration, Instant};
use testkit::*;

const PASSWORD: &str = "correct horse";

async fn server(envs: &[(&str, &str)]) -> (ChatServer, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let server = ChatServer::start(dir.path(), envs).await;
    (server, dir)
}

/// A browser that registered (and so is logged in as) `name`.
async fn member(server: &ChatServer, name: &str) -> Browser {
    let browser = Browser::new(server);
    let response = browser.register(name, PASSWORD).await;
    assert_eq!(response.status(), 303, "register {name}");
    assert_eq!(location(&response), "/");
    browser
}

fn set_cookie(response: &reqwest::Response) -> String {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|c| c.starts_with(SESSION_COOKIE))
        .unwrap_or_default()
}

#[tokio::test]
async fn registration_enforces_the_rules_and_stores_an_argon2id_hash() {
    let (server, dir) = server(&[]).await;
    let browser = Browser::new(&server);
    for (name, password, complaint) in [
        ("a", PASSWORD, "account name must be 2 to 32"),
        ("has space", PASSWORD, "account name must be 2 to 32"),
        ("émile", PASSWORD, "account name must be 2 to 32"),
        (&"x".repeat(33), PASSWORD, "account name must be 2 to 32"),
        ("alice", "short12", "password must be at least 8"),
    ] {
        let response = browser.register(name, password).await;
        assert_eq!(response.status(), 303);
        assert_eq!(location(&response), "/register", "{name}");
        let (_, page) = browser.page("/register").await;
        assert!(
            page.to_lowercase().contains(complaint),
            "{name}/{password}: no '{complaint}' on the page"
        );
    }
    let db = app_db(dir.path()).await;
    assert_eq!(count(&db, "SELECT COUNT(*) FROM accounts").await, 0);

    let response = browser.register("Alice", PASSWORD).await;
    assert_eq!(response.status(), 303);
    let cookie = set_cookie(&response);
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
    assert!(!cookie.contains("Secure"), "{cookie}");
    let hash: String =
        sqlx::query_scalar("SELECT password_hash FROM accounts WHERE name = 'Alice'")
            .fetch_one(&db)
            .await
            .unwrap();
    assert!(hash.starts_with("$argon2id$"), "{hash}");
    assert!(!hash.contains(PASSWORD));

    // Another letter case is the same name.
    let other = Browser::new(&server);
    let response = other.register("alice", "another password").await;
    assert_eq!(location(&response), "/register");
    let (_, page) = other.page("/register").await;
    assert!(page.contains("is already taken"), "no 'taken' notice");
    assert_eq!(count(&db, "SELECT COUNT(*) FROM accounts").await, 1);
}

#[tokio::test]
async fn login_renews_the_session_id_and_logout_destroys_the_session() {
    let (server, dir) = server(&[]).await;
    member(&server, "alice").await;
    let browser = Browser::new(&server);

    // A wrong password: a guest session that holds only the flash.
    let response = browser.login("alice", "wrong password").await;
    assert_eq!(location(&response), "/login");
    let guest_cookie = browser.session_cookie().expect("a session for the flash");
    let (_, page) = browser.page("/login").await;
    assert!(page.contains("Invalid name or password"));

    let response = browser.login("alice", PASSWORD).await;
    assert_eq!(response.status(), 303);
    let logged_in = browser.session_cookie().expect("a logged-in session");
    assert_ne!(
        logged_in, guest_cookie,
        "the session id must change at login"
    );
    let (status, page) = browser.page("/settings").await;
    assert_eq!(status, 200);
    assert!(page.contains("Logged in as"), "settings page for alice");

    let response = browser.form("/logout", &[]).await;
    assert_eq!(response.status(), 303);
    assert_eq!(location(&response), "/");
    let after = browser
        .session_cookie()
        .expect("a fresh session for the flash");
    assert_ne!(after, logged_in, "the session id must change at logout");
    let (_, page) = browser.page("/").await;
    assert!(page.contains("Logged out"));

    // The old logged-in cookie is worth nothing now.
    let replay = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(server.url("/settings"))
        .header("cookie", format!("{SESSION_COOKIE}={logged_in}"))
        .send()
        .await
        .unwrap();
    assert_eq!(replay.status(), 303);
    assert!(location(&replay).starts_with("/login"));
    let db = app_db(dir.path()).await;
    for old in [&guest_cookie, &logged_in] {
        let left: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM tower_sessions WHERE id = ?")
            .bind(old)
            .fetch_one(&db)
            .await
            .unwrap();
        assert_eq!(left, 0, "session {old} is still stored");
    }
}

#[tokio::test]
async fn a_flash_message_is_shown_once() {
    let (server, _dir) = server(&[]).await;
    member(&server, "alice").await;
    let browser = Browser::new(&server);
    browser.login("alice", PASSWORD).await;
    let (_, first) = browser.page("/").await;
    assert!(first.contains("Welcome back, alice"));
    let (_, second) = browser.page("/").await;
    assert!(!second.contains("Welcome back"), "the flash came back");
    assert!(second.contains("alice"), "still logged in");
}

#[tokio::test]
async fn sessions_survive_a_server_restart() {
    let (mut server, _dir) = server(&[]).await;
    let browser = member(&server, "alice").await;
    let cookie = browser.session_cookie().unwrap();
    server.restart().await;
    let (status, page) = browser.page("/settings").await;
    assert_eq!(status, 200, "logged out by the restart");
    assert!(page.contains("Logged in as"));
    assert_eq!(browser.session_cookie().unwrap(), cookie);
}

#[tokio::test]
async fn expired_sessions_end_and_are_deleted() {
    let (server, dir) = server(&[("CHAT_SESSION_TTL", "2s")]).await;
    let browser = member(&server, "alice").await;
    let cookie = browser.session_cookie().unwrap();
    let db = app_db(dir.path()).await;
    assert!(count(&db, "SELECT COUNT(*) FROM tower_sessions").await >= 1);
    // Wait until the session is past its lifetime (the database says so;
    // a request would slide it forward). The cookie is then sent by hand:
    // a browser would drop it by itself.
    eventually(WAIT, "the session to expire", || {
        let db = db.clone();
        async move {
            let live = count(
                &db,
                "SELECT COUNT(*) FROM tower_sessions WHERE expiry_date >= unixepoch()",
            )
            .await;
            (live == 0).then_some(())
        }
    })
    .await;
    let replay = server
        .http
        .get(server.url("/settings"))
        .header("cookie", format!("{SESSION_COOKIE}={cookie}"))
        .send()
        .await
        .unwrap();
    assert_eq!(replay.status(), 303, "an expired session still logged in");
    let deadline = Instant::now() + WAIT;
    while count(
        &db,
        "SELECT COUNT(*) FROM tower_sessions WHERE expiry_date < unixepoch()",
    )
    .await
        > 0
    {
        assert!(
            Instant::now() < deadline,
            "expired sessions were not deleted"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn secure_cookies_when_configured() {
    let (server, _dir) = server(&[("CHAT_SECURE_COOKIES", "true")]).await;
    let response = Browser::new(&server).register("alice", PASSWORD).await;
    assert!(set_cookie(&response).contains("Secure"));
    // A guest's key cookie too, made on its first send from a page.
    let guest = Browser::new(&server);
    let response = guest.send_via_page("general", "g1", "guest", "hi").await;
    let guest_cookie = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|c| c.starts_with("chat_guest="))
        .expect("a guest key cookie");
    assert!(guest_cookie.contains("Secure") && guest_cookie.contains("HttpOnly"));
}

#[tokio::test]
async fn an_accounts_messages_carry_the_name_the_server_sets() {
    let (server, _dir) = server(&[]).await;
    let alice = member(&server, "alice").await;
    let response = alice
        .post_message("general", "m1", "mallory", "hello")
        .await;
    assert_eq!(response.status(), 201);
    let stored: Value = response.json().await.unwrap();
    assert_eq!(stored["from"], "alice");
    assert_eq!(stored["verified"], true);

    let response = alice
        .send_via_page("general", "m2", "mallory", "via the page")
        .await;
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
    let history = server.history("general", "").await;
    let authors: Vec<(&str, bool)> = history
        .iter()
        .map(|m| (m["from"].as_str().unwrap(), m["verified"] == true))
        .collect();
    assert_eq!(authors, [("alice", true), ("alice", true)]);

    // A guest's message is not verified, and says so by leaving it out.
    let guest = server.send("general", "m3", "a guest's words").await;
    assert!(guest.get("verified").is_none(), "{guest}");
}

#[tokio::test]
async fn a_guest_cannot_use_a_registered_name() {
    let (server, _dir) = server(&[]).await;
    member(&server, "alice").await;
    for name in ["alice", "ALICE", " Alice "] {
        let response = server
            .post(
                "general",
                &format!("spoof-{}", name.trim()),
                name,
                "I am alice",
            )
            .await;
        assert_eq!(response.status(), 409, "{name}");
        let body: Value = response.json().await.unwrap();
        assert!(
            body["error"]
                .as_str()
                .unwrap()
                .contains("belongs to a registered account"),
            "{body}"
        );
    }
    let guest = Browser::new(&server);
    let response = guest
        .send_via_page("general", "spoof-page", "alice", "I am alice")
        .await;
    assert_eq!(response.status(), 409);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("registered account")
    );
    assert!(
        server.history("general", "").await.is_empty(),
        "a spoof was stored"
    );

    server
        .send("general", "fine", "alice2 is another name")
        .await;
    assert_eq!(server.history("general", "").await.len(), 1);
}

#[tokio::test]
async fn require_login_makes_rooms_read_only_for_guests() {
    let (server, _dir) = server(&[("CHAT_REQUIRE_LOGIN", "true")]).await;
    let response = server.post("general", "g1", "guest", "hi").await;
    assert_eq!(response.status(), 401);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "log in to write in this chat");
    let guest = Browser::new(&server);
    assert_eq!(
        guest
            .send_via_page("general", "g2", "guest", "hi")
            .await
            .status(),
        401
    );
    let (status, page) = guest.page("/r/general").await;
    assert_eq!(status, 200, "guests still read");
    assert!(page.contains("to write in this room"));
    assert!(!page.contains("name=\"body\""), "a composer for a guest");

    let alice = member(&server, "alice").await;
    let mut tab = server.live("general", None).await;
    assert_eq!(
        alice
            .post_message("general", "a1", "", "members write")
            .await
            .status(),
        201
    );
    assert_eq!(tab.next().await["body"], "members write");
    let (_, page) = alice.page("/r/general").await;
    assert!(page.contains("name=\"body\""), "no composer for a member");
}

#[tokio::test]
async fn the_settings_page_needs_a_login_and_returns_to_it() {
    let (server, dir) = server(&[]).await;
    member(&server, "alice").await;
    let browser = Browser::new(&server);
    let response = browser
        .http
        .get(browser.url("/settings"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303);
    assert_eq!(location(&response), "/login?next=%2Fsettings");
    let (_, page) = browser.page("/login?next=%2Fsettings").await;
    assert!(page.contains("Please log in first"));
    assert!(
        page.contains("value=\"/settings\""),
        "the form keeps where to return"
    );

    // A form under the guard is refused the same way, and changes nothing.
    let response = browser
        .form("/settings/appearance", &[("emoji", "🦀")])
        .await;
    assert_eq!(response.status(), 303);
    assert!(location(&response).starts_with("/login"));
    let db = app_db(dir.path()).await;
    assert_eq!(
        count(&db, "SELECT COUNT(*) FROM accounts WHERE emoji IS NOT NULL").await,
        0
    );

    let response = browser
        .form(
            "/login",
            &[
                ("name", "alice"),
                ("password", PASSWORD),
                ("next", "/settings"),
            ],
        )
        .await;
    assert_eq!(location(&response), "/settings");
    let (status, _) = browser.page("/settings").await;
    assert_eq!(status, 200);

    // Only same-site paths are followed.
    let response = browser
        .form(
            "/login",
            &[
                ("name", "alice"),
                ("password", PASSWORD),
                ("next", "//evil.example/"),
            ],
        )
        .await;
    assert_eq!(location(&response), "/");
}

#[tokio::test]
async fn appearance_and_password_changes() {
    let (server, dir) = server(&[]).await;
    let alice = member(&server, "alice").await;
    let db = app_db(dir.path()).await;

    let response = alice
        .form(
            "/settings/appearance",
            &[("use_color", "on"), ("color", "#AA3355"), ("emoji", "🦀")],
        )
        .await;
    assert_eq!(location(&response), "/settings");
    let (_, page) = alice.page("/settings").await;
    assert!(page.contains("Appearance saved"));
    let stored: Value = alice
        .post_message("general", "m1", "", "crab")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(stored["color"], "#aa3355");
    assert_eq!(stored["emoji"], "🦀");

    for bad in [
        vec![("use_color", "on"), ("color", "red"), ("emoji", "")],
        vec![("color", "#000000"), ("emoji", "abc")],
    ] {
        alice.form("/settings/appearance", &bad).await;
        let (_, page) = alice.page("/settings").await;
        assert!(page.contains("Not saved"), "{bad:?}");
    }
    let (color, emoji): (Option<String>, Option<String>) =
        sqlx::query_as("SELECT color, emoji FROM accounts WHERE name = 'alice'")
            .fetch_one(&db)
            .await
            .unwrap();
    assert_eq!(
        (color.as_deref(), emoji.as_deref()),
        (Some("#aa3355"), Some("🦀"))
    );

    let before = alice.session_cookie().unwrap();
    alice
        .form(
            "/settings/password",
            &[("current", "not it at all"), ("new", "new password 1")],
        )
        .await;
    let (_, page) = alice.page("/settings").await;
    assert!(page.contains("current password is not correct"));
    alice
        .form(
            "/settings/password",
            &[("current", PASSWORD), ("new", "short")],
        )
        .await;
    let (_, page) = alice.page("/settings").await;
    assert!(page.contains("at least 8"));
    alice
        .form(
            "/settings/password",
            &[("current", PASSWORD), ("new", "new password 1")],
        )
        .await;
    let (_, page) = alice.page("/settings").await;
    assert!(page.contains("Password changed"));
    assert_ne!(
        alice.session_cookie().unwrap(),
        before,
        "session id not renewed"
    );

    let fresh = Browser::new(&server);
    assert_eq!(location(&fresh.login("alice", PASSWORD).await), "/login");
    assert_eq!(location(&fresh.login("alice", "new password 1").await), "/");
}

#[tokio::test]
async fn login_attempts_are_limited_per_account_and_per_address() {
    let (server, _dir) = server(&[]).await;
    member(&server, "alice").await;
    let browser = Browser::new(&server);
    for _ in 0..5 {
        assert_eq!(browser.login("alice", "wrong password").await.status(), 303);
    }
    // Now even the right password waits: the limit is on attempts.
    let response = browser.login("Alice", PASSWORD).await;
    assert_eq!(response.status(), 429);
    let retry: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=12).contains(&retry), "Retry-After {retry}");
    let page = response.text().await.unwrap();
    assert!(page.contains(&format!("wait {retry} s")), "{page}");

    // Other accounts from this address: 20 attempts in all, then 429.
    let mut limited_after = None;
    for i in 0..30 {
        let response = browser.login(&format!("user{i}"), "whatever pw").await;
        if response.status() == 429 {
            limited_after = Some(i);
            break;
        }
    }
    // Registering alice and 6 logins used 7 of the 20; one attempt per 3 s
    // comes back meanwhile.
    let limited_after = limited_after.expect("no per-address limit");
    assert!(
        (13..=16).contains(&limited_after),
        "limited after {limited_after}"
    );
}

#[tokio::test]
async fn sending_is_limited_per_session() {
    let (server, _dir) = server(&[("CHAT_SEND_RATE", "10"), ("CHAT_SEND_BURST", "20")]).await;
    let alice = member(&server, "alice").await;
    let bob = member(&server, "bob").await;
    let started = Instant::now();
    let mut accepted = 0;
    let mut refused = None;
    for i in 0..40 {
        let response = alice
            .post_message("general", &format!("a{i}"), "", "spam")
            .await;
        match response.status().as_u16() {
            201 => accepted += 1,
            429 => {
                let retry = response.headers()["retry-after"]
                    .to_str()
                    .unwrap()
                    .to_owned();
                let body: Value = response.json().await.unwrap();
                refused = Some((retry, body));
                break;
            }
            other => panic!("unexpected {other}"),
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    let (retry, body) = refused.expect("40 messages at once were all accepted");
    assert_eq!(retry, "1");
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .starts_with("too many messages")
    );
    // The burst, plus what the rate refilled while sending.
    let allowed = 20.0 + 10.0 * elapsed;
    assert!(
        accepted >= 20 && f64::from(accepted) <= allowed + 1.0,
        "{accepted} in {elapsed:.2} s"
    );
    // Another session is not affected.
    assert_eq!(
        bob.post_message("general", "b1", "", "hi").await.status(),
        201
    );
    assert_eq!(
        full_history(&server, "general").await.len(),
        accepted as usize + 1
    );
}

#[tokio::test]
async fn cross_site_posts_are_refused() {
    let (server, dir) = server(&[]).await;
    let alice = member(&server, "alice").await;
    let evil = "http://evil.example";
    let attempts = [
        alice
            .http
            .post(alice.url("/api/rooms/general/messages"))
            .header("origin", evil)
            .json(&serde_json::json!({"id": "x1", "from": "", "body": "csrf"})),
        alice
            .http
            .post(alice.url("/fn/send_message"))
            .header("origin", evil)
            .form(&[
                ("room", "general"),
                ("id", "x2"),
                ("from", ""),
                ("body", "csrf"),
            ]),
        alice
            .http
            .post(alice.url("/settings/appearance"))
            .header("origin", evil)
            .form(&[("emoji", "💀")]),
        alice
            .http
            .post(alice.url("/register"))
            .header("origin", "null")
            .form(&[("name", "planted"), ("password", PASSWORD)]),
        alice
            .http
            .post(alice.url("/logout"))
            .header("sec-fetch-site", "cross-site"),
    ];
    for attempt in attempts {
        let response = attempt.send().await.unwrap();
        assert_eq!(response.status(), 403);
        let body: Value = response.json().await.unwrap();
        assert!(
            body["error"]
                .as_str()
                .unwrap()
                .contains("cross-site request refused")
        );
    }
    assert!(server.history("general", "").await.is_empty());
    let db = app_db(dir.path()).await;
    assert_eq!(count(&db, "SELECT COUNT(*) FROM accounts").await, 1);
    assert_eq!(
        count(&db, "SELECT COUNT(*) FROM accounts WHERE emoji IS NOT NULL").await,
        0
    );
    let (status, _) = alice.page("/settings").await;
    assert_eq!(status, 200, "the cross-site logout took effect");

    // The site's own pages pass.
    let own = format!("http://127.0.0.1:{}", server.port);
    let response = alice
        .http
        .post(alice.url("/api/rooms/general/messages"))
        .header("origin", own)
        .json(&serde_json::json!({"id": "ok", "from": "", "body": "same site"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
}

#[tokio::test]
async fn api_tokens_post_as_their_account_until_revoked() {
    let (server, dir) = server(&[]).await;
    let alice = member(&server, "alice").await;
    let response = alice.form("/settings/tokens", &[("label", "my bot")]).await;
    assert_eq!(location(&response), "/settings");
    let (_, page) = alice.page("/settings").await;
    let secret = page
        .match_indices("chat_")
        .map(|(at, _)| &page[at..(at + 69).min(page.len())])
        .find(|t| t.len() == 69 && t[5..].bytes().all(|b| b.is_ascii_hexdigit()))
        .expect("the new token is shown")
        .to_owned();
    let (_, again) = alice.page("/settings").await;
    assert!(!again.contains(&secret), "the secret is shown only once");
    assert!(again.contains("my bot"));

    let db = app_db(dir.path()).await;
    let stored: String = sqlx::query_scalar("SELECT secret_sha256 FROM api_tokens")
        .fetch_one(&db)
        .await
        .unwrap();
    assert_ne!(stored, secret, "the secret itself is stored");

    let bot = |secret: &str, id: &str| {
        server
            .http
            .post(server.url("/api/rooms/general/messages"))
            .bearer_auth(secret)
            .json(&serde_json::json!({"id": id, "from": "not alice", "body": "beep"}))
            .send()
    };
    let response = bot(&secret, "b1").await.unwrap();
    assert_eq!(response.status(), 201);
    let message: Value = response.json().await.unwrap();
    assert_eq!(
        (message["from"].as_str(), message["verified"].as_bool()),
        (Some("alice"), Some(true))
    );

    let wrong = bot("chat_0000", "b2").await.unwrap();
    assert_eq!(wrong.status(), 401);
    assert_eq!(wrong.headers()["www-authenticate"], "Bearer");

    // Somebody else cannot revoke alice's token.
    let token_id: i64 = sqlx::query_scalar("SELECT id FROM api_tokens")
        .fetch_one(&db)
        .await
        .unwrap();
    let bob = member(&server, "bob").await;
    bob.form(&format!("/settings/tokens/{token_id}/revoke"), &[])
        .await;
    let (_, page) = bob.page("/settings").await;
    assert!(page.contains("No such token"));
    assert_eq!(bot(&secret, "b3").await.unwrap().status(), 201);

    alice
        .form(&format!("/settings/tokens/{token_id}/revoke"), &[])
        .await;
    let (_, page) = alice.page("/settings").await;
    assert!(page.contains("Token revoked"));
    let revoked = bot(&secret, "b4").await.unwrap();
    assert_eq!(revoked.status(), 401);
    let ids: Vec<String> = server
        .history("general", "")
        .await
        .iter()
        .map(|m| m["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids, ["b1", "b3"]);
}

#[tokio::test]
async fn two_servers_on_one_database_share_accounts_and_sessions() {
    let nats = NatsServer::start();
    let shared = tempfile::tempdir().unwrap();
    let db = shared.path().join("app.db");
    let db = db.to_str().unwrap();
    let envs = [("NATS_URL", nats.url()), ("CHAT_DB", db.to_owned())];
    let envs: Vec<(&str, &str)> = envs.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (a_dir, b_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let a = ChatServer::start(a_dir.path(), &envs).await;
    let b = ChatServer::start(b_dir.path(), &envs).await;

    let alice = member(&a, "alice").await;
    // B learns the new name from the shared database within a second.
    let deadline = Instant::now() + WAIT;
    loop {
        let response = b.post("general", "spoof", "alice", "I am alice").await;
        if response.status() == 409 {
            break;
        }
        assert_eq!(response.status(), 201);
        assert!(
            Instant::now() < deadline,
            "B never learned that alice is registered"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // The session cookie made on A logs in on B too.
    let on_b = b
        .http
        .get(b.url("/settings"))
        .header(
            "cookie",
            format!("{SESSION_COOKIE}={}", alice.session_cookie().unwrap()),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(on_b.status(), 200);
    assert!(on_b.text().await.unwrap().contains("Logged in as"));
}

#[tokio::test]
async fn look_alike_names_cannot_pass_for_a_registered_one() {
    let (server, _dir) = server(&[]).await;
    member(&server, "alice").await;
    // Looks like alice: refused as a registered name.
    for (i, name) in ["ａｌｉｃｅ", "\u{0430}lice", "AIice", "aIice"]
        .iter()
        .enumerate()
    {
        let response = server
            .post("general", &format!("look{i}"), name, "hi")
            .await;
        assert_eq!(response.status(), 409, "{name:?}");
    }
    // Invisible or direction characters: refused as a bad name.
    for (i, name) in ["alice\u{200B}", "\u{202E}ecila", "al\u{00AD}ice"]
        .iter()
        .enumerate()
    {
        let response = server
            .post("general", &format!("hide{i}"), name, "hi")
            .await;
        assert_eq!(response.status(), 400, "{name:?}");
        let body: Value = response.json().await.unwrap();
        assert!(
            body["error"].as_str().unwrap().contains("invisible"),
            "{body}"
        );
    }
    assert!(server.history("general", "").await.is_empty());
    // Registration refuses a look-alike of a registered name too.
    let (status, page) = {
        let browser = Browser::new(&server);
        let response = browser.register("AIice", PASSWORD).await;
        assert_eq!(response.status(), 303);
        browser.page(&location(&response)).await
    };
    assert_eq!(status, 200);
    assert!(page.contains("is already taken"), "{page}");
    let db = app_db(&server.data_dir).await;
    assert_eq!(count(&db, "SELECT COUNT(*) FROM accounts").await, 1);
}

#[tokio::test]
async fn made_up_cookies_do_not_buy_a_guest_a_fresh_send_budget() {
    let (server, _dir) = server(&[("CHAT_SEND_RATE", "1"), ("CHAT_SEND_BURST", "5")]).await;
    let mut refused = 0;
    for i in 0..12 {
        // A new random session id on every request.
        let response = server
            .http
            .post(server.url("/api/rooms/general/messages"))
            .header(
                "cookie",
                format!("{SESSION_COOKIE}=forged{i:04}abcdefghijklmnop"),
            )
            .json(&serde_json::json!({"id": format!("g{i}"), "from": "guest", "body": "spam"}))
            .send()
            .await
            .unwrap();
        match response.status().as_u16() {
            201 => {}
            429 => refused += 1,
            other => panic!("unexpected {other}"),
        }
    }
    assert!(refused >= 5, "only {refused} of 12 refused");
}

#[tokio::test]
async fn an_account_holds_at_most_ten_api_tokens() {
    let (server, dir) = server(&[]).await;
    let alice = member(&server, "alice").await;
    for i in 0..11 {
        let response = alice
            .form("/settings/tokens", &[("label", &format!("bot {i}"))])
            .await;
        assert_eq!(response.status(), 303);
    }
    let (_, page) = alice.page("/settings").await;
    assert!(page.contains("at most 10 API tokens"), "{page}");
    let db = app_db(dir.path()).await;
    assert_eq!(count(&db, "SELECT COUNT(*) FROM api_tokens").await, 10);
}

#[tokio::test]
async fn password_changes_are_limited_like_logins() {
    let (server, _dir) = server(&[]).await;
    let alice = member(&server, "alice").await;
    let mut statuses = Vec::new();
    for _ in 0..7 {
        let response = alice
            .form(
                "/settings/password",
                &[("current", "not the password"), ("new", "another password")],
            )
            .await;
        statuses.push(response.status().as_u16());
    }
    // Five wrong tries for the account, then one every 12 s.
    assert_eq!(
        statuses.iter().filter(|s| **s == 429).count(),
        2,
        "{statuses:?}"
    );
    assert_eq!(statuses.last(), Some(&429));
}

#[tokio::test]
async fn anonymous_requests_write_no_session_rows() {
    let (server, dir) = server(&[]).await;
    let visitor = Browser::new(&server);
    let response = visitor
        .http
        .get(visitor.url("/settings"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303);
    assert_eq!(location(&response), "/login?next=%2Fsettings");
    let (_, page) = visitor.page(&location(&response)).await;
    assert!(page.contains("Please log in first"));
    let response = visitor.form("/logout", &[]).await;
    assert_eq!(response.status(), 303);
    for page in ["/", "/r/general", "/login", "/register"] {
        visitor.page(page).await;
    }
    let db = app_db(dir.path()).await;
    assert_eq!(count(&db, "SELECT COUNT(*) FROM tower_sessions").await, 0);
    assert!(
        visitor.session_cookie().is_none(),
        "no cookie was handed out"
    );
}

async fn bearer_status(server: &ChatServer, secret: &str, id: &str) -> u16 {
    server
        .http
        .post(server.url("/api/rooms/general/messages"))
        .bearer_auth(secret)
        .json(&serde_json::json!({"id": id, "body": "beep"}))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn a_password_change_ends_the_accounts_other_sessions() {
    let (server, _dir) = server(&[]).await;
    let laptop = member(&server, "alice").await;
    let phone = Browser::new(&server);
    assert_eq!(location(&phone.login("alice", PASSWORD).await), "/");
    let kept = laptop.new_token("kept").await;
    let stolen_cookie = phone.session_cookie().unwrap();

    laptop
        .form(
            "/settings/password",
            &[("current", PASSWORD), ("new", "new password 1")],
        )
        .await;
    let (status, page) = laptop.page("/settings").await;
    assert_eq!(status, 200);
    assert!(page.contains("logged out everywhere else"), "{page}");
    // The phone's session (and a copy of its cookie) no longer logs in.
    assert_eq!(phone.page("/settings").await.0, 303);
    let copy = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(server.url("/settings"))
        .header("cookie", format!("{SESSION_COOKIE}={stolen_cookie}"))
        .send()
        .await
        .unwrap();
    assert_eq!(copy.status(), 303);
    // Tokens stay unless asked.
    assert_eq!(bearer_status(&server, &kept, "t1").await, 201);
    laptop
        .form(
            "/settings/password",
            &[
                ("current", "new password 1"),
                ("new", "new password 2"),
                ("revoke_tokens", "on"),
            ],
        )
        .await;
    let (_, page) = laptop.page("/settings").await;
    assert!(page.contains("1 API token(s) were revoked"), "{page}");
    assert_eq!(bearer_status(&server, &kept, "t2").await, 401);
}

#[tokio::test]
async fn log_out_everywhere_ends_every_session_of_the_account() {
    let (server, _dir) = server(&[]).await;
    let laptop = member(&server, "alice").await;
    let phone = Browser::new(&server);
    phone.login("alice", PASSWORD).await;
    let bob = member(&server, "bob").await;

    let response = phone.form("/settings/sessions/end", &[]).await;
    assert_eq!(location(&response), "/login");
    let (_, page) = phone.page("/login").await;
    assert!(page.contains("Logged out everywhere"));
    for browser in [&laptop, &phone] {
        assert_eq!(browser.page("/settings").await.0, 303);
    }
    // Another account is untouched, and alice can log in again.
    assert_eq!(bob.page("/settings").await.0, 200);
    assert_eq!(location(&laptop.login("alice", PASSWORD).await), "/");
    assert_eq!(laptop.page("/settings").await.0, 200);
}

#[tokio::test]
async fn a_login_does_not_slide_past_its_lifetime() {
    let (server, _dir) = server(&[("CHAT_SESSION_TTL", "3s")]).await;
    // Taken before the login (which `member` makes), so the 3 s are never
    // counted from later than they started, however slow the machine.
    let logged_in_at = Instant::now();
    let alice = member(&server, "alice").await;
    // Busy the whole time: pages and settings changes every 300 ms.
    while logged_in_at.elapsed() < Duration::from_millis(2000) {
        let (status, page) = alice.page("/settings").await;
        assert_eq!(
            status,
            200,
            "logged out too early after {:?}: {page}",
            logged_in_at.elapsed()
        );
        alice.form("/settings/appearance", &[("emoji", "🦀")]).await;
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    // Out by 3 s after the login (plus the registration's time), not 3 s
    // after the last request (which would be 5 s or later).
    let left = Duration::from_millis(4600).saturating_sub(logged_in_at.elapsed());
    eventually(left, "the login to end", || async {
        (alice.page("/settings").await.0 == 303).then_some(())
    })
    .await;
}

#[tokio::test]
async fn bearer_requests_write_last_used_at_most_once_a_minute() {
    use time::format_description::well_known::Rfc3339;
    let (server, dir) = server(&[]).await;
    let alice = member(&server, "alice").await;
    let secret = alice.new_token("bot").await;
    let db = app_db_writable(dir.path()).await;
    let last_used = || async {
        sqlx::query_scalar::<_, Option<String>>("SELECT last_used FROM api_tokens")
            .fetch_one(&db)
            .await
            .unwrap()
    };
    let set_last_used = |ago: i64| {
        let t = (time::OffsetDateTime::now_utc() - time::Duration::seconds(ago))
            .format(&Rfc3339)
            .unwrap();
        let db = db.clone();
        async move {
            sqlx::query("UPDATE api_tokens SET last_used = ?")
                .bind(&t)
                .execute(&db)
                .await
                .unwrap();
            t
        }
    };
    assert_eq!(last_used().await, None);
    assert_eq!(bearer_status(&server, &secret, "b1").await, 201);
    assert!(last_used().await.is_some(), "the first use is recorded");
    // Used 30 s ago: a request now writes nothing.
    let recent = set_last_used(30).await;
    for i in 0..3 {
        assert_eq!(
            bearer_status(&server, &secret, &format!("b2-{i}")).await,
            201
        );
    }
    assert_eq!(last_used().await, Some(recent));
    // Used over a minute ago: the next request records it again.
    let old = set_last_used(61).await;
    assert_eq!(bearer_status(&server, &secret, "b3").await, 201);
    let now = last_used().await.unwrap();
    assert_ne!(now, old);
    assert!(now > old, "{now} after {old}");
}

#[tokio::test]
async fn a_bridge_relays_names_of_another_network_never_as_accounts() {
    let (server, _dir) = server(&[]).await;
    let alice = member(&server, "alice").await;
    let secret = alice.new_token("bridge").await;
    let relay = |body: Value, token: Option<&str>| {
        let mut request = server
            .http
            .post(server.url("/api/rooms/stream/messages"))
            .json(&body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send()
    };
    let response = relay(
        serde_json::json!({"id": "tw-1", "from": "StreamFan", "body": "hi chat", "via": "twitch", "color": "#FF4500"}),
        Some(&secret),
    )
    .await
    .unwrap();
    assert_eq!(response.status(), 201);
    let relayed: Value = response.json().await.unwrap();
    assert_eq!(relayed["from"], "StreamFan");
    assert_eq!(relayed["via"], "twitch");
    assert_eq!(relayed["color"], "#ff4500");
    assert!(
        relayed.get("verified").is_none(),
        "never verified: {relayed}"
    );

    // Another network's name may not be, or look like, an account here.
    for name in ["alice", "ＡＬＩＣＥ", "аlice"] {
        let response = relay(
            serde_json::json!({"id": "tw-2", "from": name, "body": "i am alice", "via": "twitch"}),
            Some(&secret),
        )
        .await
        .unwrap();
        assert_eq!(response.status(), 409, "{name}");
    }
    let refused = [
        (
            serde_json::json!({"id": "x1", "from": "a", "body": "b", "via": "Twitch!"}),
            "via must be",
        ),
        (
            serde_json::json!({"id": "x2", "from": "a", "body": "b", "via": "irc", "color": "red"}),
            "color must be",
        ),
        (
            serde_json::json!({"id": "x3", "from": "a", "body": "b", "color": "#ffffff"}),
            "color must be",
        ),
    ];
    for (body, why) in refused {
        let response = relay(body.clone(), Some(&secret)).await.unwrap();
        assert_eq!(response.status(), 400, "{body}");
        let error: Value = response.json().await.unwrap();
        assert!(error["error"].as_str().unwrap().contains(why), "{error}");
    }

    // A bridge without an account relays as a guest.
    let response = relay(
        serde_json::json!({"id": "irc-1", "from": "nick", "body": "from irc", "via": "irc"}),
        None,
    )
    .await
    .unwrap();
    assert_eq!(response.status(), 201);
    let history = server.history("stream", "").await;
    let shown: Vec<(&str, &str)> = history
        .iter()
        .map(|m| (m["from"].as_str().unwrap(), m["via"].as_str().unwrap()))
        .collect();
    assert_eq!(shown, [("StreamFan", "twitch"), ("nick", "irc")]);
    // The room page marks where each name comes from, with its colour there.
    let (_, html) = Browser::new(&server).page("/r/stream").await;
    assert!(
        html.contains(r#"<span class="via">via <b>twitch</b></span>"#),
        "{html}"
    );
    assert!(html.contains("--name-color:#ff4500"));

    // The bridge's token may take back what it relayed (a Twitch CLEARMSG).
    let seq = relayed["seq"].as_u64().unwrap();
    let deleted = server
        .http
        .delete(server.url(&format!("/api/rooms/stream/messages/{seq}")))
        .bearer_auth(&secret)
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 204);
}
