//! Needs (help requests, M13): raised at a workstation or any unit, accepted, responded to and
//! resolved — or referred to another unit or a project, or declined with a reason — each on a
//! clock set by its category and urgency (DOMAIN-FACTS: hotline practice, GB/T 33358-2016 and
//! city 12345 rules). A need whose clock has run out escalates to the unit above, and response
//! times are measured for every need. (Issue 12 §1: this is its first part; the store and the
//! pages follow.)

use crate::FieldError;
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NeedCategory {
    Medical,
    Education,
    ElderlyCare,
    Disability,
    Disaster,
    Other,
}

impl NeedCategory {
    pub const ALL: [NeedCategory; 6] = [
        NeedCategory::Medical,
        NeedCategory::Education,
        NeedCategory::ElderlyCare,
        NeedCategory::Disability,
        NeedCategory::Disaster,
        NeedCategory::Other,
    ];

    pub fn key(self) -> &'static str {
        match self {
            NeedCategory::Medical => "medical",
            NeedCategory::Education => "education",
            NeedCategory::ElderlyCare => "elderly_care",
            NeedCategory::Disability => "disability",
            NeedCategory::Disaster => "disaster",
            NeedCategory::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<NeedCategory> {
        NeedCategory::ALL.into_iter().find(|c| c.key() == s.trim())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Urgency {
    /// Someone's health or safety is at stake now: first contact within two hours, a result
    /// within a day (临时救助's 先行救助).
    Urgent,
    Ordinary,
}

impl Urgency {
    pub const ALL: [Urgency; 2] = [Urgency::Urgent, Urgency::Ordinary];

    pub fn key(self) -> &'static str {
        match self {
            Urgency::Urgent => "urgent",
            Urgency::Ordinary => "ordinary",
        }
    }

    pub fn parse(s: &str) -> Option<Urgency> {
        Urgency::ALL.into_iter().find(|u| u.key() == s.trim())
    }
}

const HOUR_MS: i64 = 3_600_000;
const DAY_MS: i64 = 24 * HOUR_MS;

/// How long a need may wait: for its first response, and to be resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Clock {
    pub respond_within_ms: i64,
    pub resolve_within_ms: i64,
}

/// The clock of a need of `category` and `urgency`. Urgent: first contact within two hours, a
/// result within 24 hours. Ordinary: first contact within one day and a result within seven;
/// schooling and disability needs are complex cases (a school place, rehabilitation) and get
/// fifteen.
pub fn clock(category: NeedCategory, urgency: Urgency) -> Clock {
    match (urgency, category) {
        (Urgency::Urgent, _) => Clock {
            respond_within_ms: 2 * HOUR_MS,
            resolve_within_ms: DAY_MS,
        },
        (Urgency::Ordinary, NeedCategory::Education | NeedCategory::Disability) => Clock {
            respond_within_ms: DAY_MS,
            resolve_within_ms: 15 * DAY_MS,
        },
        (Urgency::Ordinary, _) => Clock {
            respond_within_ms: DAY_MS,
            resolve_within_ms: 7 * DAY_MS,
        },
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NeedState {
    Raised,
    Accepted,
    /// Someone has been in touch and help is under way.
    Responded,
    Resolved,
    /// Handed on to another unit or a project.
    Referred,
    /// Not for us, with the reason the person is told.
    Declined,
}

impl NeedState {
    pub const ALL: [NeedState; 6] = [
        NeedState::Raised,
        NeedState::Accepted,
        NeedState::Responded,
        NeedState::Resolved,
        NeedState::Referred,
        NeedState::Declined,
    ];

    pub fn key(self) -> &'static str {
        match self {
            NeedState::Raised => "raised",
            NeedState::Accepted => "accepted",
            NeedState::Responded => "responded",
            NeedState::Resolved => "resolved",
            NeedState::Referred => "referred",
            NeedState::Declined => "declined",
        }
    }

    pub fn parse(s: &str) -> Option<NeedState> {
        NeedState::ALL.into_iter().find(|x| x.key() == s.trim())
    }

    /// Still waiting on someone.
    pub fn is_open(self) -> bool {
        matches!(
            self,
            NeedState::Raised | NeedState::Accepted | NeedState::Responded
        )
    }

    /// Its first response has been given (or it ended without one being needed).
    pub fn has_response(self) -> bool {
        !matches!(self, NeedState::Raised | NeedState::Accepted)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NeedAction {
    Accept,
    Respond,
    Resolve,
    Refer,
    Decline,
}

impl NeedAction {
    pub const ALL: [NeedAction; 5] = [
        NeedAction::Accept,
        NeedAction::Respond,
        NeedAction::Resolve,
        NeedAction::Refer,
        NeedAction::Decline,
    ];

    pub fn key(self) -> &'static str {
        match self {
            NeedAction::Accept => "accept",
            NeedAction::Respond => "respond",
            NeedAction::Resolve => "resolve",
            NeedAction::Refer => "refer",
            NeedAction::Decline => "decline",
        }
    }

    pub fn parse(s: &str) -> Option<NeedAction> {
        NeedAction::ALL.into_iter().find(|x| x.key() == s.trim())
    }

    /// The steps that need a note the person (or the unit it goes to) will read: why it was
    /// declined, where it was referred, what was done.
    pub fn needs_note(self) -> bool {
        matches!(
            self,
            NeedAction::Respond | NeedAction::Resolve | NeedAction::Refer | NeedAction::Decline
        )
    }
}

/// The transition table. A need is accepted, responded to and resolved; it may be referred at
/// any open stage, and declined before anyone has responded.
pub fn next(state: NeedState, action: NeedAction) -> Option<NeedState> {
    use NeedAction::*;
    use NeedState::*;
    match (state, action) {
        (Raised, Accept) => Some(Accepted),
        (Accepted, Respond) => Some(Responded),
        (Responded, Resolve) => Some(Resolved),
        (Raised | Accepted | Responded, Refer) => Some(Referred),
        (Raised | Accepted, Decline) => Some(Declined),
        _ => None,
    }
}

/// Where a need stands against its clock at `now_ms`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Standing {
    /// Its first response is late (still waiting for one, past its time).
    pub response_overdue: bool,
    /// Open past its time to be resolved.
    pub resolution_overdue: bool,
}

impl Standing {
    pub fn overdue(self) -> bool {
        self.response_overdue || self.resolution_overdue
    }
}

pub fn standing(state: NeedState, clock: Clock, raised_at_ms: i64, now_ms: i64) -> Standing {
    Standing {
        response_overdue: !state.has_response()
            && now_ms > raised_at_ms.saturating_add(clock.respond_within_ms),
        resolution_overdue: state.is_open()
            && now_ms > raised_at_ms.saturating_add(clock.resolve_within_ms),
    }
}

/// How many levels above the raising unit an open need has climbed by `now_ms`: one when its
/// clock first runs out, one more for every further full period it stays overdue (the period
/// being the clock it missed), never past `max_levels` (the top of the network).
pub fn escalation(
    state: NeedState,
    clock: Clock,
    raised_at_ms: i64,
    now_ms: i64,
    max_levels: u32,
) -> u32 {
    if !state.is_open() {
        return 0;
    }
    let (start, period) = if !state.has_response() {
        (
            raised_at_ms + clock.respond_within_ms,
            clock.respond_within_ms,
        )
    } else {
        (
            raised_at_ms + clock.resolve_within_ms,
            clock.resolve_within_ms,
        )
    };
    if now_ms <= start || period <= 0 {
        return 0;
    }
    let levels = 1 + (now_ms - start - 1) / period;
    u32::try_from(levels).unwrap_or(u32::MAX).min(max_levels)
}

/// The median and 90th percentile of durations (nearest rank), or None for none.
pub fn median_and_p90(mut durations: Vec<i64>) -> Option<(i64, i64)> {
    if durations.is_empty() {
        return None;
    }
    durations.sort_unstable();
    // Ranks ⌈n/2⌉ and ⌈9n/10⌉ in whole numbers (a float 0.9 × n can land just above an
    // integer and take the next rank); the store's SQL ranks the same way.
    let n = durations.len();
    Some((
        durations[n.div_ceil(2) - 1],
        durations[(9 * n).div_ceil(10) - 1],
    ))
}

/// A need as typed at the desk or on a phone.
#[derive(Debug, Clone, Default)]
pub struct NeedInput {
    pub category: String,
    pub urgency: String,
    pub description: String,
    /// Who it concerns, as the clerk writes it (a name; the registry links the person later).
    pub person: String,
    /// How it came in: walk-in, phone, visit.
    pub channel: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NeedChannel {
    WalkIn,
    Phone,
    Visit,
}

impl NeedChannel {
    pub const ALL: [NeedChannel; 3] = [NeedChannel::WalkIn, NeedChannel::Phone, NeedChannel::Visit];

    pub fn key(self) -> &'static str {
        match self {
            NeedChannel::WalkIn => "walk_in",
            NeedChannel::Phone => "phone",
            NeedChannel::Visit => "visit",
        }
    }

    pub fn parse(s: &str) -> Option<NeedChannel> {
        NeedChannel::ALL.into_iter().find(|c| c.key() == s.trim())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewNeed {
    pub category: NeedCategory,
    pub urgency: Urgency,
    pub description: String,
    pub person: String,
    pub channel: NeedChannel,
}

impl NeedInput {
    /// Every problem at once, each on its field.
    pub fn parse(&self) -> Result<NewNeed, Vec<FieldError>> {
        let mut errors = Vec::new();
        let category = NeedCategory::parse(&self.category);
        if category.is_none() {
            errors.push(FieldError::new("category", "need_category_invalid"));
        }
        let urgency = Urgency::parse(&self.urgency);
        if urgency.is_none() {
            errors.push(FieldError::new("urgency", "need_urgency_invalid"));
        }
        let description = crate::text::prose(&self.description);
        if description.chars().count() < 4 || description.chars().count() > 500 {
            errors.push(FieldError::new("description", "need_description_missing"));
        }
        let person = crate::text::normalize(&self.person);
        if person.is_empty() || person.chars().count() > 30 {
            errors.push(FieldError::new("person", "need_person_missing"));
        }
        let channel = NeedChannel::parse(&self.channel);
        if channel.is_none() {
            errors.push(FieldError::new("channel", "need_channel_invalid"));
        }
        match (category, urgency, channel) {
            (Some(category), Some(urgency), Some(channel)) if errors.is_empty() => Ok(NewNeed {
                category,
                urgency,
                description,
                person,
                channel,
            }),
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_state_and_action_pair_is_decided_by_the_table() {
        use NeedAction::*;
        use NeedState::*;
        for state in NeedState::ALL {
            for action in NeedAction::ALL {
                let expected = match (state, action) {
                    (Raised, Accept) => Some(Accepted),
                    (Accepted, Respond) => Some(Responded),
                    (Responded, Resolve) => Some(Resolved),
                    (Raised, Refer) | (Accepted, Refer) | (Responded, Refer) => Some(Referred),
                    (Raised, Decline) | (Accepted, Decline) => Some(Declined),
                    _ => None,
                };
                assert_eq!(next(state, action), expected, "{state:?} {action:?}");
                if let Some(to) = expected {
                    assert!(state.is_open(), "only an open need moves");
                    assert_ne!(to, state);
                }
            }
            assert_eq!(NeedState::parse(state.key()), Some(state));
        }
        for a in NeedAction::ALL {
            assert_eq!(NeedAction::parse(a.key()), Some(a));
        }
        assert!(!Accept.needs_note() && Decline.needs_note());
    }

    #[test]
    fn the_clock_follows_category_and_urgency() {
        for c in NeedCategory::ALL {
            assert_eq!(NeedCategory::parse(c.key()), Some(c));
            let urgent = clock(c, Urgency::Urgent);
            assert_eq!(
                (urgent.respond_within_ms, urgent.resolve_within_ms),
                (2 * HOUR_MS, DAY_MS)
            );
            let ordinary = clock(c, Urgency::Ordinary);
            assert_eq!(ordinary.respond_within_ms, DAY_MS);
            let days = ordinary.resolve_within_ms / DAY_MS;
            let complex = matches!(c, NeedCategory::Education | NeedCategory::Disability);
            assert_eq!(days, if complex { 15 } else { 7 }, "{c:?}");
        }
    }

    #[test]
    fn an_overdue_need_climbs_one_level_per_missed_period() {
        let c = clock(NeedCategory::Medical, Urgency::Urgent);
        let t0 = 1_000_000;
        let at = |h: i64| t0 + h * HOUR_MS;
        assert_eq!(
            escalation(NeedState::Raised, c, t0, at(2), 3),
            0,
            "on time to the hour"
        );
        assert_eq!(escalation(NeedState::Raised, c, t0, at(2) + 1, 3), 1);
        assert_eq!(escalation(NeedState::Accepted, c, t0, at(4), 3), 1);
        assert_eq!(escalation(NeedState::Accepted, c, t0, at(4) + 1, 3), 2);
        assert_eq!(
            escalation(NeedState::Raised, c, t0, at(100), 3),
            3,
            "not past the top"
        );
        // Responded in time, it climbs only once its result is late.
        assert_eq!(escalation(NeedState::Responded, c, t0, at(23), 3), 0);
        assert_eq!(escalation(NeedState::Responded, c, t0, at(25), 3), 1);
        assert_eq!(escalation(NeedState::Resolved, c, t0, at(100), 3), 0);
        let s = standing(NeedState::Raised, c, t0, at(3));
        assert!(s.response_overdue && !s.resolution_overdue && s.overdue());
        let done = standing(NeedState::Referred, c, t0, at(300));
        assert!(!done.overdue());
    }

    #[test]
    fn medians_and_the_90th_percentile_by_nearest_rank() {
        assert_eq!(median_and_p90(vec![]), None);
        assert_eq!(median_and_p90(vec![7]), Some((7, 7)));
        assert_eq!(median_and_p90((1..=10).rev().collect()), Some((5, 9)));
        assert_eq!(median_and_p90((1..=100).collect()), Some((50, 90)));
    }

    #[test]
    fn a_need_is_checked_field_by_field() {
        let typed = NeedInput {
            category: "medical".into(),
            urgency: "urgent".into(),
            description: "老人突发脑梗，家中无人照料。".into(),
            person: "王秀英".into(),
            channel: "phone".into(),
        };
        let n = typed.parse().unwrap();
        assert_eq!(
            (n.category, n.urgency, n.channel),
            (NeedCategory::Medical, Urgency::Urgent, NeedChannel::Phone)
        );
        let bad = NeedInput {
            category: "food".into(),
            urgency: String::new(),
            description: "急".into(),
            person: " ".into(),
            channel: "wechat".into(),
        }
        .parse()
        .unwrap_err();
        let fields: Vec<&str> = bad.iter().map(|e| e.field).collect();
        assert_eq!(
            fields,
            ["category", "urgency", "description", "person", "channel"]
        );
    }
}
