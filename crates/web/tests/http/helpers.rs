//! What the HTTP tests share: an app on a fresh database with a slice of Luoyang and its users,
//! browsers and API clients, and the probes that walk every route.

pub use axum::Router;
pub use axum::body::Body;
pub use axum::http::{Method, Request, StatusCode, header};
pub use domain::access::Role;
pub use http_body_util::BodyExt;
pub use store::org_units;
pub use store::users::{self, SessionKind};
pub use store::{Actor, Backend, Db, both_backends};
pub use tower::ServiceExt;
pub use web::{Access, AppState, route_specs};

pub struct App {
    pub router: Router,
    pub db: Db,
    pub _guard: store::testing::TestDbGuard,
}

pub struct Resp {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: String,
}

impl Resp {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
    pub fn location(&self) -> &str {
        self.headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }
    pub fn cookies(&self) -> Vec<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .map(|v| v.to_str().unwrap().to_string())
            .collect()
    }
}

/// A signed-in browser: its session cookie and CSRF token.
pub struct Browser {
    pub cookie: String,
    pub csrf: String,
}

pub use store::testing::{Fixture, PASSWORD};

impl App {
    pub async fn new(backend: Backend) -> App {
        App::with_config(backend, web::Config::default()).await
    }

    pub async fn with_config(backend: Backend, config: web::Config) -> App {
        let (db, guard) = store::testing::fresh_db(backend).await;
        Fixture::units(&[
            ("4103", "洛阳市"),
            ("410302", "老城区"),
            ("410323", "新安县"),
            ("410302001", "西关街道"),
            ("410323101", "石寺镇"),
            ("410302001001", "承福门社区居民委员会"),
            ("410323101001", "石寺社区居民委员会"),
            ("410323101002", "新融社区居民委员会"),
        ])
        .with_user("city.admin", Role::Admin, "4103")
        .with_user("city.auditor", Role::Auditor, "4103")
        .with_user("xinan.staff", Role::Staff, "410323")
        .with_user("laocheng.staff", Role::Staff, "410302")
        .with_user("laocheng.admin", Role::Admin, "410302")
        .with_user("shisi.village", Role::Staff, "410323101001")
        .build(&db)
        .await;
        App {
            router: web::router(AppState::with_config(db.clone(), config)),
            db,
            _guard: guard,
        }
    }

    pub async fn browser(&self, username: &str) -> Browser {
        let user = users::find(&self.db, username).await.unwrap().unwrap();
        let (token, csrf) = users::start_session(&self.db, &user, SessionKind::Web, None)
            .await
            .unwrap();
        Browser {
            cookie: format!("sw_session={token}"),
            csrf,
        }
    }

    /// A visitor without an account who opened a public form: its pre-session cookie and the
    /// form's CSRF token.
    pub async fn visitor(&self, path: &str) -> Browser {
        let page = self.get(path, None).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
        let token = page
            .cookies()
            .into_iter()
            .find_map(|c| {
                c.strip_prefix("sw_pre=")
                    .map(|v| v.split(';').next().unwrap().to_string())
            })
            .expect("a pre-session cookie");
        assert!(
            page.body
                .contains(&format!("name=\"csrf\" value=\"{token}\""))
        );
        Browser {
            cookie: format!("sw_pre={token}"),
            csrf: token,
        }
    }

    pub async fn api_token(&self, username: &str) -> String {
        let user = users::find(&self.db, username).await.unwrap().unwrap();
        users::start_session(&self.db, &user, SessionKind::Api, None)
            .await
            .unwrap()
            .0
    }

