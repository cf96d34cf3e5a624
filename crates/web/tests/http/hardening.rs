//! The edge under abuse: uploads refused before they are read, cookies and headers behind TLS,
//! set-up tasks (threshold, closing a fund) on their pages and only for those allowed.
//!
//! Amounts are written yuan_fen.
#![allow(clippy::inconsistent_digit_grouping)]

use crate::helpers::*;
use axum::body::{Bytes, HttpBody};
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};

/// A request body that never ends and remembers whether anyone read it.
struct Tripwire(Arc<AtomicBool>);

impl HttpBody for Tripwire {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, Self::Error>>> {
        self.0.store(true, Ordering::SeqCst);
        Poll::Ready(Some(Ok(http_body::Frame::data(Bytes::from(vec![
            b'x';
            1 << 20
        ])))))
    }
}

fn endless_upload(path: &str, auth: (&'static str, String)) -> (Request<Body>, Arc<AtomicBool>) {
    let read = Arc::new(AtomicBool::new(false));
    let req = Request::post(path)
        .header(
            header::CONTENT_TYPE,
            "multipart/form-data; boundary=----shanwang-test-boundary",
        )
        .header(auth.0, auth.1)
        .body(Body::new(Tripwire(read.clone())))
        .unwrap();
    (req, read)
}

both_backends!(
    uploads_are_refused_before_they_are_read,
    |app: App| async move {
        app.county_fund().await;
        let outsider = app.browser("laocheng.admin").await;
        let insider = app.browser("city.admin").await;
        // Nobody signed in, someone of another county, an API caller without a token: refused,
        // and not one byte of the body was read.
        for (path, auth, status) in [
            (
                "/orgs/410323/statements",
                ("x-nothing", String::new()),
                StatusCode::SEE_OTHER,
            ),
            (
                "/orgs/410323/statements",
                ("cookie", outsider.cookie.clone()),
                StatusCode::FORBIDDEN,
            ),
            (
                "/orgs/410323/disbursements",
                ("cookie", outsider.cookie.clone()),
                StatusCode::FORBIDDEN,
            ),
            (
                "/api/v1/donations",
                ("x-nothing", String::new()),
                StatusCode::UNAUTHORIZED,
            ),
        ] {
            let (req, read) = endless_upload(path, auth);
            let r = app.send(req).await;
            assert_eq!(r.status, status, "{path}");
            assert!(!read.load(Ordering::SeqCst), "{path}: the body was read");
        }
        // The one allowed is read only up to the route's limit.
        let (req, read) = endless_upload("/orgs/410323/statements", ("cookie", insider.cookie));
        let r = app.send(req).await;
        assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
        assert!(read.load(Ordering::SeqCst));
    }
);

#[tokio::test]
async fn behind_tls_cookies_are_host_only_and_secure() {
    let app = App::with_config(
        Backend::Sqlite,
        web::Config {
            cookies: web::auth::Cookies { secure: true },
            ..web::Config::default()
        },
    )
    .await;
    let page = app.get("/login", None).await;
    assert_eq!(
        page.headers[header::STRICT_TRANSPORT_SECURITY],
        "max-age=31536000"
    );
    let pre = page
        .cookies()
        .into_iter()
        .find(|c| c.starts_with("__Host-sw_pre="))
        .expect("a __Host- cookie");
    for part in ["Secure", "HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(pre.contains(part), "{pre} lacks {part}");
    }
    assert!(!pre.contains("Domain="), "host-only");
    let token = pre
        .trim_start_matches("__Host-sw_pre=")
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let r = app
        .post_form(
            "/login",
            Some(&format!("__Host-sw_pre={token}")),
            &[
                ("csrf", &token),
                ("username", "xinan.staff"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let session = r
        .cookies()
        .into_iter()
        .find(|c| c.starts_with("__Host-sw_session="))
        .expect("the session under its __Host- name");
    assert!(session.contains("Secure"));
    // The plain name means nothing on such a deployment.
    let value = session
        .split(';')
        .next()
        .unwrap()
        .trim_start_matches("__Host-");
    let r = app.get("/orgs/410323", Some(value)).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let r = app
        .get("/orgs/410323", Some(session.split(';').next().unwrap()))
        .await;
    assert_eq!(r.status, StatusCode::OK);
}

both_backends!(
    an_admin_sets_the_threshold_of_their_entity_on_the_payments_page,
    |app: App| async move {
        let admin = app.browser("city.admin").await;
        let page = app
            .get("/orgs/410323/disbursements", Some(&admin.cookie))
            .await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains("id=\"threshold\""), "the form is there");
        let set = |code: &'static str, value: &'static str, who: &Browser| {
            let (app, cookie, csrf) = (&app, who.cookie.clone(), who.csrf.clone());
            async move {
                app.post_form(
                    &format!("/orgs/{code}/disbursements/threshold"),
                    Some(&cookie),
                    &[("csrf", &csrf), ("threshold", value)],
                )
                .await
            }
        };
        let bad = set("410323", "三万", &admin).await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(bad.body.contains("threshold-error"), "{}", bad.body);
        // A township is no legal entity: its payments follow its county's threshold.
        let town = set("410323101", "30000", &admin).await;
        assert_eq!(town.status, StatusCode::UNPROCESSABLE_ENTITY);
        let ok = set("410323", "30000", &admin).await;
        assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
        let all = domain::access::System::operator("test").scope();
        let threshold = |code: &'static str| {
            let (db, all) = (app.db.clone(), all.clone());
            async move {
                store::disbursements::upper_threshold(&db, &all, code)
                    .await
                    .unwrap()
            }
        };
        assert_eq!(
            threshold("410323").await,
            domain::money::Fen::new(30_000_00)
        );
        // Its villages share it; the other county keeps the default.
        assert_eq!(
            threshold("410323101001").await,
            domain::money::Fen::new(30_000_00)
        );
        assert_ne!(
            threshold("410302").await,
            domain::money::Fen::new(30_000_00)
        );
        // Staff of the county may not set it; the form is not even shown to them.
        let staff = app.browser("xinan.staff").await;
        assert_eq!(
            set("410323", "1", &staff).await.status,
            StatusCode::FORBIDDEN
        );
        let entry: String = sqlx::query_scalar(
            "SELECT org_code FROM audit_log WHERE action = 'entity.upper_threshold'",
        )
        .fetch_one(app.db.pool())
        .await
        .unwrap();
        assert_eq!(entry, "410323");
    }
);

both_backends!(
    a_fund_closed_on_its_page_refuses_gifts_with_a_clear_message,
    |app: App| async move {
        app.county_fund().await;
        let admin = app.browser("city.admin").await;
        let page = app.get("/orgs/410323/funds", Some(&admin.cookie)).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains("XA-GEN"));
        let close = app
            .post_form(
                "/orgs/410323/funds/XA-GEN/state",
                Some(&admin.cookie),
                &[("csrf", &admin.csrf), ("to", "closed")],
            )
            .await;
        assert_eq!(close.status, StatusCode::SEE_OTHER, "{}", close.body);
        let gift = app
            .post_form(
                "/orgs/410323/donations",
                Some(&admin.cookie),
                &[
                    ("csrf", &admin.csrf),
                    ("fund_code", "XA-GEN"),
                    ("amount", "100"),
                    ("donor_kind", "individual"),
                    ("donor_name", "王芳"),
                    ("channel", "cash"),
                ],
            )
            .await;
        assert_eq!(gift.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(gift.body.contains("已关闭"), "{}", gift.body);
        // The same fund, named under a unit below its own, is not that unit's to close.
        let below = app
            .post_form(
                "/orgs/410323101/funds/XA-GEN/state",
                Some(&admin.cookie),
                &[("csrf", &admin.csrf), ("to", "open")],
            )
            .await;
        assert_eq!(below.status, StatusCode::NOT_FOUND);
        let reopen = app
            .post_form(
                "/orgs/410323/funds/XA-GEN/state",
                Some(&admin.cookie),
                &[("csrf", &admin.csrf), ("to", "open")],
            )
            .await;
        assert_eq!(reopen.status, StatusCode::SEE_OTHER);
        let donations: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM donations")
            .fetch_one(app.db.pool())
            .await
            .unwrap();
        assert_eq!(donations, 0, "the refused gift left nothing behind");
    }
);

/// The server cuts off a client that does not finish its request head, and serves only so
/// many connections at once: the rest wait until one is free.
#[tokio::test]
async fn a_slow_client_is_cut_off_and_connections_are_capped() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::{TcpListener, TcpStream};
    use tokio::time::{Duration, timeout};
    let (db, _guard) = store::testing::fresh_db(Backend::Sqlite).await;
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let limits = web::server::ServerLimits {
        header_read_timeout: Duration::from_millis(1500),
        max_connections: 2,
    };
    tokio::spawn(web::server::serve(
        listener,
        web::router(AppState::new(db)),
        limits,
        std::future::pending(),
    ));
    async fn get_health(addr: std::net::SocketAddr) -> String {
        let mut s = TcpStream::connect(addr).await.unwrap();
        s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .await
            .unwrap();
        let mut answer = String::new();
        s.read_to_string(&mut answer).await.unwrap();
        answer
    }
    assert!(get_health(addr).await.starts_with("HTTP/1.1 200"));
    // Two clients start a request and never finish it: they hold both places, then are cut.
    let mut slow = Vec::new();
    for _ in 0..2 {
        let mut s = TcpStream::connect(addr).await.unwrap();
        s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
            .await
            .unwrap();
        slow.push(s);
    }
    tokio::time::sleep(Duration::from_millis(50)).await;
    let waiting = tokio::spawn(get_health(addr));
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(
        !waiting.is_finished(),
        "a third connection waits for a place"
    );
    for mut s in slow {
        let mut rest = Vec::new();
        let closed = timeout(Duration::from_secs(5), s.read_to_end(&mut rest)).await;
        assert!(closed.is_ok(), "the slow client was cut off");
    }
    let answer = timeout(Duration::from_secs(5), waiting)
        .await
        .unwrap()
        .unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}

both_backends!(
    a_refused_payment_step_is_said_beside_the_buttons,
    |app: App| async move {
        app.county_fund().await;
        app.add_user("xinan.finance", Role::Finance, "410323").await;
        let maker = users::find(&app.db, "xinan.finance")
            .await
            .unwrap()
            .unwrap();
        let id = store::disbursements::request(
            &app.db,
            &maker.person(),
            &domain::access::System::operator("test").scope(),
            &domain::disbursement::NewDisbursement::parse(
                "XA-GEN",
                "新安县宏达建材商行",
                domain::money::Fen::new(120_050),
                domain::ledger::FunctionCode::Program,
                "活动室门窗维修",
            )
            .unwrap(),
            &[],
        )
        .await
        .unwrap();
        let b = app.browser("xinan.finance").await;
        let own = app
            .post_form(
                &format!("/orgs/410323/disbursements/{id}/actions"),
                Some(&b.cookie),
                &[("csrf", &b.csrf), ("action", "approve"), ("note", "")],
            )
            .await;
        assert_eq!(own.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(own.body.contains("id=\"action-error\""), "{}", own.body);
        assert!(own.body.contains("不能审批自己提出的支出申请"));
        assert!(
            !own.body.contains("id=\"problem\""),
            "beside the buttons, not at the top"
        );
    }
);
