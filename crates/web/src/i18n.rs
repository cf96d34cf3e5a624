//! The language of one request: zh-CN unless the visitor chose English (a cookie) or, for the
//! API, asked for it (`Accept-Language: en`). Never process-global.

use crate::auth::{LANG_COOKIE, cookie};
use axum::http::{HeaderMap, header};
use std::borrow::Cow;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    ZhCn,
    En,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::ZhCn => "zh-CN",
            Lang::En => "en",
        }
    }

    pub fn parse(s: &str) -> Option<Lang> {
        match s {
            "zh-CN" | "zh" => Some(Lang::ZhCn),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// Pages: zh-CN unless the visitor chose English with the switch (a cookie).
    pub fn from_headers(headers: &HeaderMap) -> Lang {
        cookie(headers, LANG_COOKIE)
            .and_then(Lang::parse)
            .unwrap_or_default()
    }

    /// The API: the cookie if any, else `Accept-Language: en…` for English, else zh-CN.
    pub fn for_api(headers: &HeaderMap) -> Lang {
        if let Some(l) = cookie(headers, LANG_COOKIE).and_then(Lang::parse) {
            return l;
        }
        let accept = headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if accept.trim_start().starts_with("en") {
            Lang::En
        } else {
            Lang::ZhCn
        }
    }

    /// The text for `key` in this language.
    pub fn t(self, key: &str) -> Cow<'static, str> {
        Cow::Owned(crate::_rust_i18n_translate(self.code(), key).into_owned())
    }

    /// The text for `key`, if the locale files have one.
    pub fn t_opt(self, key: &str) -> Option<String> {
        crate::_rust_i18n_try_translate(self.code(), key).map(|t| t.into_owned())
    }

    /// The text for `key` with `%{name}` placeholders filled in.
    pub fn tf(self, key: &str, args: &[(&str, &str)]) -> String {
        let mut s = self.t(key).into_owned();
        for (name, value) in args {
            s = s.replace(&format!("%{{{name}}}"), value);
        }
        s
    }

    /// The words for a value of a closed set (a channel, a fund kind, a payment's state…).
    pub fn label(self, value: impl Label) -> String {
        self.t(value.label_key()).into_owned()
    }

    /// Every refusal of a form or command, each with its field: "金额：…；付款方：…".
    pub fn field_errors(self, errs: &[domain::FieldError]) -> String {
        errs.iter()
            .map(|e| self.field_error(e))
            .collect::<Vec<_>>()
            .join("；")
    }

    /// A unique rule broken on `field`: what it means where the locale has words for it (a
    /// request already decided, a day already rated); otherwise that the value is taken.
    pub fn conflict(self, field: &str) -> String {
        self.t_opt(&format!("err.conflict_{field}"))
            .unwrap_or_else(|| {
                self.tf(
                    "err.conflict",
                    &[("field", &self.t(&format!("field.{field}")))],
                )
            })
    }

    /// The message for a field error code (`err.<code>`).
    pub fn error(self, code: &str) -> String {
        self.t(&format!("err.{code}")).into_owned()
    }

    /// "负责人电话：电话号码格式不对…" — the field's label, then what is wrong with it.
    pub fn field_error(self, e: &domain::FieldError) -> String {
        format!(
            "{}：{}",
            self.t(&format!("field.{}", e.field)),
            self.error(e.code)
        )
    }

    /// The other language, for the switch link.
    pub fn other(self) -> Lang {
        match self {
            Lang::ZhCn => Lang::En,
            Lang::En => Lang::ZhCn,
        }
    }
}

/// A value of a closed set the pages name: its locale key, written out in a match so that the
/// key test checks the words of every value of every set.
pub trait Label {
    fn label_key(&self) -> &'static str;
}

impl<T: Label + ?Sized> Label for &T {
    fn label_key(&self) -> &'static str {
        (**self).label_key()
    }
}

impl Label for domain::beneficiary::Relation {
    fn label_key(&self) -> &'static str {
        use domain::beneficiary::Relation;
        match self {
            Relation::Head => "relation.head",
            Relation::Spouse => "relation.spouse",
            Relation::Child => "relation.child",
            Relation::Parent => "relation.parent",
            Relation::Grandchild => "relation.grandchild",
            Relation::Sibling => "relation.sibling",
            Relation::Other => "relation.other",
        }
    }
}

