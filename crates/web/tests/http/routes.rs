//! Every route against outsiders, and the edge that never reaches the whole network.

use crate::helpers::*;

// Every route, walked by a stranger, by a user of another county, and by the right user.
both_backends!(every_route_refuses_outsiders, |app: App| async move {
    let outsider = app.browser("laocheng.admin").await;
    let outsider_token = app.api_token("laocheng.admin").await;
    let insider = app.browser("city.admin").await;
    let insider_token = app.api_token("city.admin").await;
    let target = "410323101001"; // in 新安县, outside 老城区
    // Project 1: a key project of the walked village, audited and closed (its report to
    // download); the fund below is project 2's, approved and raising.
    store::testing::closed_key_project(&app.db, "WALK-DONE", "走查已结项目", target).await;
    store::testing::approved_project(&app.db, "WALK-FUND", "走查用项目资金", target).await;
    // A receipt to walk to: the range belongs to 新安县, the gift to the walked village.
    store::receipts::register_range(
        &app.db,
        &Actor::cli("test"),
        &domain::access::System::operator("test").scope(),
        &store::testing::receipt_range("410323", "41030126", 1, 100),
    )
    .await
    .unwrap();
    let walk_gift =
        store::donations::NewDonation::cash("WALK-FUND", domain::money::Fen::new(100), "走查", "");
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
        &store::audit::Person {
            user_id: maker.id,
            username: maker.username.clone(),
        },
        &domain::access::System::operator("test").scope(),
        &domain::disbursement::NewDisbursement::parse(
            "WALK-FUND",
            "走查商户",
            domain::money::Fen::new(50),
            domain::ledger::FunctionCode::Program,
            "走查",
        )
        .unwrap(),
        // Evidence to walk to (id 1).
        &[store::disbursements::EvidenceUpload {
            file_name: "发票.pdf".into(),
            bytes: b"%PDF-1.4 walk".to_vec(),
        }],
    )
    .await
    .unwrap();
    // A partner to walk to (id 1), signed by the walked village.
    store::commerce::create_merchant(
        &app.db,
        &Actor::cli("test"),
        &domain::access::System::operator("test").scope(),
        &store::commerce::NewMerchant {
            name: "走查电商".into(),
            credit_code: "91410300MA4417000J".into(),
            org_code: target.into(),
            fund_code: "WALK-FUND".into(),
            per_order: domain::money::Fen::new(10),
            share_bp: 0,
            max_per_order: domain::money::Fen::new(10),
            starts_on: "2020-01-01".into(),
            ends_on: "2099-12-31".into(),
            settlement_days: 1,
            retention_days: store::commerce::DEFAULT_RETENTION_DAYS,
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
                amount: domain::money::Fen::new(500),
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
    // A staged "三有" upload of the walked village (id 1) that changes nothing when applied.
    store::facts_uploads::stage(
        &app.db,
        &Actor::cli("test"),
        &domain::access::System::operator("test").scope(),
        &domain::org::DivisionCode::parse(target).unwrap().path(),
        "walk.csv",
        &[domain::org::FactsRow {
            row: 2,
            code: target.into(),
            ..Default::default()
        }],
        store::now_ms(),
    )
    .await
    .unwrap();
    // A template of the city (id 1), which the walked village may take up.
    store::projects::publish_template(
        &app.db,
        &Actor::cli("test"),
        &domain::access::System::operator("test").scope(),
        "4103",
        &domain::project::TemplateInput {
            code: "WALK".into(),
            name: "走查模板".into(),
            tier: "village".into(),
            project_type: "relief".into(),
            goals: "走查".into(),
            beneficiaries: "走查".into(),
            budget: vec![("走查".into(), "1".into(), false)],
            indicators: vec![("走查".into(), "1".into(), "人".into())],
            locked: Default::default(),
        }
        .parse()
        .unwrap(),
    )
    .await
    .unwrap();
    // A campaign of the city (id 1), seen by every unit below it, and a disclosure (id 1) of
    // the walked village's project 1.
    let today = domain::time::china_day(store::now_ms());
    store::campaigns::file(
        &app.db,
        &Actor::cli("test"),
        &domain::access::System::operator("test").scope(),
        "4103",
        &domain::campaign::CampaignInput {
            code: "WALK".into(),
            name: "走查募捐".into(),
            purpose: "走查".into(),
            starts_on: today.clone(),
            ends_on: domain::time::add_days(&today, 90).unwrap(),
            area: "洛阳市".into(),
            person_in_charge: "走查".into(),
            office_address: "走查".into(),
            ways_of_giving: "走查".into(),
            bank_account_name: "走查".into(),
            bank_name: "走查".into(),
            bank_account: "12345678".into(),
            beneficiaries: "走查".into(),
            use_of_funds: "走查".into(),
            fundraising_cost: "0".into(),
            surplus_handling: "走查".into(),
            filing_number: "WALK-1".into(),
            filed_on: domain::time::add_days(&today, -10).unwrap(),
            emergency: false,
        }
        .parse()
        .unwrap(),
    )
    .await
    .unwrap();
    let all = domain::access::System::operator("test").scope();
    let walked = store::disclosures::project_subject(&app.db, &all, 1)
        .await
        .unwrap()
        .unwrap();
    store::disclosures::publish(
        &app.db,
        &Actor::cli("test"),
        &all,
        &walked,
        &domain::disclosure::DisclosureInput {
            kind: "progress".into(),
            seq: "1".into(),
            title: "走查".into(),
            body: "走查".into(),
            ..Default::default()
        }
        .parse()
        .unwrap(),
    )
    .await
    .unwrap();
    // A beneficiary (id 1) of the walked village.
    store::beneficiaries::register(
        &app.db,
        &Actor::cli("test"),
        &domain::access::System::operator("test").scope(),
        target,
        &domain::beneficiary::PersonInput {
            name: "走查".into(),
            id_number: "11010519491231002X".into(),
            phone: String::new(),
            ..Default::default()
        }
        .parse("2026-12-07")
        .unwrap(),
    )
    .await
    .unwrap();
    // Household 1, headed by beneficiary 1; merge proposal 1: the same person registered
    // again by the neighbouring village, waiting at their township.
    store::households::found(
        &app.db,
        &Actor::cli("test"),
        &domain::access::System::operator("test").scope(),
        1,
    )
    .await
    .unwrap();
    let next_village = domain::org::DivisionCode::parse("410323101002").unwrap();
    store::beneficiaries::register(
        &app.db,
        &Actor::cli("test"),
        &domain::access::authorize(
            &[domain::access::Grant {
                role: domain::access::Role::Staff,
                org_code: next_village.as_str().into(),
                org_path: next_village.path(),
            }],
            domain::access::Permission::HandleNeeds,
            &next_village.path(),
        )
        .unwrap(),
        next_village.as_str(),
        &domain::beneficiary::PersonInput {
            name: "走查".into(),
            id_number: "11010519491231002X".into(),
            ..Default::default()
        }
        .parse("2026-12-07")
        .unwrap(),
    )
    .await
    .unwrap();
    // Agency lists: roster 1 staged at the walked village, waiting for its columns; roster 2
    // matched there as import 1.
    let operator = domain::access::System::operator("test").scope();
    let mut staged = Vec::new();
    for _ in 0..2 {
        let up = store::agency_lists::stage(
            &app.db,
            &Actor::cli("test"),
            &operator,
            &store::agency_lists::NewUpload {
                org_code: target.into(),
                file_name: "走查名册.csv".into(),
                headers: vec!["身份证号".into()],
                rows: 1,
                bytes: "身份证号\n11010519491231002X\n".as_bytes(),
            },
            store::now_ms(),
        )
        .await
        .unwrap();
        staged.push(up.id);
    }
    let target_path = domain::org::DivisionCode::parse(target).unwrap().path();
    store::agency_lists::match_roster(
        &app.db,
        &Actor::cli("test"),
        &operator,
        &store::agency_lists::NewMatch {
            upload_id: staged[1],
            unit_path: target_path,
            list: domain::agency::ImportInput {
                kind: "dibao".into(),
                source: "走查民政局".into(),
                legal_basis: "走查依据".into(),
                purpose: "走查目的".into(),
                necessity: "走查必要".into(),
                risks: "走查风险".into(),
                measures: "走查措施".into(),
                assessed_on: "2026-01-01".into(),
                valid_until: domain::time::china_day(store::now_ms() + 30 * 86_400_000),
            }
            .parse(&domain::time::china_day(store::now_ms()))
            .unwrap(),
            by_blind_index: false,
            rows: &[domain::agency::RosterRow {
                row: 2,
                id: "11010519491231002X".into(),
                division: String::new(),
                category: String::new(),
            }],
        },
        &domain::time::china_day(store::now_ms()),
        store::now_ms(),
    )
    .await
    .unwrap();
    // A volunteer (id 1) of the walked village.
    store::volunteers::register(
        &app.db,
        &Actor::cli("test"),
        &domain::access::System::operator("test").scope(),
        target,
        &domain::volunteer::VolunteerInput {
            name: "走查".into(),
            id_number: "11010519491231002X".into(),
            phone: "13903791234".into(),
            availability: "anytime".into(),
            ..Default::default()
        }
        .parse("2026-12-07")
        .unwrap(),
    )
    .await
    .unwrap();
    // A team (id 1) of the walked village.
    store::teams::create(
        &app.db,
        &Actor::cli("test"),
        &domain::access::System::operator("test").scope(),
        target,
        &domain::volunteer::TeamInput {
            name: "走查服务队".into(),
            focus: String::new(),
        }
        .parse()
        .unwrap(),
    )
    .await
    .unwrap();
    // An activity (id 1) of the walked village, happening now, its volunteer signed in and out
    // and asking for a correction (id 1).
    {
        let operator = domain::access::System::operator("test").scope();
        let now = store::now_ms();
        let activity = store::activities::create(
            &app.db,
            &Actor::cli("test"),
            &operator,
            &store::activities::NewActivityAt {
                org_code: target,
                team_id: Some(1),
                project_code: None,
                activity: &domain::activity::NewActivity {
                    title: "走查活动".into(),
                    place: "走查".into(),
                    starts_at_ms: now - 3_600_000,
                    ends_at_ms: now + 3_600_000,
                    places: 5,
                    content: String::new(),
                },
            },
        )
        .await
        .unwrap();
        let by = store::activities::By::Organiser(&operator);
        store::activities::sign_up(&app.db, &Actor::cli("test"), by, activity.id, 1, now)
            .await
            .unwrap();
        for (step, at_ms) in [
            (domain::activity::AttendanceStep::SignIn, now - 1_800_000),
            (domain::activity::AttendanceStep::SignOut, now),
            (domain::activity::AttendanceStep::Confirm, now),
        ] {
            let s = store::activities::Step {
                activity_id: activity.id,
                volunteer_id: 1,
                step,
                check_key: None,
                at_ms,
            };
            store::activities::step(&app.db, &Actor::cli("test"), by, &s)
                .await
                .unwrap();
        }
        let v = store::volunteers::volunteer(&app.db, &operator, 1)
            .await
            .unwrap()
            .unwrap();
        store::activities::ask_correction(
            &app.db,
            &Actor::cli("test"),
            &v,
            activity.id,
            &domain::activity::NewCorrection {
                signed_in_ms: now - 3_600_000,
                signed_out_ms: now,
                reason: "走查".into(),
            },
        )
        .await
        .unwrap();
        // Its certificate (id 1).
        let today = domain::time::china_day(now);
        store::certificates::issue(
            &app.db,
            &Actor::cli("test"),
            &operator,
            &store::certificates::NewCertificate {
                volunteer_id: 1,
                org_code: target,
                from_day: &today,
                until_day: &today,
                contact: "走查",
            },
        )
        .await
        .unwrap();
    }
    // A course (id 1) of the walked village's township, with a session (id 1) held today.
    {
        let operator = domain::access::System::operator("test").scope();
        let course = store::training::create(
            &app.db,
            &Actor::cli("test"),
            &operator,
            &target[..9],
            &domain::training::NewCourse {
                title: "走查培训".into(),
                content: String::new(),
            },
        )
        .await
        .unwrap();
        store::training::add_session(
            &app.db,
            &Actor::cli("test"),
            &operator,
            course.id,
            &domain::training::NewSession {
                held_on: domain::time::china_day(store::now_ms()),
                place: "走查".into(),
                minutes: 60,
            },
        )
        .await
        .unwrap();
    }
    // An honours round (id 1) run by the walked village itself, its nomination (id 1) selected
    // and on notice, with a public objection (id 1).
    {
        let operator = domain::access::System::operator("test").scope();
        let village = store::org_units::get(&app.db, &operator, target)
            .await
            .unwrap()
            .unwrap();
        let year: i64 = domain::time::china_day(store::now_ms())[..4]
            .parse()
            .unwrap();
        let round = store::honours::create_round(
            &app.db,
            &Actor::cli("test"),
            &operator,
            target,
            &domain::honour::NewRound {
                award: "走查之星".into(),
                year,
                places: 2,
                notice_days: 5,
                public_vote: true,
            },
        )
        .await
        .unwrap();
        let nomination = store::honours::nominate(
            &app.db,
            &Actor::cli("test"),
            &operator,
            &store::honours::NominationAt {
                round_id: round.id,
                unit: &village,
                volunteer_id: Some(1),
                donor_id: None,
                nomination: &domain::honour::NewNomination {
                    nominee: "走查".into(),
                    story: "走查走查走查走查走查走查走查走查走查走查".into(),
                    consent: true,
                },
            },
        )
        .await
        .unwrap();
        store::honours::review(
            &app.db,
            &Actor::cli("test"),
            &operator,
            &village,
            nomination,
            domain::honour::NominationStep::Recommend,
            "",
        )
        .await
        .unwrap();
        let today = domain::time::china_day(store::now_ms());
        store::honours::start_notice(
            &app.db,
            &Actor::cli("test"),
            &operator,
            &village,
            round.id,
            &today,
        )
        .await
        .unwrap();
        store::honours::object(
            &app.db,
            round.id,
            nomination,
            "走查异议走查异议走查异议",
            "walk",
            &today,
        )
        .await
        .unwrap()
        .unwrap();
    }
    // A joint meeting (id 1) of the walked village's county, with a decision (id 1) the village
    // owns.
    {
        let operator = domain::access::System::operator("test").scope();
        let meeting = store::meetings::convene(
            &app.db,
            &Actor::cli("test"),
            &operator,
            &store::meetings::NewMeetingAt {
                org_code: &target[..6],
                unit_codes: &[],
                meeting: &domain::meeting::NewMeeting {
                    title: "走查联席会议".into(),
                    held_on: "2026-11-20".into(),
                    place: "走查".into(),
                    departments: vec!["民政局".into()],
                    minutes: "走查纪要走查纪要走查纪要".into(),
                },
            },
        )
        .await
        .unwrap();
        store::meetings::decide(
            &app.db,
            &Actor::cli("test"),
            &operator,
            meeting.id,
            &domain::meeting::NewDecision {
                text: "走查决定".into(),
                owner_code: target.into(),
                due_on: "2099-12-31".into(),
            },
        )
        .await
        .unwrap();
    }
    // A culture site (id 1) of the walked village's county, with a photo (id 1).
    {
        let operator = domain::access::System::operator("test").scope();
        let site = store::culture::create(
            &app.db,
            &Actor::cli("test"),
            &operator,
            &target[..6],
            &domain::culture::NewSite {
                kind: domain::culture::SiteKind::Corridor,
                name: "走查文化长廊".into(),
                location: "走查走查走查".into(),
                opened_on: "2025-01-01".into(),
            },
        )
        .await
        .unwrap();
        store::culture::add_photo(
            &app.db,
            &Actor::cli("test"),
            &operator,
            site.id,
            "walk.png",
            b"\x89PNG\r\n\x1a\nwalk",
        )
        .await
        .unwrap();
    }
    // A charity supermarket (id 1) of the walked village, on its project fund, with goods (id 1).
    {
        let operator = domain::access::System::operator("test").scope();
        let market = store::supermarkets::create(
            &app.db,
            &Actor::cli("test"),
            &operator,
            target,
            &domain::supermarket::NewSupermarket {
                name: "走查爱心超市".into(),
                address: "走查走查".into(),
                fund_code: "WALK-FUND".into(),
            },
        )
        .await
        .unwrap();
        store::supermarkets::add_goods(
            &app.db,
            &Actor::cli("test"),
            &operator,
            market.id,
            &domain::supermarket::NewGoods {
                name: "走查大米".into(),
                category: domain::supermarket::Category::GrainOil,
                unit: "袋".into(),
                price: domain::money::Fen::new(100),
            },
        )
        .await
        .unwrap();
    }
    // A central kitchen (id 1) of the walked village's township and the village's meal point
    // (id 2) on its project fund.
    {
        let operator = domain::access::System::operator("test").scope();
        let site = |kind, name: &str, kitchen, fund: &str| domain::meals::NewSite {
            kind,
            name: name.into(),
            address: "走查走查".into(),
            capacity: 30,
            kitchen_id: kitchen,
            price: domain::money::Fen::new(1_200),
            fund_code: fund.into(),
        };
        let kitchen = store::meals::create(
            &app.db,
            &Actor::cli("test"),
            &operator,
            &target[..9],
            &site(domain::meals::SiteKind::Kitchen, "走查中央厨房", None, ""),
        )
        .await
        .unwrap();
        store::meals::create(
            &app.db,
            &Actor::cli("test"),
            &operator,
            target,
            &site(
                domain::meals::SiteKind::Point,
                "走查助餐点",
                Some(kitchen.id),
                "WALK-FUND",
            ),
        )
        .await
        .unwrap();
    }
    // The walked community's 慈善管家 (id 1).
    store::volunteer_network::appoint_steward(
        &app.db,
        &Actor::cli("test"),
        &domain::access::System::operator("test").scope(),
        target,
        &domain::volunteer::NewSteward {
            name: "走查".into(),
            certificate_no: "WALK0001".into(),
            level: domain::volunteer::SocialWorkerLevel::Assistant,
        },
    )
    .await
    .unwrap();
    // A need (id 1) raised at the walked village.
    store::needs::raise(
        &app.db,
        &Actor::cli("test"),
        &domain::access::System::operator("test").scope(),
        target,
        &domain::need::NeedInput {
            category: "medical".into(),
            urgency: "urgent".into(),
            description: "走查求助".into(),
            person: "走查".into(),
            channel: "phone".into(),
        }
        .parse()
        .unwrap(),
        store::now_ms(),
    )
    .await
    .unwrap();
    // The city's serious-illness alliance (id 1) of 新安县 and 老城区, and an application (id 1)
    // for need 1, linked to beneficiary 1.
    {
        let operator = domain::access::System::operator("test").scope();
        let cli = Actor::cli("test");
        store::ledger::create_fund(
            &app.db,
            &cli,
            &operator,
            &domain::ledger::NewFund::parse(
                "WALK-POOL",
                "走查资金池",
                "4103",
                domain::ledger::FundKind::Special,
            )
            .unwrap(),
        )
        .await
        .unwrap();
        let alliance = store::alliances::create(
            &app.db,
            &cli,
            &operator,
            "4103",
            &domain::alliance::NewAlliance {
                name: "走查大病救助联盟".into(),
                fund_code: "WALK-POOL".into(),
                cap: domain::money::Fen::new(100_000),
                share_permille: 500,
                members: vec![
                    ("410323".into(), domain::money::Fen::new(100)),
                    ("410302".into(), domain::money::Fen::new(100)),
                ],
            },
        )
        .await
        .unwrap();
        store::needs::link_person(&app.db, &cli, &operator, 1, 1)
            .await
            .unwrap();
        store::alliances::apply(
            &app.db,
            &cli,
            &operator,
            alliance.id,
            &domain::alliance::NewApplication {
                need_id: 1,
                bill: domain::money::Fen::new(10_000),
                insurance: domain::money::Fen::new(5_000),
                requested: domain::money::Fen::new(2_000),
            },
            "2026-12-07",
        )
        .await
        .unwrap();
    }
    // A complaint about the walked village (id 1), handled by its township.
    store::complaints::file(
        &app.db,
        &store::complaints::Filing {
            about: store::complaints::About::Unit(target),
            complaint: &domain::complaint::NewComplaint::parse(
                "complaint",
                "走查投诉：村里公示栏没有更新。",
                "",
                "",
            )
            .unwrap(),
            client: "walk",
            per_address: store::complaints::DEFAULT_COMPLAINTS_PER_ADDRESS,
            at_ms: store::now_ms(),
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
        // A template or campaign is the city's, for every unit below it: the sibling county
        // reads the same one by design (one of another city is unseen: store tests).
        if spec.path.contains("/templates/") || spec.path.contains("/campaigns/") {
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
    app.add_user("city.reviewer", Role::Reviewer, "4103").await;
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
            Access::Merchant => {
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
            .fen(),
        200,
        "the walk's own gift and the insider's, nothing from the outsider"
    );
    // Nothing the outsider did changed the unit (its one service team is the walk's registered
    // team, counted when it was formed).
    assert_eq!(app.facts_of(target).await, (String::new(), 1));
    // Every write the walk made is in the trail with the unit it concerns.
    let without_unit: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE org_path = '' OR org_code = ''")
            .fetch_one(app.db.pool())
            .await
            .unwrap();
    assert_eq!(without_unit, 0);
});

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

/// The browser test's phone check (`tests/e2e/pages.json`) opens every page the router serves:
/// a GET route that is not an API route is either on its list or says why it is no page.
#[test]
fn the_phone_check_opens_every_page() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/e2e/pages.json");
    let list: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let mut listed: Vec<String> = list["pages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["route"].as_str().unwrap().to_string())
        .collect();
    for p in list["pages"].as_array().unwrap() {
        assert!(
            p["url"].is_string() != p["from"].is_string(),
            "{p}: a url or a list to follow, not both"
        );
    }
    listed.extend(list["not_a_page"].as_object().unwrap().keys().cloned());
    listed.sort();
    let before = listed.len();
    listed.dedup();
    assert_eq!(before, listed.len(), "a route listed twice");
    let mut routes: Vec<String> = route_specs()
        .into_iter()
        .filter(|s| s.method == Method::GET && !s.path.starts_with("/api/"))
        .map(|s| s.path)
        .collect();
    routes.sort();
    assert_eq!(listed, routes);
}
