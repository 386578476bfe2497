//! Who may do what: roles, their scopes, and the one policy function, [`decide`], that every
//! request is judged by.
//!
//! The policy is a pure function of the actor's role assignments, the action and a description
//! of the target record, so the whole authorization model can be read here and tested as a
//! table. Callers describe the target ([`Target`]) from the stored record; they never decide.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::AdminCode;
use crate::code::Level;
use crate::model::Tier;

/// What a user may be assigned to do. Anonymous visitors have no role: they read what is
/// published.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Acts for one jurisdiction: reports progress on its tasks, raises problems.
    MemberOfficer,
    /// Also records the member's positions, signs agreements for it, approves its officers'
    /// reports.
    MemberCoordinator,
    /// The Regional Cooperation Office: drafts plans and matters, verifies reports, escalates,
    /// publishes. Region-wide, or for one body (a thematic group).
    OfficeStaff,
    /// Records the meetings and outcomes of one body.
    BodySecretary,
    /// Manages accounts and roles (region-wide, or within one jurisdiction); never content.
    Administrator,
    /// Reads everything, the history included; changes nothing.
    Auditor,
}

impl Role {
    pub const ALL: [Role; 6] = [
        Role::MemberOfficer,
        Role::MemberCoordinator,
        Role::OfficeStaff,
        Role::BodySecretary,
        Role::Administrator,
        Role::Auditor,
    ];

    /// The wire and storage name, e.g. `member_officer`.
    pub fn name(self) -> &'static str {
        match self {
            Role::MemberOfficer => "member_officer",
            Role::MemberCoordinator => "member_coordinator",
            Role::OfficeStaff => "office_staff",
            Role::BodySecretary => "body_secretary",
            Role::Administrator => "administrator",
            Role::Auditor => "auditor",
        }
    }

    /// Whether this role may be scoped as `scope` is.
    fn accepts(self, scope: &Scope) -> bool {
        matches!(
            (self, scope),
            (
                Role::MemberOfficer | Role::MemberCoordinator,
                Scope::Jurisdiction(_)
            ) | (Role::BodySecretary, Scope::Body(_))
                | (Role::OfficeStaff, Scope::Region | Scope::Body(_))
                | (Role::Administrator, Scope::Region | Scope::Jurisdiction(_))
                | (Role::Auditor, Scope::Region)
        )
    }

    fn scopes_allowed(self) -> &'static str {
        match self {
            Role::MemberOfficer | Role::MemberCoordinator => "a jurisdiction",
            Role::BodySecretary => "a body",
            Role::OfficeStaff => "the region or a body",
            Role::Administrator => "the region or a jurisdiction",
            Role::Auditor => "the region",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Role, String> {
        Role::ALL
            .into_iter()
            .find(|r| r.name() == s)
            .ok_or_else(|| {
                let names: Vec<_> = Role::ALL.iter().map(|r| r.name()).collect();
                format!("unknown role {s:?}; expected one of {}", names.join(", "))
            })
    }
}

/// What a role assignment covers.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "kind", content = "key", rename_all = "snake_case")]
pub enum Scope {
    Region,
    Jurisdiction(AdminCode),
    /// A body, by key.
    Body(String),
}

impl Scope {
    /// The storage pair (kind, key); the key is empty for the region.
    pub fn parts(&self) -> (&'static str, String) {
        match self {
            Scope::Region => ("region", String::new()),
            Scope::Jurisdiction(code) => ("jurisdiction", code.to_string()),
            Scope::Body(key) => ("body", key.clone()),
        }
    }

    /// The inverse of [`Scope::parts`].
    pub fn from_parts(kind: &str, key: &str) -> Result<Scope, String> {
        match kind {
            "region" if key.is_empty() => Ok(Scope::Region),
            "region" => Err("a region-wide scope has no key".into()),
            "jurisdiction" => key
                .parse()
                .map(Scope::Jurisdiction)
                .map_err(|e| format!("{e}")),
            "body" if crate::is_valid_key(key) => Ok(Scope::Body(key.to_owned())),
            "body" => Err(format!("{key:?} is not a body key")),
            _ => Err(format!(
                "unknown scope kind {kind:?}; expected region, jurisdiction or body"
            )),
        }
    }
}

/// Written `region`, `jurisdiction:320000` or `body:<key>` on the command line and in URLs.
impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Scope::Region => f.write_str("region"),
            Scope::Jurisdiction(code) => write!(f, "jurisdiction:{code}"),
            Scope::Body(key) => write!(f, "body:{key}"),
        }
    }
}

impl FromStr for Scope {
    type Err = String;
    fn from_str(s: &str) -> Result<Scope, String> {
        let (kind, key) = s.split_once(':').unwrap_or((s, ""));
        Scope::from_parts(kind, key).map_err(|e| {
            format!("{e} (write a scope as region, jurisdiction:<code> or body:<key>)")
        })
    }
}

/// A role held within a scope. Only the combinations that make sense can be built.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Assignment {
    role: Role,
    scope: Scope,
}