impl Label for domain::volunteer::Availability {
    fn label_key(&self) -> &'static str {
        use domain::volunteer::Availability;
        match self {
            Availability::Weekdays => "availability.weekdays",
            Availability::Weekends => "availability.weekends",
            Availability::Evenings => "availability.evenings",
            Availability::Anytime => "availability.anytime",
        }
    }
}

impl Label for domain::volunteer::SocialWorkerLevel {
    fn label_key(&self) -> &'static str {
        use domain::volunteer::SocialWorkerLevel;
        match self {
            SocialWorkerLevel::Assistant => "social_worker.assistant",
            SocialWorkerLevel::Intermediate => "social_worker.intermediate",
            SocialWorkerLevel::Senior => "social_worker.senior",
        }
    }
}

impl Label for domain::activity::Attendance {
    fn label_key(&self) -> &'static str {
        use domain::activity::Attendance;
        match self {
            Attendance::SignedUp => "attendance.signed_up",
            Attendance::Withdrawn => "attendance.withdrawn",
            Attendance::SignedIn => "attendance.signed_in",
            Attendance::SignedOut => "attendance.signed_out",
            Attendance::Confirmed => "attendance.confirmed",
        }
    }
}

impl Label for store::activities::CorrectionState {
    fn label_key(&self) -> &'static str {
        use store::activities::CorrectionState;
        match self {
            CorrectionState::Open => "hours_correction.open",
            CorrectionState::Accepted => "hours_correction.accepted",
            CorrectionState::Refused => "hours_correction.refused",
        }
    }
}

impl Label for domain::training::TrainingTier {
    fn label_key(&self) -> &'static str {
        use domain::training::TrainingTier;
        match self {
            TrainingTier::City => "training_tier.city",
            TrainingTier::County => "training_tier.county",
            TrainingTier::Township => "training_tier.township",
        }
    }
}

impl Label for domain::honour::RoundState {
    fn label_key(&self) -> &'static str {
        use domain::honour::RoundState;
        match self {
            RoundState::Nominating => "round.nominating",
            RoundState::Notice => "round.notice",
            RoundState::Announced => "round.announced",
        }
    }
}

impl Label for domain::honour::NominationState {
    fn label_key(&self) -> &'static str {
        use domain::honour::NominationState;
        match self {
            NominationState::Nominated => "nomination.nominated",
            NominationState::Selected => "nomination.selected",
            NominationState::Declined => "nomination.declined",
            NominationState::Honoured => "nomination.honoured",
        }
    }
}

impl Label for domain::meeting::DecisionState {
    fn label_key(&self) -> &'static str {
        use domain::meeting::DecisionState;
        match self {
            DecisionState::Open => "decision.open",
            DecisionState::Closed => "decision.closed",
        }
    }
}

impl Label for domain::culture::SiteKind {
    fn label_key(&self) -> &'static str {
        use domain::culture::SiteKind;
        match self {
            SiteKind::Park => "site_kind.park",
            SiteKind::Corridor => "site_kind.corridor",
        }
    }
}

impl Label for domain::meals::SiteKind {
    fn label_key(&self) -> &'static str {
        use domain::meals::SiteKind;
        match self {
            SiteKind::Kitchen => "meals.kind.kitchen",
            SiteKind::Point => "meals.kind.point",
        }
    }
}

impl Label for domain::meals::Priority {
    fn label_key(&self) -> &'static str {
        use domain::meals::Priority;
        match self {
            Priority::Tekun => "meals.priority.tekun",
            Priority::Dibao => "meals.priority.dibao",
            Priority::DibaoEdge => "meals.priority.dibao_edge",
            Priority::Alone => "meals.priority.alone",
            Priority::EmptyNest => "meals.priority.empty_nest",
            Priority::LeftBehind => "meals.priority.left_behind",
            Priority::Disabled => "meals.priority.disabled",
            Priority::VeryOld => "meals.priority.very_old",
            Priority::Other => "meals.priority.other",
        }
    }
}

impl Label for domain::supermarket::Source {
    fn label_key(&self) -> &'static str {
        use domain::supermarket::Source;
        match self {
            Source::Government => "market.source.government",
            Source::Enterprise => "market.source.enterprise",
            Source::Resident => "market.source.resident",
            Source::Purchase => "market.source.purchase",
        }
    }
}

