//! Honours (issue 13 §6, M17): rounds run by a unit for an award and a year, seen by the unit's
//! subtree and by every unit below it that takes part; nominations from those units, reviewed one
//! level at a time up to the round's unit, which selects them; public notice with objections and
//! (when the round has one) a public vote of one vote per phone number, counted by the phone's
//! blind index and limited per address in the database; the announcement. Every write by staff is
//! in the trail with the round's unit.

use crate::audit::{self, Actor, Change};
use crate::limits::{self, Limit, RetryAt};
use crate::org_units::OrgUnit;
use crate::{Db, Result, StoreError, now_ms};
use domain::FieldError;
use domain::access::Scope;
use domain::honour::{NewNomination, NewRound, NominationState, NominationStep, RoundState};
use serde::Serialize;
use serde_json::json;
use sqlx::Row;

/// Public votes and objections per address: 20 an hour each.
pub const PUBLIC_ACTS_PER_ADDRESS: Limit = Limit::per_minutes(20, 60);

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Round {
    pub id: i64,
    pub org_code: String,
    pub org_name: String,
    pub org_path: String,
    pub year: i64,
    pub award: String,
    pub places: i64,
    pub notice_days: i64,
    pub public_vote: bool,
    pub state: RoundState,
    pub notice_from: String,
    pub notice_until: String,
    pub selected: i64,
}

const ROUND_COLUMNS: &str = "r.id, r.org_code, u.name AS org_name, r.org_path, r.year, r.award, \
     r.places, r.notice_days, r.public_vote, r.state, r.notice_from, r.notice_until, \
     (SELECT COUNT(*) FROM honour_nominations n WHERE n.round_id = r.id \
      AND n.state IN ('selected', 'honoured')) AS selected";
const ROUND_FROM: &str = "honour_rounds r JOIN org_units u ON u.code = r.org_code";

fn round_from_row(r: &sqlx::any::AnyRow) -> Result<Round> {
    Ok(Round {
        id: r.try_get("id")?,
        org_code: r.try_get("org_code")?,
        org_name: r.try_get("org_name")?,
        org_path: r.try_get("org_path")?,
        year: r.try_get("year")?,
        award: r.try_get("award")?,
        places: r.try_get("places")?,
        notice_days: r.try_get("notice_days")?,
        public_vote: r.try_get::<i64, _>("public_vote")? != 0,
        state: crate::closed_set(r, "state", RoundState::parse)?,
        notice_from: r.try_get("notice_from")?,
        notice_until: r.try_get("notice_until")?,
        selected: r.try_get("selected")?,
    })
}

async fn round_by_id(db: &Db, id: i64) -> Result<Option<Round>> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {ROUND_COLUMNS} FROM {ROUND_FROM} WHERE r.id = $1"
    )))
    .bind(id)
    .fetch_optional(db.pool())
    .await?
    .as_ref()
    .map(round_from_row)
    .transpose()
}

/// A round as a unit inside the scope sees it: one it runs or one of its subtree, or one run
/// above it, which it takes part in.
pub async fn round(db: &Db, scope: &Scope, unit: &OrgUnit, id: i64) -> Result<Option<Round>> {
    if !scope.contains(&unit.org_path) {
        return Ok(None);
    }
    Ok(round_by_id(db, id)
        .await?
        .filter(|r| scope.contains(&r.org_path) || unit.org_path.starts_with(&r.org_path)))
}

/// The rounds a unit sees: those above it it takes part in, and those of its subtree.
pub async fn rounds(db: &Db, scope: &Scope, unit: &OrgUnit) -> Result<Vec<Round>> {
    if !scope.contains(&unit.org_path) {
        return Ok(Vec::new());
    }
    let (lo, hi) = domain::org::subtree_bounds(&unit.org_path);
    let above = domain::org::paths_up_to(&unit.org_path);
    let sql = format!(
        "SELECT {ROUND_COLUMNS} FROM {ROUND_FROM} WHERE (r.org_path >= $1 AND r.org_path < $2) \
         OR r.org_path IN ({}) ORDER BY r.year DESC, r.id DESC",
        crate::placeholders(3, above.len())
    );
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(lo).bind(hi);
    for p in &above {
        q = q.bind(p);
    }
    q.fetch_all(db.pool())
        .await?
        .iter()
        .map(round_from_row)
        .collect()
}