impl Assignment {
    pub fn new(role: Role, scope: Scope) -> Result<Assignment, String> {
        if role.accepts(&scope) {
            Ok(Assignment { role, scope })
        } else {
            Err(format!(
                "the role {role} is scoped to {}, not to {scope}",
                role.scopes_allowed()
            ))
        }
    }

    pub fn role(&self) -> Role {
        self.role
    }

    pub fn scope(&self) -> &Scope {
        &self.scope
    }
}

impl fmt::Display for Assignment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.role, self.scope)
    }
}

/// A signed-in user as the policy sees them.
#[derive(Clone, Copy, Debug)]
pub struct Actor<'a> {
    pub username: &'a str,
    pub assignments: &'a [Assignment],
}

impl Actor<'_> {
    fn holds(&self, role: Role, scope: &Scope) -> bool {
        self.assignments
            .iter()
            .any(|a| a.role == role && a.scope == *scope)
    }

    fn holds_region(&self, role: Role) -> bool {
        self.holds(role, &Scope::Region)
    }

    fn holds_for(&self, role: Role, member: AdminCode) -> bool {
        self.holds(role, &Scope::Jurisdiction(member))
    }

    fn has_any_role_in_body(&self, body: &str) -> bool {
        self.assignments
            .iter()
            .any(|a| matches!(&a.scope, Scope::Body(b) if b == body))
    }

    fn has_any_role_for(&self, member: AdminCode) -> bool {
        self.assignments.iter().any(|a| {
            matches!(a.role, Role::MemberOfficer | Role::MemberCoordinator)
                && a.scope == Scope::Jurisdiction(member)
        })
    }

    /// Whether an administrator assignment of this actor covers `scope`.
    fn administers(&self, scope: &Scope) -> bool {
        self.assignments.iter().any(|a| {
            a.role == Role::Administrator
                && match (&a.scope, scope) {
                    (Scope::Region, _) => true,
                    (Scope::Jurisdiction(mine), Scope::Jurisdiction(theirs)) => {
                        contains(*mine, *theirs)
                    }
                    _ => false,
                }
        })
    }
}

/// Whether `code` is `area` or lies within it in the administrative tree.
pub fn contains(area: AdminCode, code: AdminCode) -> bool {
    match area.level() {
        Level::Province => code.province() == area,
        Level::Prefecture => code.value() / 100 == area.value() / 100,
        Level::County => code == area,
    }
}

/// What is asked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Read,
    ReadHistory,
    /// Submit a progress report on a task.
    ReportProgress,
    /// Approve an officer's report for the member.
    ApproveReport,
    /// Verify (or return) a member's report.
    VerifyReport,
    /// Change a task's responsible unit, title or dates.
    EditTask,
    /// Add a sub-task under a member's task.
    AddSubtask,
    RaiseProblem,
    /// Move an unresolved problem up one tier.
    EscalateProblem,
    /// Resolve a problem at the tier it has reached.
    ResolveProblem,
    /// Record a member's position on a decision.
    RecordPosition,
    SignAgreement,
    /// Schedule, record or close a meeting of a body.
    RecordMeeting,
    /// Create or edit a plan, matter or agreement, and move an agreement through its states.
    Draft,
    Publish,
    /// Create an account or change its name, language or password.
    ManageAccount,
    Grant,
    Revoke,
    CreateToken,
    RevokeToken,
    /// Walk the whole journal (`yrd verify-history`, the unfiltered history).
    AuditJournal,
}

/// Whether a draft may be seen, and who is responsible for it.
#[derive(Clone, Copy, Debug)]
pub struct Publication<'a> {
    /// The record and everything it belongs to (a matter's plan) are published.
    pub published: bool,
    /// The body responsible, whose roles see the draft.
    pub body: Option<&'a str>,
}

/// The record an action is aimed at, described by what the policy needs to know of it.
#[derive(Clone, Copy, Debug)]
pub enum Target<'a> {
    /// Records that are public by nature: jurisdictions, zones, bodies and seats, meetings and
    /// decisions, agreements, indicators and their observations; and the API's own documents.
    Open,
    Plan(Publication<'a>),
    Matter {
        publication: Publication<'a>,
        /// Lead and participating members.
        members: &'a [AdminCode],
    },
    /// A member's task (and its reports), within a matter.
    Task {
        publication: Publication<'a>,
        member: AdminCode,
    },
    /// A progress report on a member's task, and who submitted it (None for reports of the
    /// public record).
    Report {
        publication: Publication<'a>,
        member: AdminCode,
        submitted_by: Option<&'a str>,
    },
    /// A decision of a meeting of `body`, as it concerns `member`'s position.
    Decision {
        body: &'a str,
        member: AdminCode,
    },
    /// An agreement; `party` when the action concerns that party's signature. A draft
    /// agreement is unpublished until it is opened for signature.
    Agreement {
        publication: Publication<'a>,
        party: Option<AdminCode>,
    },
    /// A problem raised on a matter, at `tier`.
    Problem {
        publication: Publication<'a>,
        /// The matter's lead and participating members.
        members: &'a [AdminCode],
        tier: Tier,
        /// The bodies of the problem's tier whose secretaries decide on it (coordination and
        /// decision tiers).
        tier_bodies: &'a [String],
    },
    /// A meeting of `body`.
    Meeting {
        body: &'a str,
    },
    /// A user account and the roles it holds.
    Account {
        username: &'a str,
        assignments: &'a [Assignment],
    },
    /// A role assignment being granted or revoked.
    Assignment(&'a Assignment),
    /// An API token of `owner`, whose account holds `owner_assignments`.
    Token {
        owner: &'a str,
        owner_assignments: &'a [Assignment],
    },
    /// The journal as a whole.
    Journal,
}

/// How a request that is not allowed is answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// Sign in first (401).
    SignIn,
    /// Signed in, but not allowed (403).
    Forbidden,
    /// The target is invisible to the actor: answer as if it did not exist (404).
    Hidden,
}

