//! Volunteers on pages (issue 13 §1): a unit's volunteers with their ID numbers and phones
//! masked, the form that registers one by real name (a second registration of the same person
//! told only that they are a volunteer already), each volunteer's page where the ID number or
//! phone is read in full with a reason.

use super::form_data::FormData;
use super::{FieldErrors, Layout, render_as};
use crate::AppState;
use crate::auth::{InUnit, Viewer, perm};
use crate::error::AppError;
use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use domain::access::Permission;
use domain::volunteer::{Availability, VolunteerInput};
use std::collections::HashMap;
use store::org_units::OrgUnit;
use store::secrets::Detail;
use store::volunteers::Volunteer;

const SHOWN: i64 = 200;

#[derive(Template)]
#[template(path = "volunteers.html")]
struct ListPage {
    layout: Layout,
    unit: OrgUnit,
    volunteers: Vec<Volunteer>,
    total: i64,
    teams: Vec<store::teams::Team>,
    can_register: bool,
    network: Network,
    errors: FieldErrors,
    typed: HashMap<String, String>,
}

/// The workstation's liaison and the community's 慈善管家 (issue 13 §2), for the unit's page.
#[derive(Default)]
struct Network {
    workstation: bool,
    community: bool,
    liaison: Option<store::volunteer_network::Liaison>,
    steward: Option<store::volunteer_network::Steward>,
    steward_teams: Vec<store::teams::Team>,
    /// Teams of the township the steward may still link.
    linkable: Vec<store::teams::Team>,
}

const REGISTER_FIELDS: [&str; 7] = [
    "name",
    "id_number",
    "phone",
    "skills",
    "availability",
    "guardian_name",
    "guardian_relation",
];

impl ListPage {
    fn typed(&self, field: &str) -> String {
        self.typed.get(field).cloned().unwrap_or_default()
    }
    /// The registration itself was refused (not another form on the page).
    fn register_refused(&self) -> bool {
        REGISTER_FIELDS
            .iter()
            .any(|f| !self.errors.get(f).is_empty())
    }
    /// Volunteers registered at the unit itself: who may be its liaison.
    fn here(&self) -> Vec<&Volunteer> {
        self.volunteers
            .iter()
            .filter(|v| v.org_code == self.unit.code)
            .collect()
    }
    fn steward_levels(&self) -> Vec<(&'static str, String)> {
        domain::volunteer::SocialWorkerLevel::ALL
            .into_iter()
            .map(|l| (l.key(), self.layout.label(l)))
            .collect()
    }
    fn steward_band(&self) -> String {
        format!(
            "{}–{}",
            domain::volunteer::STEWARD_MIN_TEAMS,
            domain::volunteer::STEWARD_MAX_TEAMS
        )
    }
    fn availabilities(&self) -> Vec<(&'static str, String)> {
        Availability::ALL
            .into_iter()
            .map(|a| (a.key(), self.layout.label(a)))
            .collect()
    }
}

async fn list_page<P: perm::Perm>(
    state: &AppState,
    viewer: &Viewer,
    unit: InUnit<P>,
    errors: FieldErrors,
    typed: HashMap<String, String>,
) -> Result<Response, AppError> {
    let path = unit.unit().org_path.clone();
    let (volunteers, total) =
        store::volunteers::list(&state.db, unit.scope(), &path, SHOWN).await?;
    let teams = store::teams::teams(&state.db, unit.scope(), &path).await?;
    let can_register = unit.may(Permission::ManageVolunteers);
    let network = network_of(state, &unit).await?;
    let status = errors.status();
    let code = unit.unit().code.clone();
    Ok(render_as(
        &ListPage {
            layout: Layout::new(&viewer.ctx, &format!("/orgs/{code}/volunteers")),
            unit: unit.into_unit(),
            volunteers,
            total,
            teams,
            can_register,
            network,
            errors,
            typed,
        },
        status,
    ))
}

