//! The beneficiary registry's person (issue 12 §2): a name, an ID number checked (GB 11643
//! check character; a real birth date not in the future; area codes are not checked, since they
//! change), a phone if given, at a unit. Sealing, the blind index and masking are the store's
//! (`secrets`, shared with donors). A household is its members with their
//! relation to the head ([`Relation`]).

use crate::FieldError;
use serde::Serialize;

/// A person as typed at the desk, with the consents given there.
#[derive(Debug, Clone, Default)]
pub struct PersonInput {
    pub name: String,
    pub id_number: String,
    pub phone: String,
    /// A bank account for money paid to the person; empty when none.
    pub bank_account: String,
    /// The person agrees that their record is shared (with whom: `sharing_scope`), apart from
    /// registering them.
    pub consent_sharing: bool,
    pub sharing_scope: String,
    /// A child under 14: the guardian who consents, and how they are related.
    pub guardian_name: String,
    pub guardian_relation: String,
}

/// A consent recorded with the person: for sharing (its scope), or a guardian's for a child.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum NewConsent {
    Sharing { scope: String },
    Guardian { name: String, relation: String },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewPerson {
    pub name: String,
    /// Canonical: half-width, upper-case X.
    pub id_number: String,
    /// Empty when not given.
    pub phone: String,
    /// Digits only; empty when not given.
    pub bank_account: String,
    pub consents: Vec<NewConsent>,
}

/// Whole years of age on `today` of someone born on `born` (both `YYYY-MM-DD`).
pub fn age_on(born: &str, today: &str) -> Option<u32> {
    let (by, bmd) = (born.get(..4)?.parse::<u32>().ok()?, born.get(5..)?);
    let (ty, tmd) = (today.get(..4)?.parse::<u32>().ok()?, today.get(5..)?);
    let years = ty.checked_sub(by)?;
    Some(if tmd < bmd {
        years.saturating_sub(1)
    } else {
        years
    })
}

/// Children under this age are registered with a guardian's consent (PIPL art. 31).
pub const GUARDIAN_BELOW: u32 = 14;

/// The birth date an ID number carries (`YYYY-MM-DD`), if it is a real day.
pub fn birth_date(id_number: &str) -> Option<String> {
    let digits = id_number.get(6..14)?;
    let day = format!("{}-{}-{}", &digits[..4], &digits[4..6], &digits[6..8]);
    crate::time::china_day_range_ms(&day).map(|_| day)
}