/// The policy's verdict.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    Allow,
    Deny {
        refusal: Refusal,
        reason: &'static str,
    },
}

impl Decision {
    pub fn is_allowed(&self) -> bool {
        matches!(self, Decision::Allow)
    }
}

fn allow_if(condition: bool, reason: &'static str) -> Decision {
    if condition {
        Decision::Allow
    } else {
        Decision::Deny {
            refusal: Refusal::Forbidden,
            reason,
        }
    }
}

const HIDDEN: Decision = Decision::Deny {
    refusal: Refusal::Hidden,
    reason: "no such record",
};

const SIGN_IN: Decision = Decision::Deny {
    refusal: Refusal::SignIn,
    reason: "sign in first",
};

/// Decides whether `actor` (None: an anonymous visitor) may perform `action` on `target`.
/// Every request is judged here and nowhere else.
pub fn decide(actor: Option<&Actor<'_>>, action: Action, target: &Target<'_>) -> Decision {
    // Drafts are invisible to whoever may not see them, whatever they ask to do with them.
    if let Some(publication) = publication(target)
        && !can_see_draft(actor, publication)
    {
        return HIDDEN;
    }
    if action == Action::Read {
        return read(actor, target);
    }
    let Some(actor) = actor else {
        return SIGN_IN;
    };
    match action {
        Action::Read => unreachable!("handled above"),
        Action::ReadHistory => read_history(actor, target),
        Action::AuditJournal => allow_if(
            matches!(target, Target::Journal) && actor.holds_region(Role::Auditor),
            "only an auditor reads the whole journal",
        ),
        Action::ReportProgress => match target {
            Target::Task { member, .. } => allow_if(
                actor.has_any_role_for(*member),
                "only the member's officers and coordinators report on its tasks",
            ),
            _ => not_applicable(),
        },
        Action::ApproveReport => match target {
            Target::Task { member, .. } => allow_if(
                actor.holds_for(Role::MemberCoordinator, *member),
                "only the member's coordinator approves its officers' reports",
            ),
            Target::Report {
                member,
                submitted_by,
                ..
            } => {
                if *submitted_by == Some(actor.username) {
                    return forbidden("nobody approves their own report");
                }
                allow_if(
                    actor.holds_for(Role::MemberCoordinator, *member),
                    "only the member's coordinator approves its officers' reports",
                )
            }
            _ => not_applicable(),
        },
        Action::VerifyReport => match target {
            Target::Task { publication, .. } => allow_if(
                office_for(actor, publication.body),
                "only the office verifies reports",
            ),
            Target::Report {
                publication,
                submitted_by,
                ..
            } => {
                if *submitted_by == Some(actor.username) {
                    return forbidden("nobody verifies their own report");
                }
                allow_if(
                    office_for(actor, publication.body),
                    "only the office verifies or returns reports",
                )
            }
            _ => not_applicable(),
        },
        Action::RaiseProblem => match target {
            Target::Matter {
                publication,
                members,
            } => allow_if(
                office_for(actor, publication.body)
                    || publication
                        .body
                        .is_some_and(|b| actor.has_any_role_in_body(b))
                    || members.iter().any(|m| actor.has_any_role_for(*m)),
                "only those with a role on the matter raise problems on it",
            ),
            _ => not_applicable(),
        },
        Action::RecordPosition => match target {
            Target::Decision { member, .. } => allow_if(
                actor.holds_for(Role::MemberCoordinator, *member),
                "only the member's coordinator records its position",
            ),
            _ => not_applicable(),
        },
        Action::EditTask => match target {
            Target::Task {
                publication,
                member,
            } => allow_if(
                actor.has_any_role_for(*member) || office_for(actor, publication.body),
                "only the member's officers and coordinators, or the office, edit its tasks",
            ),
            _ => not_applicable(),
        },
        Action::AddSubtask => match target {
            Target::Task { member, .. } => allow_if(
                actor.holds_for(Role::MemberCoordinator, *member),
                "only the member's coordinator splits its task into sub-tasks",
            ),
            _ => not_applicable(),
        },
        Action::EscalateProblem => match target {
            Target::Problem {
                publication,
                members,
                ..
            } => allow_if(
                resolves_problem(actor, target)
                    || office_for(actor, publication.body)
                    || members
                        .iter()
                        .any(|m| actor.holds_for(Role::MemberCoordinator, *m)),
                "only the office, the tier that holds the problem, or a coordinator of a member \
                 of the matter escalates it",
            ),
            _ => not_applicable(),
        },
        Action::ResolveProblem => match target {
            Target::Problem {
                tier: Tier::Execution,
                ..
            } => allow_if(
                resolves_problem(actor, target),
                "only the office or the responsible body resolves a problem at the execution tier",
            ),
            Target::Problem { .. } => allow_if(
                resolves_problem(actor, target),
                "only the secretary of a body of the problem's tier records its resolution",
            ),
            _ => not_applicable(),
        },
        Action::SignAgreement => match target {
            Target::Agreement {
                party: Some(party), ..
            } => allow_if(
                actor.holds_for(Role::MemberCoordinator, *party),
                "only the party's coordinator signs for it",
            ),
            _ => not_applicable(),
        },
        Action::RecordMeeting => match target {
            Target::Meeting { body } => allow_if(
                actor.holds(Role::BodySecretary, &Scope::Body((*body).to_owned()))
                    || actor.holds_region(Role::OfficeStaff),
                "only the body's secretary or the office records its meetings",
            ),
            _ => not_applicable(),
        },
        Action::Draft | Action::Publish => match target {
            Target::Plan(publication) | Target::Matter { publication, .. } => allow_if(
                office_for(actor, publication.body),
                "only the office drafts and publishes plans and matters",
            ),
            Target::Agreement { .. } => allow_if(
                actor.holds_region(Role::OfficeStaff),
                "only the office drafts agreements and moves them through their states",
            ),
            _ => not_applicable(),
        },
        Action::ManageAccount => match target {
            Target::Account {
                username,
                assignments,
            } => allow_if(
                administers_account(actor, username, assignments),
                "only an administrator whose scope covers every role of the account manages it",
            ),
            _ => not_applicable(),
        },
        Action::Grant | Action::Revoke => match target {
            Target::Assignment(assignment) => allow_if(
                actor.administers(assignment.scope()),
                "only an administrator whose scope covers the role's scope grants or revokes it",
            ),
            _ => not_applicable(),
        },
        Action::CreateToken => match target {
            Target::Token { owner, .. } => allow_if(
                *owner == actor.username,
                "tokens are created by their owner only",
            ),
            _ => not_applicable(),
        },
        Action::RevokeToken => match target {
            Target::Token {
                owner,
                owner_assignments,
            } => allow_if(
                *owner == actor.username || administers_account(actor, owner, owner_assignments),
                "only the token's owner or their administrator revokes it",
            ),
            _ => not_applicable(),
        },
    }
}