impl Label for domain::supermarket::Category {
    fn label_key(&self) -> &'static str {
        use domain::supermarket::Category;
        match self {
            Category::GrainOil => "market.category.grain_oil",
            Category::Daily => "market.category.daily",
            Category::Clothing => "market.category.clothing",
            Category::Stationery => "market.category.stationery",
            Category::Other => "market.category.other",
        }
    }
}

impl Label for domain::supermarket::Basis {
    fn label_key(&self) -> &'static str {
        use domain::supermarket::Basis;
        match self {
            Basis::Dibao => "market.basis.dibao",
            Basis::Tekun => "market.basis.tekun",
            Basis::DibaoEdge => "market.basis.dibao_edge",
            Basis::Hardship => "market.basis.hardship",
        }
    }
}

impl Label for domain::agency::ListKind {
    fn label_key(&self) -> &'static str {
        use domain::agency::ListKind;
        match self {
            ListKind::Dibao => "list.dibao",
            ListKind::Tekun => "list.tekun",
            ListKind::DibaoEdge => "list.dibao_edge",
            ListKind::Enrolment => "list.enrolment",
            ListKind::Hospital => "list.hospital",
        }
    }
}

impl Label for domain::assistance::Dimension {
    fn label_key(&self) -> &'static str {
        use domain::assistance::Dimension;
        match self {
            Dimension::Material => "dimension.material",
            Dimension::Service => "dimension.service",
            Dimension::Development => "dimension.development",
        }
    }
}

impl Label for domain::assistance::SchoolStage {
    fn label_key(&self) -> &'static str {
        use domain::assistance::SchoolStage;
        match self {
            SchoolStage::Preschool => "stage.preschool",
            SchoolStage::Primary => "stage.primary",
            SchoolStage::Junior => "stage.junior",
            SchoolStage::Senior => "stage.senior",
            SchoolStage::College => "stage.college",
        }
    }
}

impl Label for domain::org::Level {
    fn label_key(&self) -> &'static str {
        use domain::org::Level;
        match self {
            Level::Province => "level.province",
            Level::City => "level.city",
            Level::County => "level.county",
            Level::Township => "level.township",
            Level::Village => "level.village",
        }
    }
}

impl Label for domain::ledger::FundKind {
    fn label_key(&self) -> &'static str {
        use domain::ledger::FundKind;
        match self {
            FundKind::Unrestricted => "fund.kind.unrestricted",
            FundKind::Project => "fund.kind.project",
            FundKind::Special => "fund.kind.special",
            FundKind::Village => "fund.kind.village",
        }
    }
}

impl Label for domain::receipt::ReceiptStatus {
    fn label_key(&self) -> &'static str {
        use domain::receipt::ReceiptStatus;
        match self {
            ReceiptStatus::Issued => "receipt.status.issued",
            ReceiptStatus::Void => "receipt.status.void",
        }
    }
}

impl Label for domain::complaint::ComplaintState {
    fn label_key(&self) -> &'static str {
        use domain::complaint::ComplaintState;
        match self {
            ComplaintState::Filed => "complaint.state.filed",
            ComplaintState::Accepted => "complaint.state.accepted",
            ComplaintState::Extended => "complaint.state.extended",
            ComplaintState::Answered => "complaint.state.answered",
            ComplaintState::Dismissed => "complaint.state.dismissed",
        }
    }
}

impl Label for domain::complaint::ComplaintKind {
    fn label_key(&self) -> &'static str {
        use domain::complaint::ComplaintKind;
        match self {
            ComplaintKind::Complaint => "complaint.kind.complaint",
            ComplaintKind::Report => "complaint.kind.report",
        }
    }
}

impl Label for domain::complaint::ComplaintAction {
    fn label_key(&self) -> &'static str {
        use domain::complaint::ComplaintAction;
        match self {
            ComplaintAction::Accept => "complaint.action.accept",
            ComplaintAction::Extend => "complaint.action.extend",
            ComplaintAction::Answer => "complaint.action.answer",
            ComplaintAction::Dismiss => "complaint.action.dismiss",
        }
    }
}