async fn network_of<P: perm::Perm>(
    state: &AppState,
    unit: &InUnit<P>,
) -> Result<Network, AppError> {
    use store::volunteer_network as net;
    let (db, scope, u) = (&state.db, unit.scope(), unit.unit());
    let workstation = u.level == domain::org::Level::Village;
    let community = domain::org::is_community(u.level, &u.name);
    let mut n = Network {
        workstation,
        community,
        ..Network::default()
    };
    if workstation {
        n.liaison = net::liaison(db, scope, &u.code).await?;
    }
    if community {
        n.steward = net::stewards(db, scope, &u.org_path)
            .await?
            .into_iter()
            .next();
        if let Some(s) = &n.steward {
            n.steward_teams = net::steward_teams(db, scope, s.id).await?;
            let township = domain::org::parent_path(&u.org_path);
            n.linkable = store::teams::teams(db, scope, &township)
                .await?
                .into_iter()
                .filter(|t| !n.steward_teams.iter().any(|l| l.id == t.id))
                .collect();
        }
    }
    Ok(n)
}

fn to_network(code: &str) -> Response {
    Redirect::to(&format!("/orgs/{code}/volunteers#network")).into_response()
}

/// Appoints a volunteer registered at the workstation as its liaison.
pub async fn appoint_liaison(
    State(state): State<AppState>,
    viewer: Viewer,
    unit: InUnit<perm::ManageVolunteers>,
    form: FormData,
) -> Result<Response, AppError> {
    let lang = viewer.ctx.lang;
    let mut errors = FieldErrors::default();
    let code = unit.unit().code.clone();
    match form.get("liaison_id").trim().parse::<i64>() {
        Err(_) => errors.insert("liaison_id", lang.error("liaison_not_here")),
        Ok(id) => match store::volunteer_network::appoint_liaison(
            &state.db,
            &unit.user().actor(),
            unit.scope(),
            &code,
            id,
        )
        .await
        {
            Ok(_) => return Ok(to_network(&code)),
            // The form names the field `liaison_id` (the team form has its own volunteer).
            Err(store::StoreError::Invalid(refused)) => {
                for e in refused {
                    errors.insert("liaison_id", lang.error(e.code));
                }
            }
            Err(other) => return Err(other.into()),
        },
    }
    list_page(&state, &viewer, unit, errors, HashMap::new()).await
}

/// Appoints the community's 慈善管家: name, certificate number, level.
pub async fn appoint_steward(
    State(state): State<AppState>,
    viewer: Viewer,
    unit: InUnit<perm::ManageVolunteers>,
    form: FormData,
) -> Result<Response, AppError> {
    let lang = viewer.ctx.lang;
    let typed = domain::volunteer::StewardInput {
        name: form.get("steward_name").into(),
        certificate_no: form.get("certificate_no").into(),
        level: form.get("level").into(),
    };
    let mut errors = FieldErrors::default();
    let code = unit.unit().code.clone();
    match typed.parse() {
        Err(refused) => errors.add(refused, lang),
        Ok(s) => match store::volunteer_network::appoint_steward(
            &state.db,
            &unit.user().actor(),
            unit.scope(),
            &code,
            &s,
        )
        .await
        {
            Ok(_) => return Ok(to_network(&code)),
            Err(refused) => errors.add_refusal(refused, lang)?,
        },
    }
    list_page(&state, &viewer, unit, errors, form.fields.clone()).await
}

/// Links a team of the township to the community's 慈善管家.
pub async fn link_steward_team(
    State(state): State<AppState>,
    viewer: Viewer,
    unit: InUnit<perm::ManageVolunteers>,
    Path((_, id)): Path<(String, i64)>,
    form: FormData,
) -> Result<Response, AppError> {
    let lang = viewer.ctx.lang;
    let mut errors = FieldErrors::default();
    let code = unit.unit().code.clone();
    // The steward must be this community's: another unit's answers as unknown.
    let own = store::volunteer_network::steward(&state.db, unit.scope(), id)
        .await?
        .filter(|s| s.org_code == code)
        .ok_or(AppError::NotFound)?;
    match form.get("team_id").trim().parse::<i64>() {
        Err(_) => errors.insert("team_id", lang.error("steward_team_far")),
        Ok(team) => match store::volunteer_network::link_team(
            &state.db,
            &unit.user().actor(),
            unit.scope(),
            own.id,
            team,
        )
        .await
        {
            Ok(_) => return Ok(to_network(&code)),
            Err(refused) => errors.add_refusal(refused, lang)?,
        },
    }
    list_page(&state, &viewer, unit, errors, HashMap::new()).await
}