fn forbidden(reason: &'static str) -> Decision {
    Decision::Deny {
        refusal: Refusal::Forbidden,
        reason,
    }
}

fn not_applicable() -> Decision {
    Decision::Deny {
        refusal: Refusal::Forbidden,
        reason: "this action does not apply to this record",
    }
}

fn publication<'a>(target: &Target<'a>) -> Option<Publication<'a>> {
    match target {
        Target::Plan(p) => Some(*p),
        Target::Matter { publication, .. }
        | Target::Task { publication, .. }
        | Target::Report { publication, .. }
        | Target::Agreement { publication, .. }
        | Target::Problem { publication, .. } => Some(*publication),
        _ => None,
    }
}

/// Drafts are seen by the office region-wide, auditors, and every role of the responsible body.
fn can_see_draft(actor: Option<&Actor<'_>>, publication: Publication<'_>) -> bool {
    if publication.published {
        return true;
    }
    let Some(actor) = actor else { return false };
    actor.holds_region(Role::OfficeStaff)
        || actor.holds_region(Role::Auditor)
        || publication
            .body
            .is_some_and(|body| actor.has_any_role_in_body(body))
}

/// Which drafts an actor sees in lists: the same rule as [`decide`] applies to one record.
/// The default shows published records only.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DraftVisibility {
    /// Every draft.
    All,
    /// Drafts for which one of these bodies is responsible (none: published records only).
    OfBodies(Vec<String>),
}

impl Default for DraftVisibility {
    fn default() -> Self {
        DraftVisibility::OfBodies(Vec::new())
    }
}

impl DraftVisibility {
    pub fn sees(&self, publication: Publication<'_>) -> bool {
        publication.published
            || match self {
                DraftVisibility::All => true,
                DraftVisibility::OfBodies(bodies) => publication
                    .body
                    .is_some_and(|b| bodies.iter().any(|x| x == b)),
            }
    }
}

/// The drafts `actor` may see.
pub fn draft_visibility(actor: Option<&Actor<'_>>) -> DraftVisibility {
    let Some(actor) = actor else {
        return DraftVisibility::OfBodies(Vec::new());
    };
    if actor.holds_region(Role::OfficeStaff) || actor.holds_region(Role::Auditor) {
        return DraftVisibility::All;
    }
    let mut bodies: Vec<String> = actor
        .assignments
        .iter()
        .filter_map(|a| match &a.scope {
            Scope::Body(b) => Some(b.clone()),
            _ => None,
        })
        .collect();
    bodies.sort();
    bodies.dedup();
    DraftVisibility::OfBodies(bodies)
}

