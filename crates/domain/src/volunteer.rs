//! Volunteers (issue 13 §1): real-name registration as 志愿服务条例 art. 19 asks — name, ID
//! number (checked as for beneficiaries: GB 11643 check character, a real birth date), phone,
//! skills, when they can serve — and whether they agree that their name and service may be
//! published. A volunteer under 18 serves with a guardian's consent (art. 14). Sealing, the
//! blind index and masking are the store's, shared with beneficiaries and donors.

use crate::FieldError;
use serde::Serialize;

/// When a volunteer can serve.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Availability {
    Weekdays,
    Weekends,
    Evenings,
    Anytime,
}

impl Availability {
    pub const ALL: [Availability; 4] = [
        Availability::Weekdays,
        Availability::Weekends,
        Availability::Evenings,
        Availability::Anytime,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Availability::Weekdays => "weekdays",
            Availability::Weekends => "weekends",
            Availability::Evenings => "evenings",
            Availability::Anytime => "anytime",
        }
    }

    pub fn parse(s: &str) -> Option<Availability> {
        Availability::ALL.into_iter().find(|a| a.key() == s.trim())
    }
}

/// A volunteer under this age serves with a guardian's consent (志愿服务条例 art. 14).
pub const ADULT_AT: u32 = 18;
/// The most skills one volunteer lists, and the longest one.
pub const MAX_SKILLS: usize = 8;
const MAX_SKILL_CHARS: usize = 12;

/// A volunteer as typed at the desk.
#[derive(Debug, Clone, Default)]
pub struct VolunteerInput {
    pub name: String,
    pub id_number: String,
    pub phone: String,
    /// Skills separated by commas or 、: 助老, 急救, 心理疏导…
    pub skills: String,
    pub availability: String,
    /// The volunteer agrees that their name and service may be published (honours, notices).
    pub consent_publication: bool,
    pub guardian_name: String,
    pub guardian_relation: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewVolunteer {
    pub name: String,
    /// Canonical: half-width, upper-case X.
    pub id_number: String,
    pub born_on: String,
    pub phone: String,
    pub skills: Vec<String>,
    pub availability: Availability,
    pub consent_publication: bool,
    /// A minor's guardian who consents, and how related; empty for an adult.
    pub guardian_name: String,
    pub guardian_relation: String,
}

impl VolunteerInput {
    /// Every problem at once, each on its field; `today` bounds the birth date and the age.
    pub fn parse(&self, today: &str) -> Result<NewVolunteer, Vec<FieldError>> {
        let mut errors = Vec::new();
        let name = crate::text::normalize(&self.name);
        if name.is_empty() || name.chars().count() > 30 {
            errors.push(FieldError::new("name", "person_name_missing"));
        }
        let id_number = match crate::donor::id_number("id_number", &self.id_number) {
            Ok(id) => match crate::beneficiary::birth_date(&id) {
                Some(born) if born.as_str() <= today && born.as_str() >= "1900-01-01" => {
                    Some((id, born))
                }
                _ => {
                    errors.push(FieldError::new("id_number", "id_number_birth"));
                    None
                }
            },
            Err(e) => {
                errors.push(e);
                None
            }
        };
        let phone = crate::text::normalize(&self.phone);
        if !crate::org::is_phone(&phone) {
            errors.push(FieldError::new("phone", "phone_invalid"));
        }
        let skills: Vec<String> = self
            .skills
            .split([',', '，', '、', ';', '；'])
            .map(crate::text::normalize)
            .filter(|s| !s.is_empty())
            .collect();
        if skills.len() > MAX_SKILLS || skills.iter().any(|s| s.chars().count() > MAX_SKILL_CHARS) {
            errors.push(FieldError::new("skills", "skills_too_many"));
        }
        let availability = Availability::parse(&self.availability);
        if availability.is_none() {
            errors.push(FieldError::new("availability", "availability_unknown"));
        }
        let minor = id_number
            .as_ref()
            .and_then(|(_, born)| crate::beneficiary::age_on(born, today))
            .is_some_and(|age| age < ADULT_AT);
        let (guardian_name, guardian_relation) = if minor {
            let g = crate::text::normalize(&self.guardian_name);
            let r = crate::text::normalize(&self.guardian_relation);
            if g.is_empty() || g.chars().count() > 30 {
                errors.push(FieldError::new("guardian_name", "guardian_missing_minor"));
            }
            if r.is_empty() || r.chars().count() > 10 {
                errors.push(FieldError::new(
                    "guardian_relation",
                    "guardian_relation_missing",
                ));
            }
            (g, r)
        } else {
            (String::new(), String::new())
        };
        match (id_number, availability) {
            (Some((id_number, born_on)), Some(availability)) if errors.is_empty() => {
                Ok(NewVolunteer {
                    name,
                    id_number,
                    born_on,
                    phone,
                    skills,
                    availability,
                    consent_publication: self.consent_publication,
                    guardian_name,
                    guardian_relation,
                })
            }
            _ => Err(errors),
        }
    }
}

/// A volunteer team as typed: its name (unique at its unit) and what it does.
#[derive(Debug, Clone, Default)]
pub struct TeamInput {
    pub name: String,
    pub focus: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewTeam {
    pub name: String,
    pub focus: String,
}

impl TeamInput {
    pub fn parse(&self) -> Result<NewTeam, Vec<FieldError>> {
        let mut errors = Vec::new();
        let name = crate::text::normalize(&self.name);
        if name.chars().count() < 2 || name.chars().count() > 30 {
            errors.push(FieldError::new("name", "team_name_missing"));
        }
        let focus = crate::text::prose(&self.focus);
        if focus.chars().count() > 60 {
            errors.push(FieldError::new("focus", "team_focus_too_long"));
        }
        if errors.is_empty() {
            Ok(NewTeam { name, focus })
        } else {
            Err(errors)
        }
    }
}

/// A social worker's professional title (社会工作者职业水平): the 慈善管家 of a community holds one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SocialWorkerLevel {
    /// 助理社会工作师
    Assistant,
    /// 社会工作师
    Intermediate,
    /// 高级社会工作师
    Senior,
}

impl SocialWorkerLevel {
    pub const ALL: [SocialWorkerLevel; 3] = [
        SocialWorkerLevel::Assistant,
        SocialWorkerLevel::Intermediate,
        SocialWorkerLevel::Senior,
    ];

