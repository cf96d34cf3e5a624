//! Charity-law compliance (M19): the annual charitable-spending floor and the management-fee
//! ceiling of Charity Law art. 61 and the 2016 rules of the Ministry of Civil Affairs, Finance
//! and Taxation (《关于慈善组织开展慈善活动年度支出和管理费用的规定》). The limits are a table
//! keyed by organisation type, public-fundraising status, net-asset tier and effective date, so
//! a new rule is a new row, not new code.

use crate::money::Fen;
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OrgType {
    /// 基金会
    Foundation,
    /// 社会团体 (慈善总会、慈善会) and 社会服务机构
    SocialGroup,
}

impl OrgType {
    pub fn key(self) -> &'static str {
        match self {
            OrgType::Foundation => "foundation",
            OrgType::SocialGroup => "social_group",
        }
    }

    pub fn parse(s: &str) -> Option<OrgType> {
        [OrgType::Foundation, OrgType::SocialGroup]
            .into_iter()
            .find(|t| t.key() == s)
    }
}

/// What the spending floor is measured against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Base {
    /// 上年总收入 (organisations with public fundraising)
    LastYearIncome,
    /// 前三年年末净资产平均数 (the others)
    AverageNetAssets,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Rule {
    pub org_type: OrgType,
    pub public_fundraising: bool,
    /// Net assets at the end of last year: this tier is `(above, up_to]` in fen; ignored for
    /// organisations with public fundraising.
    pub net_assets_above: Fen,
    pub net_assets_up_to: Fen,
    pub effective_from: &'static str,
    pub base: Base,
    /// Charitable spending at least this share of the base, per mille.
    pub min_spending_permille: i64,
    /// Management fees at most this share of the year's total spending, per mille.
    pub max_management_permille: i64,
}

const WAN: i64 = 1_000_000; // ¥10,000 in fen
const NO_LIMIT: Fen = Fen::new(i64::MAX);

const fn rule(
    org_type: OrgType,
    public_fundraising: bool,
    above_wan: i64,
    up_to: Fen,
    base: Base,
    spend: i64,
    mgmt: i64,
) -> Rule {
    Rule {
        org_type,
        public_fundraising,
        net_assets_above: Fen::new(above_wan * WAN),
        net_assets_up_to: up_to,
        effective_from: "2016-09-01",
        base,
        min_spending_permille: spend,
        max_management_permille: mgmt,
    }
}

/// The rules in force since 2016-09-01.
pub const RULES: [Rule; 10] = [
    rule(
        OrgType::Foundation,
        true,
        -1,
        NO_LIMIT,
        Base::LastYearIncome,
        700,
        100,
    ),
    rule(
        OrgType::SocialGroup,
        true,
        -1,
        NO_LIMIT,
        Base::LastYearIncome,
        700,
        130,
    ),
    rule(
        OrgType::Foundation,
        false,
        6000,
        NO_LIMIT,
        Base::AverageNetAssets,
        60,
        120,
    ),
    rule(
        OrgType::Foundation,
        false,
        800,
        Fen::new(6000 * WAN),
        Base::AverageNetAssets,
        60,
        130,
    ),
    rule(
        OrgType::Foundation,
        false,
        400,
        Fen::new(800 * WAN),
        Base::AverageNetAssets,
        70,
        150,
    ),
    rule(
        OrgType::Foundation,
        false,
        -1,
        Fen::new(400 * WAN),
        Base::AverageNetAssets,
        80,
        200,
    ),
    rule(
        OrgType::SocialGroup,
        false,
        1000,
        NO_LIMIT,
        Base::AverageNetAssets,
        70,
        130,
    ),
    rule(
        OrgType::SocialGroup,
        false,
        500,
        Fen::new(1000 * WAN),
        Base::AverageNetAssets,
        80,
        140,
    ),
    rule(
        OrgType::SocialGroup,
        false,
        100,
        Fen::new(500 * WAN),
        Base::AverageNetAssets,
        90,
        150,
    ),
    rule(
        OrgType::SocialGroup,
        false,
        -1,
        Fen::new(100 * WAN),
        Base::AverageNetAssets,
        100,
        200,
    ),
];

/// The rule for an organisation on a date (`YYYY-MM-DD`), by type, status and net assets.
pub fn rule_for(
    rules: &[Rule],
    org_type: OrgType,
    public_fundraising: bool,
    net_assets: Fen,
    on: &str,
) -> Option<Rule> {
    rules
        .iter()
        .filter(|r| {
            r.org_type == org_type
                && r.public_fundraising == public_fundraising
                && r.effective_from <= on
                && (public_fundraising
                    || (net_assets > r.net_assets_above && net_assets <= r.net_assets_up_to))
        })
        .max_by_key(|r| r.effective_from)
        .copied()
}