/// Opens a round at a unit inside the scope; the same award twice in a year is refused.
pub async fn create_round(
    db: &Db,
    actor: &Actor,
    scope: &Scope,
    org_code: &str,
    r: &NewRound,
) -> Result<Round> {
    let unit = crate::org_units::get(db, scope, org_code)
        .await?
        .ok_or(StoreError::NotFound)?;
    let mut tx = db.begin_write().await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO honour_rounds (org_code, org_path, year, award, places, notice_days, \
         public_vote, state, created_by, created_at_ms) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, 'nominating', $8, $9) RETURNING id",
    )
    .bind(&unit.code)
    .bind(&unit.org_path)
    .bind(r.year)
    .bind(&r.award)
    .bind(r.places)
    .bind(r.notice_days)
    .bind(i16::from(r.public_vote))
    .bind(&actor.name)
    .bind(now_ms())
    .fetch_one(&mut *tx)
    .await
    .map_err(|e| match crate::conflict_as("award")(e) {
        StoreError::Conflict(_) => FieldError::new("award", "award_taken").into(),
        other => other,
    })?;
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "honour.create_round",
            org_path: &unit.org_path,
            entity: format!("honour:{id}"),
            before: None,
            after: Some(json!({
                "award": r.award, "year": r.year, "places": r.places,
                "notice_days": r.notice_days, "public_vote": r.public_vote,
            })),
        },
    )
    .await?;
    tx.commit().await?;
    round_by_id(db, id).await?.ok_or(StoreError::NotFound)
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Nomination {
    pub id: i64,
    pub round_id: i64,
    pub org_code: String,
    pub org_name: String,
    pub org_path: String,
    pub nominee: String,
    pub volunteer_id: Option<i64>,
    /// Confirmed service minutes, when the nominee is a registered volunteer: evidence.
    pub volunteer_minutes: i64,
    pub donor_id: Option<i64>,
    /// Their gifts not reversed, when the nominee is a registered donor: evidence.
    pub donor_gifts: domain::money::Fen,
    pub story: String,
    pub consent: bool,
    pub state: NominationState,
    pub reviewing_path: String,
    pub reviewing_name: String,
    pub votes: i64,
    pub nominated_by: String,
    pub nominated_at_ms: i64,
}

const NOMINATION_COLUMNS: &str = "n.id, n.round_id, n.org_code, u.name AS org_name, n.org_path, \
     n.nominee, n.volunteer_id, \
     (SELECT CAST(COALESCE(SUM(h.minutes), 0) AS BIGINT) FROM service_hours h \
      WHERE h.volunteer_id = n.volunteer_id) AS volunteer_minutes, n.donor_id, \
     (SELECT CAST(COALESCE(SUM(d.amount_fen), 0) AS BIGINT) FROM donations d \
      WHERE d.donor_id = n.donor_id AND d.reversed_by_id IS NULL) AS donor_gifts_fen, \
     n.story, n.consent, n.state, n.reviewing_path, \
     COALESCE((SELECT w.name FROM org_units w WHERE w.org_path = n.reviewing_path), '') \
      AS reviewing_name, n.votes, n.nominated_by, n.nominated_at_ms";
const NOMINATION_FROM: &str = "honour_nominations n JOIN org_units u ON u.code = n.org_code";