impl Label for domain::project::Tier {
    fn label_key(&self) -> &'static str {
        use domain::project::Tier;
        match self {
            Tier::City => "project.tier.city",
            Tier::County => "project.tier.county",
            Tier::Village => "project.tier.village",
        }
    }
}

impl Label for domain::project::ProjectType {
    fn label_key(&self) -> &'static str {
        use domain::project::ProjectType;
        match self {
            ProjectType::Relief => "project.type.relief",
            ProjectType::SelfSustaining => "project.type.self_sustaining",
        }
    }
}

impl Label for domain::project::ProjectState {
    fn label_key(&self) -> &'static str {
        use domain::project::ProjectState::*;
        match self {
            Draft => "project.state.draft",
            Submitted => "project.state.submitted",
            UnderReview => "project.state.under_review",
            Approved => "project.state.approved",
            Returned => "project.state.returned",
            Rejected => "project.state.rejected",
            InProgress => "project.state.in_progress",
            Completed => "project.state.completed",
            Evaluated => "project.state.evaluated",
            Audited => "project.state.audited",
            Closed => "project.state.closed",
        }
    }
}

impl Label for domain::project::ProjectAction {
    fn label_key(&self) -> &'static str {
        use domain::project::ProjectAction::*;
        match self {
            Submit => "project.action.submit",
            StartReview => "project.action.start_review",
            Approve => "project.action.approve",
            Return => "project.action.return",
            Reject => "project.action.reject",
            Start => "project.action.start",
            Complete => "project.action.complete",
            Evaluate => "project.action.evaluate",
            Audit => "project.action.audit",
            Close => "project.action.close",
        }
    }
}

impl Label for domain::project::NeedsKind {
    fn label_key(&self) -> &'static str {
        use domain::project::NeedsKind::*;
        match self {
            VisitNeedy => "project.needs.visit_needy",
            VisitGrassroots => "project.needs.visit_grassroots",
            VisitExperts => "project.needs.visit_experts",
            DeliberateDirection => "project.needs.deliberate_direction",
            DeliberatePath => "project.needs.deliberate_path",
            DeliberateEvaluation => "project.needs.deliberate_evaluation",
        }
    }
}

impl Label for domain::project::Grade {
    fn label_key(&self) -> &'static str {
        use domain::project::Grade::*;
        match self {
            Excellent => "project.grade.excellent",
            Good => "project.grade.good",
            Pass => "project.grade.pass",
            Fail => "project.grade.fail",
        }
    }
}

impl Label for domain::need::NeedCategory {
    fn label_key(&self) -> &'static str {
        use domain::need::NeedCategory::*;
        match self {
            Medical => "need.category.medical",
            Education => "need.category.education",
            ElderlyCare => "need.category.elderly_care",
            Disability => "need.category.disability",
            Disaster => "need.category.disaster",
            Other => "need.category.other",
        }
    }
}

impl Label for domain::need::Urgency {
    fn label_key(&self) -> &'static str {
        match self {
            domain::need::Urgency::Urgent => "need.urgency.urgent",
            domain::need::Urgency::Ordinary => "need.urgency.ordinary",
        }
    }
}

impl Label for domain::need::NeedChannel {
    fn label_key(&self) -> &'static str {
        use domain::need::NeedChannel::*;
        match self {
            WalkIn => "need.channel.walk_in",
            Phone => "need.channel.phone",
            Visit => "need.channel.visit",
        }
    }
}

impl Label for domain::need::NeedState {
    fn label_key(&self) -> &'static str {
        use domain::need::NeedState::*;
        match self {
            Raised => "need.state.raised",
            Accepted => "need.state.accepted",
            Responded => "need.state.responded",
            Resolved => "need.state.resolved",
            Referred => "need.state.referred",
            Declined => "need.state.declined",
        }
    }
}

impl Label for domain::need::NeedAction {
    fn label_key(&self) -> &'static str {
        use domain::need::NeedAction::*;
        match self {
            Accept => "need.action.accept",
            Respond => "need.action.respond",
            Resolve => "need.action.resolve",
            Refer => "need.action.refer",
            Decline => "need.action.decline",
        }
    }
}

impl Label for domain::correction::CorrectionState {
    fn label_key(&self) -> &'static str {
        use domain::correction::CorrectionState;
        match self {
            CorrectionState::Requested => "correction.state.requested",
            CorrectionState::Approved => "correction.state.approved",
            CorrectionState::Rejected => "correction.state.rejected",
            CorrectionState::Cancelled => "correction.state.cancelled",
        }
    }
}

