//! Who may do what, over real HTTP: the authorization matrix (every route and form × every
//! role × own jurisdiction, another jurisdiction, region-wide), sign-in with its CSRF token and
//! throttle, the journal a write leaves, and the hardening every response carries.

use std::collections::BTreeSet;

use libtest_mimic::Failed;
use serde_json::{Value, json};
use yrd_domain::Tier;
use yrd_domain::access::{Assignment, Role, Scope};

use crate::app::{Reply, TestApp};
use crate::fixtures::{JS, ZJ, code};
use crate::people::{PROFILES, create_user, setup_author};
use crate::{ensure, ensure_eq, fail};

crate::cases!(
    authorization_matrix_covers_every_route_and_role,
    a_jiangsu_officer_acts_only_for_jiangsu,
    api_tokens_sign_scripts_in_until_revoked,
    two_reviewers_of_one_report_cannot_both_succeed,
    writes_are_journalled_and_the_chain_verifies,
    every_response_is_hardened,
);

/// The responsible body of the draft matter the matrix adds to the fixture.
const GROUP: &str = "group-a";

fn profile_roles(profile: &str) -> Vec<Assignment> {
    let js = || Scope::Jurisdiction(code(JS));
    let group = || Scope::Body(GROUP.into());
    let roles = match profile {
        "js-officer" => vec![(Role::MemberOfficer, js())],
        "js-coordinator" => vec![(Role::MemberCoordinator, js())],
        "office" => vec![(Role::OfficeStaff, Scope::Region)],
        "group-office" => vec![(Role::OfficeStaff, group())],
        "group-secretary" => vec![(Role::BodySecretary, group())],
        "admin" => vec![(Role::Administrator, Scope::Region)],
        "js-admin" => vec![(Role::Administrator, js())],
        "auditor" => vec![(Role::Auditor, Scope::Region)],
        _ => vec![],
    };
    roles
        .into_iter()
        .map(|(role, scope)| Assignment::new(role, scope).expect("a valid assignment"))
        .collect()
}

/// Adds to the synthetic fixture a thematic group and a draft matter it is responsible for,
/// with a Jiangsu task.
async fn add_draft_matter(app: &TestApp) -> Result<(), Failed> {
    let mut dataset = (*app.dataset).clone();
    let mut group = dataset.bodies[0].clone();
    group.key = GROUP.into();
    group.tier = Tier::Execution;
    group.members = Vec::new();
    group.host_rotation = Vec::new();
    dataset.bodies.push(group);
    let mut draft = dataset
        .matters
        .iter()
        .find(|m| m.key == "m-new")
        .ok_or("the fixture has m-new")?
        .clone();
    draft.key = "m-draft".into();
    draft.leads = vec![code(JS)];
    draft.participants = Vec::new();
    draft.body = Some(GROUP.into());
    draft.published = false;
    dataset.matters.push(draft);
    let mut task = dataset
        .tasks
        .iter()
        .find(|t| t.key == "t-tech-js")
        .ok_or("the fixture has t-tech-js")?
        .clone();
    task.key = "t-draft-js".into();
    task.matter = "m-draft".into();
    dataset.tasks.push(task);
    app.store
        .import(&setup_author(), &dataset)
        .await
        .map_err(|e| fail("adding the draft matter", e))?;
    Ok(())
}

/// A signed-in browser: its session cookie and the session's CSRF token.
#[derive(Clone, Debug, Default)]
struct Session {
    cookie: Option<String>,
    csrf: Option<String>,
}

impl Session {
    fn headers(&self, unsafe_method: bool) -> Vec<(&'static str, String)> {
        let mut headers = Vec::new();
        if let Some(cookie) = &self.cookie {
            headers.push(("cookie", cookie.clone()));
        }
        if unsafe_method && let Some(csrf) = &self.csrf {
            headers.push(("x-csrf-token", csrf.clone()));
        }
        headers
    }
}

/// One row of the matrix: a request, and the status each profile must get.
pub(crate) struct Row {
    pub method: &'static str,
    /// The route as the router and the OpenAPI document name it.
    pub template: &'static str,
    /// The concrete request; `{profile}` becomes the profile's name, `{token}` a token id.
    pub path: &'static str,
    pub body: Option<&'static str>,
    /// Expected status per profile, in [`PROFILES`] order.
    pub expect: [u16; 9],
}

pub(crate) const fn row(
    method: &'static str,
    template: &'static str,
    path: &'static str,
    body: Option<&'static str>,
    expect: [u16; 9],
) -> Row {
    Row {
        method,
        template,
        path,
        body,
        expect,
    }
}

pub(crate) const ALL_200: [u16; 9] = [200; 9];
pub(crate) const SIGNED_IN_200: [u16; 9] = [401, 200, 200, 200, 200, 200, 200, 200, 200];
/// Seen by the office region-wide, the group's roles and the auditor; hidden from the rest.
pub(crate) const DRAFT_SEEN: [u16; 9] = [404, 404, 404, 200, 200, 200, 404, 404, 200];
/// Account administration: only the administrators whose scope covers the account; the
/// auditor sees the account but may not change it; everyone else does not see it.
const JS_ACCOUNT_ADMIN: [u16; 9] = [401, 404, 404, 404, 404, 404, 200, 200, 403];
const ZJ_ACCOUNT_ADMIN: [u16; 9] = [401, 404, 404, 404, 404, 404, 200, 404, 403];

const REPORT: &str = r#"{"as_of":"2025-06-30","percent":40,"narrative":{"zh":"完成可研","en":"Feasibility study done"}}"#;
const POSITION: &str = r#"{"stance":"consent_in_principle","comment":{"zh":"原则同意"}}"#;
const JS_ROLE: &str = r#"{"role":"member_coordinator","scope":"jurisdiction:320000"}"#;