fn nomination_from_row(r: &sqlx::any::AnyRow) -> Result<Nomination> {
    Ok(Nomination {
        id: r.try_get("id")?,
        round_id: r.try_get("round_id")?,
        org_code: r.try_get("org_code")?,
        org_name: r.try_get("org_name")?,
        org_path: r.try_get("org_path")?,
        nominee: r.try_get("nominee")?,
        volunteer_id: r.try_get("volunteer_id")?,
        volunteer_minutes: r.try_get("volunteer_minutes")?,
        donor_id: r.try_get("donor_id")?,
        donor_gifts: domain::money::Fen::new(r.try_get("donor_gifts_fen")?),
        story: r.try_get("story")?,
        consent: r.try_get::<i64, _>("consent")? != 0,
        state: crate::closed_set(r, "state", NominationState::parse)?,
        reviewing_path: r.try_get("reviewing_path")?,
        reviewing_name: r.try_get("reviewing_name")?,
        votes: r.try_get("votes")?,
        nominated_by: r.try_get("nominated_by")?,
        nominated_at_ms: r.try_get("nominated_at_ms")?,
    })
}

/// The nominations of a round inside the scope.
pub async fn nominations(db: &Db, scope: &Scope, round_id: i64) -> Result<Vec<Nomination>> {
    let (lo, hi) = scope.path_bounds();
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {NOMINATION_COLUMNS} FROM {NOMINATION_FROM} \
         WHERE n.round_id = $1 AND n.org_path >= $2 AND n.org_path < $3 ORDER BY n.id"
    )))
    .bind(round_id)
    .bind(lo)
    .bind(hi)
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(nomination_from_row)
    .collect()
}

async fn nomination_by_id(conn: &mut sqlx::AnyConnection, id: i64) -> Result<Option<Nomination>> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {NOMINATION_COLUMNS} FROM {NOMINATION_FROM} WHERE n.id = $1"
    )))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?
    .as_ref()
    .map(nomination_from_row)
    .transpose()
}

/// Who is nominated, by which unit, with what.
#[derive(Debug, Clone)]
pub struct NominationAt<'a> {
    pub round_id: i64,
    /// The nominating unit: the round's own or one below it, inside the scope.
    pub unit: &'a OrgUnit,
    /// A registered volunteer of the scope, when the nominee is one (their hours are evidence).
    pub volunteer_id: Option<i64>,
    /// A donor of the scope, when the nominee is one (their gifts are evidence).
    pub donor_id: Option<i64>,
    pub nomination: &'a NewNomination,
}

/// Nominates someone while the round takes nominations; the unit above reviews it first.
pub async fn nominate(db: &Db, actor: &Actor, scope: &Scope, at: &NominationAt<'_>) -> Result<i64> {
    let r = round(db, scope, at.unit, at.round_id)
        .await?
        .ok_or(StoreError::NotFound)?;
    if !at.unit.org_path.starts_with(&r.org_path) {
        return Err(StoreError::NotFound);
    }
    if r.state != RoundState::Nominating {
        return Err(FieldError::new("nominee", "round_not_nominating").into());
    }
    if let Some(v) = at.volunteer_id
        && crate::volunteers::volunteer(db, scope, v).await?.is_none()
    {
        return Err(FieldError::new("volunteer_id", "volunteer_unknown").into());
    }
    if let Some(d) = at.donor_id
        && crate::donors::view(db, scope, d).await?.is_none()
    {
        return Err(FieldError::new("donor", "donor_unknown").into());
    }
    let reviewing = if at.unit.org_path == r.org_path {
        r.org_path.clone()
    } else {
        domain::org::parent_path(&at.unit.org_path)
    };
    let n = at.nomination;
    let mut tx = db.begin_write().await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO honour_nominations (round_id, org_code, org_path, nominee, volunteer_id, \
         donor_id, story, consent, state, reviewing_path, nominated_by, nominated_at_ms) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'nominated', $9, $10, $11) RETURNING id",
    )
    .bind(r.id)
    .bind(&at.unit.code)
    .bind(&at.unit.org_path)
    .bind(&n.nominee)
    .bind(at.volunteer_id)
    .bind(at.donor_id)
    .bind(&n.story)
    .bind(i16::from(n.consent))
    .bind(&reviewing)
    .bind(&actor.name)
    .bind(now_ms())
    .fetch_one(&mut *tx)
    .await?;
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "honour.nominate",
            org_path: &at.unit.org_path,
            entity: format!("honour:{}", r.id),
            before: None,
            after: Some(json!({
                "nomination": id, "nominee": n.nominee, "volunteer": at.volunteer_id,
                "donor": at.donor_id, "consent": n.consent,
            })),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// The reviewing unit recommends a nomination one level up (at the round's unit: selects it,