/// Region-wide office staff, or office staff of the responsible body.
fn office_for(actor: &Actor<'_>, body: Option<&str>) -> bool {
    actor.holds_region(Role::OfficeStaff)
        || body.is_some_and(|b| actor.holds(Role::OfficeStaff, &Scope::Body(b.to_owned())))
}

/// Whether the actor decides on a problem at the tier it has reached: the office or the
/// responsible body's secretary at the execution tier, a secretary of a body of the tier above.
fn resolves_problem(actor: &Actor<'_>, target: &Target<'_>) -> bool {
    let Target::Problem {
        publication,
        tier,
        tier_bodies,
        ..
    } = target
    else {
        return false;
    };
    let secretary_of = |body: &str| actor.holds(Role::BodySecretary, &Scope::Body(body.to_owned()));
    match tier {
        Tier::Execution => {
            office_for(actor, publication.body) || publication.body.is_some_and(secretary_of)
        }
        Tier::Coordination | Tier::Decision => tier_bodies.iter().any(|b| secretary_of(b)),
    }
}

fn administers_account(actor: &Actor<'_>, username: &str, assignments: &[Assignment]) -> bool {
    if actor.holds_region(Role::Administrator) {
        return true;
    }
    // A jurisdiction's administrator manages accounts all of whose roles lie within it, so it
    // can never reach an account that acts elsewhere; nobody but a region-wide administrator
    // manages an account without roles, or their own.
    username != actor.username
        && !assignments.is_empty()
        && assignments.iter().all(|a| actor.administers(a.scope()))
}

fn read(actor: Option<&Actor<'_>>, target: &Target<'_>) -> Decision {
    match target {
        // Visibility of drafts was settled before.
        Target::Open
        | Target::Plan(_)
        | Target::Matter { .. }
        | Target::Task { .. }
        | Target::Report { .. }
        | Target::Decision { .. }
        | Target::Agreement { .. }
        | Target::Problem { .. }
        | Target::Meeting { .. } => Decision::Allow,
        Target::Account {
            username,
            assignments,
        } => {
            let Some(actor) = actor else { return SIGN_IN };
            if *username == actor.username
                || actor.holds_region(Role::Auditor)
                || administers_account(actor, username, assignments)
            {
                Decision::Allow
            } else {
                HIDDEN
            }
        }
        Target::Token {
            owner,
            owner_assignments,
        } => {
            let Some(actor) = actor else { return SIGN_IN };
            if *owner == actor.username
                || actor.holds_region(Role::Auditor)
                || administers_account(actor, owner, owner_assignments)
            {
                Decision::Allow
            } else {
                HIDDEN
            }
        }
        Target::Assignment(_) | Target::Journal => match actor {
            None => SIGN_IN,
            Some(actor) => allow_if(
                actor.holds_region(Role::Auditor) || actor.holds_region(Role::Administrator),
                "only auditors and region-wide administrators read this",
            ),
        },
    }
}

/// A record's history is shown to signed-in users who may read the record, since it names the
/// officials who changed it; auditors read every history.
fn read_history(actor: &Actor<'_>, target: &Target<'_>) -> Decision {
    if actor.holds_region(Role::Auditor) {
        return Decision::Allow;
    }
    read(Some(actor), target)
}

#[cfg(test)]
mod tests {
    use super::*;

    const JS: &str = "320000";
    const ZJ: &str = "330000";

    fn code(s: &str) -> AdminCode {
        s.parse().unwrap()
    }

    fn assignment(role: Role, scope: Scope) -> Assignment {
        Assignment::new(role, scope).unwrap()
    }

    fn officer(of: &str) -> Vec<Assignment> {
        vec![assignment(
            Role::MemberOfficer,
            Scope::Jurisdiction(code(of)),
        )]
    }

    fn coordinator(of: &str) -> Vec<Assignment> {
        vec![assignment(
            Role::MemberCoordinator,
            Scope::Jurisdiction(code(of)),
        )]
    }

    fn decide_as(assignments: &[Assignment], action: Action, target: &Target<'_>) -> Decision {
        let actor = Actor {
            username: "someone",
            assignments,
        };
        decide(Some(&actor), action, target)
    }