/// The tables: the shared one below and one per part of the mechanism, each next to that
/// part's cases. A route missing from all of them fails the coverage check.
const TABLES: &[&[Row]] = &[
    MATRIX,
    crate::meetings::ROWS,
    crate::plans::ROWS,
    crate::problems::ROWS,
    crate::agreements::ROWS,
];

const MATRIX: &[Row] = &[
    // Public reads.
    row("GET", "/api/v1/healthz", "/api/v1/healthz", None, ALL_200),
    row(
        "GET",
        "/api/openapi.json",
        "/api/openapi.json",
        None,
        ALL_200,
    ),
    row(
        "GET",
        "/api/v1/jurisdictions",
        "/api/v1/jurisdictions",
        None,
        ALL_200,
    ),
    row(
        "GET",
        "/api/v1/jurisdictions/{code}",
        "/api/v1/jurisdictions/320000",
        None,
        ALL_200,
    ),
    row("GET", "/api/v1/zones", "/api/v1/zones", None, ALL_200),
    row("GET", "/api/v1/bodies", "/api/v1/bodies", None, ALL_200),
    row("GET", "/api/v1/meetings", "/api/v1/meetings", None, ALL_200),
    row(
        "GET",
        "/api/v1/meetings/{key}",
        "/api/v1/meetings/symposium-2024",
        None,
        ALL_200,
    ),
    row("GET", "/api/v1/plans", "/api/v1/plans", None, ALL_200),
    row(
        "GET",
        "/api/v1/plans/{key}",
        "/api/v1/plans/plan-a",
        None,
        ALL_200,
    ),
    row(
        "GET",
        "/api/v1/matters",
        "/api/v1/matters?plan=plan-a",
        None,
        ALL_200,
    ),
    row(
        "GET",
        "/api/v1/matters/{key}",
        "/api/v1/matters/m-tech",
        None,
        ALL_200,
    ),
    row(
        "GET",
        "/api/v1/agreements",
        "/api/v1/agreements",
        None,
        ALL_200,
    ),
    row(
        "GET",
        "/api/v1/agreements/{key}",
        "/api/v1/agreements/pact",
        None,
        ALL_200,
    ),
    row(
        "GET",
        "/api/v1/indicators",
        "/api/v1/indicators",
        None,
        ALL_200,
    ),
    row(
        "GET",
        "/api/v1/indicators/{key}",
        "/api/v1/indicators/rail-km",
        None,
        ALL_200,
    ),
    // A draft is invisible (404, not 403) to whoever may not see it.
    row(
        "GET",
        "/api/v1/matters/{key}",
        "/api/v1/matters/m-draft",
        None,
        DRAFT_SEEN,
    ),
    // Progress reports: the member's own officers and coordinators only.
    row(
        "POST",
        "/api/v1/tasks/{key}/reports",
        "/api/v1/tasks/t-tech-js/reports",
        Some(REPORT),
        [401, 201, 201, 403, 403, 403, 403, 403, 403],
    ),
    row(
        "POST",
        "/api/v1/tasks/{key}/reports",
        "/api/v1/tasks/t-new-zj/reports",
        Some(REPORT),
        [401, 403, 403, 403, 403, 403, 403, 403, 403],
    ),
    row(
        "POST",
        "/api/v1/tasks/{key}/reports",
        "/api/v1/tasks/t-draft-js/reports",
        Some(REPORT),
        [404, 404, 404, 403, 403, 403, 404, 404, 403],
    ),
    row(
        "GET",
        "/api/v1/reminders",
        "/api/v1/reminders?member=320000&as_of=2025-01-01",
        None,
        ALL_200,
    ),
    // Review of reports: the coordinator approves, the office verifies or returns.
    row(
        "GET",
        "/api/v1/reports/{key}",
        "/api/v1/reports/{report-a}",
        None,
        ALL_200,
    ),
    row(
        "POST",
        "/api/v1/reports/{key}/approve",
        "/api/v1/reports/{report-a}/approve",
        None,
        [401, 403, 200, 403, 403, 403, 403, 403, 403],
    ),
    row(
        "POST",
        "/api/v1/reports/{key}/verify",
        "/api/v1/reports/{report-b}/verify",
        None,
        [401, 403, 403, 200, 403, 403, 403, 403, 403],
    ),
    row(
        "POST",
        "/api/v1/reports/{key}/return",
        "/api/v1/reports/{report-c}/return",
        Some(r#"{"reason":{"zh":"缺少佐证材料"}}"#),
        [401, 403, 403, 200, 403, 403, 403, 403, 403],
    ),
    // Positions: in the meetings part's rows (the dataset's meetings are closed).
    // Publication: the office, region-wide or of the matter's body.
    row(
        "PUT",
        "/api/v1/matters/{key}/publication",
        "/api/v1/matters/m-draft/publication",
        Some(r#"{"published":false}"#),
        [404, 404, 404, 200, 200, 403, 404, 404, 403],
    ),
    row(
        "PUT",
        "/api/v1/matters/{key}/publication",
        "/api/v1/matters/m-tech/publication",
        Some(r#"{"published":true}"#),
        [401, 403, 403, 200, 403, 403, 403, 403, 403],
    ),
    // History: signed-in readers of the record; drafts and accounts as their reads.
    row(
        "GET",
        "/api/v1/history",
        "/api/v1/history?record=matter/m-tech",
        None,
        SIGNED_IN_200,
    ),
    row(
        "GET",
        "/api/v1/history",
        "/api/v1/history?record=matter/m-draft",
        None,
        DRAFT_SEEN,
    ),
    // A problem's and an agreement's history follow their record: a problem on a draft matter
    // and a draft agreement are hidden from those who may not see them.
    row(
        "GET",
        "/api/v1/history",
        "/api/v1/history?record=problem/mx-open",
        None,
        SIGNED_IN_200,
    ),
    row(
        "GET",
        "/api/v1/history",
        "/api/v1/history?record=problem/mx-draft",
        None,
        DRAFT_SEEN,
    ),
    row(
        "GET",
        "/api/v1/history",
        "/api/v1/history?record=agreement/agr-draft-anonymous",
        None,
        [404, 404, 404, 200, 404, 404, 404, 404, 200],
    ),
    row(
        "GET",
        "/api/v1/history",
        "/api/v1/history?record=user/js-target",
        None,
        [401, 404, 404, 404, 404, 404, 200, 200, 200],
    ),
    // Accounts.
    row("GET", "/api/v1/me", "/api/v1/me", None, SIGNED_IN_200),
    row("GET", "/api/v1/users", "/api/v1/users", None, SIGNED_IN_200),
    row(
        "GET",
        "/api/v1/users/{username}",
        "/api/v1/users/js-target",
        None,
        [401, 404, 404, 404, 404, 404, 200, 200, 200],
    ),
    row(
        "GET",
        "/api/v1/users/{username}",
        "/api/v1/users/zj-target",
        None,
        [401, 404, 404, 404, 404, 404, 200, 404, 200],
    ),
    row(
        "POST",
        "/api/v1/users",
        "/api/v1/users",
        Some(
            r#"{"username":"{profile}-made-js","display_name":"New","roles":[{"role":"member_officer","scope":"jurisdiction:320000"}]}"#,
        ),
        [401, 403, 403, 403, 403, 403, 201, 201, 403],
    ),
    row(
        "POST",
        "/api/v1/users",
        "/api/v1/users",
        Some(
            r#"{"username":"{profile}-made-zj","display_name":"New","roles":[{"role":"member_officer","scope":"jurisdiction:330000"}]}"#,
        ),
        [401, 403, 403, 403, 403, 403, 201, 403, 403],
    ),
    row(
        "POST",
        "/api/v1/users/{username}/roles",
        "/api/v1/users/js-target/roles",
        Some(JS_ROLE),
        JS_ACCOUNT_ADMIN,
    ),
    row(
        "POST",
        "/api/v1/users/{username}/roles",
        "/api/v1/users/zj-target/roles",
        Some(JS_ROLE),
        ZJ_ACCOUNT_ADMIN,
    ),
    row(
        "DELETE",
        "/api/v1/users/{username}/roles/{role}/{scope}",
        "/api/v1/users/js-target/roles/member_coordinator/jurisdiction:320000",
        None,
        [401, 404, 404, 404, 404, 404, 204, 204, 403],
    ),
    row(
        "DELETE",
        "/api/v1/users/{username}/roles/{role}/{scope}",
        "/api/v1/users/zj-target/roles/member_coordinator/jurisdiction:320000",
        None,
        [401, 404, 404, 404, 404, 404, 204, 404, 403],
    ),
    // API tokens: one's own; an administrator revokes those of accounts it administers.
    row(
        "GET",
        "/api/v1/tokens",
        "/api/v1/tokens",
        None,
        SIGNED_IN_200,
    ),
    row(
        "POST",
        "/api/v1/tokens",
        "/api/v1/tokens",
        Some(r#"{"name":"matrix"}"#),
        [401, 201, 201, 201, 201, 201, 201, 201, 201],
    ),
    row(
        "DELETE",
        "/api/v1/tokens/{id}",
        "/api/v1/tokens/{token}",
        None,
        [401, 404, 404, 404, 404, 404, 204, 204, 403],
    ),
    // Pages: public to all; a draft's page is as hidden as the draft.
    row("GET", "/", "/", None, [303; 9]),
    row(
        "GET",
        "/static/style.css",
        "/static/style.css",
        None,
        ALL_200,
    ),
    row("GET", "/{lang}/", "/zh/", None, ALL_200),
    row("GET", "/{lang}/plans", "/en/plans", None, ALL_200),
    row(
        "GET",
        "/{lang}/plans/{key}",
        "/zh/plans/plan-a",
        None,
        ALL_200,
    ),
    row(
        "GET",
        "/{lang}/matters/{key}",
        "/en/matters/m-tech",
        None,
        ALL_200,
    ),
    row(
        "GET",
        "/{lang}/matters/{key}",
        "/zh/matters/m-draft",
        None,
        DRAFT_SEEN,
    ),
    row("GET", "/{lang}/meetings", "/zh/meetings", None, ALL_200),
    row(
        "GET",
        "/{lang}/meetings/{key}",
        "/en/meetings/symposium-2024",
        None,
        ALL_200,
    ),
    row("GET", "/{lang}/indicators", "/zh/indicators", None, ALL_200),
    row(
        "GET",
        "/{lang}/indicators/{key}",
        "/en/indicators/rail-km",
        None,
        ALL_200,
    ),
    row(
        "GET",
        "/{lang}/agreements",
        "/zh/agreements?party=320000",
        None,
        ALL_200,
    ),
    row(
        "GET",
        "/{lang}/jurisdictions",
        "/en/jurisdictions",
        None,
        ALL_200,
    ),
    row(
        "GET",
        "/{lang}/jurisdictions/{code}",
        "/zh/jurisdictions/320000",
        None,
        ALL_200,
    ),
    row("GET", "/{lang}/mechanism", "/en/mechanism", None, ALL_200),
    row(
        "GET",
        "/{lang}/search",
        "/zh/search?q=%E4%BA%8B%E9%A1%B9",
        None,
        ALL_200,
    ),
    row("GET", "/{lang}/plans.csv", "/zh/plans.csv", None, ALL_200),
    row(
        "GET",
        "/{lang}/plans/{key}/matters.csv",
        "/en/plans/plan-a/matters.csv",
        None,
        ALL_200,
    ),
    row(
        "GET",
        "/{lang}/meetings.csv",
        "/zh/meetings.csv",
        None,
        ALL_200,
    ),
    row(
        "GET",
        "/{lang}/agreements.csv",
        "/en/agreements.csv",
        None,
        ALL_200,
    ),
    row(
        "GET",
        "/{lang}/indicators.csv",
        "/zh/indicators.csv",
        None,
        ALL_200,
    ),
    row("GET", "/{lang}/feed.atom", "/en/feed.atom", None, ALL_200),
    row(
        "GET",
        "/{lang}/workspace",
        "/en/workspace",
        None,
        [303, 200, 200, 200, 200, 200, 200, 200, 200],
    ),
    // Forms: the sign-in form is public; posting it without its CSRF token is refused, and
    // so is signing out without the session's.
    row("GET", "/sign-in", "/sign-in", None, ALL_200),
    row(
        "POST",
        "/sign-in",
        "/sign-in",
        Some("username=js-target&password=whatever-it-is&csrf=forged"),
        [403; 9],
    ),
    row(
        "POST",
        "/sign-out",
        "/sign-out",
        Some("csrf=forged"),
        [303, 403, 403, 403, 403, 403, 403, 403, 403],
    ),
];

/// Every (method, route) the application serves: the OpenAPI document's and the forms.
fn served_routes() -> BTreeSet<(String, String)> {
    let mut routes = BTreeSet::new();
    for (path, item) in yrd_web::openapi().paths.paths {
        let methods = [
            ("GET", item.get.is_some()),
            ("PUT", item.put.is_some()),
            ("POST", item.post.is_some()),
            ("DELETE", item.delete.is_some()),
            ("PATCH", item.patch.is_some()),
        ];
        for (method, present) in methods {
            if present {
                routes.insert((method.to_owned(), path.clone()));
            }
        }
    }
    for (method, path) in yrd_web::FORM_ROUTES
        .iter()
        .copied()
        .chain(yrd_web::page_routes())
    {
        routes.insert((method.to_owned(), path.to_owned()));
    }
    routes
}

async fn authorization_matrix_covers_every_route_and_role(app: TestApp) -> Result<(), Failed> {
    let tabled: BTreeSet<(String, String)> = TABLES
        .iter()
        .flat_map(|t| t.iter())
        .map(|r| (r.method.to_owned(), r.template.to_owned()))
        .collect();
    let served = served_routes();
    let untested: Vec<_> = served.difference(&tabled).collect();
    ensure!(
        untested.is_empty(),
        "routes missing from the authorization matrix: {untested:?}"
    );
    let unserved: Vec<_> = tabled.difference(&served).collect();
    ensure!(
        unserved.is_empty(),
        "the matrix names routes that are not served: {unserved:?}"
    );

    add_draft_matter(&app).await?;
    create_user(
        &app,
        "js-target",
        None,
        &[assignment(Role::MemberOfficer, JS)],
    )
    .await?;
    create_user(
        &app,
        "zj-target",
        None,
        &[assignment(Role::MemberOfficer, ZJ)],
    )
    .await?;
    let (target_token, target_secret) = app
        .store
        .create_token(&setup_author(), "js-target", "script")
        .await
        .map_err(|e| fail("creating a token", e))?;
    // Three submitted Jiangsu reports for the review rows, entered from the command line so
    // that no profile reviews its own.
    let mut reports = Vec::new();
    for percent in [10, 20, 30] {
        let report = app
            .store
            .submit_report(
                &setup_author(),
                "t-tech-js",
                &yrd_store::NewReport {
                    as_of: time::macros::date!(2025 - 03 - 31),
                    percent,
                    narrative: yrd_domain::Text::new("进展", "Progress"),
                    evidence: vec![],
                },
            )
            .await
            .map_err(|e| fail("submitting a report", e))?;
        reports.push(report.key);
    }
    // Each part's records for its rows, and the placeholders its paths and bodies name them by.
    let mut substitutions: Vec<(&'static str, String)> = Vec::new();
    substitutions.extend(crate::meetings::setup(&app).await?);
    substitutions.extend(crate::plans::setup(&app).await?);
    substitutions.extend(crate::problems::setup(&app).await?);
    substitutions.extend(crate::agreements::setup(&app).await?);
    let mut sessions = Vec::new();
    let mut secrets = vec![target_secret];
    for profile in PROFILES {
        if profile == "anonymous" {
            sessions.push(Session::default());
            continue;
        }
        create_user(&app, profile, None, &profile_roles(profile)).await?;
        let (id, session) = app
            .store
            .create_session(profile, 3600)
            .await
            .map_err(|e| fail("starting a session", e))?;
        secrets.push(id.clone());
        sessions.push(Session {
            cookie: Some(format!("yrd_session={id}")),
            csrf: Some(session.csrf_token),
        });
    }

    let mut differences = Vec::new();
    let mut replies: Vec<Reply> = Vec::new();
    // `{csrf}` is the profile's session token, which page forms carry as a field.
    let substitute = |text: &str, profile: &str, session: &Session| {
        let mut text = text
            .replace("{csrf}", session.csrf.as_deref().unwrap_or(""))
            .replace("{token}", &target_token.id)
            .replace("{report-a}", &reports[0])
            .replace("{report-b}", &reports[1])
            .replace("{report-c}", &reports[2])
            .replace("{profile}", profile);
        for (placeholder, value) in &substitutions {
            text = text.replace(placeholder, value);
        }
        text
    };
    for row in TABLES.iter().flat_map(|t| t.iter()) {
        for (i, profile) in PROFILES.iter().enumerate() {
            let path = substitute(row.path, profile, &sessions[i]);
            let body = row.body.map(|b| {
                let media_type = if row.template.starts_with("/api/") {
                    "application/json"
                } else {
                    "application/x-www-form-urlencoded"
                };
                (
                    media_type,
                    substitute(b, profile, &sessions[i]).into_bytes(),
                )
            });
            let reply = app
                .send(
                    row.method,
                    &path,
                    &sessions[i].headers(row.method != "GET"),
                    body,
                )
                .await?;
            if reply.status != row.expect[i] {
                differences.push(format!(
                    "{} {path} as {profile}: expected {}, got {}: {}",
                    row.method,
                    row.expect[i],
                    reply.status,
                    String::from_utf8_lossy(&reply.body)
                ));
            }
            if reply.status >= 400 && row.template.starts_with("/api/") {
                reply.expect_problem(reply.status, None)?;
            }
            // Token creation is the one response that shows a secret: its own.
            if row.template == "/api/v1/tokens" && row.method == "POST" {
                if let Ok(created) = reply.json()
                    && let Some(secret) = created["secret"].as_str()
                {
                    secrets.push(secret.to_owned());
                }
            } else {
                replies.push(reply);
            }
        }
    }
    ensure!(
        differences.is_empty(),
        "{} differences from the matrix:\n{}",
        differences.len(),
        differences.join("\n")
    );
    for reply in &replies {
        let text = format!(
            "{:?} {}",
            reply.headers,
            String::from_utf8_lossy(&reply.body)
        );
        for secret in &secrets {
            ensure!(
                !text.contains(secret.as_str()),
                "{} shows a secret: {text}",
                reply.path
            );
        }
    }
    Ok(())
}

fn assignment(role: Role, member: &str) -> Assignment {
    Assignment::new(role, Scope::Jurisdiction(code(member))).expect("a valid assignment")
}

/// The cookies a response sets, as `name=value`.
fn set_cookies(reply: &Reply) -> Vec<String> {
    reply
        .headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next())
        .map(str::to_owned)
        .collect()
}

fn cookie<'a>(cookies: &'a [String], name: &str) -> Option<&'a str> {
    cookies
        .iter()
        .find_map(|c| c.strip_prefix(&format!("{name}=")))
}

/// The hidden CSRF field of the sign-in form.
fn form_csrf(page: &str) -> Option<String> {
    let start = page.find("name=\"csrf\" value=\"")? + "name=\"csrf\" value=\"".len();
    let end = page[start..].find('"')? + start;
    Some(page[start..end].to_owned())
}

/// Signs in through the form, as a browser does; returns the session.
async fn sign_in(
    app: &TestApp,
    username: &str,
    password: &str,
) -> Result<(Reply, Session), Failed> {
    let form = app.get("/sign-in").await?;
    ensure_eq!(form.status, 200, "the sign-in form");
    let page = String::from_utf8_lossy(&form.body).into_owned();
    let csrf = form_csrf(&page).ok_or("the form has a csrf field")?;
    let cookies = set_cookies(&form);
    let form_cookie = cookie(&cookies, "yrd_form_csrf").ok_or("the form sets its CSRF cookie")?;
    let body = format!("username={username}&password={password}&csrf={csrf}&next=/api/v1/me");
    let reply = app
        .send(
            "POST",
            "/sign-in",
            &[("cookie", format!("yrd_form_csrf={form_cookie}"))],
            Some(("application/x-www-form-urlencoded", body.into_bytes())),
        )
        .await?;
    let cookies = set_cookies(&reply);
    let session = match cookie(&cookies, "yrd_session") {
        Some(id) if !id.is_empty() => {
            let cookie = format!("yrd_session={id}");
            let me = app
                .send("GET", "/api/v1/me", &[("cookie", cookie.clone())], None)
                .await?;
            ensure_eq!(me.status, 200, "GET /api/v1/me after signing in");
            Session {
                cookie: Some(cookie),
                csrf: me.json()?["csrf_token"].as_str().map(str::to_owned),
            }
        }
        _ => Session::default(),
    };
    Ok((reply, session))
}

const PASSWORD: &str = "correct-horse-battery";

async fn a_jiangsu_officer_acts_only_for_jiangsu(app: TestApp) -> Result<(), Failed> {
    add_draft_matter(&app).await?;
    create_user(
        &app,
        "js-officer",
        Some(PASSWORD),
        &[assignment(Role::MemberOfficer, JS)],
    )
    .await?;
    let (reply, session) = sign_in(&app, "js-officer", PASSWORD).await?;
    ensure_eq!(reply.status, 303, "signing in redirects");
    ensure_eq!(reply.header("location"), Some("/api/v1/me"), "to `next`");
    let set_cookie = reply
        .headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("yrd_session="))
        .ok_or("a session cookie")?
        .to_owned();
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        ensure!(
            set_cookie.contains(attribute),
            "{set_cookie} lacks {attribute}"
        );
    }
    ensure!(
        !set_cookie.contains("Secure"),
        "plain HTTP: not Secure: {set_cookie}"
    );
    let csrf = session.csrf.clone().ok_or("a session has a CSRF token")?;
    let json_body = |s: &str| Some(("application/json", s.as_bytes().to_vec()));

    // It cannot change a Zhejiang task.
    let zj = app
        .send(
            "POST",
            "/api/v1/tasks/t-new-zj/reports",
            &session.headers(true),
            json_body(REPORT),
        )
        .await?;
    zj.expect_problem(403, None)?;
    // It cannot record Jiangsu's position: that is the coordinator's.
    let position = app
        .send(
            "PUT",
            &format!("/api/v1/decisions/symposium-2024.plan/positions/{JS}"),
            &session.headers(true),
            json_body(POSITION),
        )
        .await?;
    position.expect_problem(403, None)?;
    // It cannot see the unpublished matter of a body it has no role in: not in the list, not
    // at its address, not in the roll-up, not even through its task.
    app.send(
        "GET",
        "/api/v1/matters/m-draft",
        &session.headers(false),
        None,
    )
    .await?
    .expect_problem(404, None)?;
    let list = app
        .send(
            "GET",
            "/api/v1/matters?plan=plan-a",
            &session.headers(false),
            None,
        )
        .await?;
    let keys: Vec<String> = list.json()?["items"]
        .as_array()
        .ok_or("items")?
        .iter()
        .filter_map(|m| m["key"].as_str().map(str::to_owned))
        .collect();
    ensure!(
        !keys.contains(&"m-draft".to_owned()),
        "the list shows the draft: {keys:?}"
    );
    ensure!(
        keys.contains(&"m-tech".to_owned()),
        "the list lacks m-tech: {keys:?}"
    );
    let plan = app
        .send("GET", "/api/v1/plans/plan-a", &session.headers(false), None)
        .await?
        .json()?;
    let tasks_counted = plan["rollup"]["total"]["reported"]["tasks"].as_u64();
    let published_tasks = app.dataset.tasks.len() as u64;
    ensure_eq!(
        tasks_counted,
        Some(published_tasks),
        "the roll-up counts only published tasks: {plan}"
    );
    app.send(
        "POST",
        "/api/v1/tasks/t-draft-js/reports",
        &session.headers(true),
        json_body(REPORT),
    )
    .await?
    .expect_problem(404, None)?;
    // A change without the session's CSRF token is refused, even on its own task.
    let forged = app
        .send(
            "POST",
            "/api/v1/tasks/t-tech-js/reports",
            &session.headers(false),
            json_body(REPORT),
        )
        .await?;
    forged.expect_problem(403, None)?;
    // Its own task it reports on; the report is journalled as its own.
    let own = app
        .send(
            "POST",
            "/api/v1/tasks/t-tech-js/reports",
            &session.headers(true),
            json_body(REPORT),
        )
        .await?;
    ensure_eq!(
        own.status,
        201,
        "reporting on a Jiangsu task: {}",
        String::from_utf8_lossy(&own.body)
    );
    let report = own.json()?;
    let key = report["key"].as_str().ok_or("a report key")?;
    let history = app
        .send(
            "GET",
            &format!("/api/v1/history?record=report/{key}"),
            &session.headers(false),
            None,
        )
        .await?
        .json()?;
    let entries = history["items"].as_array().ok_or("entries")?;
    ensure_eq!(entries.len(), 1, "one entry: {history}");
    ensure_eq!(entries[0]["actor"], json!("user:js-officer"), "who");
    ensure_eq!(entries[0]["action"], json!("create"), "what");
    ensure_eq!(
        entries[0]["after"]["percent"],
        json!(40),
        "the fields after"
    );
    let matter = app.json("/api/v1/matters/m-tech").await?;
    let task = matter["tasks"]
        .as_array()
        .and_then(|ts| ts.iter().find(|t| t["key"] == "t-tech-js"))
        .ok_or("t-tech-js")?;
    ensure_eq!(
        task["reported"]["percent"],
        json!(40),
        "the task's latest report: {task}"
    );

    // Nothing shows the password or the session id.
    let session_id = session
        .cookie
        .as_deref()
        .and_then(|c| c.strip_prefix("yrd_session="))
        .ok_or("a session id")?;
    for reply in [&zj, &position, &list, &own, &forged] {
        let text = String::from_utf8_lossy(&reply.body);
        ensure!(
            !text.contains(PASSWORD) && !text.contains(session_id),
            "{} leaks a secret",
            reply.path
        );
    }

    // Signing out needs the session's token, and ends the session.
    let out = app
        .send(
            "POST",
            "/sign-out",
            &session.headers(false),
            Some((
                "application/x-www-form-urlencoded",
                format!("csrf={csrf}").into_bytes(),
            )),
        )
        .await?;
    ensure_eq!(out.status, 303, "signing out");
    let after = app
        .send("GET", "/api/v1/me", &session.headers(false), None)
        .await?;
    after.expect_problem(401, None)?;

    // Failed sign-ins are throttled per account: after five, even the right password waits.
    for _ in 0..5 {
        let (reply, session) = sign_in(&app, "js-officer", "wrong-password-here").await?;
        ensure_eq!(reply.status, 401, "a wrong password");
        ensure!(session.cookie.is_none(), "no session for a wrong password");
    }
    let (reply, session) = sign_in(&app, "js-officer", PASSWORD).await?;
    ensure_eq!(reply.status, 429, "throttled");
    ensure!(reply.header("retry-after").is_some(), "says when to retry");
    ensure!(session.cookie.is_none(), "no session while throttled");
    Ok(())
}