/// within the round's places) or declines it with a reason.
pub async fn review(
    db: &Db,
    actor: &Actor,
    scope: &Scope,
    unit: &OrgUnit,
    nomination_id: i64,
    step: NominationStep,
    note: &str,
) -> Result<Nomination> {
    let note = domain::text::prose(note);
    let mut tx = db.begin_write().await?;
    let n = nomination_by_id(&mut tx, nomination_id)
        .await?
        .filter(|n| scope.contains(&n.org_path))
        .ok_or(StoreError::NotFound)?;
    let r = round_by_id(db, n.round_id)
        .await?
        .ok_or(StoreError::NotFound)?;
    if !matches!(step, NominationStep::Recommend | NominationStep::Decline) {
        return Err(FieldError::new("step", "nomination_closed").into());
    }
    if n.reviewing_path != unit.org_path || !scope.contains(&unit.org_path) {
        return Err(FieldError::new("note", "nomination_not_yours").into());
    }
    if r.state != RoundState::Nominating {
        return Err(FieldError::new("note", "round_not_nominating").into());
    }
    if step == NominationStep::Decline && note.chars().count() < 2 {
        return Err(FieldError::new("note", "nomination_reason_missing").into());
    }
    let at_top = n.reviewing_path == r.org_path;
    let next = n
        .state
        .next(step, at_top)
        .map_err(|code| StoreError::from(FieldError::new("note", code)))?;
    if next == NominationState::Selected && r.selected >= r.places {
        return Err(FieldError::new("note", "award_places_full").into());
    }
    let reviewing = if step == NominationStep::Recommend && !at_top {
        domain::org::parent_path(&n.reviewing_path)
    } else {
        n.reviewing_path.clone()
    };
    sqlx::query("UPDATE honour_nominations SET state = $1, reviewing_path = $2 WHERE id = $3")
        .bind(next.key())
        .bind(&reviewing)
        .bind(n.id)
        .execute(&mut *tx)
        .await?;
    let step_key = match step {
        NominationStep::Recommend if at_top => "select",
        NominationStep::Recommend => "recommend",
        _ => "decline",
    };
    sqlx::query(
        "INSERT INTO honour_reviews (nomination_id, org_path, step, note, reviewed_by, \
         reviewed_at_ms) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(n.id)
    .bind(&unit.org_path)
    .bind(step_key)
    .bind(&note)
    .bind(&actor.name)
    .bind(now_ms())
    .execute(&mut *tx)
    .await?;
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "honour.review",
            org_path: &unit.org_path,
            entity: format!("honour:{}", r.id),
            before: Some(json!({ "nomination": n.id, "state": n.state.key() })),
            after: Some(
                json!({ "nomination": n.id, "state": next.key(), "step": step_key, "note": note }),
            ),
        },
    )
    .await?;
    let after = nomination_by_id(&mut tx, n.id)
        .await?
        .ok_or(StoreError::NotFound)?;
    tx.commit().await?;
    Ok(after)
}

async fn own_round(db: &Db, scope: &Scope, unit: &OrgUnit, id: i64) -> Result<Round> {
    round(db, scope, unit, id)
        .await?
        .filter(|r| r.org_path == unit.org_path)
        .ok_or(StoreError::NotFound)
}