    fn task(member: &str, published: bool, body: Option<&'static str>) -> Target<'static> {
        Target::Task {
            publication: Publication { published, body },
            member: code(member),
        }
    }

    #[test]
    fn roles_accept_only_their_scopes() {
        let js = Scope::Jurisdiction(code(JS));
        let group = Scope::Body("transport-group".into());
        assert!(Assignment::new(Role::MemberOfficer, js.clone()).is_ok());
        assert!(Assignment::new(Role::MemberOfficer, Scope::Region).is_err());
        assert!(Assignment::new(Role::BodySecretary, group.clone()).is_ok());
        assert!(Assignment::new(Role::BodySecretary, js.clone()).is_err());
        assert!(Assignment::new(Role::OfficeStaff, group).is_ok());
        assert!(Assignment::new(Role::Administrator, js).is_ok());
        let err = Assignment::new(Role::Auditor, Scope::Body("x".into())).unwrap_err();
        assert_eq!(
            err,
            "the role auditor is scoped to the region, not to body:x"
        );
    }

    #[test]
    fn role_and_scope_names_round_trip() {
        for role in Role::ALL {
            assert_eq!(role.name().parse::<Role>().unwrap(), role);
        }
        assert!(
            "admin"
                .parse::<Role>()
                .unwrap_err()
                .contains("administrator")
        );
        for scope in [
            Scope::Region,
            Scope::Jurisdiction(code(JS)),
            Scope::Body("office".into()),
        ] {
            let (kind, key) = scope.parts();
            assert_eq!(Scope::from_parts(kind, &key).unwrap(), scope);
            assert_eq!(scope.to_string().parse::<Scope>().unwrap(), scope);
        }
        assert!(Scope::from_parts("region", "x").is_err());
        assert!(Scope::from_parts("jurisdiction", "32").is_err());
    }

    #[test]
    fn officers_report_only_on_their_members_tasks() {
        let js = officer(JS);
        assert!(decide_as(&js, Action::ReportProgress, &task(JS, true, None)).is_allowed());
        assert_eq!(
            decide_as(&js, Action::ReportProgress, &task(ZJ, true, None)),
            Decision::Deny {
                refusal: Refusal::Forbidden,
                reason: "only the member's officers and coordinators report on its tasks"
            }
        );
        // A city's officer does not act for its province.
        let suzhou = officer("320500");
        assert!(!decide_as(&suzhou, Action::ReportProgress, &task(JS, true, None)).is_allowed());
        // Office staff verify; they do not report for members.
        let office = vec![assignment(Role::OfficeStaff, Scope::Region)];
        assert!(!decide_as(&office, Action::ReportProgress, &task(JS, true, None)).is_allowed());
        assert!(decide_as(&office, Action::VerifyReport, &task(JS, true, None)).is_allowed());
        assert!(!decide_as(&js, Action::VerifyReport, &task(JS, true, None)).is_allowed());
    }

    #[test]
    fn nobody_approves_or_verifies_their_own_report() {
        let report = |by: Option<&'static str>| Target::Report {
            publication: Publication {
                published: true,
                body: None,
            },
            member: code(JS),
            submitted_by: by,
        };
        let js_coordinator = coordinator(JS);
        assert!(
            decide_as(
                &js_coordinator,
                Action::ApproveReport,
                &report(Some("officer"))
            )
            .is_allowed()
        );
        assert_eq!(
            decide_as(
                &js_coordinator,
                Action::ApproveReport,
                &report(Some("someone"))
            ),
            forbidden("nobody approves their own report")
        );
        let office = vec![assignment(Role::OfficeStaff, Scope::Region)];
        assert!(decide_as(&office, Action::VerifyReport, &report(Some("officer"))).is_allowed());
        assert!(decide_as(&office, Action::VerifyReport, &report(None)).is_allowed());
        assert_eq!(
            decide_as(&office, Action::VerifyReport, &report(Some("someone"))),
            forbidden("nobody verifies their own report")
        );
        assert!(!decide_as(&officer(JS), Action::VerifyReport, &report(Some("x"))).is_allowed());
        assert!(
            !decide_as(&coordinator(ZJ), Action::ApproveReport, &report(Some("x"))).is_allowed()
        );
    }

    #[test]
    fn only_the_members_coordinator_records_its_position() {
        let decision = Target::Decision {
            body: "symposium",
            member: code(JS),
        };
        assert!(!decide_as(&officer(JS), Action::RecordPosition, &decision).is_allowed());
        assert!(!decide_as(&coordinator(ZJ), Action::RecordPosition, &decision).is_allowed());
        assert!(decide_as(&coordinator(JS), Action::RecordPosition, &decision).is_allowed());
        let agreement = Target::Agreement {
            publication: PUBLISHED,
            party: Some(code(JS)),
        };
        assert!(decide_as(&coordinator(JS), Action::SignAgreement, &agreement).is_allowed());
        assert!(!decide_as(&coordinator(ZJ), Action::SignAgreement, &agreement).is_allowed());
        assert!(!decide_as(&officer(JS), Action::SignAgreement, &agreement).is_allowed());
    }