pub async fn list(
    State(state): State<AppState>,
    viewer: Viewer,
    unit: InUnit<perm::ViewOrg>,
) -> Result<Response, AppError> {
    list_page(
        &state,
        &viewer,
        unit,
        FieldErrors::default(),
        HashMap::new(),
    )
    .await
}

/// Registers a volunteer at the unit: every problem beside its field, nothing stored.
pub async fn register(
    State(state): State<AppState>,
    viewer: Viewer,
    unit: InUnit<perm::ManageVolunteers>,
    form: FormData,
) -> Result<Response, AppError> {
    let lang = viewer.ctx.lang;
    let typed = VolunteerInput {
        name: form.get("name").into(),
        id_number: form.get("id_number").into(),
        phone: form.get("phone").into(),
        skills: form.get("skills").into(),
        availability: form.get("availability").into(),
        consent_publication: form.get("consent_publication") == "1",
        guardian_name: form.get("guardian_name").into(),
        guardian_relation: form.get("guardian_relation").into(),
    };
    let mut errors = FieldErrors::default();
    match typed.parse(&domain::time::china_day(store::now_ms())) {
        Err(refused) => errors.add(refused, lang),
        Ok(v) => {
            let code = unit.unit().code.clone();
            match store::volunteers::register(
                &state.db,
                &unit.user().actor(),
                unit.scope(),
                &code,
                &v,
            )
            .await
            {
                Ok(made) => {
                    return Ok(Redirect::to(&format!(
                        "/orgs/{code}/volunteers/{}?done=registered",
                        made.id
                    ))
                    .into_response());
                }
                Err(refused) => errors.add_refusal(refused, lang)?,
            }
        }
    }
    // What was typed comes back, but never the ID number or the phone.
    let mut kept = form.fields.clone();
    kept.remove("id_number");
    kept.remove("phone");
    list_page(&state, &viewer, unit, errors, kept).await
}

#[derive(Template)]
#[template(path = "volunteer.html")]
struct ShowPage {
    layout: Layout,
    unit: OrgUnit,
    v: Volunteer,
    can_reveal: bool,
    full: Option<(Detail, String)>,
    errors: FieldErrors,
    notice: Option<String>,
    hours: store::activities::VolunteerHours,
    stars: usize,
    places: Vec<(store::activities::Place, String, String)>,
    has_account: bool,
    /// Just opened: the username and the temporary password, shown this once.
    account: Option<(String, String)>,
    certificates: Vec<store::certificates::Certificate>,
    certificate_form: HashMap<String, String>,
}

impl ShowPage {
    fn typed(&self, field: &str) -> String {
        self.certificate_form
            .get(field)
            .cloned()
            .unwrap_or_default()
    }
    fn hours(&self, minutes: &i64) -> String {
        domain::activity::hours_text(*minutes)
    }
    fn star_text(&self) -> String {
        "★".repeat(self.stars)
    }
    fn full(&self, detail: &str) -> Option<&str> {
        self.full
            .as_ref()
            .filter(|(d, _)| d.key() == detail)
            .map(|(_, v)| v.as_str())
    }
}

/// What a volunteer's page shows besides the record: a detail read in full, a notice, an account
/// just opened.
#[derive(Default)]
struct Shown {
    full: Option<(Detail, String)>,
    notice: Option<String>,
    account: Option<(String, String)>,
    /// What was typed into the certificate form, when it comes back.
    typed: HashMap<String, String>,
}