/// The round's unit puts the selected on notice from `today` for the round's working days.
pub async fn start_notice(
    db: &Db,
    actor: &Actor,
    scope: &Scope,
    unit: &OrgUnit,
    id: i64,
    today: &str,
) -> Result<Round> {
    let r = own_round(db, scope, unit, id).await?;
    if r.state != RoundState::Nominating {
        return Err(FieldError::new("notice", "round_not_nominating").into());
    }
    let selected: Vec<Nomination> = nominations(db, scope, r.id)
        .await?
        .into_iter()
        .filter(|n| n.state == NominationState::Selected)
        .collect();
    if selected.is_empty() {
        return Err(FieldError::new("notice", "round_nobody_selected").into());
    }
    if selected.iter().any(|n| !n.consent) {
        return Err(FieldError::new("notice", "nomination_consent_missing").into());
    }
    let until = domain::honour::add_working_days(today, r.notice_days)
        .ok_or_else(|| StoreError::from(FieldError::new("notice", "date_invalid")))?;
    let mut tx = db.begin_write().await?;
    sqlx::query(
        "UPDATE honour_rounds SET state = 'notice', notice_from = $1, notice_until = $2 \
         WHERE id = $3 AND state = 'nominating'",
    )
    .bind(today)
    .bind(&until)
    .bind(r.id)
    .execute(&mut *tx)
    .await?;
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "honour.start_notice",
            org_path: &r.org_path,
            entity: format!("honour:{}", r.id),
            before: Some(json!({ "state": "nominating" })),
            after: Some(json!({ "state": "notice", "from": today, "until": until, "nominees": selected.len() })),
        },
    )
    .await?;
    tx.commit().await?;
    round_by_id(db, r.id).await?.ok_or(StoreError::NotFound)
}

/// Announces the round once its notice is over and every objection is answered.
pub async fn announce(
    db: &Db,
    actor: &Actor,
    scope: &Scope,
    unit: &OrgUnit,
    id: i64,
    today: &str,
) -> Result<Round> {
    let r = own_round(db, scope, unit, id).await?;
    if r.state != RoundState::Notice {
        return Err(FieldError::new("announce", "round_not_on_notice").into());
    }
    if today <= r.notice_until.as_str() {
        return Err(FieldError::new("announce", "notice_not_over").into());
    }
    let open: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM honour_objections o JOIN honour_nominations n ON n.id = o.nomination_id \
         WHERE n.round_id = $1 AND o.state = 'open'",
    )
    .bind(r.id)
    .fetch_one(db.pool())
    .await?;
    if open > 0 {
        return Err(FieldError::new("announce", "objections_open").into());
    }
    let mut tx = db.begin_write().await?;
    let honoured = sqlx::query(
        "UPDATE honour_nominations SET state = 'honoured' WHERE round_id = $1 AND state = 'selected'",
    )
    .bind(r.id)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    sqlx::query("UPDATE honour_rounds SET state = 'announced', announced_at_ms = $1 WHERE id = $2")
        .bind(now_ms())
        .bind(r.id)
        .execute(&mut *tx)
        .await?;
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "honour.announce",
            org_path: &r.org_path,
            entity: format!("honour:{}", r.id),
            before: Some(json!({ "state": "notice" })),
            after: Some(json!({ "state": "announced", "honoured": honoured })),
        },
    )
    .await?;
    tx.commit().await?;
    round_by_id(db, r.id).await?.ok_or(StoreError::NotFound)
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Objection {
    pub id: i64,
    pub nomination_id: i64,
    pub nominee: String,
    pub text: String,
    pub state: String,
    pub answer: String,
    pub filed_at_ms: i64,
}