impl Label for domain::ledger::TxKind {
    fn label_key(&self) -> &'static str {
        use domain::ledger::TxKind;
        match self {
            TxKind::Donation => "ledger.kind.donation",
            TxKind::Matching => "ledger.kind.matching",
            TxKind::Disbursement => "ledger.kind.disbursement",
            TxKind::Reversal => "ledger.kind.reversal",
            TxKind::Grant => "ledger.kind.grant",
            TxKind::Service => "ledger.kind.service",
            TxKind::Transfer => "ledger.kind.transfer",
        }
    }
}

impl Label for domain::ledger::FunctionCode {
    fn label_key(&self) -> &'static str {
        use domain::ledger::FunctionCode;
        match self {
            FunctionCode::Program => "disb.function.program",
            FunctionCode::Management => "disb.function.management",
            FunctionCode::Fundraising => "disb.function.fundraising",
            FunctionCode::Other => "disb.function.other",
        }
    }
}

impl Label for domain::access::Role {
    fn label_key(&self) -> &'static str {
        use domain::access::Role;
        match self {
            Role::Admin => "role.admin",
            Role::Staff => "role.staff",
            Role::Finance => "role.finance",
            Role::Reviewer => "role.reviewer",
            Role::Auditor => "role.auditor",
        }
    }
}

impl Label for domain::disbursement::State {
    fn label_key(&self) -> &'static str {
        use domain::disbursement::State;
        match self {
            State::Requested => "disb.state.requested",
            State::AwaitingUpper => "disb.state.awaiting_upper",
            State::Approved => "disb.state.approved",
            State::Paid => "disb.state.paid",
            State::Rejected => "disb.state.rejected",
            State::Cancelled => "disb.state.cancelled",
        }
    }
}

impl Label for domain::disbursement::Action {
    fn label_key(&self) -> &'static str {
        use domain::disbursement::Action;
        match self {
            Action::Approve => "disb.action.approve",
            Action::ApproveUpper => "disb.action.approve_upper",
            Action::Pay => "disb.action.pay",
            Action::Reject => "disb.action.reject",
            Action::Cancel => "disb.action.cancel",
        }
    }
}

impl Label for domain::donor::DonorKind {
    fn label_key(&self) -> &'static str {
        use domain::donor::DonorKind;
        match self {
            DonorKind::Individual => "donor.kind.individual",
            DonorKind::Enterprise => "donor.kind.enterprise",
            DonorKind::XiangxianCouncil => "donor.kind.xiangxian_council",
            DonorKind::EnterpriseAlliance => "donor.kind.enterprise_alliance",
        }
    }
}

impl Label for store::donations::Channel {
    fn label_key(&self) -> &'static str {
        use store::donations::Channel;
        match self {
            Channel::Cash => "channel.cash",
            Channel::BankTransfer => "channel.bank_transfer",
            Channel::Online => "channel.online",
            Channel::InKind => "channel.in_kind",
        }
    }
}