    pub fn key(self) -> &'static str {
        match self {
            SocialWorkerLevel::Assistant => "assistant",
            SocialWorkerLevel::Intermediate => "intermediate",
            SocialWorkerLevel::Senior => "senior",
        }
    }

    pub fn parse(s: &str) -> Option<SocialWorkerLevel> {
        SocialWorkerLevel::ALL
            .into_iter()
            .find(|l| l.key() == s.trim())
    }
}

/// A 慈善管家 links at least this many volunteer teams (M2: "5–8"); fewer is a gap.
pub const STEWARD_MIN_TEAMS: i64 = 5;
/// …and at most this many.
pub const STEWARD_MAX_TEAMS: i64 = 8;

/// A certified social worker as typed, to be a community's 慈善管家.
#[derive(Debug, Clone, Default)]
pub struct StewardInput {
    pub name: String,
    pub certificate_no: String,
    pub level: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewSteward {
    pub name: String,
    /// Upper-case letters and digits, as printed on the certificate.
    pub certificate_no: String,
    pub level: SocialWorkerLevel,
}

impl StewardInput {
    pub fn parse(&self) -> Result<NewSteward, Vec<FieldError>> {
        let mut errors = Vec::new();
        let name = crate::text::normalize(&self.name);
        if name.is_empty() || name.chars().count() > 30 {
            errors.push(FieldError::new("steward_name", "person_name_missing"));
        }
        let certificate_no = crate::text::normalize(&self.certificate_no).to_uppercase();
        let n = certificate_no.chars().count();
        if !(6..=30).contains(&n) || !certificate_no.chars().all(|c| c.is_ascii_alphanumeric()) {
            errors.push(FieldError::new("certificate_no", "certificate_no_invalid"));
        }
        let level = SocialWorkerLevel::parse(&self.level);
        if level.is_none() {
            errors.push(FieldError::new("level", "social_worker_level_unknown"));
        }
        match level {
            Some(level) if errors.is_empty() => Ok(NewSteward {
                name,
                certificate_no,
                level,
            }),
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_check(first17: &str) -> String {
        format!("{first17}{}", crate::donor::id_check_char(first17).unwrap())
    }

    fn typed() -> VolunteerInput {
        VolunteerInput {
            name: "李志强".into(),
            id_number: with_check("41032319850312001"),
            phone: "13903791234".into(),
            skills: "助老、急救, 心理疏导".into(),
            availability: "weekends".into(),
            consent_publication: true,
            ..VolunteerInput::default()
        }
    }

    #[test]
    fn a_volunteer_is_registered_by_real_name_with_skills() {
        let v = typed().parse("2026-12-07").unwrap();
        assert_eq!(v.skills, ["助老", "急救", "心理疏导"]);
        assert_eq!(
            (v.born_on.as_str(), v.availability),
            ("1985-03-12", Availability::Weekends)
        );
        assert!(v.consent_publication && v.guardian_name.is_empty());
        let wrong = VolunteerInput {
            name: String::new(),
            id_number: "410323198503120010".into(),
            phone: "123".into(),
            skills: "一,二,三,四,五,六,七,八,九".into(),
            availability: "never".into(),
            ..typed()
        }
        .parse("2026-12-07")
        .unwrap_err();
        let fields: Vec<&str> = wrong.iter().map(|e| e.field).collect();
        assert_eq!(
            fields,
            ["name", "id_number", "phone", "skills", "availability"]
        );
    }

    #[test]
    fn a_minor_serves_with_a_guardians_consent() {
        // Seventeen on 2026-12-07.
        let minor = VolunteerInput {
            id_number: with_check("41032320090315002"),
            ..typed()
        };
        let e = minor.parse("2026-12-07").unwrap_err();
        let fields: Vec<&str> = e.iter().map(|e| e.field).collect();
        assert_eq!(fields, ["guardian_name", "guardian_relation"]);
        let v = VolunteerInput {
            guardian_name: "李建国".into(),
            guardian_relation: "父亲".into(),
            ..minor
        }
        .parse("2026-12-07")
        .unwrap();
        assert_eq!(v.guardian_name, "李建国");
        // Eighteen on the day: an adult.
        let adult = VolunteerInput {
            id_number: with_check("41032320081207003"),
            ..typed()
        };
        assert!(adult.parse("2026-12-07").is_ok());
    }

    #[test]
    fn a_team_has_a_name_and_says_what_it_does() {
        let t = TeamInput {
            name: " 石寺社区助老服务队 ".into(),
            focus: "助老、助残，每周上门探访。".into(),
        }
        .parse()
        .unwrap();
        assert_eq!(t.name, "石寺社区助老服务队");
        let e = TeamInput {
            name: "队".into(),
            focus: "长".repeat(61),
        }
        .parse()
        .unwrap_err();
        let fields: Vec<&str> = e.iter().map(|e| e.field).collect();
        assert_eq!(fields, ["name", "focus"]);
    }

    #[test]
    fn a_steward_holds_a_certificate_and_a_level() {
        let s = StewardInput {
            name: " 王慧 ".into(),
            certificate_no: "ｓｗ２０２３４１０３００１２".into(),
            level: "intermediate".into(),
        }
        .parse()
        .unwrap();
        assert_eq!(s.name, "王慧");
        assert_eq!(s.certificate_no, "SW202341030012");
        assert_eq!(s.level, SocialWorkerLevel::Intermediate);
        let wrong = StewardInput {
            name: String::new(),
            certificate_no: "12-34".into(),
            level: "expert".into(),
        }
        .parse()
        .unwrap_err();
        let fields: Vec<&str> = wrong.iter().map(|e| e.field).collect();
        assert_eq!(fields, ["steward_name", "certificate_no", "level"]);
        for l in SocialWorkerLevel::ALL {
            assert_eq!(SocialWorkerLevel::parse(l.key()), Some(l));
        }
    }
}