async fn show_page<P: perm::Perm>(
    state: &AppState,
    viewer: &Viewer,
    unit: InUnit<P>,
    id: i64,
    errors: FieldErrors,
    shown: Shown,
) -> Result<Response, AppError> {
    let Shown {
        full,
        notice,
        account,
        typed,
    } = shown;
    let mut certificate_form = HashMap::from([
        (
            "from_day".to_string(),
            format!("{}-01-01", super::this_year()),
        ),
        ("until_day".to_string(), super::today()),
        // The unit's contact phone, or else its site: where the certificate can be checked.
        ("contact".to_string(), {
            let f = &unit.unit().facts;
            if f.contact_phone.is_empty() {
                f.site_address.clone()
            } else {
                f.contact_phone.clone()
            }
        }),
    ]);
    certificate_form.extend(typed);
    let v = store::volunteers::volunteer(&state.db, unit.scope(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    let can_reveal = unit.may(Permission::ManageVolunteers);
    let hours = store::activities::hours_of(&state.db, v.id).await?;
    let stars = store::activities::star_levels(&state.db, &v.org_path)
        .await?
        .stars(hours.minutes);
    let places = store::activities::places_of(&state.db, v.id, 20).await?;
    let has_account = store::volunteers::has_account(&state.db, v.id).await?;
    let certificates = store::certificates::of_volunteer(&state.db, v.id).await?;
    let status = errors.status();
    let code = unit.unit().code.clone();
    Ok(render_as(
        &ShowPage {
            layout: Layout::new(&viewer.ctx, &format!("/orgs/{code}/volunteers/{id}")),
            unit: unit.into_unit(),
            v,
            can_reveal,
            full,
            errors,
            notice,
            hours,
            stars,
            places,
            has_account,
            account,
            certificates,
            certificate_form,
        },
        status,
    ))
}

/// The volunteer's page again, with what the certificate form was refused for.
pub async fn show_with_errors<P: perm::Perm>(
    state: &AppState,
    viewer: &Viewer,
    unit: InUnit<P>,
    id: i64,
    errors: FieldErrors,
    form: FormData,
) -> Result<Response, AppError> {
    let shown = Shown {
        typed: form.fields.clone(),
        ..Shown::default()
    };
    show_page(state, viewer, unit, id, errors, shown).await
}

pub async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    unit: InUnit<perm::ViewOrg>,
    Path((_, id)): Path<(String, i64)>,
    axum::extract::Query(q): axum::extract::Query<super::beneficiaries::DoneQuery>,
) -> Result<Response, AppError> {
    let notice = (q.done.as_deref() == Some("registered"))
        .then(|| viewer.ctx.lang.t("volunteers.done.registered").into_owned());
    let shown = Shown {
        notice,
        ..Shown::default()
    };
    show_page(&state, &viewer, unit, id, FieldErrors::default(), shown).await
}

/// The ID number or phone in full, with a reason that goes in the trail.
pub async fn reveal(
    State(state): State<AppState>,
    viewer: Viewer,
    unit: InUnit<perm::ManageVolunteers>,
    Path((_, id)): Path<(String, i64)>,
    form: FormData,
) -> Result<Response, AppError> {
    let mut errors = FieldErrors::default();
    let mut full = None;
    match Detail::parse(form.get("detail")) {
        None => errors.insert("detail", viewer.ctx.lang.error("reveal_detail_missing")),
        Some(detail) => match store::volunteers::reveal(
            &state.db,
            &unit.user().actor(),
            unit.scope(),
            id,
            detail,
            form.get("reason"),
        )
        .await
        {
            Ok(n) => full = Some((detail, n)),
            Err(refused) => errors.add_refusal(refused, viewer.ctx.lang)?,
        },
    }
    let shown = Shown {
        full,
        ..Shown::default()
    };
    show_page(&state, &viewer, unit, id, errors, shown).await
}

/// Opens the volunteer's own sign-in; the temporary password is shown this once.
pub async fn open_account(
    State(state): State<AppState>,
    viewer: Viewer,
    unit: InUnit<perm::ManageVolunteers>,
    Path((_, id)): Path<(String, i64)>,
) -> Result<Response, AppError> {
    let mut errors = FieldErrors::default();
    let mut account = None;
    match store::volunteers::open_account(&state.db, &unit.user().actor(), unit.scope(), id).await {
        Ok(opened) => account = Some(opened),
        Err(refused) => errors.add_refusal(refused, viewer.ctx.lang)?,
    }
    let shown = Shown {
        account,
        ..Shown::default()
    };
    show_page(&state, &viewer, unit, id, errors, shown).await
}

/// Forms a team at the unit: its name (unique there) and what it does.
pub async fn create_team(
    State(state): State<AppState>,
    viewer: Viewer,
    unit: InUnit<perm::ManageVolunteers>,
    form: FormData,
) -> Result<Response, AppError> {
    let lang = viewer.ctx.lang;
    let typed = domain::volunteer::TeamInput {
        name: form.get("team_name").into(),
        focus: form.get("focus").into(),
    };
    let mut errors = FieldErrors::default();
    match typed.parse() {
        // The form names the team's field `team_name` (the register form has its own `name`).
        Err(refused) => {
            for e in refused {
                let field = if e.field == "name" {
                    "team_name"
                } else {
                    e.field
                };
                errors.insert(field, lang.error(e.code));
            }
        }
        Ok(t) => {
            let code = unit.unit().code.clone();
            match store::teams::create(&state.db, &unit.user().actor(), unit.scope(), &code, &t)
                .await
            {
                Ok(team) => {
                    return Ok(
                        Redirect::to(&format!("/orgs/{code}/teams/{}", team.id)).into_response()
                    );
                }
                Err(store::StoreError::Conflict(_)) => {
                    errors.insert("team_name", lang.error("team_name_taken"));
                }
                Err(other) => return Err(other.into()),
            }
        }
    }
    list_page(&state, &viewer, unit, errors, form.fields.clone()).await
}

#[derive(Template)]
#[template(path = "team.html")]
struct TeamPage {
    layout: Layout,
    unit: OrgUnit,
    team: store::teams::Team,
    members: Vec<store::teams::Member>,
    /// Volunteers of the team's unit who may join.
    candidates: Vec<Volunteer>,
    can_manage: bool,
    errors: FieldErrors,
}

async fn team_page<P: perm::Perm>(
    state: &AppState,
    viewer: &Viewer,
    unit: InUnit<P>,
    id: i64,
    errors: FieldErrors,
) -> Result<Response, AppError> {
    let (db, scope) = (&state.db, unit.scope());
    let team = store::teams::team(db, scope, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let members = store::teams::members(db, scope, id).await?;
    let can_manage = unit.may(Permission::ManageVolunteers);
    let candidates = if can_manage {
        let (all, _) = store::volunteers::list(db, scope, &team.org_path, SHOWN).await?;
        all.into_iter()
            .filter(|v| !members.iter().any(|m| m.volunteer.id == v.id))
            .collect()
    } else {
        Vec::new()
    };
    let status = errors.status();
    let code = unit.unit().code.clone();
    Ok(render_as(
        &TeamPage {
            layout: Layout::new(&viewer.ctx, &format!("/orgs/{code}/teams/{id}")),
            unit: unit.into_unit(),
            team,
            members,
            candidates,
            can_manage,
            errors,
        },
        status,
    ))
}

pub async fn team(
    State(state): State<AppState>,
    viewer: Viewer,
    unit: InUnit<perm::ViewOrg>,
    Path((_, id)): Path<(String, i64)>,
) -> Result<Response, AppError> {
    team_page(&state, &viewer, unit, id, FieldErrors::default()).await
}

/// A volunteer of the unit joins the team (leading it, if ticked).
pub async fn add_member(
    State(state): State<AppState>,
    viewer: Viewer,
    unit: InUnit<perm::ManageVolunteers>,
    Path((_, id)): Path<(String, i64)>,
    form: FormData,
) -> Result<Response, AppError> {
    let lang = viewer.ctx.lang;
    let mut errors = FieldErrors::default();
    match form.get("volunteer_id").trim().parse::<i64>() {
        Err(_) => errors.insert("volunteer_id", lang.error("volunteer_unknown")),
        Ok(volunteer_id) => {
            let m = store::teams::NewMember {
                team_id: id,
                volunteer_id,
                leads: form.get("leads") == "1",
            };
            match store::teams::add_member(&state.db, &unit.user().actor(), unit.scope(), &m).await
            {
                Ok(()) => {
                    return Ok(
                        Redirect::to(&format!("/orgs/{}/teams/{id}", unit.unit().code))
                            .into_response(),
                    );
                }
                Err(store::StoreError::Conflict(_)) => {
                    errors.insert("volunteer_id", lang.error("team_member_already"));
                }
                Err(refused) => errors.add_refusal(refused, lang)?,
            }
        }
    }
    team_page(&state, &viewer, unit, id, errors).await
}

/// The export's columns, in the five blocks of 志愿服务条例 art. 19 (docs/ARCHITECTURE.md
/// lists them): identity, service, training, honours, evaluation.
pub const EXPORT_HEADERS: [&str; 19] = [
    "身份信息:志愿者编号",
    "身份信息:姓名",
    "身份信息:证件类型",
    "身份信息:证件号码",
    "身份信息:出生日期",
    "身份信息:所属单位代码",
    "身份信息:所属单位",
    "身份信息:技能",
    "身份信息:同意公开",
    "服务信息:累计服务时长(小时)",
    "服务信息:本年服务时长(小时)",
    "服务信息:服务次数",
    "服务信息:最近服务日期",
    "培训信息:培训课程",
    "培训信息:培训时长(小时)",
    "培训信息:结业证书编号",
    "表彰信息:表彰奖励",
    "评价信息:星级",
    "评价信息:登记日期",
];

fn export_csv(
    unit: &OrgUnit,
    records: &[store::volunteers::Record],
    full: bool,
) -> Result<Response, AppError> {
    use xfer::export::Cell;
    let hours = |m: i64| Cell::Text(domain::activity::hours_text(m));
    let rows: Vec<Vec<Cell>> = records
        .iter()
        .map(|r| {
            let v = &r.volunteer;
            vec![
                Cell::Text(v.number.clone()),
                Cell::Text(v.name.clone()),
                Cell::Text("居民身份证".into()),
                Cell::Text(r.id_number.clone()),
                Cell::Text(v.born_on.clone()),
                Cell::Text(v.org_code.clone()),
                Cell::Text(v.org_name.clone()),
                Cell::Text(v.skills.join("、")),
                Cell::Text(if v.consent_publication { "是" } else { "否" }.into()),
                hours(r.minutes),
                hours(r.minutes_this_year),
                Cell::Int(r.services),
                Cell::Text(r.last_served_on.clone()),
                Cell::Text(r.courses.join("；")),
                hours(r.training_minutes),
                Cell::Text(r.training_certificates.join("；")),
                Cell::Text(r.honours.join("；")),
                Cell::Int(r.stars as i64),
                Cell::Text(domain::time::china_day(v.registered_at_ms)),
            ]
        })
        .collect();
    let bytes =
        xfer::export::write_table(xfer::export::Format::Csv, "志愿者", &EXPORT_HEADERS, &rows)
            .map_err(AppError::Internal)?;
    let which = if full { "完整" } else { "脱敏" };
    Ok(super::download(
        "text/csv; charset=utf-8",
        &format!("volunteers-{}.csv", unit.code),
        &format!("{}志愿者记录（{which}）.csv", unit.name),
        bytes,
    ))
}

/// The unit's volunteers as CSV in the five blocks, ID numbers masked.
pub async fn export(
    State(state): State<AppState>,
    unit: InUnit<perm::ManageVolunteers>,
) -> Result<Response, AppError> {
    let records = store::volunteers::records(
        &state.db,
        &unit.user().actor(),
        unit.scope(),
        unit.unit(),
        None,
    )
    .await?;
    export_csv(unit.unit(), &records, false)
}

/// The same with ID numbers in full, for a national system's import: the reason goes in the
/// trail; without one, the page says so beside the field.
pub async fn export_full(
    State(state): State<AppState>,
    viewer: Viewer,
    unit: InUnit<perm::ManageVolunteers>,
    form: FormData,
) -> Result<Response, AppError> {
    match store::volunteers::records(
        &state.db,
        &unit.user().actor(),
        unit.scope(),
        unit.unit(),
        Some(form.get("export_reason")),
    )
    .await
    {
        Ok(records) => export_csv(unit.unit(), &records, true),
        Err(store::StoreError::Invalid(_)) => {
            let mut errors = FieldErrors::default();
            errors.insert(
                "export_reason",
                viewer.ctx.lang.error("reveal_reason_missing"),
            );
            list_page(&state, &viewer, unit, errors, HashMap::new()).await
        }
        Err(other) => Err(other.into()),
    }
}