    pub async fn send(&self, req: Request<Body>) -> Resp {
        let resp = self.router.clone().oneshot(req).await.unwrap();
        let status = resp.status();
        let headers = resp.headers().clone();
        // Every answer, whatever it is, carries the security headers.
        for (name, value) in [
            ("x-content-type-options", "nosniff"),
            ("referrer-policy", "same-origin"),
            ("x-frame-options", "DENY"),
        ] {
            assert_eq!(headers.get(name).map(|v| v.to_str().unwrap()), Some(value));
        }
        let csp = headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
        assert!(
            csp.contains("frame-ancestors 'none'") && csp.contains("script-src 'self'"),
            "{csp}"
        );
        assert!(!csp.contains("unsafe-inline"), "{csp}");
        let bytes = resp.into_body().collect().await.unwrap().to_bytes();
        Resp {
            status,
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    pub async fn get(&self, path: &str, cookie: Option<&str>) -> Resp {
        let mut b = Request::get(path);
        if let Some(c) = cookie {
            b = b.header(header::COOKIE, c);
        }
        self.send(b.body(Body::empty()).unwrap()).await
    }

    pub async fn post_form(
        &self,
        path: &str,
        cookie: Option<&str>,
        fields: &[(&str, &str)],
    ) -> Resp {
        let body: String = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(fields)
            .finish();
        let mut b =
            Request::post(path).header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        if let Some(c) = cookie {
            b = b.header(header::COOKIE, c);
        }
        self.send(b.body(Body::from(body)).unwrap()).await
    }

    pub async fn api(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        json: Option<&str>,
    ) -> Resp {
        let mut b = Request::builder().method(method).uri(path);
        if let Some(t) = token {
            b = b.header(header::AUTHORIZATION, format!("Bearer {t}"));
        }
        if json.is_some() {
            b = b.header(header::CONTENT_TYPE, "application/json");
        }
        self.send(b.body(Body::from(json.unwrap_or("").to_string())).unwrap())
            .await
    }

    /// One more user, signing in with [`PASSWORD`].
    pub async fn add_user(&self, username: &'static str, role: Role, org_code: &'static str) {
        Fixture::units(&[])
            .with_user(username, role, org_code)
            .build(&self.db)
            .await;
    }

    /// 新安县's general fund `XA-GEN`, which several tests book into.
    pub async fn county_fund(&self) {
        Fixture::units(&[]).with_county_fund().build(&self.db).await;
    }

    pub async fn facts_of(&self, code: &str) -> (String, i64) {
        let u = org_units::get(
            &self.db,
            &domain::access::System::operator("test").scope(),
            code,
        )
        .await
        .unwrap()
        .unwrap();
        (u.facts.leader_phone, u.facts.service_teams)
    }
}

/// The web tests run on a whole app: `both_backends!(name, |app: App| async move { … })`.
impl store::testing::TestSubject for App {
    type Keep = Db;
    async fn open(backend: Backend) -> (App, Db) {
        let app = App::new(backend).await;
        let db = app.db.clone();
        (app, db)
    }
    async fn finish(db: Db) {
        db.close().await;
    }
}

/// One request as a browser (pages, with the CSRF token) or an API client (bearer token).
/// A body that names the walked unit, for routes whose unit comes in the body.
pub fn probe_body(path: &str) -> &'static str {
    match path {
        "/api/v1/funds" => {
            r#"{"org_code":"410323101001","code":"WALK-1","name":"走查基金","kind":"village"}"#
        }
        "/api/v1/donations" => r#"{"fund_code":"WALK-FUND","amount_fen":100,"channel":"cash"}"#,
        "/api/v1/beneficiaries" => {
            r#"{"name":"走查","id_number":"11010519491231002X","org_code":"410323101001"}"#
        }
        "/api/v1/volunteers" => {
            r#"{"name":"走查","id_number":"11010519491231002X","phone":"13903791234","org_code":"410323101001"}"#
        }
        "/api/v1/disbursements" => {
            r#"{"fund_code":"WALK-FUND","payee":"走查商户","amount_fen":1,"function_code":"program","purpose":"走查"}"#
        }
        p if p.ends_with("/actions") => r#"{"action":"approve","note":"走查"}"#,
        p if p.ends_with("/activities") => {
            r#"{"title":"走查活动","place":"走查","starts_at":"2099-01-01T09:00","ends_at":"2099-01-01T11:00","places":5}"#
        }
        p if p.contains("/activities/") && p.ends_with("/steps") => {
            r#"{"volunteer_id":1,"step":"confirm"}"#
        }
        p if p.ends_with("/places") => r#"{"volunteer_id":1}"#,
        p if p.ends_with("/scan") => r#"{"key":"x","step":"sign_in"}"#,
        p if p.ends_with("/reports") => r#"{"report":"走查报告"}"#,
        p if p.ends_with("/meal-points/{id}/meals") || p.contains("/meal-points/") => {
            r#"{"day":"2026-12-07","elder_ids":[1]}"#
        }
        p if p.contains("/alliances/") && p.ends_with("/applications") => {
            r#"{"need_id":1,"bill_fen":10000,"insurance_fen":5000,"requested_fen":2000}"#
        }
        p if p.ends_with("/redemptions") => {
            r#"{"card":"CS000001","lines":[{"goods_id":1,"quantity":1}]}"#
        }
        p if p.ends_with("/needs") => {
            r#"{"category":"medical","urgency":"urgent","channel":"phone","description":"走查求助说明","person":"走查"}"#
        }
        p if p.ends_with("/steps") => r#"{"action":"accept"}"#,
        p if p.ends_with("/donors/merge") => r#"{"keep_id":1,"merge_id":2}"#,
        p if p.ends_with("/id-number") => r#"{"reason":"走查"}"#,
        p if p.ends_with("/donor-groups") => {
            r#"{"kind":"xiangxian_council","name":"走查乡贤理事会"}"#
        }
        p if p.ends_with("/members") => r#"{"member_id":1}"#,
        p if p.ends_with("/pledges") => {
            r#"{"name":"走查实业","credit_code":"91350100M000100Y43","year":2026,"pledge_fen":100}"#
        }
        _ => "{}",
    }
}

/// Form fields a page's POST needs to get past its own checks to the object it names.
pub fn probe_form(path: &str) -> Vec<(&'static str, &'static str)> {
    if path.contains("/feedback/") {
        vec![("decision", "show")]
    } else if path.contains("/statements/lines/") {
        vec![("decision", "dismiss")]
    } else if path.ends_with("/actions") {
        vec![("action", "approve"), ("note", "走查")]
    } else if path.ends_with("/state") {
        vec![("to", "open")]
    } else if path.ends_with("/threshold") {
        vec![("threshold", "50000")]
    } else if path.contains("/complaints/") && path.ends_with("/steps") {
        vec![("action", "accept"), ("note", "走查")]
    } else if path.contains("/complaints/") && path.ends_with("/contact") {
        vec![("reason", "走查")]
    } else if (path.contains("/beneficiaries/") || path.contains("/volunteers/"))
        && path.ends_with("/reveal")
    {
        vec![("detail", "id_number"), ("reason", "走查")]
    } else if path.ends_with("/assistance") {
        vec![
            ("dimension", "service"),
            ("kind", "走查"),
            ("given_on", "2026-01-01"),
        ]
    } else if path.contains("/beneficiaries/merges/") {
        vec![("decision", "keep_apart")]
    } else if path.contains("/households/") && path.ends_with("/members") {
        vec![("beneficiary_id", "1"), ("relation", "child")]
    } else if path.contains("/teams/") && path.ends_with("/members") {
        vec![("volunteer_id", "1")]
    } else if path.contains("/agency-lists/uploads/") {
        // The columns, but not the basis: refused beside the fields, the roster kept.
        vec![("id_column", "0")]
    } else if path.contains("/needs/") && path.ends_with("/person") {
        vec![("beneficiary_id", "1")]
    } else {
        vec![]
    }
}

pub async fn call(app: &App, method: &Method, path: &str, who: Option<(&Browser, &str)>) -> Resp {
    if path.starts_with("/api/") {
        let body = (method == Method::POST).then(|| probe_body(path));
        app.api(method.clone(), path, who.map(|w| w.1), body).await
    } else if method == Method::POST {
        let csrf = who.map(|w| w.0.csrf.clone()).unwrap_or_default();
        let mut fields = vec![("csrf", csrf.as_str())];
        fields.extend(probe_form(path));
        app.post_form(path, who.map(|w| w.0.cookie.as_str()), &fields)
            .await
    } else {
        app.get(path, who.map(|w| w.0.cookie.as_str())).await
    }
}

/// The same route naming objects that do not exist.
pub fn ghost(path: &str) -> String {
    path.replace("{id}", "999999")
        .replace("{correction}", "999999")
        .replace("{session}", "999999")
        .replace("{nomination}", "999999")
        .replace("{objection}", "999999")
        .replace("{application}", "999999")
        .replace("{visit}", "999999")
        .replace("{number}", "41030126-0000009999")
        .replace("{fund}", "NO-SUCH-FUND")
}

pub fn names_an_object(path: &str) -> bool {
    [
        "{id}",
        "{number}",
        "{fund}",
        "{correction}",
        "{session}",
        "{nomination}",
        "{objection}",
        "{application}",
    ]
    .iter()
    .any(|p| path.contains(p))
}

pub fn concrete(path: &str, code: &str) -> String {
    // A complaint about the walked village is handled by its township, one level up; so is
    // the merge of its registration with the next village's.
    let code = if (path.contains("/complaints/{id}")
        || path.contains("/merges/{id}")
        || path.contains("/training"))
        && code.len() == 12
    {
        &code[..9]
    } else {
        code
    };
    // The serious-illness alliance is hosted by the city.
    let code = if path.contains("/alliances") && code.len() > 4 {
        &code[..4]
    } else {
        code
    };
    // The walked village's meal point is site 2 (site 1 is its township's kitchen).
    if (path.contains("/meals/{id}") || path.contains("/meal-points/{id}")) && code.len() == 12 {
        return path.replace("{code}", code).replace("{id}", "2");
    }
    // A joint meeting and a culture site are the walked village's county's.
    let code = if (path.contains("/meetings") || path.contains("/culture")) && code.len() > 6 {
        &code[..6]
    } else {
        code
    };
    path.replace("{code}", code)
        // Line 1 of the walk's statements was booked as unmatched; line 2, its repeat in a
        // second file, waits for a decision.
        .replace("lines/{id}", "lines/2")
        // The walked village's own user (shisi.village, the sixth made) and their grant.
        .replace("users/{id}", "users/6")
        .replace("grants/{id}", "grants/6")
        .replace("{file}", "app.css")
        .replace("{lang}", "en")
        .replace("{number}", "41030126-0000000001")
        .replace("{id}", "1")
        .replace("{correction}", "1")
        .replace("{session}", "1")
        .replace("{nomination}", "1")
        .replace("{objection}", "1")
        .replace("{application}", "1")
        .replace("{visit}", "1")
        .replace("{fund}", "WALK-FUND")
}

/// A multipart body with text fields and one file.
pub fn multipart(fields: &[(&str, &str)], file: (&str, &str, &[u8])) -> (String, Vec<u8>) {
    let boundary = "----shanwang-test-boundary";
    let mut body = Vec::new();
    for (k, v) in fields {
        body.extend(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    let (field, name, bytes) = file;
    body.extend(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{name}\"\r\n\
             Content-Type: application/octet-stream\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend(bytes);
    body.extend(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// A partner request signed as `SW1-HMAC-SHA256`, `skew_s` seconds off the clock.
pub fn signed(
    method: Method,
    path: &str,
    partner: i64,
    secret: &str,
    body: &str,
    skew_s: i64,
) -> Request<Body> {
    let ts = (store::now_ms() / 1000 + skew_s).to_string();
    let sig = domain::commerce::sign(
        secret,
        &domain::commerce::string_to_sign(method.as_str(), path, &ts, body.as_bytes()),
    );
    Request::builder()
        .method(method)
        .uri(path)
        .header(
            header::AUTHORIZATION,
            format!("SW1-HMAC-SHA256 partner={partner}, ts={ts}, sig={sig}"),
        )
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.to_string()))
        .unwrap()
}

/// The page a registration redirected to, without its query: `/orgs/…/beneficiaries/7`.
pub fn person_page(made: &Resp) -> String {
    made.headers["location"]
        .to_str()
        .unwrap()
        .split('?')
        .next()
        .unwrap()
        .to_string()
}
