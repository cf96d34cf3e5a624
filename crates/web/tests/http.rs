//! HTTP tests through the whole router (`oneshot`), on SQLite and on PostgreSQL.

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use domain::access::Role;
use domain::org::DivisionCode;
use http_body_util::BodyExt;
use store::org_units::{self, DivisionInput};
use store::users::{self, SessionKind};
use store::{Actor, Backend, Db};
use tower::ServiceExt;
use web::{Access, AppState, route_specs};

struct App {
    router: Router,
    db: Db,
    _guard: store::testing::TestDbGuard,
}

struct Resp {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    body: String,
}

impl Resp {
    fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
    fn location(&self) -> &str {
        self.headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }
    fn cookies(&self) -> Vec<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .map(|v| v.to_str().unwrap().to_string())
            .collect()
    }
}

/// A signed-in browser: its session cookie and CSRF token.
struct Browser {
    cookie: String,
    csrf: String,
}

const PASSWORD: &str = "correct horse";

fn row(code: &str, name: &str) -> DivisionInput {
    DivisionInput {
        code: DivisionCode::parse(code).unwrap(),
        name: name.into(),
        file: "t.csv".into(),
        row: 2,
    }
}

impl App {
    async fn new(backend: Backend) -> App {
        App::with_config(backend, web::Config::default()).await
    }

    async fn with_config(backend: Backend, config: web::Config) -> App {
        let (db, guard) = store::testing::fresh_db(backend).await;
        let rows = vec![
            row("4103", "洛阳市"),
            row("410302", "老城区"),
            row("410323", "新安县"),
            row("410302001", "西关街道"),
            row("410323101", "石寺镇"),
            row("410302001001", "承福门社区居民委员会"),
            row("410323101001", "石寺社区居民委员会"),
            row("410323101002", "新融社区居民委员会"),
        ];
        org_units::import_divisions(
            &db,
            &domain::access::System::operator("test"),
            &Actor::cli("test"),
            rows,
            &|_, _| {},
        )
        .await
        .unwrap();
        for (u, role, org) in [
            ("city.admin", Role::Admin, "4103"),
            ("city.auditor", Role::Auditor, "4103"),
            ("xinan.staff", Role::Staff, "410323"),
            ("laocheng.staff", Role::Staff, "410302"),
            ("laocheng.admin", Role::Admin, "410302"),
            ("shisi.village", Role::Staff, "410323101001"),
        ] {
            users::create(
                &db,
                &domain::access::System::operator("test"),
                &Actor::cli("test"),
                &users::NewUser {
                    username: u,
                    display_name: "",
                    password: PASSWORD,
                    role,
                    org_code: org,
                },
            )
            .await
            .unwrap();
        }
        App {
            router: web::router(AppState::with_config(db.clone(), config)),
            db,
            _guard: guard,
        }
    }