    const PUBLISHED: Publication<'static> = Publication {
        published: true,
        body: None,
    };

    #[test]
    fn agreements_are_drafted_by_the_office_and_hidden_until_opened() {
        let office = vec![assignment(Role::OfficeStaff, Scope::Region)];
        let draft = Target::Agreement {
            publication: Publication {
                published: false,
                body: None,
            },
            party: None,
        };
        assert_eq!(decide(None, Action::Read, &draft), HIDDEN);
        assert_eq!(decide_as(&coordinator(JS), Action::Read, &draft), HIDDEN);
        assert!(decide_as(&office, Action::Draft, &draft).is_allowed());
        let open = Target::Agreement {
            publication: PUBLISHED,
            party: None,
        };
        assert!(decide(None, Action::Read, &open).is_allowed());
        assert!(!decide_as(&coordinator(JS), Action::Draft, &open).is_allowed());
    }

    #[test]
    fn tasks_are_edited_by_their_member_and_split_by_its_coordinator() {
        let target = task(JS, true, None);
        assert!(decide_as(&officer(JS), Action::EditTask, &target).is_allowed());
        assert!(!decide_as(&officer(ZJ), Action::EditTask, &target).is_allowed());
        let office = vec![assignment(Role::OfficeStaff, Scope::Region)];
        assert!(decide_as(&office, Action::EditTask, &target).is_allowed());
        assert!(decide_as(&coordinator(JS), Action::AddSubtask, &target).is_allowed());
        assert!(!decide_as(&officer(JS), Action::AddSubtask, &target).is_allowed());
        assert!(!decide_as(&coordinator(ZJ), Action::AddSubtask, &target).is_allowed());
    }

    #[test]
    fn problems_are_resolved_by_the_tier_that_holds_them() {
        let members = [code(JS), code(ZJ)];
        let joint = ["joint-meeting".to_owned()];
        let problem = |tier| Target::Problem {
            publication: Publication {
                published: true,
                body: Some("transport-group"),
            },
            members: &members,
            tier,
            tier_bodies: if tier == Tier::Execution { &[] } else { &joint },
        };
        let office = vec![assignment(Role::OfficeStaff, Scope::Region)];
        let group_secretary = vec![assignment(
            Role::BodySecretary,
            Scope::Body("transport-group".into()),
        )];
        let joint_secretary = vec![assignment(
            Role::BodySecretary,
            Scope::Body("joint-meeting".into()),
        )];
        let execution = problem(Tier::Execution);
        let coordination = problem(Tier::Coordination);
        assert!(decide_as(&office, Action::ResolveProblem, &execution).is_allowed());
        assert!(decide_as(&group_secretary, Action::ResolveProblem, &execution).is_allowed());
        assert!(!decide_as(&joint_secretary, Action::ResolveProblem, &execution).is_allowed());
        assert!(!decide_as(&coordinator(JS), Action::ResolveProblem, &execution).is_allowed());
        // Once escalated, the office can no longer settle it; the joint meeting does.
        assert_eq!(
            decide_as(&office, Action::ResolveProblem, &coordination),
            forbidden("only the secretary of a body of the problem's tier records its resolution")
        );
        assert!(decide_as(&joint_secretary, Action::ResolveProblem, &coordination).is_allowed());
        // Escalation on request: the office, the holding tier, or a member's coordinator.
        assert!(decide_as(&office, Action::EscalateProblem, &coordination).is_allowed());
        assert!(decide_as(&coordinator(ZJ), Action::EscalateProblem, &execution).is_allowed());
        assert!(!decide_as(&officer(ZJ), Action::EscalateProblem, &execution).is_allowed());
        assert!(
            !decide_as(&coordinator("340000"), Action::EscalateProblem, &execution).is_allowed()
        );
    }

    #[test]
    fn drafts_are_hidden_from_those_without_a_role_in_their_body() {
        let draft = Target::Matter {
            publication: Publication {
                published: false,
                body: Some("transport-group"),
            },
            members: &[],
        };
        assert_eq!(decide(None, Action::Read, &draft), HIDDEN);
        assert_eq!(decide_as(&officer(JS), Action::Read, &draft), HIDDEN);
        // Hidden is answered before anything else, so a write does not reveal the draft.
        assert_eq!(decide_as(&officer(JS), Action::Publish, &draft), HIDDEN);
        let secretary = vec![assignment(
            Role::BodySecretary,
            Scope::Body("transport-group".into()),
        )];
        assert!(decide_as(&secretary, Action::Read, &draft).is_allowed());
        assert!(!decide_as(&secretary, Action::Publish, &draft).is_allowed());
        let group_office = vec![assignment(
            Role::OfficeStaff,
            Scope::Body("transport-group".into()),
        )];
        assert!(decide_as(&group_office, Action::Publish, &draft).is_allowed());
        let other_office = vec![assignment(
            Role::OfficeStaff,
            Scope::Body("energy-group".into()),
        )];
        assert_eq!(decide_as(&other_office, Action::Read, &draft), HIDDEN);
        let auditor = vec![assignment(Role::Auditor, Scope::Region)];
        assert!(decide_as(&auditor, Action::Read, &draft).is_allowed());
        assert!(!decide_as(&auditor, Action::Publish, &draft).is_allowed());
        // Published, it is public.
        let published = Target::Matter {
            publication: Publication {
                published: true,
                body: Some("transport-group"),
            },
            members: &[],
        };
        assert!(decide(None, Action::Read, &published).is_allowed());
    }

    #[test]
    fn anonymous_visitors_only_read() {
        assert!(decide(None, Action::Read, &Target::Open).is_allowed());
        assert_eq!(
            decide(None, Action::ReportProgress, &task(JS, true, None)),
            SIGN_IN
        );
        assert_eq!(decide(None, Action::ReadHistory, &Target::Open), SIGN_IN);
    }

    #[test]
    fn administrators_manage_accounts_within_their_scope_and_no_content() {
        let region_admin = vec![assignment(Role::Administrator, Scope::Region)];
        let js_admin = vec![assignment(
            Role::Administrator,
            Scope::Jurisdiction(code(JS)),
        )];
        let suzhou_officer = assignment(Role::MemberOfficer, Scope::Jurisdiction(code("320500")));
        let zj_officer = assignment(Role::MemberOfficer, Scope::Jurisdiction(code(ZJ)));
        let group_secretary = assignment(Role::BodySecretary, Scope::Body("g".into()));
        for (admin, grant, allowed) in [
            (&js_admin, &suzhou_officer, true),
            (&js_admin, &zj_officer, false),
            (&js_admin, &group_secretary, false),
            (&region_admin, &zj_officer, true),
            (&region_admin, &group_secretary, true),
        ] {
            assert_eq!(
                decide_as(admin, Action::Grant, &Target::Assignment(grant)).is_allowed(),
                allowed,
                "{admin:?} granting {grant}"
            );
        }
        let mixed = [suzhou_officer.clone(), zj_officer.clone()];
        let account = |assignments| Target::Account {
            username: "u",
            assignments,
        };
        assert!(
            decide_as(
                &js_admin,
                Action::ManageAccount,
                &account(std::slice::from_ref(&suzhou_officer))
            )
            .is_allowed()
        );
        assert!(!decide_as(&js_admin, Action::ManageAccount, &account(&mixed)).is_allowed());
        assert!(!decide_as(&js_admin, Action::ManageAccount, &account(&[])).is_allowed());
        assert!(decide_as(&region_admin, Action::ManageAccount, &account(&mixed)).is_allowed());
        // Administration is not content.
        assert!(
            !decide_as(&region_admin, Action::ReportProgress, &task(JS, true, None)).is_allowed()
        );
        assert!(
            !decide_as(
                &region_admin,
                Action::Publish,
                &Target::Plan(Publication {
                    published: false,
                    body: None
                })
            )
            .is_allowed()
        );
    }

    #[test]
    fn tokens_belong_to_their_owner() {
        let target = Target::Token {
            owner: "someone",
            owner_assignments: &[],
        };
        assert!(decide_as(&officer(JS), Action::CreateToken, &target).is_allowed());
        let others = Target::Token {
            owner: "other",
            owner_assignments: &[],
        };
        assert!(!decide_as(&officer(JS), Action::CreateToken, &others).is_allowed());
        assert_eq!(decide_as(&officer(JS), Action::Read, &others), HIDDEN);
        let region_admin = vec![assignment(Role::Administrator, Scope::Region)];
        assert!(decide_as(&region_admin, Action::RevokeToken, &others).is_allowed());
        assert!(!decide_as(&region_admin, Action::CreateToken, &others).is_allowed());
    }

    #[test]
    fn only_auditors_read_the_whole_journal() {
        let auditor = vec![assignment(Role::Auditor, Scope::Region)];
        let admin = vec![assignment(Role::Administrator, Scope::Region)];
        assert!(decide_as(&auditor, Action::AuditJournal, &Target::Journal).is_allowed());
        assert!(!decide_as(&admin, Action::AuditJournal, &Target::Journal).is_allowed());
        // Auditors read the history of drafts too; officers only of what they can see.
        let draft = task(JS, false, Some("g"));
        assert!(decide_as(&auditor, Action::ReadHistory, &draft).is_allowed());
        assert_eq!(decide_as(&officer(JS), Action::ReadHistory, &draft), HIDDEN);
        assert!(decide_as(&officer(JS), Action::ReadHistory, &task(JS, true, None)).is_allowed());
    }

    #[test]
    fn list_visibility_agrees_with_the_policy() {
        let profiles: Vec<Vec<Assignment>> = vec![
            vec![],
            officer(JS),
            vec![assignment(Role::OfficeStaff, Scope::Region)],
            vec![assignment(Role::OfficeStaff, Scope::Body("g".into()))],
            vec![assignment(Role::BodySecretary, Scope::Body("g".into()))],
            vec![assignment(Role::Auditor, Scope::Region)],
            vec![assignment(Role::Administrator, Scope::Region)],
        ];
        for assignments in &profiles {
            let actor = Actor {
                username: "someone",
                assignments,
            };
            let visibility = draft_visibility(Some(&actor));
            for published in [true, false] {
                for body in [None, Some("g"), Some("h")] {
                    let publication = Publication { published, body };
                    let target = Target::Plan(publication);
                    assert_eq!(
                        visibility.sees(publication),
                        decide(Some(&actor), Action::Read, &target).is_allowed(),
                        "{assignments:?} {publication:?}"
                    );
                }
            }
        }
        assert!(!draft_visibility(None).sees(Publication {
            published: false,
            body: Some("g")
        }));
    }

    #[test]
    fn containment_follows_the_administrative_tree() {
        assert!(contains(code(JS), code("320500")));
        assert!(contains(code(JS), code("320506")));
        assert!(contains(code("320500"), code("320506")));
        assert!(!contains(code("320500"), code("320600")));
        assert!(!contains(code(JS), code(ZJ)));
        assert!(contains(code("320506"), code("320506")));
    }
}