impl Label for store::commerce::Standing {
    fn label_key(&self) -> &'static str {
        use store::commerce::Standing;
        match self {
            Standing::Matched => "recon.matched",
            Standing::Missing => "recon.missing",
            Standing::Underpaid => "recon.underpaid",
            Standing::Overpaid => "recon.overpaid",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(file: &str) -> Vec<String> {
        let text =
            std::fs::read_to_string(format!("{}/locales/{file}", env!("CARGO_MANIFEST_DIR")))
                .unwrap();
        let mut keys: Vec<String> = text
            .lines()
            .filter(|l| {
                !l.trim_start().starts_with('#')
                    && !l.trim().is_empty()
                    && !l.starts_with("_version")
            })
            .map(|l| l.split_once(':').expect("key: value").0.trim().to_string())
            .collect();
        keys.sort();
        keys
    }

    #[test]
    fn both_languages_have_the_same_keys() {
        let zh = keys("zh-CN.yml");
        let en = keys("en.yml");
        assert!(zh.len() > 50);
        assert_eq!(zh, en);
        let mut dedup = zh.clone();
        dedup.dedup();
        assert_eq!(dedup, zh, "no key twice");
    }

    /// Every file below `dir` whose name ends in one of `exts`.
    fn files(dir: &std::path::Path, exts: &[&str], out: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                files(&path, exts, out);
            } else if exts.iter().any(|e| path.to_string_lossy().ends_with(e)) {
                out.push(path);
            }
        }
    }

    /// The string literals that follow `open` in `text`, up to the next quote.
    fn literals_after<'a>(text: &'a str, open: &str) -> Vec<&'a str> {
        text.match_indices(open)
            .filter_map(|(i, _)| text[i + open.len()..].split('"').next())
            .collect()
    }

    /// Every key the code and templates name literally is in the locale files: a text lookup,
    /// an error code (`err.…`), a field with an error (`field.…`).
    #[test]
    fn every_key_the_code_names_exists() {
        let known: std::collections::HashSet<String> = keys("zh-CN.yml").into_iter().collect();
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut sources = Vec::new();
        files(&root.join("src"), &[".rs"], &mut sources);
        files(&root.join("templates"), &[".html"], &mut sources);
        for other in ["../domain/src", "../store/src"] {
            files(&root.join(other), &[".rs"], &mut sources);
        }
        let mut wanted = std::collections::BTreeSet::new();
        for file in &sources {
            let text = std::fs::read_to_string(file).unwrap();
            for key in literals_after(&text, ".t(\"") {
                wanted.insert(key.to_string());
            }
            // (In templates `error("…")` names a form field, not a code.)
            for code in literals_after(&text, "lang.error(\"") {
                wanted.insert(format!("err.{code}"));
            }
            // FieldError::new("field", "code") and AppError::invalid("field", "code").
            for open in ["FieldError::new(\"", "AppError::invalid(\""] {
                for (i, _) in text.match_indices(open) {
                    let rest = &text[i + open.len()..];
                    let mut parts = rest.splitn(4, '"');
                    let (Some(field), Some(sep), Some(code)) =
                        (parts.next(), parts.next(), parts.next())
                    else {
                        continue;
                    };
                    // Skip the doc comments that show the call's shape.
                    if sep.trim() == "," && (field, code) != ("field", "code") {
                        wanted.insert(format!("field.{field}"));
                        wanted.insert(format!("err.{code}"));
                    }
                }
            }
        }
        assert!(wanted.len() > 150, "{} keys found", wanted.len());
        let missing: Vec<&String> = wanted.iter().filter(|k| !known.contains(*k)).collect();
        assert!(missing.is_empty(), "keys in no locale file: {missing:?}");
    }

    /// Every value of every closed set the pages name has words in both locales.
    #[test]
    fn every_label_exists_in_both_locales() {
        let mut wanted: Vec<&'static str> = Vec::new();
        wanted.extend(domain::org::Level::ALL.iter().map(Label::label_key));
        wanted.extend(domain::ledger::FundKind::ALL.iter().map(Label::label_key));
        wanted.extend(domain::ledger::TxKind::ALL.iter().map(Label::label_key));
        wanted.extend(
            domain::project::ProjectState::ALL
                .iter()
                .map(Label::label_key),
        );
        wanted.extend(
            domain::project::ProjectAction::ALL
                .iter()
                .map(Label::label_key),
        );
        wanted.extend(domain::project::NeedsKind::ALL.iter().map(Label::label_key));
        wanted.extend(domain::project::Grade::ALL.iter().map(Label::label_key));
        wanted.extend(domain::need::NeedCategory::ALL.iter().map(Label::label_key));
        wanted.extend(
            domain::beneficiary::Relation::ALL
                .iter()
                .map(Label::label_key),
        );
        wanted.extend(domain::agency::ListKind::ALL.iter().map(Label::label_key));
        wanted.extend(
            domain::volunteer::Availability::ALL
                .iter()
                .map(Label::label_key),
        );
        wanted.extend(
            domain::activity::Attendance::ALL
                .iter()
                .map(Label::label_key),
        );
        wanted.extend(
            store::activities::CorrectionState::ALL
                .iter()
                .map(Label::label_key),
        );
        wanted.extend(
            domain::training::TrainingTier::ALL
                .iter()
                .map(Label::label_key),
        );
        wanted.extend(domain::honour::RoundState::ALL.iter().map(Label::label_key));
        wanted.extend(domain::culture::SiteKind::ALL.iter().map(Label::label_key));
        wanted.extend(
            domain::meeting::DecisionState::ALL
                .iter()
                .map(Label::label_key),
        );
        wanted.extend(
            domain::honour::NominationState::ALL
                .iter()
                .map(Label::label_key),
        );
        wanted.extend(
            domain::volunteer::SocialWorkerLevel::ALL
                .iter()
                .map(Label::label_key),
        );
        wanted.extend(
            domain::assistance::Dimension::ALL
                .iter()
                .map(Label::label_key),
        );
        wanted.extend(
            domain::assistance::SchoolStage::ALL
                .iter()
                .map(Label::label_key),
        );
        wanted.extend(domain::need::Urgency::ALL.iter().map(Label::label_key));
        wanted.extend(domain::need::NeedChannel::ALL.iter().map(Label::label_key));
        wanted.extend(domain::need::NeedState::ALL.iter().map(Label::label_key));
        wanted.extend(domain::need::NeedAction::ALL.iter().map(Label::label_key));
        wanted.extend(
            domain::ledger::FunctionCode::ALL
                .iter()
                .map(Label::label_key),
        );
        wanted.extend(
            domain::disbursement::State::ALL
                .iter()
                .map(Label::label_key),
        );
        wanted.extend(
            domain::disbursement::Action::ALL
                .iter()
                .map(Label::label_key),
        );
        wanted.extend(store::donations::Channel::ALL.iter().map(Label::label_key));
        wanted.extend(store::commerce::Standing::ALL.iter().map(Label::label_key));
        wanted.extend(domain::access::Role::ALL.iter().map(Label::label_key));
        wanted.extend(
            domain::receipt::ReceiptStatus::ALL
                .iter()
                .map(Label::label_key),
        );
        wanted.extend(domain::donor::DonorKind::ALL.iter().map(Label::label_key));
        wanted.extend(
            domain::correction::CorrectionState::ALL
                .iter()
                .map(Label::label_key),
        );
        wanted.extend(
            domain::complaint::ComplaintState::ALL
                .iter()
                .map(Label::label_key),
        );
        wanted.extend(
            domain::complaint::ComplaintKind::ALL
                .iter()
                .map(Label::label_key),
        );
        wanted.extend(
            domain::complaint::ComplaintAction::ALL
                .iter()
                .map(Label::label_key),
        );
        wanted.extend(domain::project::Tier::ALL.iter().map(Label::label_key));
        wanted.extend(
            domain::project::ProjectType::ALL
                .iter()
                .map(Label::label_key),
        );
        wanted.extend(
            domain::supermarket::Source::ALL
                .iter()
                .map(Label::label_key),
        );
        wanted.extend(
            domain::supermarket::Category::ALL
                .iter()
                .map(Label::label_key),
        );
        wanted.extend(domain::supermarket::Basis::ALL.iter().map(Label::label_key));
        wanted.extend(domain::meals::SiteKind::ALL.iter().map(Label::label_key));
        wanted.extend(domain::meals::Priority::ALL.iter().map(Label::label_key));
        assert_eq!(
            wanted.len(),
            5 + 4
                + 7
                + 11
                + 10
                + 6
                + 4
                + 4
                + 6
                + 5
                + 4
                + 4
                + 5
                + 2
                + 4
                + 4
                + 5
                + 2
                + 4
                + 3
                + 2
                + 6
                + 2
                + 3
                + 6
                + 5
                + 7
                + 3
                + 5
                + 5
                + 4
                + 3
                + 5
                + 3
                + 3
                + 3
                + 4
                + 2
                + 2
                + 4
                + 5
                + 4
                + 2
                + 9
        );
        for file in ["zh-CN.yml", "en.yml"] {
            let known: std::collections::HashSet<String> = keys(file).into_iter().collect();
            let missing: Vec<_> = wanted.iter().filter(|k| !known.contains(**k)).collect();
            assert!(missing.is_empty(), "{file} lacks {missing:?}");
        }
    }

    #[test]
    fn lookups_are_per_call_not_global() {
        assert_eq!(Lang::ZhCn.t("action.login"), "登录");
        assert_eq!(Lang::En.t("action.login"), "Sign in");
        assert_eq!(Lang::ZhCn.t("action.login"), "登录");
    }
}