    async fn browser(&self, username: &str) -> Browser {
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
    async fn visitor(&self, path: &str) -> Browser {
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

    async fn api_token(&self, username: &str) -> String {
        let user = users::find(&self.db, username).await.unwrap().unwrap();
        users::start_session(&self.db, &user, SessionKind::Api, None)
            .await
            .unwrap()
            .0
    }

    async fn send(&self, req: Request<Body>) -> Resp {
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

    async fn get(&self, path: &str, cookie: Option<&str>) -> Resp {
        let mut b = Request::get(path);
        if let Some(c) = cookie {
            b = b.header(header::COOKIE, c);
        }
        self.send(b.body(Body::empty()).unwrap()).await
    }

    async fn post_form(&self, path: &str, cookie: Option<&str>, fields: &[(&str, &str)]) -> Resp {
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

    async fn api(
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

    /// 新安县's general fund `XA-GEN`, which several tests book into.
    async fn county_fund(&self) {
        store::ledger::create_fund(
            &self.db,
            &Actor::cli("test"),
            &domain::access::System::operator("test").scope(),
            "XA-GEN",
            "新安县慈善会非限定性资金",
            "410323",
            domain::ledger::FundKind::Unrestricted,
        )
        .await
        .unwrap();
    }

    async fn facts_of(&self, code: &str) -> (String, i64) {
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

macro_rules! both {
    ($name:ident, $body:expr) => {
        mod $name {
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                ($body)(App::new(Backend::Sqlite).await).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                ($body)(App::new(Backend::Postgres).await).await;
            }
        }
    };
}

/// One request as a browser (pages, with the CSRF token) or an API client (bearer token).
/// A body that names the walked unit, for routes whose unit comes in the body.
fn probe_body(path: &str) -> &'static str {
    match path {
        "/api/v1/funds" => {
            r#"{"org_code":"410323101001","code":"WALK-1","name":"走查基金","restricted":true}"#
        }
        "/api/v1/donations" => r#"{"fund_code":"WALK-FUND","amount_fen":100,"channel":"cash"}"#,
        "/api/v1/disbursements" => {
            r#"{"fund_code":"WALK-FUND","payee":"走查商户","amount_fen":1,"function_code":"program","purpose":"走查"}"#
        }
        p if p.ends_with("/actions") => r#"{"action":"approve","note":"走查"}"#,
        p if p.ends_with("/status") => r#"{"status":"fundraising"}"#,
        p if p.ends_with("/donors/merge") => r#"{"keep_id":1,"merge_id":2}"#,
        p if p.ends_with("/id-number") => r#"{"reason":"走查"}"#,
        p if p.ends_with("/donor-groups") => {
            r#"{"kind":"xiangxian_council","name":"走查乡贤理事会"}"#
        }
        p if p.ends_with("/members") => r#"{"member_id":1}"#,
        p if p.ends_with("/partners") => {
            r#"{"name":"走查实业","credit_code":"91350100M000100Y43","year":2026,"pledge_fen":100}"#
        }
        _ => "{}",
    }
}

/// Form fields a page's POST needs to get past its own checks to the object it names.
fn probe_form(path: &str) -> Vec<(&'static str, &'static str)> {
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
    } else {
        vec![]
    }
}

async fn call(app: &App, method: &Method, path: &str, who: Option<(&Browser, &str)>) -> Resp {
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
fn ghost(path: &str) -> String {
    path.replace("{id}", "999999")
        .replace("{number}", "41030126-0000009999")
        .replace("{fund}", "NO-SUCH-FUND")
}

fn names_an_object(path: &str) -> bool {
    ["{id}", "{number}", "{fund}"]
        .iter()
        .any(|p| path.contains(p))
}

fn concrete(path: &str, code: &str) -> String {
    path.replace("{code}", code)
        // Line 1 of the walk's statements was booked as unmatched; line 2, its repeat in a
        // second file, waits for a decision.
        .replace("lines/{id}", "lines/2")
        .replace("{file}", "app.css")
        .replace("{lang}", "en")
        .replace("{number}", "41030126-0000000001")
        .replace("{id}", "1")
        .replace("{fund}", "WALK-FUND")
}

// Every route, walked by a stranger, by a user of another county, and by the right user.
both!(every_route_refuses_outsiders, |app: App| async move {
    let outsider = app.browser("laocheng.admin").await;
    let outsider_token = app.api_token("laocheng.admin").await;
    let insider = app.browser("city.admin").await;
    let insider_token = app.api_token("city.admin").await;
    let target = "410323101001"; // in 新安县, outside 老城区
    store::ledger::create_fund(
        &app.db,
        &Actor::cli("test"),
        &domain::access::System::operator("test").scope(),
        "WALK-FUND",
        "走查用项目资金",
        target,
        domain::ledger::FundKind::Project,
    )
    .await
    .unwrap();
    // A receipt to walk to: the range belongs to 新安县, the gift to the walked village.
    store::receipts::register_range(
        &app.db,
        &Actor::cli("test"),
        &domain::access::System::operator("test").scope(),
        "410323",
        "41030126",
        1,
        100,
    )
    .await
    .unwrap();
    let walk_gift =
        store::donations::NewDonation::cash("WALK-FUND", domain::money::Fen(100), "走查", "");
    store::donations::record(
        &app.db,
        &Actor::cli("test"),
        &domain::access::System::operator("test").scope(),
        &walk_gift,
    )
    .await
    .unwrap();
    // A payment request to walk to (id 1), made by the village's own staff.
    let maker = users::find(&app.db, "shisi.village")
        .await
        .unwrap()
        .unwrap();
    store::disbursements::request(
        &app.db,
        &store::disbursements::Person {
            user_id: maker.id,
            username: maker.username.clone(),
        },
        &domain::access::System::operator("test").scope(),
        "WALK-FUND",
        "走查商户",
        domain::money::Fen(50),
        domain::ledger::FunctionCode::Program,
        "走查",
        // Evidence to walk to (id 1).
        &[store::disbursements::EvidenceUpload {
            file_name: "发票.pdf".into(),
            bytes: b"%PDF-1.4 walk".to_vec(),
        }],
    )
    .await
    .unwrap();
    // A partner to walk to (id 1), signed by the walked village.
    store::micro::create_partner(
        &app.db,
        &Actor::cli("test"),
        &domain::access::System::operator("test").scope(),
        &store::micro::NewPartner {
            name: "走查电商".into(),
            credit_code: "91410300MA4417000J".into(),
            org_code: target.into(),
            fund_code: "WALK-FUND".into(),
            per_order_fen: 10,
            share_bp: 0,
            max_per_order_fen: 10,
            starts_on: "2020-01-01".into(),
            ends_on: "2099-12-31".into(),
            settlement_days: 1,
            retention_days: store::micro::DEFAULT_RETENTION_DAYS,
        },
    )
    .await
    .unwrap();
    // Statement lines (the second a suspected repeat), a waiting comment (id 1) and a donor group (id 1), all of the
    // walked village.
    for file in ["walk-statement", "walk-statement-overlapping"] {
        store::statements::import(
            &app.db,
            &Actor::cli("test"),
            &domain::access::System::operator("test").scope(),
            "WALK-FUND",
            file,
            &[store::statements::StatementLine {
                row: 2,
                date: "2026-03-01".into(),
                amount: domain::money::Fen(500),
                payer: "某某".into(),
                reference: "无".into(),
                bank_ref: String::new(),
            }],
        )
        .await
        .unwrap();
    }
    let visitor = store::feedback::new_visitor_token(&app.db).unwrap();
    store::feedback::submit(
        &app.db,
        &store::feedback::NewRating {
            fund_code: "WALK-FUND",
            rating: 5,
            comment: "走查留言",
            visitor_token: &visitor,
            client: "walk",
            per_address: store::feedback::DEFAULT_RATINGS_PER_ADDRESS,
        },
    )
    .await
    .unwrap();
    store::donors::create_group(
        &app.db,
        &Actor::cli("test"),
        &domain::access::System::operator("test").scope(),
        target,
        domain::donor::DonorKind::XiangxianCouncil,
        "走查乡贤理事会",
        "",
    )
    .await
    .unwrap();

    // An object of a sibling unit, named under the caller's own unit, answers exactly as an
    // object that does not exist: the same status, the same body.
    let own = "410302"; // 老城区, the outsider's own county
    let mut siblings = 0;
    for spec in route_specs() {
        if !matches!(spec.access, Access::Unit(_) | Access::Body(_)) || !names_an_object(&spec.path)
        {
            continue;
        }
        let who = Some((&outsider, outsider_token.as_str()));
        let real = call(&app, &spec.method, &concrete(&spec.path, own), who).await;
        let none = call(&app, &spec.method, &concrete(&ghost(&spec.path), own), who).await;
        let what = format!("{} {}", spec.method, spec.path);
        assert_eq!(real.status, none.status, "{what}: {}", real.body);
        assert!(
            real.status.is_client_error(),
            "{what} answered {}",
            real.status
        );
        assert_eq!(real.body, none.body, "{what}");
        siblings += 1;
    }
    assert!(siblings >= 15, "{siblings} routes name an object");

    // A user inside the unit's scope whose role lacks the route's permission is refused.
    users::create(
        &app.db,
        &domain::access::System::operator("test"),
        &Actor::cli("test"),
        &users::NewUser {
            username: "city.reviewer",
            display_name: "",
            password: PASSWORD,
            role: Role::Reviewer,
            org_code: "4103",
        },
    )
    .await
    .unwrap();
    let reviewer = app.browser("city.reviewer").await;
    let reviewer_token = app.api_token("city.reviewer").await;
    let mut lacking = 0;
    for spec in route_specs() {
        let (Access::Unit(p) | Access::Body(p)) = spec.access else {
            continue;
        };
        if Role::Reviewer.allows(p) {
            continue;
        }
        let path = concrete(&spec.path, target);
        let r = call(
            &app,
            &spec.method,
            &path,
            Some((&reviewer, reviewer_token.as_str())),
        )
        .await;
        assert_eq!(
            r.status,
            StatusCode::FORBIDDEN,
            "a reviewer on {} {path}: {}",
            spec.method,
            r.body
        );
        lacking += 1;
    }
    assert!(lacking >= 30, "{lacking} routes need more than viewing");

    let mut walked = 0;
    for spec in route_specs() {
        let path = concrete(&spec.path, target);
        let is_api = spec.path.starts_with("/api/");
        let method = spec.method.clone();
        match spec.access {
            Access::Public => {
                let r = call(&app, &method, &path, None).await;
                assert_ne!(
                    r.status,
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "{} {path}",
                    spec.method
                );
            }
            Access::Partner => {
                // Unsigned: refused before anything is read.
                let r = call(&app, &method, &path, None).await;
                assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{} {path}", spec.method);
                assert_eq!(r.json()["code"], "signature_missing");
            }
            Access::SignedIn | Access::Unit(_) | Access::Body(_) => {
                let anon = call(&app, &method, &path, None).await;
                if is_api {
                    assert_eq!(
                        anon.status,
                        StatusCode::UNAUTHORIZED,
                        "anonymous {} {path}",
                        spec.method
                    );
                    assert_eq!(anon.json()["code"], "unauthorized");
                } else {
                    assert_eq!(
                        anon.status,
                        StatusCode::SEE_OTHER,
                        "anonymous {} {path}",
                        spec.method
                    );
                    assert!(anon.location().starts_with("/login?next="), "{path}");
                }
                if let Access::Unit(_) | Access::Body(_) = spec.access {
                    let r = call(&app, &method, &path, Some((&outsider, &outsider_token))).await;
                    // A fund named in a body answers as an unknown fund (422), as a mistyped
                    // code does.
                    let unknown_fund = matches!(spec.access, Access::Body(_))
                        && r.status == StatusCode::UNPROCESSABLE_ENTITY
                        && r.json()["code"] == "fund_unknown";
                    assert!(
                        r.status == StatusCode::FORBIDDEN
                            || r.status == StatusCode::NOT_FOUND
                            || unknown_fund,
                        "outsider got {} on {} {path}",
                        r.status,
                        spec.method
                    );
                    if is_api {
                        // A unit outside the caller's scope is forbidden; an object named
                        // outside it is as missing as one that does not exist.
                        let code = r.json()["code"].as_str().unwrap_or_default().to_string();
                        if matches!(spec.access, Access::Unit(_)) {
                            assert_eq!(code, "forbidden", "{path}");
                        } else {
                            assert!(
                                ["forbidden", "not_found", "fund_unknown"].contains(&code.as_str()),
                                "{code} on {path}"
                            );
                        }
                    }
                    let r = call(&app, &method, &path, Some((&insider, &insider_token))).await;
                    assert!(
                        r.status.is_success()
                            || r.status.is_redirection()
                            || r.status == StatusCode::UNPROCESSABLE_ENTITY
                            || r.status == StatusCode::CONFLICT,
                        "insider got {} on {} {path}",
                        r.status,
                        spec.method
                    );
                }
            }
        }
        walked += 1;
    }
    assert_eq!(walked, route_specs().len());
    assert!(walked >= 30);
    let state: String = sqlx::query_scalar("SELECT state FROM disbursements WHERE id = 1")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!(state, "approved", "approved by the insider only");
    // The outsider booked nothing.
    let fund = store::ledger::fund(
        &app.db,
        &domain::access::System::operator("test").scope(),
        "WALK-FUND",
    )
    .await
    .unwrap()
    .unwrap();
    let booked = store::ledger::balances(&app.db, &fund).await.unwrap();
    assert_eq!(
        booked
            .get(&domain::ledger::AccountKind::Cash)
            .copied()
            .unwrap_or_default()
            .0,
        200,
        "the walk's own gift and the insider's, nothing from the outsider"
    );
    // Nothing the outsider did changed the unit.
    assert_eq!(app.facts_of(target).await, (String::new(), 0));
    // Every write the walk made is in the trail with the unit it concerns.
    let without_unit: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE org_path = '' OR org_code = ''")
            .fetch_one(app.db.pool())
            .await
            .unwrap();
    assert_eq!(without_unit, 0);
});

both!(
    editing_facts_raises_coverage_everywhere,
    |app: App| async move {
        let b = app.browser("xinan.staff").await;
        let page = app.get("/orgs/410323101001/edit", Some(&b.cookie)).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains(&format!("value=\"{}\"", b.csrf)));
        let r = app
            .post_form(
                "/orgs/410323101001/edit",
                Some(&b.cookie),
                &[
                    ("csrf", &b.csrf),
                    ("site_address", "石寺社区党群服务中心"),
                    ("leader_name", "王芳"),
                    ("leader_phone", "１３９０３７９１２３４"),
                    ("service_teams", "2"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert_eq!(r.location(), "/orgs/410323101001?saved=1");
        assert_eq!(
            app.facts_of("410323101001").await,
            ("13903791234".into(), 2)
        );
        let admin = app.browser("city.admin").await;
        for code in ["410323101", "410323", "4103"] {
            let page = app.get(&format!("/orgs/{code}"), Some(&admin.cookie)).await;
            assert!(
            page.body.contains(r#"<tr data-level="village"><td>村（社区）工作站</td><td class="num set-up">1</td>"#),
            "{code}: {}",
            page.body
        );
        }
        let cov = app.get("/orgs/4103/coverage", Some(&admin.cookie)).await;
        assert_eq!(cov.status, StatusCode::OK);
        assert!(cov.body.contains("<svg class=\"chart\""));
        // Worst first: 老城区 (nothing set up) before 新安县.
        let laocheng = cov.body.find("/orgs/410302/coverage").unwrap();
        let xinan = cov.body.find("/orgs/410323/coverage").unwrap();
        assert!(laocheng < xinan);
    }
);

both!(
    bad_input_is_explained_next_to_the_field_and_changes_nothing,
    |app: App| async move {
        let b = app.browser("xinan.staff").await;
        let r = app
            .post_form(
                "/orgs/410323101001/edit",
                Some(&b.cookie),
                &[
                    ("csrf", &b.csrf),
                    ("site_address", "村委会"),
                    ("leader_name", "王芳"),
                    ("leader_phone", "12345"),
                    ("service_teams", "三"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            r.body
                .contains(r#"<p class="field-error" id="leader_phone-error">电话号码格式不对"#),
            "{}",
            r.body
        );
        assert!(
            r.body
                .contains(r#"<p class="field-error" id="service_teams-error">请填写数字"#)
        );
        assert!(
            r.body.contains(r#"value="村委会""#),
            "what was typed is kept"
        );
        assert_eq!(app.facts_of("410323101001").await, (String::new(), 0));
        // A wrong CSRF token: refused, nothing stored.
        let r = app
            .post_form(
                "/orgs/410323101001/edit",
                Some(&b.cookie),
                &[
                    ("csrf", "forged"),
                    ("site_address", "x"),
                    ("leader_name", "x"),
                    ("leader_phone", "13903791234"),
                    ("service_teams", "1"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        assert!(r.body.contains("表单已过期"));
        assert_eq!(app.facts_of("410323101001").await, (String::new(), 0));
    }
);

both!(
    api_answers_in_scope_and_every_error_is_json,
    |app: App| async move {
        let r = app
            .api(
                Method::POST,
                "/api/v1/auth/token",
                None,
                Some(r#"{"username":"xinan.staff","password":"correct horse"}"#),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let token = r.json()["token"].as_str().unwrap().to_string();
        let r = app
            .api(Method::GET, "/api/v1/orgs/410323", Some(&token), None)
            .await;
        assert_eq!(r.status, StatusCode::OK);
        let j = r.json();
        assert_eq!(j["code"], "410323");
        assert_eq!(j["name"], "新安县");
        assert_eq!(j["level"], "county");
        assert_eq!(j["parent_code"], "4103");
        assert_eq!(j["active"], true);
        assert_eq!(j["set_up"], false);
        assert_eq!(j["coverage"][2]["level"], "village");
        assert_eq!(j["coverage"][2]["units"], 2);
        let r = app
            .api(
                Method::GET,
                "/api/v1/orgs/410323101/children",
                Some(&token),
                None,
            )
            .await;
        let kids = r.json();
        assert_eq!(kids.as_array().unwrap().len(), 2);
        assert_eq!(kids[0]["code"], "410323101001");

        for (path, status, code) in [
            ("/api/v1/orgs/410302", StatusCode::FORBIDDEN, "forbidden"),
            ("/api/v1/orgs/4103", StatusCode::FORBIDDEN, "forbidden"),
            ("/api/v1/orgs/410323999", StatusCode::NOT_FOUND, "not_found"),
            (
                "/api/v1/orgs/not-a-code",
                StatusCode::NOT_FOUND,
                "not_found",
            ),
            ("/api/v1/nothing-here", StatusCode::NOT_FOUND, "not_found"),
        ] {
            let r = app.api(Method::GET, path, Some(&token), None).await;
            assert_eq!(r.status, status, "{path}");
            assert_eq!(r.json()["code"], code, "{path}");
            assert!(!r.json()["message"].as_str().unwrap().is_empty());
        }
        let r = app
            .api(Method::GET, "/api/v1/orgs/410323", Some("wrong"), None)
            .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        assert_eq!(r.json()["code"], "unauthorized");

        for (body, code, field) in [
            ("{not json", "invalid_json", serde_json::Value::Null),
            (
                r#"{"username": 12, "password": "x"}"#,
                "invalid_field",
                "username".into(),
            ),
            (
                r#"{"username": "xinan.staff"}"#,
                "invalid_field",
                "password".into(),
            ),
            (
                r#"{"username":"xinan.staff","password":"wrong password"}"#,
                "bad_credentials",
                serde_json::Value::Null,
            ),
        ] {
            let r = app
                .api(Method::POST, "/api/v1/auth/token", None, Some(body))
                .await;
            assert!(r.status.is_client_error(), "{body}");
            let j = r.json();
            assert_eq!(j["code"], code, "{body}: {j}");
            assert_eq!(j["field"], field, "{body}");
            assert!(
                !j["message"].as_str().unwrap().contains("line 1"),
                "no parser text: {j}"
            );
        }
        let r = app
            .send(
                Request::post("/api/v1/auth/token")
                    .header(header::CONTENT_TYPE, "text/plain")
                    .body(Body::from("x"))
                    .unwrap(),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
        assert_eq!(r.json()["code"], "unsupported_media_type");
        let r = app
            .api(Method::PUT, "/api/v1/orgs/410323", Some(&token), None)
            .await;
        assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(r.json()["code"], "method_not_allowed");

        let r = app
            .api(Method::DELETE, "/api/v1/auth/token", Some(&token), None)
            .await;
        assert_eq!(r.status, StatusCode::NO_CONTENT);
        let r = app
            .api(Method::GET, "/api/v1/orgs/410323", Some(&token), None)
            .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "revoked");
    }
);

#[tokio::test]
async fn sign_in_sets_safe_cookies_and_locks_after_five_failures() {
    let app = App::new(Backend::Sqlite).await;
    let page = app.get("/login?next=/orgs/410323", None).await;
    assert_eq!(page.status, StatusCode::OK);
    let pre = page
        .cookies()
        .into_iter()
        .find(|c| c.starts_with("sw_pre="))
        .unwrap();
    assert!(pre.contains("HttpOnly") && pre.contains("SameSite=Lax"));
    let token = pre
        .trim_start_matches("sw_pre=")
        .split(';')
        .next()
        .unwrap()
        .to_string();
    assert!(
        page.body
            .contains(&format!("name=\"csrf\" value=\"{token}\""))
    );
    let cookie = format!("sw_pre={token}");

    // Without the token: refused before the password is even looked at.
    let r = app
        .post_form(
            "/login",
            Some(&cookie),
            &[("username", "xinan.staff"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    let r = app
        .post_form(
            "/login",
            Some(&cookie),
            &[
                ("csrf", &token),
                ("username", "xinan.staff"),
                ("password", PASSWORD),
                ("next", "/orgs/410323"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.location(), "/orgs/410323");
    let session = r
        .cookies()
        .into_iter()
        .find(|c| c.starts_with("sw_session="))
        .unwrap();
    assert!(
        session.contains("HttpOnly") && session.contains("SameSite=Lax"),
        "{session}"
    );
    let session_cookie = session.split(';').next().unwrap().to_string();
    let home = app.get("/orgs/410323", Some(&session_cookie)).await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(home.body.contains("新安县"));
    assert!(home.body.len() < 100 * 1024);

    // Off-site redirects are not followed.
    let r = app
        .post_form(
            "/login",
            Some(&cookie),
            &[
                ("csrf", &token),
                ("username", "xinan.staff"),
                ("password", PASSWORD),
                ("next", "//evil.example"),
            ],
        )
        .await;
    assert_eq!(r.location(), "/");

    // Five wrong guesses at a name: the fifth uses its last try. A name that does not exist
    // gets exactly the same answers, so the page tells nobody which names are real.
    for name in ["laocheng.staff", "no.such.user"] {
        for i in 1..=5 {
            let r = app
                .post_form(
                    "/login",
                    Some(&cookie),
                    &[
                        ("csrf", &token),
                        ("username", name),
                        ("password", "wrong password"),
                    ],
                )
                .await;
            if i < 5 {
                assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{name} {i}");
                assert!(r.body.contains("用户名或密码不正确"), "{i}");
            } else {
                assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{name}");
                assert!(r.body.contains("尝试次数过多"), "{}", r.body);
                let wait: i64 = r.headers[header::RETRY_AFTER]
                    .to_str()
                    .unwrap()
                    .parse()
                    .unwrap();
                assert!((1..=15 * 60).contains(&wait), "{wait}");
            }
        }
    }
    let r = app
        .post_form(
            "/login",
            Some(&cookie),
            &[
                ("csrf", &token),
                ("username", "laocheng.staff"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::TOO_MANY_REQUESTS,
        "held back even with the right password"
    );

    // Signing in again from a browser that has a session ends that session.
    let r = app
        .post_form(
            "/login",
            Some(&format!("{session_cookie}; {cookie}")),
            &[
                ("csrf", &token),
                ("username", "xinan.staff"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let renewed = r
        .cookies()
        .into_iter()
        .find(|c| c.starts_with("sw_session="))
        .unwrap();
    let renewed = renewed.split(';').next().unwrap().to_string();
    assert_ne!(renewed, session_cookie, "a new session id");
    let r = app.get("/orgs/410323", Some(&session_cookie)).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "the old session is gone");
    let session_cookie = renewed;

    // Sign out ends the session.
    let csrf = {
        let user = users::find(&app.db, "xinan.staff").await.unwrap().unwrap();
        let _ = user;
        let page = app.get("/orgs/410323", Some(&session_cookie)).await;
        let i = page.body.find("name=\"csrf\" value=\"").unwrap() + 19;
        page.body[i..i + 64].to_string()
    };
    let r = app
        .post_form("/logout", Some(&session_cookie), &[("csrf", &csrf)])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let r = app.get("/orgs/410323", Some(&session_cookie)).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn roles_decide_what_each_user_may_do() {
    let app = App::new(Backend::Sqlite).await;
    let auditor = app.browser("city.auditor").await;
    let r = app
        .get("/orgs/410323101001/edit", Some(&auditor.cookie))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "auditors change nothing");
    assert!(r.body.contains("没有访问这个单位的权限"));
    let r = app
        .post_form(
            "/orgs/410323101001/edit",
            Some(&auditor.cookie),
            &[
                ("csrf", &auditor.csrf),
                ("site_address", "x"),
                ("leader_name", "x"),
                ("leader_phone", "13903791234"),
                ("service_teams", "1"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let village = app.browser("shisi.village").await;
    let r = app
        .post_form(
            "/orgs/410323101001/edit",
            Some(&village.cookie),
            &[
                ("csrf", &village.csrf),
                ("site_address", "石寺社区党群服务中心"),
                ("leader_name", "李强"),
                ("leader_phone", "0379-65123456"),
                ("service_teams", "1"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(
        app.get("/orgs/410323101002", Some(&village.cookie))
            .await
            .status,
        StatusCode::FORBIDDEN,
        "a village sees no neighbour"
    );
    assert_eq!(
        app.get("/orgs/410323101", Some(&village.cookie))
            .await
            .status,
        StatusCode::FORBIDDEN,
        "nor the township above"
    );

    let audit = app.get("/orgs/4103/audit", Some(&auditor.cookie)).await;
    assert_eq!(audit.status, StatusCode::OK);
    assert!(
        audit.body.contains("修改“三有”信息") && audit.body.contains("shisi.village"),
        "{}",
        audit.body
    );
    let filtered = app
        .get("/orgs/4103/audit?user=nobody", Some(&auditor.cookie))
        .await;
    assert!(!filtered.body.contains("shisi.village"));
    let by_unit = app.get("/orgs/410302/audit", Some(&auditor.cookie)).await;
    assert!(
        !by_unit.body.contains("修改“三有”信息"),
        "another county's trail"
    );
    let bad_date = app
        .get("/orgs/4103/audit?from=2026-13-40", Some(&auditor.cookie))
        .await;
    assert!(bad_date.body.contains("日期格式不对"));
    let staff = app.browser("xinan.staff").await;
    assert_eq!(
        app.get("/orgs/410323/audit", Some(&staff.cookie))
            .await
            .status,
        StatusCode::FORBIDDEN
    );

    let search = app
        .get("/orgs/410323/search?q=石寺", Some(&staff.cookie))
        .await;
    assert!(search.body.contains("石寺社区居民委员会"));
    let search = app
        .get("/orgs/410323/search?q=承福门", Some(&staff.cookie))
        .await;
    assert!(!search.body.contains("承福门社区"), "search stays in scope");
}

#[tokio::test]
async fn english_is_one_click_away_and_openapi_lists_the_api() {
    let app = App::new(Backend::Sqlite).await;
    let r = app.get("/lang/en?next=/login", None).await;
    assert_eq!(r.location(), "/login");
    let c = r
        .cookies()
        .into_iter()
        .find(|c| c.starts_with("sw_lang=en"))
        .unwrap();
    let page = app.get("/login", Some(c.split(';').next().unwrap())).await;
    assert!(page.body.contains("Sign in to Shanwang"));
    assert!(page.body.contains("<html lang=\"en\">"));
    let zh = app.get("/login", None).await;
    assert!(zh.body.contains("登录善网"), "zh-CN by default");

    let spec = app.get("/api/openapi.json", None).await.json();
    assert_eq!(spec["openapi"].as_str().unwrap().chars().next(), Some('3'));
    // Every API route is in the OpenAPI file.
    for r in web::route_specs() {
        if let Some(path) = r
            .path
            .strip_prefix("/api")
            .filter(|p| p.starts_with("/v1/"))
        {
            let path = format!("/api{path}");
            assert!(spec["paths"][&path].is_object(), "{path} is not documented");
        }
    }
    let css = app.get("/assets/app.css", None).await;
    assert_eq!(css.status, StatusCode::OK);
    assert!(css.body.len() < 20 * 1024);
    let missing = app.get("/no/such/page", None).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert!(missing.body.contains("找不到"));
    assert_eq!(app.get("/healthz", None).await.status, StatusCode::OK);
}

both!(
    funds_and_donations_through_the_api_show_on_the_public_feed,
    |app: App| async move {
        // A finance officer of 新安县 opens a village project fund and books gifts.
        users::create(
            &app.db,
            &domain::access::System::operator("test"),
            &Actor::cli("test"),
            &users::NewUser {
                username: "xinan.finance",
                display_name: "",
                password: PASSWORD,
                role: Role::Finance,
                org_code: "410323",
            },
        )
        .await
        .unwrap();
        let token = app.api_token("xinan.finance").await;
        let r = app
        .api(Method::POST, "/api/v1/funds", Some(&token), Some(r#"{"org_code":"410323101001","code":"XA-SS-P1","name":"石寺社区幸福家园","restricted":true}"#))
        .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        assert_eq!(r.json()["entity_code"], "410323");
        assert_eq!(r.json()["kind"], "project");
        let r = app
            .api(
                Method::POST,
                "/api/v1/funds",
                Some(&token),
                Some(r#"{"org_code":"410302","code":"LC-1","name":"老城区","restricted":false}"#),
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "another county");
        let r = app
            .api(
                Method::POST,
                "/api/v1/funds",
                Some(&token),
                Some(r#"{"org_code":"410323","code":"XA-SS-P1","name":"again","restricted":true}"#),
            )
            .await;
        assert_eq!(r.status, StatusCode::CONFLICT);
        assert_eq!(r.json()["field"], "code");
        let staff = app.api_token("xinan.staff").await;
        let r = app
            .api(
                Method::POST,
                "/api/v1/funds",
                Some(&staff),
                Some(r#"{"org_code":"410323","code":"XA-2","name":"x","restricted":false}"#),
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::FORBIDDEN,
            "staff hold no money rights"
        );

        store::receipts::register_range(
            &app.db,
            &Actor::cli("test"),
            &domain::access::System::operator("test").scope(),
            "410323",
            "41030126",
            1,
            100,
        )
        .await
        .unwrap();
        let gift = r#"{"fund_code":"XA-SS-P1","amount_fen":12345,"donor_name":"张三丰","donor_phone":"13903791234","publish_name":false,"channel":"bank_transfer"}"#;
        let send = |key: &'static str, body: &'static str| {
            let mut b = Request::post("/api/v1/donations")
                .header(header::AUTHORIZATION, format!("Bearer {token}"))
                .header(header::CONTENT_TYPE, "application/json");
            if !key.is_empty() {
                b = b.header("idempotency-key", key);
            }
            b.body(Body::from(body)).unwrap()
        };
        let first = app.send(send("k-1", gift)).await;
        assert_eq!(first.status, StatusCode::CREATED, "{}", first.body);
        assert_eq!(first.json()["receipt_number"], "41030126-0000000001");
        let again = app.send(send("k-1", gift)).await;
        assert_eq!(
            again.json()["id"],
            first.json()["id"],
            "a retry books one gift"
        );
        let named = r#"{"fund_code":"XA-SS-P1","amount_fen":500,"donor_name":"李四","publish_name":true,"channel":"cash"}"#;
        assert_eq!(app.send(send("", named)).await.status, StatusCode::CREATED);

        for (body, status, field) in [
            (
                r#"{"fund_code":"XA-SS-P1","amount_fen":0,"channel":"cash"}"#,
                StatusCode::UNPROCESSABLE_ENTITY,
                "amount_fen",
            ),
            (
                r#"{"fund_code":"XA-SS-P1","amount_fen":-5,"channel":"cash"}"#,
                StatusCode::UNPROCESSABLE_ENTITY,
                "amount_fen",
            ),
            (
                r#"{"fund_code":"XA-SS-P1","amount_fen":"12.50","channel":"cash"}"#,
                StatusCode::BAD_REQUEST,
                "amount_fen",
            ),
            (
                r#"{"fund_code":"XA-SS-P1","amount_fen":1.5,"channel":"cash"}"#,
                StatusCode::BAD_REQUEST,
                "amount_fen",
            ),
            (
                r#"{"fund_code":"XA-SS-P1","amount_fen":100,"channel":"cheque"}"#,
                StatusCode::UNPROCESSABLE_ENTITY,
                "channel",
            ),
            (
                r#"{"fund_code":"NOPE","amount_fen":100,"channel":"cash"}"#,
                StatusCode::UNPROCESSABLE_ENTITY,
                "fund_code",
            ),
            (
                r#"{"fund_code":"XA-SS-P1","amount_fen":100,"donor_phone":"123","channel":"cash"}"#,
                StatusCode::UNPROCESSABLE_ENTITY,
                "donor_phone",
            ),
        ] {
            let r = app.send(send("", body)).await;
            assert_eq!(r.status, status, "{body}: {}", r.body);
            assert_eq!(r.json()["field"], field, "{body}");
        }

        // Enterprises: the credit code is checked, and finds the same donor again.
        let bad_code = r#"{"fund_code":"XA-SS-P1","amount_fen":100000,"donor_name":"洛阳某某实业有限公司","donor_kind":"enterprise","credit_code":"91350100M000100Y44","channel":"bank_transfer"}"#;
        let r = app.send(send("", bad_code)).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(r.json()["field"], "credit_code");
        assert!(r.json()["message"].as_str().unwrap().contains("校验不通过"));
        let good = r#"{"fund_code":"XA-SS-P1","amount_fen":100000,"donor_name":"洛阳某某实业有限公司","donor_kind":"enterprise","credit_code":"91350100m000100y43","publish_name":true,"channel":"bank_transfer"}"#;
        let company = app.send(send("", good)).await;
        assert_eq!(company.status, StatusCode::CREATED, "{}", company.body);
        assert_eq!(app.send(send("", good)).await.status, StatusCode::CREATED);
        let donors: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM donors WHERE credit_code = '91350100M000100Y43'",
        )
        .fetch_one(app.db.pool())
        .await
        .unwrap();
        assert_eq!(donors, 1, "one enterprise, two gifts");
        let company_receipt = company.json()["receipt_number"]
            .as_str()
            .unwrap()
            .to_string();

        // The public feed: no login, totals and lines, the donor masked unless they agreed.
        let r = app.get("/api/v1/public/funds/XA-SS-P1", None).await;
        assert_eq!(r.status, StatusCode::OK);
        let j = r.json();
        assert_eq!(j["raised_fen"], 12845 + 200000);
        assert_eq!(j["balance_fen"], 12845 + 200000);
        assert_eq!(j["spent_fen"], 0);
        let donors: Vec<&str> = j["entries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["donor"].as_str().unwrap())
            .collect();
        assert_eq!(
            donors,
            [
                "洛阳某某实业有限公司",
                "洛阳某某实业有限公司",
                "李四",
                "张*"
            ]
        );
        assert!(
            !r.body.contains("13903791234") && !r.body.contains("张三丰"),
            "nothing private: {}",
            r.body
        );
        assert_eq!(
            app.get("/api/v1/public/funds/NOPE", None).await.status,
            StatusCode::NOT_FOUND
        );
        // The same on the portal's pages, for anyone.
        let page = app.get("/public/funds/XA-SS-P1", None).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(
            page.body.contains("<td class=\"donor\">张*</td>")
                && page.body.contains("<td class=\"donor\">李四</td>"),
            "{}",
            page.body
        );
        assert!(page.body.contains("¥2,128.45"));
        assert!(!page.body.contains("张三丰") && !page.body.contains("13903791234"));
        // The printable receipt, for finance; the donor's own trace, for anyone with the pair.
        let finance = app.browser("xinan.finance").await;
        let receipt = app
            .get(
                "/orgs/410323/receipts/41030126-0000000001",
                Some(&finance.cookie),
            )
            .await;
        assert_eq!(receipt.status, StatusCode::OK);
        assert!(
            receipt.body.contains("壹佰贰拾叁元肆角伍分")
                && receipt.body.contains("¥123.45")
                && receipt.body.contains("张三丰")
        );
        let printed = app
            .get(
                &format!("/orgs/410323/receipts/{company_receipt}"),
                Some(&finance.cookie),
            )
            .await;
        assert!(
            printed
                .body
                .contains("<td id=\"credit-code\">91350100M000100Y43</td>"),
            "{}",
            printed.body
        );
        assert!(printed.body.contains("壹仟元整"));
        // Exports: finance and auditors take the books away; staff do not.
        let csv = app
            .get(
                "/orgs/410323/export?what=donations&format=csv",
                Some(&finance.cookie),
            )
            .await;
        assert_eq!(csv.status, StatusCode::OK);
        assert!(csv.body.starts_with('\u{feff}'), "BOM for Excel");
        assert!(
            csv.body.contains("洛阳某某实业有限公司")
                && csv.body.contains("91350100M000100Y43")
                && csv.body.contains(",123.45,"),
            "{}",
            csv.body
        );
        assert_eq!(
            csv.body.lines().count(),
            1 + 4,
            "header and four gifts (the retry booked none)"
        );
        let xlsx = app
            .get(
                "/orgs/410323/export?what=ledger&format=xlsx",
                Some(&finance.cookie),
            )
            .await;
        assert_eq!(xlsx.status, StatusCode::OK);
        assert!(
            xlsx.headers[header::CONTENT_DISPOSITION]
                .to_str()
                .unwrap()
                .contains("ledger-410323-")
        );
        assert!(xlsx.body.starts_with("PK"), "an xlsx is a zip");
        let bad = app
            .get(
                "/orgs/410323/export?what=everything&format=xlsx",
                Some(&finance.cookie),
            )
            .await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        let auditor = app.browser("city.auditor").await;
        assert_eq!(
            app.get(
                "/orgs/410323/export?what=disbursements&format=csv",
                Some(&auditor.cookie)
            )
            .await
            .status,
            StatusCode::OK
        );
        let staff = app.browser("xinan.staff").await;
        assert_eq!(
            app.get(
                "/orgs/410323/export?what=donations&format=csv",
                Some(&staff.cookie)
            )
            .await
            .status,
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            app.get(
                "/orgs/410323/receipts/41030126-0000000001",
                Some(&staff.cookie)
            )
            .await
            .status,
            StatusCode::FORBIDDEN
        );
        // The donor traces the gift by its receipt number and the code printed on it.
        let code: String = sqlx::query_scalar("SELECT trace_code FROM receipts WHERE number = 1")
            .fetch_one(app.db.pool())
            .await
            .unwrap();
        let visitor = app
            .visitor("/public/trace?receipt=41030126-0000000001")
            .await;
        let trace = |code: String| {
            let visitor = &visitor;
            let app = &app;
            async move {
                app.post_form(
                    "/public/trace",
                    Some(&visitor.cookie),
                    &[
                        ("csrf", &visitor.csrf),
                        ("receipt", "41030126-0000000001"),
                        ("code", &code),
                    ],
                )
                .await
            }
        };
        // Typed loosely (lower case, a space): still found.
        let loose = format!("{} {}", code[..5].to_lowercase(), &code[5..]);
        let traced = trace(loose).await;
        assert_eq!(traced.status, StatusCode::OK, "{}", traced.body);
        assert!(
            traced.body.contains("石寺社区幸福家园") && traced.body.contains("¥123.45"),
            "{}",
            traced.body
        );
        // Guessing: each wrong code finds nothing; the fifth wrong one uses up the receipt's
        // tries for the day, and then even the right code waits.
        for _ in 0..5 {
            let wrong = trace("0000000000".into()).await;
            assert_eq!(wrong.status, StatusCode::NOT_FOUND);
            assert!(wrong.body.contains("没有找到") && !wrong.body.contains("石寺社区幸福家园"));
        }
        let held = trace(code.clone()).await;
        assert_eq!(held.status, StatusCode::TOO_MANY_REQUESTS);
        assert!(held.headers.contains_key(header::RETRY_AFTER));
        assert!(!held.body.contains("石寺社区幸福家园"));
        // Without the form's token nothing is looked up.
        let forged = app
            .post_form(
                "/public/trace",
                Some(&visitor.cookie),
                &[("receipt", "41030126-0000000001"), ("code", &code)],
            )
            .await;
        assert_eq!(forged.status, StatusCode::FORBIDDEN);
        // Rolled up per unit: the city shows 新安县's total; 老城区 has none of it.
        let city = app.get("/public?org=4103", None).await;
        assert!(
            city.body.contains("href=\"/public?org=410323\"") && city.body.contains("¥2,128.45"),
            "{}",
            city.body
        );
        // The same rolled up as JSON, no login.
        let feed = app
            .api(Method::GET, "/api/v1/public/rollup?org=4103", None, None)
            .await;
        assert_eq!(feed.status, StatusCode::OK, "{}", feed.body);
        let feed = feed.json();
        assert_eq!(feed["total"]["code"], "4103");
        let xinan = feed["below"]
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["code"] == "410323")
            .expect("新安县 rolled up");
        assert_eq!(xinan["raised_fen"], feed["total"]["raised_fen"]);
        assert_eq!(xinan["raised_fen"], 212_845);
        let laocheng = app.get("/public?org=410302", None).await;
        assert!(!laocheng.body.contains("XA-SS-P1"));
        assert_eq!(
            app.get("/public?org=419999", None).await.status,
            StatusCode::NOT_FOUND
        );
        // The whole network opens at the city's counties (one city on top); each fund is
        // listed by the unit that holds it.
        let index = app.get("/public", None).await;
        assert!(index.body.contains("href=\"/public?org=410323\""));
        assert!(!index.body.contains("/public/funds/XA-SS-P1"));
        let village = app.get("/public?org=410323101001", None).await;
        assert!(
            village.body.contains("/public/funds/XA-SS-P1")
                && village.body.contains("石寺社区幸福家园"),
            "{}",
            village.body
        );
    }
);

both!(
    compliance_warns_when_the_year_will_miss,
    |app: App| async move {
        let all = domain::access::System::operator("test").scope();
        let cli = Actor::cli("test");
        app.county_fund().await;
        let now = store::now_ms();
        let year: i32 = domain::time::china_day(now)[..4].parse().unwrap();
        let last_year = domain::time::china_day_range_ms(&format!("{}-01-15", year - 1))
            .unwrap()
            .0;
        let gift = store::donations::NewDonation {
            channel: store::donations::Channel::BankTransfer,
            received_at_ms: Some(last_year),
            receipt_wanted: false,
            ..store::donations::NewDonation::cash(
                "XA-GEN",
                domain::money::Fen(100_000_000),
                "王芳",
                "",
            )
        };
        store::donations::record(&app.db, &cli, &all, &gift)
            .await
            .unwrap();
        let pay = domain::ledger::TxDraft::disbursement(
            "XA-GEN",
            domain::money::Fen(1_000_000),
            domain::ledger::FunctionCode::Program,
            "助学",
        )
        .unwrap();
        store::ledger::record(&app.db, &cli, &all, &pay)
            .await
            .unwrap();
        let fees = domain::ledger::TxDraft::disbursement(
            "XA-GEN",
            domain::money::Fen(500_000),
            domain::ledger::FunctionCode::Management,
            "办公",
        )
        .unwrap();
        store::ledger::record(&app.db, &cli, &all, &fees)
            .await
            .unwrap();

        let (rule, figures, _) = store::compliance::year_figures(
            &app.db,
            &domain::access::System::operator("test").scope(),
            "410323",
            now,
        )
        .await
        .unwrap()
        .unwrap();
        assert_eq!(
            (rule.min_spending_permille, rule.max_management_permille),
            (700, 130),
            "a 慈善会 with public fundraising"
        );
        assert_eq!(
            figures.base,
            domain::money::Fen(100_000_000),
            "last year's income"
        );
        assert_eq!(figures.charitable_spending, domain::money::Fen(1_000_000));
        assert_eq!(figures.total_spending, domain::money::Fen(1_500_000));

        let admin = app.browser("city.admin").await;
        // A village's page shows the books of the county that keeps them.
        let page = app
            .get("/orgs/410323101001/compliance", Some(&admin.cookie))
            .await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains("法人单位 410323"));
        assert!(
            page.body.contains("id=\"spending-warning\""),
            "¥10,000 of ¥700,000 will miss"
        );
        assert!(
            page.body.contains("id=\"management-warning\""),
            "a third of spending on fees is over 13%"
        );
        assert!(page.body.contains("¥700,000.00"));
        assert!(page.body.contains("13.0%") && !page.body.contains("10.0%"));
        // Registered as a foundation with public fundraising: the management ceiling is 10%.
        let saved = app
            .post_form(
                "/orgs/410323/compliance",
                Some(&admin.cookie),
                &[
                    ("csrf", &admin.csrf),
                    ("org_type", "foundation"),
                    ("public_fundraising", "1"),
                ],
            )
            .await;
        assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
        assert_eq!(
            store::compliance::profile(
                &app.db,
                &domain::access::System::operator("test").scope(),
                "410323"
            )
            .await
            .unwrap(),
            (domain::compliance::OrgType::Foundation, true)
        );
        let page = app
            .get("/orgs/410323/compliance?saved=1", Some(&admin.cookie))
            .await;
        assert!(page.body.contains("profile_saved") || page.body.contains("已保存"));
        assert!(
            page.body.contains("10.0%"),
            "the foundation's 10% ceiling: {}",
            page.body
        );
        let bad = app
            .post_form(
                "/orgs/410323/compliance",
                Some(&admin.cookie),
                &[("csrf", &admin.csrf), ("org_type", "club")],
            )
            .await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        let staff = app.browser("xinan.staff").await;
        assert_eq!(
            app.get("/orgs/410323/compliance", Some(&staff.cookie))
                .await
                .status,
            StatusCode::FORBIDDEN
        );
    }
);

both!(
    the_donation_form_refuses_bad_amounts_and_books_a_double_click_once,
    |app: App| async move {
        app.county_fund().await;
        users::create(
            &app.db,
            &domain::access::System::operator("test"),
            &Actor::cli("test"),
            &users::NewUser {
                username: "xinan.finance",
                display_name: "",
                password: PASSWORD,
                role: Role::Finance,
                org_code: "410323",
            },
        )
        .await
        .unwrap();
        let b = app.browser("xinan.finance").await;
        let page = app.get("/orgs/410323/donations/new", Some(&b.cookie)).await;
        assert_eq!(page.status, StatusCode::OK);
        let i = page.body.find("name=\"token\" value=\"").unwrap() + 20;
        let token = page.body[i..].split('"').next().unwrap().to_string();
        assert!(token.starts_with("form-"));
        let count = || async {
            let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM donations")
                .fetch_one(app.db.pool())
                .await
                .unwrap();
            n
        };
        for (amount, says) in [
            ("0", "不能为 0"),
            ("-5", "不能是负数"),
            ("1.234", "最多两位小数"),
            ("１００", "半角数字"),
            ("100元", "不要带“元”"),
            ("20000000000", "过大"),
            ("一百", "应是数字"),
        ] {
            let r = app
                .post_form(
                    "/orgs/410323/donations",
                    Some(&b.cookie),
                    &[
                        ("csrf", &b.csrf),
                        ("token", &token),
                        ("fund_code", "XA-GEN"),
                        ("amount", amount),
                        ("channel", "cash"),
                        ("donor_name", "王芳"),
                    ],
                )
                .await;
            assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{amount}");
            assert!(
                r.body
                    .contains("<p class=\"field-error\" id=\"amount-error\">")
                    && r.body.contains(says),
                "{amount}: {}",
                r.body
            );
            assert!(
                r.body.contains(&format!("value=\"{amount}\"")),
                "what was typed is kept"
            );
        }
        let r = app
            .post_form(
                "/orgs/410323/donations",
                Some(&b.cookie),
                &[
                    ("csrf", &b.csrf),
                    ("token", &token),
                    ("fund_code", "XA-GEN"),
                    ("amount", "500"),
                    ("channel", "in_kind"),
                    ("donor_name", "王芳"),
                ],
            )
            .await;
        assert!(r.body.contains("id=\"in_kind_description-error\""));
        let r = app
            .post_form(
                "/orgs/410323/donations",
                Some(&b.cookie),
                &[
                    ("csrf", &b.csrf),
                    ("token", &token),
                    ("fund_code", "LY-OTHER"),
                    ("amount", "500"),
                    ("channel", "cash"),
                ],
            )
            .await;
        assert!(r.body.contains("id=\"fund_code-error\""));
        assert_eq!(count().await, 0, "nothing stored");

        let good = [
            ("csrf", b.csrf.as_str()),
            ("token", token.as_str()),
            ("fund_code", "XA-GEN"),
            ("amount", "1,234.50"),
            ("channel", "in_kind"),
            ("in_kind_description", "大米 50 袋"),
            ("donor_name", "王芳"),
            ("publish_name", "1"),
        ];
        let first = app
            .post_form("/orgs/410323/donations", Some(&b.cookie), &good)
            .await;
        assert_eq!(first.status, StatusCode::SEE_OTHER, "{}", first.body);
        let again = app
            .post_form("/orgs/410323/donations", Some(&b.cookie), &good)
            .await;
        assert_eq!(
            again.location(),
            first.location(),
            "the second click lands on the same gift"
        );
        assert_eq!(count().await, 1);
        let amount: i64 = sqlx::query_scalar("SELECT amount_fen FROM donations")
            .fetch_one(app.db.pool())
            .await
            .unwrap();
        assert_eq!(amount, 123450);
        let shown = app.get(first.location(), Some(&b.cookie)).await;
        assert!(shown.body.contains("id=\"recorded\""));
    }
);

/// A multipart body with text fields and one file.
fn multipart(fields: &[(&str, &str)], file: (&str, &str, &[u8])) -> (String, Vec<u8>) {
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

both!(
    a_statement_uploaded_on_the_page_books_known_donors_once,
    |app: App| async move {
        let all = domain::access::System::operator("test").scope();
        let cli = Actor::cli("test");
        app.county_fund().await;
        // 王芳 is known by her phone from an earlier gift.
        let known = store::donations::NewDonation {
            receipt_wanted: false,
            ..store::donations::NewDonation::cash(
                "XA-GEN",
                domain::money::Fen(100),
                "王芳",
                "13903791234",
            )
        };
        store::donations::record(&app.db, &cli, &all, &known)
            .await
            .unwrap();
        let admin = app.browser("city.admin").await;
        let csv = "日期,对方户名,金额,摘要\n2026-03-01,王芳,500.00,捐款 13903791234\n2026-03-02,某某,80.00,无\n";
        let send = |csrf: String, bytes: Vec<u8>| {
            let (ct, body) = multipart(
                &[("csrf", &csrf), ("fund_code", "XA-GEN")],
                ("statement", "对账单.csv", &bytes),
            );
            Request::post("/orgs/410323/statements")
                .header(header::CONTENT_TYPE, ct)
                .header(header::COOKIE, admin.cookie.clone())
                .body(Body::from(body))
                .unwrap()
        };
        let r = app
            .send(send(admin.csrf.clone(), csv.as_bytes().to_vec()))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert!(r.body.contains("id=\"booked\">1<"), "{}", r.body);
        assert!(
            r.body.contains("某某") && r.body.contains("¥80.00"),
            "unmatched listed"
        );
        // The same file again books nothing twice.
        let again = app
            .send(send(admin.csrf.clone(), csv.as_bytes().to_vec()))
            .await;
        assert!(
            again.body.contains("id=\"booked\">0<") && again.body.contains("id=\"already\">2<"),
            "both rows were seen before, the unmatched one too: {}",
            again.body
        );
        // Without the CSRF token nothing is read at all.
        let forged = app
            .send(send("forged".into(), csv.as_bytes().to_vec()))
            .await;
        assert_eq!(forged.status, StatusCode::FORBIDDEN);
        // A file that is not a statement: a clear message, nothing booked.
        let bad = app
            .send(send(
                admin.csrf.clone(),
                "日期,金额\n昨天,五百\n".as_bytes().to_vec(),
            ))
            .await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
        assert!(bad.body.contains("未导入任何数据"), "{}", bad.body);
        let gifts: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM donations")
            .fetch_one(app.db.pool())
            .await
            .unwrap();
        assert_eq!(gifts, 2, "the earlier gift and the one booked line");
    }
);

both!(
    the_public_rates_a_project_once_a_day,
    |app: App| async move {
        let all = domain::access::System::operator("test").scope();
        store::ledger::create_fund(
            &app.db,
            &Actor::cli("test"),
            &all,
            "SS-P1",
            "石寺社区幸福家园",
            "410323101001",
            domain::ledger::FundKind::Project,
        )
        .await
        .unwrap();
        let page = app.get("/public/funds/SS-P1", None).await;
        assert!(page.body.contains("满意度评价") && page.body.contains("还没有人评价"));
        let cookie_value = |name: &str| {
            page.cookies()
                .into_iter()
                .find_map(|c| {
                    c.strip_prefix(&format!("{name}="))
                        .map(|v| v.split(';').next().unwrap().to_string())
                })
                .unwrap_or_else(|| panic!("the page sets {name}"))
        };
        let token = cookie_value("sw_pre");
        // The visitor is a token the server signed and the browser keeps.
        let visitor = cookie_value("sw_visitor");
        let cookie = format!("sw_pre={token}; sw_visitor={visitor}");
        let rate = |cookie: String, rating: &'static str, comment: &'static str| {
            let (app, token) = (&app, token.clone());
            async move {
                app.post_form(
                    "/public/funds/SS-P1/feedback",
                    Some(&cookie),
                    &[("csrf", &token), ("rating", rating), ("comment", comment)],
                )
                .await
            }
        };
        let bad = rate(cookie.clone(), "9", "").await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(bad.body.contains("请选择 1 到 5 星"));
        // A visitor token the client made up counts for nothing.
        let made_up = rate(
            format!("sw_pre={token}; sw_visitor=0123456789abcdef"),
            "1",
            "",
        )
        .await;
        assert_eq!(made_up.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(made_up.body.contains("页面已过期"), "{}", made_up.body);
        let ok = rate(cookie.clone(), "4", "路灯修好了，谢谢").await;
        assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
        let twice = rate(cookie.clone(), "5", "").await;
        assert_eq!(twice.status, StatusCode::CONFLICT);
        assert!(twice.body.contains("今天已经评价过"));
        // The rating counts at once; the comment waits until the village lets it through.
        let page = app.get("/public/funds/SS-P1?thanks=1", None).await;
        assert!(page.body.contains("谢谢您的评价"));
        assert!(page.body.contains("<strong>4.00</strong>"));
        assert!(
            !page.body.contains("路灯修好了"),
            "not shown before moderation"
        );
        let staff = app.browser("shisi.village").await;
        let waiting = app
            .get("/orgs/410323101001/feedback", Some(&staff.cookie))
            .await;
        assert_eq!(waiting.status, StatusCode::OK);
        assert!(waiting.body.contains("路灯修好了"));
        let id: i64 = sqlx::query_scalar("SELECT id FROM project_feedback")
            .fetch_one(app.db.pool())
            .await
            .unwrap();
        // Another county's staff cannot see or decide it: as if it did not exist.
        let other = app.browser("laocheng.staff").await;
        let r = app
            .post_form(
                &format!("/orgs/410302/feedback/{id}"),
                Some(&other.cookie),
                &[("csrf", &other.csrf), ("decision", "show")],
            )
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        let r = app
            .post_form(
                &format!("/orgs/410323101001/feedback/{id}"),
                Some(&staff.cookie),
                &[("csrf", &staff.csrf), ("decision", "show")],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let page = app.get("/public/funds/SS-P1", None).await;
        assert!(page.body.contains("路灯修好了"));
        // Without the cookie's token the form is refused and nothing stored.
        let forged = app
            .post_form(
                "/public/funds/SS-P1/feedback",
                None,
                &[("csrf", &token), ("rating", "1")],
            )
            .await;
        assert_eq!(forged.status, StatusCode::FORBIDDEN);
        // One address gives at most five ratings a day, however many visitor tokens it holds
        // (the visit above used two of them: the counted one and the repeat).
        let mut statuses = Vec::new();
        for _ in 0..4 {
            let fresh = app.visitor("/public/funds/SS-P1").await;
            let page = app.get("/public/funds/SS-P1", Some(&fresh.cookie)).await;
            let v = page
                .cookies()
                .into_iter()
                .find_map(|c| {
                    c.strip_prefix("sw_visitor=")
                        .map(|v| v.split(';').next().unwrap().to_string())
                })
                .unwrap();
            let r = app
                .post_form(
                    "/public/funds/SS-P1/feedback",
                    Some(&format!("{}; sw_visitor={v}", fresh.cookie)),
                    &[("csrf", &fresh.csrf), ("rating", "5")],
                )
                .await;
            statuses.push(r.status.as_u16());
        }
        assert_eq!(statuses, [303, 303, 303, 429]);
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM project_feedback")
            .fetch_one(app.db.pool())
            .await
            .unwrap();
        assert_eq!(n, 4);
    }
);

/// A partner request signed as `SW1-HMAC-SHA256`, `skew_s` seconds off the clock.
fn signed(
    method: Method,
    path: &str,
    partner: i64,
    secret: &str,
    body: &str,
    skew_s: i64,
) -> Request<Body> {
    let ts = (store::now_ms() / 1000 + skew_s).to_string();
    let sig = domain::micro::sign(
        secret,
        &domain::micro::string_to_sign(method.as_str(), path, &ts, body.as_bytes()),
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

both!(
    the_partner_api_counts_orders_once_and_refuses_what_is_wrong,
    |app: App| async move {
        let all = domain::access::System::operator("test").scope();
        let cli = Actor::cli("test");
        app.county_fund().await;
        let new_partner = |code: &str, ends_on: &str| store::micro::NewPartner {
            name: "某电商平台".into(),
            credit_code: code.into(),
            org_code: "410323".into(),
            fund_code: "XA-GEN".into(),
            per_order_fen: 10,
            share_bp: 0,
            max_per_order_fen: 0,
            starts_on: "2020-01-01".into(),
            ends_on: ends_on.into(),
            settlement_days: 1,
            retention_days: store::micro::DEFAULT_RETENTION_DAYS,
        };
        let p = store::micro::create_partner(
            &app.db,
            &cli,
            &all,
            &new_partner("91350100M000100Y43", "2099-12-31"),
        )
        .await
        .unwrap();
        let path = "/api/v1/partner/micro-donations";
        let now = domain::time::fmt_china(store::now_ms()).replace(' ', "T") + "+08:00";
        let body = format!(
            r#"{{"batch_id":"b1","items":[
            {{"order_id":"A1","amount_fen":10,"occurred_at":"{now}"}},
            {{"order_id":"A2","amount_fen":0,"occurred_at":"{now}"}},
            {{"order_id":"A3","amount_fen":11,"occurred_at":"{now}"}},
            {{"order_id":"A4","amount_fen":-5,"occurred_at":"{now}"}},
            {{"order_id":"A5","amount_fen":"ten","occurred_at":"{now}"}},
            {{"order_id":"A6","amount_fen":10,"occurred_at":"yesterday"}},
            {{"order_id":"A7","amount_fen":10,"occurred_at":"{now}"}}]}}"#
        );
        let stored = || async {
            sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM micro_donations")
                .fetch_one(app.db.pool())
                .await
                .unwrap()
        };
        let r = app
            .send(signed(
                Method::POST,
                path,
                p.partner_id,
                &p.secret,
                &body,
                0,
            ))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let j = r.json();
        assert_eq!(j["accepted"], 2);
        assert_eq!(j["duplicates"], 0);
        let codes: Vec<(i64, String)> = j["rejected"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| {
                (
                    x["index"].as_i64().unwrap(),
                    x["code"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        assert_eq!(
            codes,
            [
                (1, "amount_zero".to_string()),
                (2, "amount_over_agreement".into()),
                (3, "amount_zero".into()),
                (4, "item_malformed".into()),
                (5, "occurred_at_invalid".into()),
            ]
        );
        assert!(
            j["rejected"][1]["message"]
                .as_str()
                .unwrap()
                .contains("上限")
        );
        // Sent again: duplicates, nothing new.
        let again = app
            .send(signed(
                Method::POST,
                path,
                p.partner_id,
                &p.secret,
                &body,
                0,
            ))
            .await;
        assert_eq!(
            (
                again.json()["accepted"].clone(),
                again.json()["duplicates"].clone()
            ),
            (0.into(), 2.into())
        );
        assert_eq!(stored().await, 2);
        // Refused before anything is read: a wrong secret, a replayed old timestamp, an unknown
        // partner, no signature at all.
        for (req, code) in [
            (
                signed(Method::POST, path, p.partner_id, "wrong", &body, 0),
                "signature_invalid",
            ),
            (
                signed(Method::POST, path, p.partner_id, &p.secret, &body, -301),
                "timestamp_stale",
            ),
            (
                signed(Method::POST, path, 999, &p.secret, &body, 0),
                "partner_unknown",
            ),
        ] {
            let r = app.send(req).await;
            assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{code}");
            assert_eq!(r.json()["code"], code);
        }
        let tampered = {
            let mut req = signed(Method::POST, path, p.partner_id, &p.secret, &body, 0);
            *req.body_mut() = Body::from(body.replace("A7", "A8"));
            req
        };
        assert_eq!(app.send(tampered).await.json()["code"], "signature_invalid");
        assert_eq!(stored().await, 2, "nothing stored for refused requests");
        // Malformed JSON, and a batch over the limit.
        let r = app
            .send(signed(
                Method::POST,
                path,
                p.partner_id,
                &p.secret,
                "{\"batch_id\":",
                0,
            ))
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST);
        assert_eq!(r.json()["code"], "invalid_json");
        let items: Vec<String> = (0..10_001)
            .map(|n| format!(r#"{{"order_id":"B{n}","amount_fen":10,"occurred_at":"{now}"}}"#))
            .collect();
        let big = format!(r#"{{"batch_id":"big","items":[{}]}}"#, items.join(","));
        let r = app
            .send(signed(Method::POST, path, p.partner_id, &p.secret, &big, 0))
            .await;
        assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", r.body);
        assert_eq!(r.json()["code"], "batch_too_large");
        assert_eq!(stored().await, 2);
        // The day's summary, signed with GET over the path and its query.
        let today = domain::time::china_day(store::now_ms());
        let q = format!("/api/v1/partner/summary?date={today}");
        let s = app
            .send(signed(Method::GET, &q, p.partner_id, &p.secret, "", 0))
            .await;
        assert_eq!(s.status, StatusCode::OK, "{}", s.body);
        assert_eq!(s.json()["accepted_count"], 2);
        assert_eq!(s.json()["accepted_fen"], 20);
        assert_eq!(s.json()["settled"], false);
        // A partner whose agreement has ended sends nothing in.
        let old = store::micro::create_partner(
            &app.db,
            &cli,
            &all,
            &new_partner("91410300MA4417000J", "2020-12-31"),
        )
        .await;
        let old = match old {
            Ok(o) => o,
            Err(e) => panic!("{e}"),
        };
        let r = app
            .send(signed(
                Method::POST,
                path,
                old.partner_id,
                &old.secret,
                &body,
                0,
            ))
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        assert_eq!(r.json()["code"], "agreement_inactive");
        assert_eq!(stored().await, 2);
    }
);

both!(
    an_admin_signs_a_partner_on_the_page_and_its_secret_works_once_shown,
    |app: App| async move {
        store::ledger::create_fund(
            &app.db,
            &Actor::cli("test"),
            &domain::access::System::operator("test").scope(),
            "LY-GEN",
            "洛阳市慈善联合总会非限定性资金",
            "4103",
            domain::ledger::FundKind::Unrestricted,
        )
        .await
        .unwrap();
        let admin = app.browser("city.admin").await;
        let fields = |per_order: &'static str| {
            vec![
                ("name", "洛阳优选电商平台"),
                ("credit_code", "91410300MA4417000J"),
                ("fund_code", "LY-GEN"),
                ("per_order_fen", per_order),
                ("starts_on", "2020-01-01"),
                ("ends_on", "2099-12-31"),
                ("settlement_days", "1"),
            ]
        };
        let mut bad = fields("0");
        bad.push(("csrf", &admin.csrf));
        let r = app
            .post_form("/orgs/4103/partners", Some(&admin.cookie), &bad)
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("金额不能为 0"), "{}", r.body);
        let mut good = fields("0.10");
        good.push(("csrf", &admin.csrf));
        let r = app
            .post_form("/orgs/4103/partners", Some(&admin.cookie), &good)
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let grab = |id: &str| {
            let start = r.body.find(&format!("id=\"{id}\">")).unwrap() + id.len() + 6;
            r.body[start..].split('<').next().unwrap().to_string()
        };
        let (partner_id, secret): (i64, String) =
            (grab("partner-id").parse().unwrap(), grab("partner-secret"));
        assert_eq!(secret.len(), 64);
        // The secret is not on the page again.
        let list = app.get("/orgs/4103/partners", Some(&admin.cookie)).await;
        assert!(list.body.contains("洛阳优选电商平台") && !list.body.contains(&secret));
        // And it signs requests.
        let today = domain::time::china_day(store::now_ms());
        let q = format!("/api/v1/partner/summary?date={today}");
        let s = app
            .send(signed(Method::GET, &q, partner_id, &secret, "", 0))
            .await;
        assert_eq!(s.status, StatusCode::OK, "{}", s.body);
        // Orders signed with it are stored. Once the page gives a new secret, the old one
        // stores nothing — though this server read the old key a moment ago — and the new one
        // does; once revoked, nothing is stored.
        let at = domain::time::fmt_china(store::now_ms()).replace(' ', "T") + "+08:00";
        let order = |secret: &str, n: usize| {
            let body = format!(
                r#"{{"batch_id":"t{n}","items":[{{"order_id":"T{n}","amount_fen":10,"occurred_at":"{at}"}}]}}"#
            );
            signed(
                Method::POST,
                "/api/v1/partner/micro-donations",
                partner_id,
                secret,
                &body,
                0,
            )
        };
        let r = app.send(order(&secret, 1)).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.json()["accepted"], 1);
        let rotated = app
            .post_form(
                &format!("/orgs/4103/partners/{partner_id}/rotate"),
                Some(&admin.cookie),
                &[("csrf", &admin.csrf)],
            )
            .await;
        assert_eq!(rotated.status, StatusCode::OK, "{}", rotated.body);
        let start = rotated.body.find("id=\"partner-secret\">").unwrap() + 20;
        let new_secret = rotated.body[start..].split('<').next().unwrap().to_string();
        assert_ne!(new_secret, secret);
        let r = app.send(order(&secret, 2)).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.body);
        assert_eq!(r.json()["code"], "signature_invalid");
        let r = app.send(order(&new_secret, 3)).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let revoked = app
            .post_form(
                &format!("/orgs/4103/partners/{partner_id}/revoke"),
                Some(&admin.cookie),
                &[("csrf", &admin.csrf)],
            )
            .await;
        assert!(revoked.status.is_redirection() || revoked.status.is_success());
        let r = app.send(order(&new_secret, 4)).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.body);
        assert_eq!(r.json()["code"], "partner_unknown");
        let stored: Vec<String> =
            sqlx::query_scalar("SELECT order_id FROM micro_donations ORDER BY order_id")
                .fetch_all(app.db.pool())
                .await
                .unwrap();
        assert_eq!(stored, ["T1", "T3"]);
        // A share of the order value, capped per order, settled weekly.
        let share = [
            ("csrf", admin.csrf.as_str()),
            ("name", "按比例电商"),
            ("credit_code", "91350100M000100Y43"),
            ("fund_code", "LY-GEN"),
            ("per_order_fen", ""),
            ("share_percent", "1.5%"),
            ("max_per_order", "5.00"),
            ("starts_on", "2020-01-01"),
            ("ends_on", "2099-12-31"),
            ("settlement_days", "7"),
        ];
        let r = app
            .post_form("/orgs/4103/partners", Some(&admin.cookie), &share)
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let listed = store::micro::partner_list(
            &app.db,
            &domain::access::System::operator("test").scope(),
            "/",
        )
        .await
        .unwrap();
        let p = listed.iter().find(|p| p.name == "按比例电商").unwrap();
        assert_eq!(
            (p.share_bp, p.max_per_order_fen, p.per_order_fen),
            (150, 500, 0)
        );
        // Only an admin signs agreements: the county's staff may not.
        let staff = app.browser("xinan.staff").await;
        let mut theirs = fields("0.10");
        theirs.push(("csrf", &staff.csrf));
        let r = app
            .post_form("/orgs/410323/partners", Some(&staff.cookie), &theirs)
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
    }
);

// Amounts are written yuan_fen.
#[allow(clippy::inconsistent_digit_grouping)]
#[path = "http/hardening.rs"]
mod hardening;

/// The edge never holds the whole-network capability: every scope it uses comes from a grant.
#[test]
fn the_edge_never_reaches_the_whole_network() {
    fn sources(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                sources(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    let mut files = Vec::new();
    sources(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut files,
    );
    assert!(files.len() >= 20, "{files:?}");
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        assert!(
            !text.contains("System::operator") && !text.contains("access::System"),
            "{} reaches the whole network",
            file.display()
        );
    }
}