/// One year's figures for a legal entity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct YearFigures {
    /// The rule's base: last year's income, or average net assets.
    pub base: Fen,
    /// 慈善活动支出 so far this year (业务活动成本).
    pub charitable_spending: Fen,
    /// 管理费用 so far this year.
    pub management: Fen,
    /// All spending so far this year.
    pub total_spending: Fen,
    /// Days of the year gone, and in the year.
    pub days_elapsed: i64,
    pub days_in_year: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Assessment {
    pub required_spending: Fen,
    /// Spending at this year's pace by 31 December.
    pub projected_spending: Fen,
    /// Per mille of the base, so far.
    pub spending_permille: i64,
    pub management_permille: i64,
    pub spending_on_track: bool,
    pub management_within: bool,
}

pub fn assess(rule: &Rule, y: &YearFigures) -> Assessment {
    let required = i128::from(y.base.fen()) * i128::from(rule.min_spending_permille) / 1000;
    let projected = if y.days_elapsed > 0 {
        i128::from(y.charitable_spending.fen()) * i128::from(y.days_in_year)
            / i128::from(y.days_elapsed)
    } else {
        0
    };
    let management_permille = y.management.permille_of(y.total_spending);
    Assessment {
        required_spending: Fen::new(required as i64),
        projected_spending: Fen::new(projected.min(i128::from(i64::MAX)) as i64),
        spending_permille: y.charitable_spending.permille_of(y.base),
        management_permille,
        spending_on_track: projected >= required,
        management_within: management_permille <= rule.max_management_permille,
    }
}

// Amounts in tests are written yuan_fen.
#[cfg(test)]
#[allow(clippy::inconsistent_digit_grouping)]
mod tests {
    use super::*;

    #[test]
    fn the_table_answers_for_each_kind_of_organisation() {
        let r = rule_for(
            &RULES,
            OrgType::SocialGroup,
            true,
            Fen::new(0),
            "2026-11-29",
        )
        .unwrap();
        assert_eq!(
            (r.min_spending_permille, r.max_management_permille),
            (700, 130)
        );
        let r = rule_for(&RULES, OrgType::Foundation, true, Fen::new(0), "2026-11-29").unwrap();
        assert_eq!(
            (r.min_spending_permille, r.max_management_permille),
            (700, 100)
        );
        let r = rule_for(
            &RULES,
            OrgType::Foundation,
            false,
            Fen::new(7000 * WAN),
            "2026-11-29",
        )
        .unwrap();
        assert_eq!(
            (r.min_spending_permille, r.max_management_permille, r.base),
            (60, 120, Base::AverageNetAssets)
        );
        let r = rule_for(
            &RULES,
            OrgType::Foundation,
            false,
            Fen::new(800 * WAN),
            "2026-11-29",
        )
        .unwrap();
        assert_eq!(
            r.min_spending_permille, 70,
            "800万 itself is in the 400–800万 tier"
        );
        let r = rule_for(
            &RULES,
            OrgType::SocialGroup,
            false,
            Fen::new(50 * WAN),
            "2026-11-29",
        )
        .unwrap();
        assert_eq!(
            (r.min_spending_permille, r.max_management_permille),
            (100, 200)
        );
        assert!(
            rule_for(
                &RULES,
                OrgType::SocialGroup,
                true,
                Fen::new(0),
                "2015-01-01"
            )
            .is_none(),
            "not before it took effect"
        );
        // Every organisation finds exactly one tier.
        for t in [OrgType::Foundation, OrgType::SocialGroup] {
            for assets in [
                0,
                99 * WAN,
                100 * WAN + 1,
                500 * WAN,
                999 * WAN,
                6001 * WAN,
                i64::MAX,
            ] {
                let n = RULES
                    .iter()
                    .filter(|r| {
                        r.org_type == t
                            && !r.public_fundraising
                            && Fen::new(assets) > r.net_assets_above
                            && Fen::new(assets) <= r.net_assets_up_to
                    })
                    .count();
                assert_eq!(n, 1, "{t:?} {assets}");
            }
        }
    }

    #[test]
    fn on_track_by_this_years_pace() {
        let r = rule_for(
            &RULES,
            OrgType::SocialGroup,
            true,
            Fen::new(0),
            "2026-06-30",
        )
        .unwrap();
        let y = YearFigures {
            base: Fen::new(1_000_000_00),
            charitable_spending: Fen::new(300_000_00),
            management: Fen::new(50_000_00),
            total_spending: Fen::new(400_000_00),
            days_elapsed: 181,
            days_in_year: 365,
        };
        let a = assess(&r, &y);
        assert_eq!(a.required_spending, Fen::new(700_000_00));
        assert!(
            !a.spending_on_track,
            "¥300,000 by June projects to about ¥605,000 < ¥700,000"
        );
        assert_eq!(a.management_permille, 125);
        assert!(a.management_within);
        let a = assess(
            &r,
            &YearFigures {
                charitable_spending: Fen::new(400_000_00),
                ..y
            },
        );
        assert!(a.spending_on_track);
        let a = assess(
            &r,
            &YearFigures {
                management: Fen::new(60_000_00),
                ..y
            },
        );
        assert!(!a.management_within, "15% > 13%");
    }
}
