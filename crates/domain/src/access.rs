//! Who may do what where. A grant is (user, role, org unit) and covers that unit's whole
//! subtree. This module decides; the web edge asks it once per request and hands handlers a
//! [`Scope`], which repositories turn into their `org_path` filter.

use crate::org::subtree_bounds;
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Admin,
    Staff,
    Finance,
    Reviewer,
    /// Reads everything in scope, changes nothing.
    Auditor,
}

impl Role {
    pub const ALL: [Role; 5] = [
        Role::Admin,
        Role::Staff,
        Role::Finance,
        Role::Reviewer,
        Role::Auditor,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Staff => "staff",
            Role::Finance => "finance",
            Role::Reviewer => "reviewer",
            Role::Auditor => "auditor",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.key() == s.trim())
    }

    /// The permission table. One place; every route names the permission it needs.
    pub fn allows(self, p: Permission) -> bool {
        use Permission::*;
        match self {
            Role::Admin => true,
            Role::Staff => matches!(
                p,
                ViewOrg
                    | EditOrgFacts
                    | ModerateFeedback
                    | ViewComplaints
                    | HandleComplaints
                    | ManageProjects
                    | HandleNeeds
                    | ManageVolunteers
                    | RunMeetings
                    | RunProgrammes
            ),
            Role::Finance => matches!(p, ViewOrg | ManageFunds | ViewMoney),
            Role::Reviewer => matches!(p, ViewOrg | ReviewProjects),
            Role::Auditor => matches!(p, ViewOrg | ViewAudit | ViewMoney | ViewComplaints),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Permission {
    /// See units, their facts and coverage.
    ViewOrg,
    /// Change a unit's contact and "三有" facts.
    EditOrgFacts,
    /// Read the audit trail.
    ViewAudit,
    /// Create users and grants.
    ManageUsers,
    /// Open funds and record money in the ledger.
    ManageFunds,
    /// Read and export the books (donations with donors' names, ledger, payments).
    ViewMoney,
    /// Sign e-commerce partners' agreements and hand out, rotate or revoke their API secrets.
    ManageMerchants,
    /// Set up the unit's money: close and reopen its funds, set its legal entity's
    /// second-approval threshold.
    ManageSetup,
    /// Decide whether the public's comments on the unit's projects are shown.
    ModerateFeedback,
    /// Read the complaints the unit handles (those about the units below it), with the
    /// complainant masked.
    ViewComplaints,
    /// Accept, extend, answer or dismiss those complaints, and read a complainant's contact.
    HandleComplaints,
    /// Publish project templates and run the unit's projects.
    ManageProjects,
    /// Review, supervise and evaluate the projects of the units below (never the unit's own).
    ReviewProjects,
    /// Raise the needs people bring to the unit and take them on: accept, respond, resolve,
    /// refer, decline.
    HandleNeeds,
    /// Register the unit's volunteers and keep their records.
    ManageVolunteers,
    /// Convene joint meetings, record their decisions and report on those the unit owns.
    RunMeetings,
    /// Run the unit's programmes day to day: a charity supermarket's goods, households and
    /// counter; meal points' elders, plans and meals served.
    RunProgrammes,
}

impl Permission {
    pub const ALL: [Permission; 17] = [
        Permission::ViewOrg,
        Permission::EditOrgFacts,
        Permission::ViewAudit,
        Permission::ManageUsers,
        Permission::ManageFunds,
        Permission::ViewMoney,
        Permission::ManageMerchants,
        Permission::ManageSetup,
        Permission::ModerateFeedback,
        Permission::ViewComplaints,
        Permission::HandleComplaints,
        Permission::ManageProjects,
        Permission::ReviewProjects,
        Permission::HandleNeeds,
        Permission::ManageVolunteers,
        Permission::RunMeetings,
        Permission::RunProgrammes,
    ];

    /// Changes data (so an auditor must never hold it).
    pub fn writes(self) -> bool {
        matches!(
            self,
            Permission::EditOrgFacts
                | Permission::ManageUsers
                | Permission::ManageFunds
                | Permission::ManageMerchants
                | Permission::ManageSetup
                | Permission::ModerateFeedback
                | Permission::HandleComplaints
                | Permission::ManageProjects
                | Permission::ReviewProjects
                | Permission::HandleNeeds
                | Permission::ManageVolunteers
                | Permission::RunMeetings
                | Permission::RunProgrammes
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Grant {
    pub role: Role,
    pub org_code: String,
    pub org_path: String,
}

/// A subtree the holder may act on. Made only by [`authorize`] for a user, or by
/// [`System::scope`] for the operator and the server's own jobs, so a repository that takes a
/// `&Scope` cannot be called with a filter someone forgot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    root_path: String,
}

impl Scope {
    pub fn root_path(&self) -> &str {
        &self.root_path
    }

    /// `[lo, hi)` on `org_path` for SQL range filters.
    pub fn path_bounds(&self) -> (String, String) {
        if self.root_path == "/" {
            // Every path starts with '/' and holds only digits and '/': all sort below "0".
            ("/".into(), "0".into())
        } else {
            subtree_bounds(&self.root_path)
        }
    }

    pub fn contains(&self, path: &str) -> bool {
        path.starts_with(&self.root_path)
    }

    /// `[lo, hi)` of the subtree at `path`, if it lies inside the scope: for reads about one
    /// unit's subtree rather than the whole grant. Outside the scope: an empty range.
    pub fn bounds_within(&self, path: &str) -> (String, String) {
        if self.contains(path) {
            subtree_bounds(path)
        } else {
            (String::new(), String::new())
        }
    }

    /// `[lo, hi)` of what the subtree at `path` and the scope share: the subtree if it lies
    /// inside, the whole scope if `path` is above it, else an empty range. For a rule set high
    /// up (the city's) read by someone lower down (a county): they see their own part.
    pub fn shared_bounds(&self, path: &str) -> (String, String) {
        if self.root_path.starts_with(path) {
            self.path_bounds()
        } else {
            self.bounds_within(path)
        }
    }

    /// The part of the scope under `path` (a unit inside it), for loading what a page about
    /// that unit names; None when `path` is outside.
    pub fn narrowed_to(&self, path: &str) -> Option<Scope> {
        self.contains(path).then(|| Scope {
            root_path: path.to_string(),
        })
    }
}

/// The operator at the command line and the server's own jobs (settlement, retention): the
/// whole network, with no user behind it. Never made on a request's behalf; every use names
/// why, and a search for `System::operator` finds them all.
#[derive(Debug, Clone)]
pub struct System {
    why: &'static str,
}

impl System {
    pub fn operator(why: &'static str) -> System {
        System { why }
    }

    /// What the operator or job is doing (for logs).
    pub fn why(&self) -> &'static str {
        self.why
    }

    /// Everything.
    pub fn scope(&self) -> Scope {
        Scope {
            root_path: "/".into(),
        }
    }
}

/// May a holder of `grants` use `permission` on the unit at `target_path`? The answer is the
/// widest granted subtree that covers the target.
pub fn authorize(grants: &[Grant], permission: Permission, target_path: &str) -> Option<Scope> {
    grants
        .iter()
        .filter(|g| g.role.allows(permission) && target_path.starts_with(&g.org_path))
        .min_by_key(|g| g.org_path.len())
        .map(|g| Scope {
            root_path: g.org_path.clone(),
        })
}

/// Every subtree where a holder of `grants` may use `permission`, widest first: where to look
/// for an object named without its unit.
pub fn scopes_with(grants: &[Grant], permission: Permission) -> Vec<Scope> {
    let mut held: Vec<&Grant> = grants
        .iter()
        .filter(|g| g.role.allows(permission))
        .collect();
    held.sort_by_key(|g| g.org_path.len());
    held.into_iter()
        .map(|g| Scope {
            root_path: g.org_path.clone(),
        })
        .collect()
}

/// The unit a user lands on after login: the top of their widest grant.
pub fn home_grant(grants: &[Grant]) -> Option<&Grant> {
    grants
        .iter()
        .min_by_key(|g| (g.org_path.len(), g.org_path.clone()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shared_bounds_are_the_smaller_of_the_subtree_and_the_scope() {
        let county = Scope {
            root_path: "/41/4103/410323/".into(),
        };
        assert_eq!(county.shared_bounds("/41/4103/"), county.path_bounds());
        assert_eq!(
            county.shared_bounds("/41/4103/410323/410323101/"),
            subtree_bounds("/41/4103/410323/410323101/")
        );
        let (lo, hi) = county.shared_bounds("/41/4103/410302/");
        assert!(lo >= hi, "a sibling's subtree shares nothing");
    }

    #[test]
    fn scopes_with_lists_the_grants_holding_the_permission_widest_first() {
        let grant = |role, path: &str| Grant {
            role,
            org_code: String::new(),
            org_path: path.into(),
        };
        let grants = [
            grant(Role::Staff, "/41/4103/410323/410323101/"),
            grant(Role::Finance, "/41/4103/410323/"),
            grant(Role::Finance, "/41/4103/410302/410302001/"),
        ];
        let roots: Vec<String> = scopes_with(&grants, Permission::ManageFunds)
            .iter()
            .map(|s| s.root_path().to_string())
            .collect();
        assert_eq!(roots, ["/41/4103/410323/", "/41/4103/410302/410302001/"]);
        assert!(scopes_with(&grants, Permission::ManageSetup).is_empty());
    }
    use proptest::prelude::*;

    fn grant(role: Role, path: &str) -> Grant {
        Grant {
            role,
            org_code: path
                .trim_end_matches('/')
                .rsplit('/')
                .next()
                .unwrap()
                .into(),
            org_path: path.into(),
        }
    }

    #[test]
    fn a_county_grant_covers_its_villages_and_nothing_beside_or_above() {
        let g = [grant(Role::Staff, "/41/4103/410323/")];
        assert!(
            authorize(
                &g,
                Permission::EditOrgFacts,
                "/41/4103/410323/410323100/410323100201/"
            )
            .is_some()
        );
        assert!(authorize(&g, Permission::ViewOrg, "/41/4103/410323/").is_some());
        assert!(authorize(&g, Permission::ViewOrg, "/41/4103/").is_none());
        assert!(authorize(&g, Permission::ViewOrg, "/41/4103/410324/").is_none());
        assert!(authorize(&g, Permission::ViewAudit, "/41/4103/410323/").is_none());
    }

    #[test]
    fn auditors_never_write() {
        for p in Permission::ALL {
            if p.writes() {
                assert!(!Role::Auditor.allows(p), "{p:?}");
            }
        }
        assert!(Role::Auditor.allows(Permission::ViewOrg));
        assert!(Role::Auditor.allows(Permission::ViewAudit));
        assert!(!Role::Staff.allows(Permission::ManageFunds));
        assert!(Role::Finance.allows(Permission::ManageFunds));
        assert!(
            !Role::Finance.allows(Permission::ManageMerchants),
            "agreements are the admin's"
        );
        assert!(Role::Admin.allows(Permission::ManageMerchants));
    }

    #[test]
    fn a_scope_narrows_only_inside_itself() {
        let s = authorize(
            &[grant(Role::Finance, "/41/4103/410323/")],
            Permission::ViewMoney,
            "/41/4103/410323/",
        )
        .unwrap();
        let village = s.narrowed_to("/41/4103/410323/410323101/").unwrap();
        assert!(village.contains("/41/4103/410323/410323101/410323101001/"));
        assert!(!village.contains("/41/4103/410323/410323102/"));
        assert!(s.narrowed_to("/41/4103/410324/").is_none());
        assert!(System::operator("test").scope().contains("/44/4419/"));
    }

    #[test]
    fn the_widest_covering_grant_wins() {
        let g = [
            grant(Role::Staff, "/41/4103/410323/"),
            grant(Role::Staff, "/41/4103/"),
        ];
        let s = authorize(&g, Permission::ViewOrg, "/41/4103/410323/410323100/").unwrap();
        assert_eq!(s.root_path(), "/41/4103/");
        assert!(s.contains("/41/4103/410302/"));
        assert_eq!(home_grant(&g).unwrap().org_path, "/41/4103/");
    }

    fn any_path() -> impl Strategy<Value = String> {
        proptest::collection::vec(0u8..3, 1..5).prop_map(|digits| {
            let mut p = String::from("/");
            let mut code = String::new();
            for d in digits {
                code.push(char::from(b'1' + d));
                p.push_str(&code);
                p.push('/');
            }
            p
        })
    }

    fn any_role() -> impl Strategy<Value = Role> {
        proptest::sample::select(Role::ALL.to_vec())
    }

    fn any_permission() -> impl Strategy<Value = Permission> {
        proptest::sample::select(Permission::ALL.to_vec())
    }

    proptest! {
        #[test]
        fn granted_exactly_when_a_grant_with_the_permission_covers_the_target(
            grants in proptest::collection::vec((any_role(), any_path()), 0..4),
            p in any_permission(),
            target in any_path(),
        ) {
            let grants: Vec<Grant> = grants.iter().map(|(r, path)| grant(*r, path)).collect();
            let expected = grants.iter().any(|g| g.role.allows(p) && target.starts_with(&g.org_path));
            let scope = authorize(&grants, p, &target);
            prop_assert_eq!(scope.is_some(), expected);
            if let Some(s) = scope {
                prop_assert!(s.contains(&target));
                let (lo, hi) = s.path_bounds();
                prop_assert!(lo.as_str() <= target.as_str() && target.as_str() < hi.as_str());
            }
        }
    }
}