impl PersonInput {
    /// Every problem at once, each on its field; `today` bounds the birth date.
    pub fn parse(&self, today: &str) -> Result<NewPerson, Vec<FieldError>> {
        let mut errors = Vec::new();
        let name = crate::text::normalize(&self.name);
        if name.is_empty() || name.chars().count() > 30 {
            errors.push(FieldError::new("name", "person_name_missing"));
        }
        let id_number = match crate::donor::id_number("id_number", &self.id_number) {
            Ok(id) => match birth_date(&id) {
                Some(born) if born.as_str() <= today && born.as_str() >= "1900-01-01" => Some(id),
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
        if !phone.is_empty() && !crate::org::is_phone(&phone) {
            errors.push(FieldError::new("phone", "phone_invalid"));
        }
        let bank_account = if self.bank_account.trim().is_empty() {
            String::new()
        } else {
            crate::campaign::bank_account_number("bank_account", &self.bank_account, &mut errors)
                .unwrap_or_default()
        };
        let mut consents = Vec::new();
        if self.consent_sharing {
            let scope = crate::text::normalize(&self.sharing_scope);
            if scope.is_empty() || scope.chars().count() > 100 {
                errors.push(FieldError::new("sharing_scope", "sharing_scope_missing"));
            }
            consents.push(NewConsent::Sharing { scope });
        }
        let child = id_number
            .as_deref()
            .and_then(birth_date)
            .and_then(|born| age_on(&born, today))
            .is_some_and(|age| age < GUARDIAN_BELOW);
        let guardian = crate::text::normalize(&self.guardian_name);
        let relation = crate::text::normalize(&self.guardian_relation);
        if child {
            if guardian.is_empty() || guardian.chars().count() > 30 {
                errors.push(FieldError::new("guardian_name", "guardian_missing"));
            }
            if relation.is_empty() || relation.chars().count() > 10 {
                errors.push(FieldError::new(
                    "guardian_relation",
                    "guardian_relation_missing",
                ));
            }
            consents.push(NewConsent::Guardian {
                name: guardian,
                relation,
            });
        }
        match id_number {
            Some(id_number) if errors.is_empty() => Ok(NewPerson {
                name,
                id_number,
                phone,
                bank_account,
                consents,
            }),
            _ => Err(errors),
        }
    }
}

/// How a member of a household is related to its head (户主).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Relation {
    Head,
    Spouse,
    Child,
    Parent,
    Grandchild,
    Sibling,
    Other,
}

impl Relation {
    pub const ALL: [Relation; 7] = [
        Relation::Head,
        Relation::Spouse,
        Relation::Child,
        Relation::Parent,
        Relation::Grandchild,
        Relation::Sibling,
        Relation::Other,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Relation::Head => "head",
            Relation::Spouse => "spouse",
            Relation::Child => "child",
            Relation::Parent => "parent",
            Relation::Grandchild => "grandchild",
            Relation::Sibling => "sibling",
            Relation::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<Relation> {
        Relation::ALL.into_iter().find(|r| r.key() == s.trim())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_check(first17: &str) -> String {
        format!("{first17}{}", crate::donor::id_check_char(first17).unwrap())
    }

    #[test]
    fn an_id_number_carries_a_real_birth_date_not_in_the_future() {
        let ok = PersonInput {
            name: "王秀英".into(),
            id_number: with_check("41030319580712002"),
            phone: "13903791234".into(),
            ..PersonInput::default()
        };
        let p = ok.parse("2026-12-07").unwrap();
        assert_eq!(birth_date(&p.id_number).as_deref(), Some("1958-07-12"));
        // An unknown area code is kept: codes change.
        let elsewhere = PersonInput {
            id_number: with_check("99999919580712002"),
            ..ok.clone()
        };
        assert!(elsewhere.parse("2026-12-07").is_ok());
        for (first17, why) in [
            ("41030319580230002", "no 30 February"),
            ("41030320300101002", "born in the future"),
            ("41030318000101002", "before 1900"),
        ] {
            let bad = PersonInput {
                id_number: with_check(first17),
                ..ok.clone()
            };
            let e = bad.parse("2026-12-07").unwrap_err();
            assert_eq!(
                (e[0].field, e[0].code),
                ("id_number", "id_number_birth"),
                "{why}"
            );
        }
        let wrong = PersonInput {
            name: " ".into(),
            id_number: "410303195807120021".into(),
            phone: "12345".into(),
            ..PersonInput::default()
        }
        .parse("2026-12-07")
        .unwrap_err();
        let fields: Vec<(&str, &str)> = wrong.iter().map(|e| (e.field, e.code)).collect();
        assert_eq!(
            fields,
            [
                ("name", "person_name_missing"),
                ("id_number", "id_number_check"),
                ("phone", "phone_invalid")
            ]
        );
    }

    #[test]
    fn a_child_under_fourteen_comes_with_a_guardians_consent() {
        assert_eq!(age_on("2012-12-08", "2026-12-07"), Some(13));
        assert_eq!(age_on("2012-12-07", "2026-12-07"), Some(14));
        assert_eq!(
            age_on("2028-02-29", "2030-02-28"),
            Some(1),
            "a leap-day birthday"
        );
        let child = PersonInput {
            name: "李小军".into(),
            id_number: with_check("41032320150301002"),
            ..PersonInput::default()
        };
        let e = child.parse("2026-12-07").unwrap_err();
        let fields: Vec<&str> = e.iter().map(|e| e.field).collect();
        assert_eq!(fields, ["guardian_name", "guardian_relation"]);
        let with_guardian = PersonInput {
            guardian_name: "李建国".into(),
            guardian_relation: "父亲".into(),
            consent_sharing: true,
            sharing_scope: "县民政局核对低保".into(),
            ..child
        };
        let p = with_guardian.parse("2026-12-07").unwrap();
        assert_eq!(
            p.consents,
            [
                NewConsent::Sharing {
                    scope: "县民政局核对低保".into()
                },
                NewConsent::Guardian {
                    name: "李建国".into(),
                    relation: "父亲".into()
                }
            ]
        );
        let no_scope = PersonInput {
            sharing_scope: " ".into(),
            ..with_guardian
        };
        assert_eq!(
            no_scope.parse("2026-12-07").unwrap_err()[0].field,
            "sharing_scope"
        );
    }
}