async fn api_tokens_sign_scripts_in_until_revoked(app: TestApp) -> Result<(), Failed> {
    create_user(
        &app,
        "js-coordinator",
        Some(PASSWORD),
        &[assignment(Role::MemberCoordinator, JS)],
    )
    .await?;
    let (_, session) = sign_in(&app, "js-coordinator", PASSWORD).await?;
    let created = app
        .send(
            "POST",
            "/api/v1/tokens",
            &session.headers(true),
            Some(("application/json", br#"{"name":"nightly upload"}"#.to_vec())),
        )
        .await?;
    ensure_eq!(created.status, 201, "creating a token");
    let created = created.json()?;
    let secret = created["secret"].as_str().ok_or("a secret")?.to_owned();
    let id = created["id"].as_str().ok_or("an id")?.to_owned();
    ensure!(secret.starts_with("yrd_"), "{secret}");
    let bearer = vec![("authorization", format!("Bearer {secret}"))];
    // A token needs no CSRF token: browsers never send it on their own. (The dataset's
    // meetings are closed: the position is on a scheduled one.)
    let decision = crate::meetings::scheduled_decision(&app).await?;
    let position = app
        .send(
            "PUT",
            &format!("/api/v1/decisions/{decision}/positions/{JS}"),
            &bearer,
            Some(("application/json", POSITION.as_bytes().to_vec())),
        )
        .await?;
    ensure_eq!(
        position.status,
        204,
        "recording with a token: {}",
        String::from_utf8_lossy(&position.body)
    );
    let meeting = app.json("/api/v1/meetings/symposium-2026").await?;
    ensure!(
        meeting.to_string().contains("原则同意"),
        "the position is recorded: {meeting}"
    );
    let listed = app.send("GET", "/api/v1/tokens", &bearer, None).await?;
    ensure_eq!(listed.status, 200, "listing tokens");
    ensure!(
        !String::from_utf8_lossy(&listed.body).contains(&secret),
        "the list shows the secret"
    );
    ensure!(
        !crate::logged().contains(&secret),
        "the logs show the token"
    );
    let revoked = app
        .send("DELETE", &format!("/api/v1/tokens/{id}"), &bearer, None)
        .await?;
    ensure_eq!(revoked.status, 204, "revoking");
    let after = app.send("GET", "/api/v1/me", &bearer, None).await?;
    after.expect_problem(401, None)?;
    ensure!(
        after.header("www-authenticate").is_some(),
        "401 names the scheme"
    );
    let malformed = app
        .send(
            "GET",
            "/api/v1/me",
            &[("authorization", "Basic abc".into())],
            None,
        )
        .await?;
    malformed.expect_problem(401, None)?;
    Ok(())
}

async fn writes_are_journalled_and_the_chain_verifies(app: TestApp) -> Result<(), Failed> {
    let before = app
        .store
        .verify_history()
        .await
        .map_err(|e| fail("verifying", e))?;
    ensure!(
        before.broken.is_none(),
        "the imported fixture's chain: {before:?}"
    );
    ensure!(before.entries > 0, "the import was journalled");
    create_user(
        &app,
        "auditor",
        Some(PASSWORD),
        &[Assignment::new(Role::Auditor, Scope::Region).map_err(Failed::from)?],
    )
    .await?;
    create_user(
        &app,
        "js-coordinator",
        Some(PASSWORD),
        &[assignment(Role::MemberCoordinator, JS)],
    )
    .await?;
    let (_, coordinator) = sign_in(&app, "js-coordinator", PASSWORD).await?;
    // A decision of a scheduled meeting whose positions stand as the 2024 one's do.
    let decision = crate::meetings::scheduled_decision(&app).await?;
    for (stance, expected) in [("consent", 204), ("object", 204)] {
        let reply = app
            .send(
                "PUT",
                &format!("/api/v1/decisions/{decision}/positions/{JS}"),
                &coordinator.headers(true),
                Some((
                    "application/json",
                    format!(r#"{{"stance":"{stance}"}}"#).into_bytes(),
                )),
            )
            .await?;
        ensure_eq!(reply.status, expected, "recording {stance}");
    }
    // Invalid input names the field and writes nothing.
    let bad = app
        .send(
            "PUT",
            &format!("/api/v1/decisions/{decision}/positions/{JS}"),
            &coordinator.headers(true),
            Some(("application/json", br#"{"stance":"maybe"}"#.to_vec())),
        )
        .await?;
    bad.expect_problem(422, Some("stance"))?;
    let (_, auditor) = sign_in(&app, "auditor", PASSWORD).await?;
    let history = app
        .send(
            "GET",
            &format!("/api/v1/history?record=decision/{decision}"),
            &auditor.headers(false),
            None,
        )
        .await?
        .json()?;
    let entries = history["items"].as_array().ok_or("entries")?;
    // The coordinator's, after the positions the set-up recorded.
    let positions: Vec<&Value> = entries
        .iter()
        .filter(|e| e["action"] == "record_position" && e["actor"] == "user:js-coordinator")
        .collect();
    ensure_eq!(
        positions.len(),
        2,
        "two recorded positions, the refused one not: {history}"
    );
    ensure_eq!(
        positions[0]["before"]["stance"],
        json!("consent_in_principle"),
        "the fixture's stance before"
    );
    ensure_eq!(
        positions[0]["after"]["stance"],
        json!("consent"),
        "after the first"
    );
    ensure_eq!(
        positions[1]["before"]["stance"],
        json!("consent"),
        "before the second"
    );
    ensure_eq!(
        positions[1]["after"]["stance"],
        json!("object"),
        "after the second"
    );
    ensure_eq!(
        positions[1]["prev_hash"],
        positions[0]["hash"],
        "consecutive entries link"
    );
    ensure_eq!(positions[0]["actor"], json!("user:js-coordinator"), "who");
    let after = app
        .store
        .verify_history()
        .await
        .map_err(|e| fail("verifying", e))?;
    ensure!(
        after.broken.is_none(),
        "the chain after the writes: {after:?}"
    );
    ensure!(after.entries > before.entries, "the writes added entries");
    ensure_eq!(
        after.head_hash,
        positions[1]["hash"].as_str().unwrap_or_default().to_owned(),
        "the last write is the chain's head"
    );
    Ok(())
}

async fn every_response_is_hardened(app: TestApp) -> Result<(), Failed> {
    let oversized = format!(r#"{{"name":"{}"}}"#, "x".repeat(200 * 1024));
    let replies = [
        app.get("/api/v1/plans").await?,
        app.get("/api/v1/matters/no-such-matter").await?,
        app.get("/sign-in").await?,
        app.send("GET", "/api/v1/me", &[], None).await?,
        app.send(
            "POST",
            "/api/v1/tokens",
            &[("authorization", "Bearer yrd_nothing".into())],
            Some(("application/json", oversized.clone().into_bytes())),
        )
        .await?,
    ];
    for reply in &replies {
        for (name, expected) in [
            ("x-frame-options", "DENY"),
            ("x-content-type-options", "nosniff"),
            ("referrer-policy", "same-origin"),
        ] {
            ensure_eq!(
                reply.header(name),
                Some(expected),
                "{name} of {}",
                reply.path
            );
        }
        let csp = reply.header("content-security-policy").unwrap_or_default();
        ensure!(
            csp.contains("default-src 'self'") && csp.contains("frame-ancestors 'none'"),
            "CSP of {}: {csp}",
            reply.path
        );
    }
    // A body over the limit is refused before anything reads it (here the bad token is
    // checked first; signed in, the limit answers).
    create_user(&app, "someone", Some(PASSWORD), &[]).await?;
    let (_, session) = sign_in(&app, "someone", PASSWORD).await?;
    let big = app
        .send(
            "POST",
            "/api/v1/tokens",
            &session.headers(true),
            Some(("application/json", oversized.into_bytes())),
        )
        .await?;
    big.expect_problem(413, None)?;
    // Signed-in answers are never cached by others.
    let me = app
        .send("GET", "/api/v1/me", &session.headers(false), None)
        .await?;
    ensure_eq!(
        me.header("cache-control"),
        Some("private, no-store"),
        "cache-control of /me"
    );
    // Malformed bodies name their field.
    let bad = app
        .send(
            "POST",
            "/api/v1/tokens",
            &session.headers(true),
            Some(("application/json", br#"{"name": 5}"#.to_vec())),
        )
        .await?;
    bad.expect_problem(422, Some("name"))?;
    let wrong_type = app
        .send(
            "POST",
            "/api/v1/tokens",
            &session.headers(true),
            Some(("text/plain", b"name=x".to_vec())),
        )
        .await?;
    wrong_type.expect_problem(415, None)?;
    Ok(())
}

async fn two_reviewers_of_one_report_cannot_both_succeed(app: TestApp) -> Result<(), Failed> {
    create_user(
        &app,
        "js-officer",
        None,
        &[assignment(Role::MemberOfficer, JS)],
    )
    .await?;
    let office = Assignment::new(Role::OfficeStaff, Scope::Region).map_err(Failed::from)?;
    create_user(&app, "office-a", None, std::slice::from_ref(&office)).await?;
    create_user(&app, "office-b", None, &[office]).await?;
    let session = |name: &'static str| {
        let store = app.store.clone();
        async move {
            let (id, session) = store
                .create_session(name, 600)
                .await
                .map_err(|e| fail("a session", e))?;
            Ok::<_, Failed>(Session {
                cookie: Some(format!("yrd_session={id}")),
                csrf: Some(session.csrf_token),
            })
        }
    };
    let officer = session("js-officer").await?;
    let (a, b) = (session("office-a").await?, session("office-b").await?);
    let submitted = app
        .send(
            "POST",
            "/api/v1/tasks/t-tech-js/reports",
            &officer.headers(true),
            Some(("application/json", REPORT.as_bytes().to_vec())),
        )
        .await?;
    ensure_eq!(submitted.status, 201, "submitting");
    let key = submitted.json()?["key"].as_str().ok_or("a key")?.to_owned();
    // Both read the report in the same state.
    let read = app.get(&format!("/api/v1/reports/{key}")).await?;
    ensure_eq!(read.json()?["state"], json!("submitted"), "the state read");
    let tag = read.header("etag").ok_or("an ETag")?.to_owned();
    let step = |who: &Session, action: &str, body: Option<&str>| {
        let mut headers = who.headers(true);
        headers.push(("if-match", tag.clone()));
        let path = format!("/api/v1/reports/{key}/{action}");
        let body = body.map(|b| ("application/json", b.as_bytes().to_vec()));
        let app = &app;
        async move { app.send("POST", &path, &headers, body).await }
    };
    // One verifies, the other returns it at the same moment: exactly one succeeds.
    let (first, second) = tokio::join!(
        step(&a, "verify", None),
        step(&b, "return", Some(r#"{"reason":{"en":"no evidence"}}"#)),
    );
    let (first, second) = (first?, second?);
    let statuses = [first.status, second.status];
    ensure!(
        statuses.contains(&200) && statuses.contains(&409),
        "one succeeds and the other conflicts: {statuses:?}"
    );
    let loser = if first.status == 409 { &first } else { &second };
    loser.expect_problem(409, None)?;
    // What the winner wrote stands: the report's state and the task's figures agree with it.
    let winner_state = if first.status == 200 {
        "verified"
    } else {
        "returned"
    };
    let now = app.json(&format!("/api/v1/reports/{key}")).await?;
    ensure_eq!(now["state"], json!(winner_state), "the winner's state");
    let history = app
        .send(
            "GET",
            &format!("/api/v1/history?record=report/{key}"),
            &a.headers(false),
            None,
        )
        .await?
        .json()?;
    let actions: Vec<&str> = history["items"]
        .as_array()
        .ok_or("entries")?
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    ensure_eq!(actions.len(), 2, "created and reviewed once: {actions:?}");
    // Reviewing again is refused with the reason, even without If-Match.
    let again = app
        .send(
            "POST",
            &format!("/api/v1/reports/{key}/verify"),
            &a.headers(true),
            None,
        )
        .await?;
    again.expect_problem(409, None)?;
    // The office cannot verify a report it submitted itself.
    let own = app
        .store
        .submit_report(
            &yrd_store::Author::User("office-a".into()),
            "t-tech-js",
            &yrd_store::NewReport {
                as_of: time::macros::date!(2025 - 04 - 30),
                percent: 50,
                narrative: yrd_domain::Text::new("", "Mine"),
                evidence: vec![],
            },
        )
        .await
        .map_err(|e| fail("a report by the office", e))?;
    let refused = app
        .send(
            "POST",
            &format!("/api/v1/reports/{}/verify", own.key),
            &a.headers(true),
            None,
        )
        .await?;
    let problem = refused.expect_problem(403, None)?;
    ensure!(
        problem["detail"]
            .as_str()
            .is_some_and(|d| d.contains("own report")),
        "{problem}"
    );
    Ok(())
}