/// The objections to a round's nominees (for the round's unit).
pub async fn objections(db: &Db, scope: &Scope, unit: &OrgUnit, id: i64) -> Result<Vec<Objection>> {
    let r = own_round(db, scope, unit, id).await?;
    sqlx::query(
        "SELECT o.id, o.nomination_id, n.nominee, o.text, o.state, o.answer, o.filed_at_ms \
         FROM honour_objections o JOIN honour_nominations n ON n.id = o.nomination_id \
         WHERE n.round_id = $1 ORDER BY CASE WHEN o.state = 'open' THEN 0 ELSE 1 END, o.id",
    )
    .bind(r.id)
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(|r| {
        Ok(Objection {
            id: r.try_get("id")?,
            nomination_id: r.try_get("nomination_id")?,
            nominee: r.try_get("nominee")?,
            text: r.try_get("text")?,
            state: r.try_get("state")?,
            answer: r.try_get("answer")?,
            filed_at_ms: r.try_get("filed_at_ms")?,
        })
    })
    .collect()
}

/// The answer to an objection.
#[derive(Debug, Clone, Copy)]
pub struct ObjectionAnswer<'a> {
    pub objection_id: i64,
    /// Upheld: the nominee is taken off; else dismissed.
    pub uphold: bool,
    pub answer: &'a str,
}

/// The round's unit answers an objection, with an answer either way.
pub async fn answer_objection(
    db: &Db,
    actor: &Actor,
    scope: &Scope,
    unit: &OrgUnit,
    id: i64,
    a: &ObjectionAnswer<'_>,
) -> Result<()> {
    let (objection_id, uphold) = (a.objection_id, a.uphold);
    let r = own_round(db, scope, unit, id).await?;
    let answer = domain::text::prose(a.answer);
    if answer.chars().count() < 2 || answer.chars().count() > 500 {
        return Err(FieldError::new("answer", "objection_answer_missing").into());
    }
    let o = objections(db, scope, unit, id)
        .await?
        .into_iter()
        .find(|o| o.id == objection_id)
        .ok_or(StoreError::NotFound)?;
    if o.state != "open" {
        return Err(FieldError::new("answer", "objection_answered").into());
    }
    let mut tx = db.begin_write().await?;
    sqlx::query(
        "UPDATE honour_objections SET state = $1, answer = $2, answered_by = $3, \
         answered_at_ms = $4 WHERE id = $5",
    )
    .bind(if uphold { "upheld" } else { "dismissed" })
    .bind(&answer)
    .bind(&actor.name)
    .bind(now_ms())
    .bind(o.id)
    .execute(&mut *tx)
    .await?;
    if uphold {
        sqlx::query(
            "UPDATE honour_nominations SET state = 'declined' WHERE id = $1 AND state = 'selected'",
        )
        .bind(o.nomination_id)
        .execute(&mut *tx)
        .await?;
    }
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "honour.answer_objection",
            org_path: &r.org_path,
            entity: format!("honour:{}", r.id),
            before: Some(json!({ "objection": o.id, "state": "open" })),
            after: Some(json!({ "objection": o.id, "upheld": uphold, "answer": answer })),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// A round as the public sees it: on notice or announced, with its nominees' names, stories,
/// votes (all of whom consented).
pub async fn public_rounds(db: &Db) -> Result<Vec<Round>> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {ROUND_COLUMNS} FROM {ROUND_FROM} WHERE r.state IN ('notice', 'announced') \
         ORDER BY r.year DESC, r.id DESC LIMIT 100"
    )))
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(round_from_row)
    .collect()
}

pub async fn public_round(db: &Db, id: i64) -> Result<Option<(Round, Vec<Nomination>)>> {
    let Some(r) = round_by_id(db, id)
        .await?
        .filter(|r| r.state != RoundState::Nominating)
    else {
        return Ok(None);
    };
    let shown: Vec<Nomination> = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {NOMINATION_COLUMNS} FROM {NOMINATION_FROM} WHERE n.round_id = $1 \
         AND n.state IN ('selected', 'honoured') AND n.consent = 1 ORDER BY n.id"
    )))
    .bind(r.id)
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(nomination_from_row)
    .collect::<Result<_>>()?;
    Ok(Some((r, shown)))
}

