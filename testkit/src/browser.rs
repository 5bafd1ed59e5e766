//! A cookie-keeping browser for the account tests, and a look into the
//! account database the server keeps.

use crate::chat_server::ChatServer;
use serde_json::json;
use std::path::Path;

/// A client that keeps cookies like a browser and does not follow
/// redirects, so each step's answer can be checked.
pub struct Browser {
    pub http: reqwest::Client,
    jar: std::sync::Arc<reqwest::cookie::Jar>,
    base: String,
}

pub const SESSION_COOKIE: &str = "chat_session";

/// The password [`Browser::member`] registers with.
pub const MEMBER_PASSWORD: &str = "correct horse";

impl Browser {
    pub fn new(server: &ChatServer) -> Self {
        let jar = std::sync::Arc::new(reqwest::cookie::Jar::default());
        Self {
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .cookie_provider(jar.clone())
                .build()
                .unwrap(),
            jar,
            base: server.url(""),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// The session cookie's value, if the browser has one.
    pub fn session_cookie(&self) -> Option<String> {
        use reqwest::cookie::CookieStore;
        let header = self.jar.cookies(&self.base.parse().unwrap())?;
        header
            .to_str()
            .unwrap()
            .split("; ")
            .find_map(|pair| pair.strip_prefix(&format!("{SESSION_COOKIE}=")))
            .map(str::to_owned)
    }

    pub async fn form(&self, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        self.http
            .post(self.url(path))
            .form(fields)
            .send()
            .await
            .unwrap()
    }

    /// GET a page: its status and HTML.
    pub async fn page(&self, path: &str) -> (u16, String) {
        let response = self.http.get(self.url(path)).send().await.unwrap();
        (response.status().as_u16(), response.text().await.unwrap())
    }

    /// A browser logged in as a newly registered account `name` (with
    /// [`MEMBER_PASSWORD`]).
    pub async fn member(server: &ChatServer, name: &str) -> Self {
        let browser = Self::new(server);
        let response = browser.register(name, MEMBER_PASSWORD).await;
        assert_eq!(response.status(), 303, "register {name}");
        browser
    }

    pub async fn register(&self, name: &str, password: &str) -> reqwest::Response {
        self.form("/register", &[("name", name), ("password", password)])
            .await
    }

    pub async fn login(&self, name: &str, password: &str) -> reqwest::Response {
        self.form("/login", &[("name", name), ("password", password)])
            .await
    }

    /// Makes an API token on the settings page; its secret, read from the
    /// page that shows it once.
    pub async fn new_token(&self, label: &str) -> String {
        self.form("/settings/tokens", &[("label", label)]).await;
        let (_, page) = self.page("/settings").await;
        page.match_indices("chat_")
            .map(|(at, _)| &page[at..(at + 69).min(page.len())])
            .find(|t| t.len() == 69 && t[5..].bytes().all(|b| b.is_ascii_hexdigit()))
            .expect("the new token is shown")
            .to_owned()
    }

    /// `POST /api/rooms/{room}/messages` with this browser's cookies.
    pub async fn post_message(
        &self,
        room: &str,
        id: &str,
        from: &str,
        body: &str,
    ) -> reqwest::Response {
        self.http
            .post(self.url(&format!("/api/rooms/{room}/messages")))
            .json(&json!({ "id": id, "from": from, "body": body }))
            .send()
            .await
            .unwrap()
    }

    /// The page's server function for sending, as the composer calls it.
    pub async fn send_via_page(
        &self,
        room: &str,
        id: &str,
        from: &str,
        body: &str,
    ) -> reqwest::Response {
        self.form(
            "/fn/send_message",
            &[("room", room), ("id", id), ("from", from), ("body", body)],
        )
        .await
    }
}

pub fn location(response: &reqwest::Response) -> String {
    response
        .headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default()
}

/// The account database the server keeps in its data dir.
pub async fn app_db(data_dir: &Path) -> sqlx::SqlitePool {
    let options = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(data_dir.join("app.db"))
        .read_only(true);
    sqlx::SqlitePool::connect_with(options).await.unwrap()
}

/// The server's accounts database, writable: to age a row on purpose.
pub async fn app_db_writable(data_dir: &Path) -> sqlx::SqlitePool {
    let options = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(data_dir.join("app.db"))
        .busy_timeout(std::time::Duration::from_secs(5));
    sqlx::SqlitePool::connect_with(options).await.unwrap()
}

pub async fn count(db: &sqlx::SqlitePool, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(db).await.unwrap()
}
