//! What the app writes to its log, captured at every level while personal numbers go through
//! it. A binary of its own: a log subscriber is the process's, and in the shared HTTP binary
//! other tests' threads leave tracing's callsites cached as unheard.

// The HTTP tests' helpers; this binary uses a few of them.
#[path = "http/helpers.rs"]
#[allow(dead_code, unused_imports)]
mod helpers;

use helpers::*;

/// What the app writes to its log, at every level.
#[derive(Clone, Default)]
struct Captured(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

// One thread, so the capturing subscriber sees every request the test makes.
#[tokio::test]
async fn no_personal_number_is_logged() {
    let log = Captured::default();
    let writer = log.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let guard = tracing::subscriber::set_default(subscriber);
    let app = App::new(Backend::Sqlite).await;
    let clerk = app.browser("shisi.village").await;
    let (id, phone, account) = ("410323200803010012", "13903791234", "6228480402564890018");
    let made = app
        .post_form(
            "/orgs/410323101001/beneficiaries",
            Some(&clerk.cookie),
            &[
                ("csrf", &clerk.csrf),
                ("name", "张小明"),
                ("id_number", id),
                ("phone", phone),
                ("bank_account", account),
            ],
        )
        .await;
    assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.body);
    let page = person_page(&made);
    let found = app
        .post_form(
            "/orgs/410323101001/beneficiaries/find",
            Some(&clerk.cookie),
            &[("csrf", &clerk.csrf), ("find_id_number", id)],
        )
        .await;
    assert_eq!(found.status, StatusCode::SEE_OTHER);
    for detail in ["id_number", "phone", "bank_account"] {
        let read = app
            .post_form(
                &format!("{page}/reveal"),
                Some(&clerk.cookie),
                &[
                    ("csrf", &clerk.csrf),
                    ("detail", detail),
                    ("reason", "核对"),
                ],
            )
            .await;
        assert_eq!(read.status, StatusCode::OK);
    }
    let token = app.api_token("shisi.village").await;
    let api = app
        .api(
            Method::POST,
            "/api/v1/beneficiaries",
            Some(&token),
            Some(r#"{"name":"王秀英","id_number":"11010519491231002X","org_code":"410323101001","phone":"13903795678"}"#),
        )
        .await;
    assert_eq!(api.status, StatusCode::CREATED, "{}", api.body);
    drop(guard);
    let logged = String::from_utf8_lossy(&log.0.lock().unwrap()).into_owned();
    // Every request the test made is in the captured log (the capture works).
    assert_eq!(
        logged.matches("started processing request").count(),
        6,
        "{logged}"
    );
    for value in [id, phone, account, "11010519491231002X", "13903795678"] {
        assert!(!logged.contains(value), "{value} in the log");
    }
}