/// Whether the public may still act on a round on `today`: on notice and not past it.
fn open_for_public(r: &Round, today: &str) -> bool {
    r.state == RoundState::Notice && today <= r.notice_until.as_str()
}

/// A member of the public objects to a nominee on notice. Counted per address first.
pub async fn object(
    db: &Db,
    round_id: i64,
    nomination_id: i64,
    text: &str,
    client: &str,
    today: &str,
) -> Result<std::result::Result<(), RetryAt>> {
    if let Err(retry) = limits::take(
        db,
        &format!("honour_addr:{client}"),
        PUBLIC_ACTS_PER_ADDRESS,
    )
    .await?
    {
        return Ok(Err(retry));
    }
    let (r, shown) = public_round(db, round_id)
        .await?
        .ok_or(StoreError::NotFound)?;
    if !open_for_public(&r, today) {
        return Err(FieldError::new("text", "round_not_on_notice").into());
    }
    if !shown
        .iter()
        .any(|n| n.id == nomination_id && n.state == NominationState::Selected)
    {
        return Err(FieldError::new("nomination_id", "nomination_unknown").into());
    }
    let text = domain::text::prose(text);
    if text.chars().count() < 10 || text.chars().count() > 1000 {
        return Err(FieldError::new("text", "objection_text_length").into());
    }
    let mut tx = db.begin_write().await?;
    sqlx::query(
        "INSERT INTO honour_objections (nomination_id, text, state, filed_at_ms) \
         VALUES ($1, $2, 'open', $3)",
    )
    .bind(nomination_id)
    .bind(&text)
    .bind(now_ms())
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(Ok(()))
}

/// A member of the public votes for a nominee: one vote per phone number per round, the number
/// kept only as its blind index. Counted per address first.
pub async fn vote(
    db: &Db,
    round_id: i64,
    nomination_id: i64,
    phone: &str,
    client: &str,
    today: &str,
) -> Result<std::result::Result<(), RetryAt>> {
    if let Err(retry) = limits::take(
        db,
        &format!("honour_addr:{client}"),
        PUBLIC_ACTS_PER_ADDRESS,
    )
    .await?
    {
        return Ok(Err(retry));
    }
    let (r, shown) = public_round(db, round_id)
        .await?
        .ok_or(StoreError::NotFound)?;
    if !r.public_vote || !open_for_public(&r, today) {
        return Err(FieldError::new("phone", "vote_closed").into());
    }
    if !shown
        .iter()
        .any(|n| n.id == nomination_id && n.state == NominationState::Selected)
    {
        return Err(FieldError::new("nomination_id", "nomination_unknown").into());
    }
    let phone = domain::text::normalize(phone);
    if !(phone.len() == 11 && phone.starts_with('1') && phone.bytes().all(|b| b.is_ascii_digit())) {
        return Err(FieldError::new("phone", "vote_phone_invalid").into());
    }
    let index = db.data_key()?.seal_phone(&phone).index;
    let mut tx = db.begin_write().await?;
    sqlx::query(
        "INSERT INTO honour_votes (round_id, phone_index, nomination_id, voted_at_ms) \
         VALUES ($1, $2, $3, $4)",
    )
    .bind(r.id)
    .bind(&index)
    .bind(nomination_id)
    .bind(now_ms())
    .execute(&mut *tx)
    .await
    .map_err(|e| match crate::conflict_as("phone")(e) {
        StoreError::Conflict(_) => FieldError::new("phone", "vote_already").into(),
        other => other,
    })?;
    sqlx::query("UPDATE honour_nominations SET votes = votes + 1 WHERE id = $1")
        .bind(nomination_id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(Ok(()))
}
