//! What the bench requests, found over HTTP as a visitor or a client would find it (never from
//! the database, so that the targets are what the server actually shows): the published plans,
//! a seeded sample of their matters with each one's member and area and its tasks, the
//! indicators, and a scheduled meeting with decision items for the members' positions (one is
//! scheduled through the API, as the office, when the database has none). From these it builds
//! the mix: each request type with its weight, its expected status and its targets.

use std::collections::BTreeSet;
use std::sync::Arc;

use anyhow::{Context, bail};
use reqwest::{Method, StatusCode};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::json;

use super::setup::Accounts;

/// The plans (with matters) whose matters are sampled, the matters read per page, and the most pages read
/// per plan: enough to sample beyond the first keys of a large plan, without reading every
/// matter of a region with hundreds of plans before the run starts.
const PLANS_SAMPLED: usize = 20;
const PAGE: usize = 100;
const PAGES_PER_PLAN: usize = 3;
/// The most matters, filter combinations, tasks and indicators the mix draws from.
const MATTERS: usize = 200;
const FILTERS: usize = 100;
const TASKS: usize = 500;
const INDICATORS: usize = 100;
/// Meeting pages searched for a scheduled meeting before one is scheduled.
const MEETING_PAGES: usize = 10;
/// Decision items given to a meeting the bench schedules.
const DECISIONS: usize = 3;

/// How a request signs in.
#[derive(Clone, Debug)]
pub enum Auth {
    Anonymous,
    /// An API token, as `Authorization: Bearer …`.
    Bearer(Arc<str>),
    /// A session id, as the session cookie.
    Session(Arc<str>),
}

/// What a request sends as its body.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Payload {
    None,
    /// A progress report on the task in the path.
    Report,
    /// The member's position on the decision in the path.
    Position,
}

/// One request: a path (with its query) and who sends it.
#[derive(Clone, Debug)]
pub struct Target {
    pub path: String,
    pub auth: Auth,
}

/// A request type of the mix.
#[derive(Clone, Debug)]
pub struct Kind {
    /// Stable across runs and versions, e.g. `page:home`: reports are compared by it.
    pub name: &'static str,
    pub method: Method,
    /// Its share of the requests, relative to the others' weights.
    pub weight: u32,
    /// The one status that counts as success.
    pub expected: StatusCode,
    pub payload: Payload,
    /// Drawn from uniformly; never empty.
    pub targets: Vec<Target>,
}

/// The request types, in the order reports list them.
#[derive(Clone, Debug)]
pub struct Mix {
    pub kinds: Arc<Vec<Kind>>,
}

#[derive(Deserialize)]
struct Items<T> {
    items: Vec<T>,
    #[serde(default)]
    next_cursor: Option<String>,
}

#[derive(Deserialize)]
struct Keyed {
    key: String,
}

#[derive(Deserialize)]
struct Coded {
    code: String,
}

#[derive(Deserialize)]
struct MatterItem {
    key: String,
    area: Option<Keyed>,
    leads: Vec<Coded>,
    participants: Vec<Coded>,
    tasks: Vec<TaskItem>,
}

#[derive(Deserialize)]
struct TaskItem {
    key: String,
    jurisdiction: Coded,
}

#[derive(Deserialize)]
struct MeetingItem {
    key: String,
    state: String,
    decisions: Vec<DecisionItem>,
}

#[derive(Deserialize)]
struct DecisionItem {
    key: String,
    /// One per member of the body, answered or not.
    positions: Vec<PositionItem>,
}

#[derive(Deserialize)]
struct PositionItem {
    jurisdiction: Coded,
}

#[derive(Deserialize)]
struct BodyItem {
    key: String,
    members: Vec<Coded>,
}

/// A matter sampled for the mix, with what the filtered list needs.
struct Sampled {
    plan: String,
    matter: MatterItem,
}

/// Finds the targets on the server at `base` and builds the mix, choosing samples with `seed`.
pub async fn discover(
    client: &reqwest::Client,
    base: &str,
    accounts: &Accounts,
    seed: u64,
) -> anyhow::Result<Mix> {
    let http = Http { client, base };
    let mut rng = fastrand::Rng::with_seed(seed);

    let plans: Items<Keyed> = http.get("/api/v1/plans", &Auth::Anonymous).await?;
    let plans: Vec<String> = plans.items.into_iter().map(|p| p.key).collect();
    if plans.is_empty() {
        bail!("the server shows no published plan: load a dataset with plans first");
    }

    // Plans in a seeded order, until enough of them have matters (some plans, e.g. outline
    // plans, have none).
    let mut shuffled = plans.clone();
    rng.shuffle(&mut shuffled);
    let mut matters = Vec::new();
    let mut plans_with_matters = 0;
    for plan in &shuffled {
        if plans_with_matters == PLANS_SAMPLED {
            break;
        }
        let before = matters.len();
        let mut cursor: Option<String> = None;
        for _ in 0..PAGES_PER_PLAN {
            // Keys and cursors are made of URL-safe characters (cursors are hex), so the
            // query needs no escaping.
            let mut path = format!("/api/v1/matters?plan={plan}&limit={PAGE}");
            if let Some(cursor) = &cursor {
                path.push_str(&format!("&cursor={cursor}"));
            }
            let page: Items<MatterItem> = http.get(&path, &Auth::Anonymous).await?;
            matters.extend(page.items.into_iter().map(|matter| Sampled {
                plan: plan.clone(),
                matter,
            }));
            cursor = page.next_cursor;
            if cursor.is_none() {
                break;
            }
        }
        if matters.len() > before {
            plans_with_matters += 1;
        }
    }
    rng.shuffle(&mut matters);
    matters.truncate(MATTERS);
    if matters.is_empty() {
        bail!("the published plans show no matter");
    }

    // Filters that match something: a member of a sampled matter, and the matter's area.
    let mut filters: Vec<(String, String, String)> = matters
        .iter()
        .filter_map(|s| Some((s, s.matter.area.as_ref()?)))
        .flat_map(|(s, area)| {
            s.matter
                .leads
                .iter()
                .chain(&s.matter.participants)
                .map(move |member| (s.plan.clone(), member.code.clone(), area.key.clone()))
        })
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    rng.shuffle(&mut filters);
    filters.truncate(FILTERS);
    if filters.is_empty() {
        bail!("no sampled matter has both an area and a member to filter the list by");
    }

    let mut tasks: Vec<(String, String)> = matters
        .iter()
        .flat_map(|s| &s.matter.tasks)
        .map(|t| (t.key.clone(), t.jurisdiction.code.clone()))
        .collect();
    rng.shuffle(&mut tasks);
    tasks.truncate(TASKS);
    let reports: Vec<Target> = tasks
        .iter()
        .filter_map(|(task, member)| {
            let coordinator = accounts.coordinator(member)?;
            Some(Target {
                path: format!("/api/v1/tasks/{task}/reports"),
                auth: Auth::Bearer(coordinator.token.as_str().into()),
            })
        })
        .collect();
    if reports.is_empty() {
        bail!("no sampled task belongs to a member jurisdiction, so none can be reported on");
    }

    let indicators: Items<Keyed> = http
        .get("/api/v1/indicators?limit=500", &Auth::Anonymous)
        .await?;
    let mut indicators: Vec<String> = indicators.items.into_iter().map(|i| i.key).collect();
    rng.shuffle(&mut indicators);
    indicators.truncate(INDICATORS);
    if indicators.is_empty() {
        bail!("the server shows no indicator");
    }

    let meeting = scheduled_meeting(&http, accounts).await?;
    eprintln!(
        "bench: positions are taken on the decisions of meeting {}",
        meeting.key
    );
    let positions: Vec<Target> = meeting
        .decisions
        .iter()
        .flat_map(|d| d.positions.iter().map(move |p| (d, p)))
        .filter_map(|(decision, position)| {
            let member = &position.jurisdiction.code;
            let coordinator = accounts.coordinator(member)?;
            Some(Target {
                path: format!("/api/v1/decisions/{}/positions/{member}", decision.key),
                auth: Auth::Bearer(coordinator.token.as_str().into()),
            })
        })
        .collect();

    let sessions: Vec<Target> = accounts
        .coordinators
        .iter()
        .filter_map(|(_, c)| c.session.as_deref())
        .map(|id| Target {
            path: "/zh/workspace".to_owned(),
            auth: Auth::Session(id.into()),
        })
        .collect();

    let anonymous = |paths: Vec<String>| -> Vec<Target> {
        paths
            .into_iter()
            .map(|path| Target {
                path,
                auth: Auth::Anonymous,
            })
            .collect()
    };
    let each_plan = |f: &dyn Fn(&str) -> String| anonymous(plans.iter().map(|p| f(p)).collect());
    let each_matter =
        |f: &dyn Fn(&str) -> String| anonymous(matters.iter().map(|s| f(&s.matter.key)).collect());
    let each_filter = |f: &dyn Fn(&str, &str, &str) -> String| {
        anonymous(filters.iter().map(|(p, m, a)| f(p, m, a)).collect())
    };
    let each_indicator =
        |f: &dyn Fn(&str) -> String| anonymous(indicators.iter().map(|i| f(i)).collect());
    let read = |name, weight, targets| Kind {
        name,
        method: Method::GET,
        weight,
        expected: StatusCode::OK,
        payload: Payload::None,
        targets,
    };
    // Weights: reads are nine requests in ten, as on a portal that is read far more than it
    // is written; the public pages carry the most, the API and the workspace less.
    let kinds = vec![
        read("page:home", 12, anonymous(vec!["/zh/".to_owned()])),
        read("page:plan", 8, each_plan(&|p| format!("/zh/plans/{p}"))),
        read(
            "page:plan-filtered",
            5,
            each_filter(&|p, m, a| format!("/zh/plans/{p}?member={m}&area={a}")),
        ),
        read(
            "page:matter",
            10,
            each_matter(&|m| format!("/zh/matters/{m}")),
        ),
        read(
            "page:indicator",
            5,
            each_indicator(&|i| format!("/zh/indicators/{i}")),
        ),
        read(
            "page:meetings",
            4,
            anonymous(vec!["/zh/meetings".to_owned()]),
        ),
        read("page:workspace", 6, sessions),
        read(
            "api:matters",
            6,
            each_plan(&|p| format!("/api/v1/matters?plan={p}")),
        ),
        read(
            "api:matters-filtered",
            5,
            each_filter(&|p, m, a| format!("/api/v1/matters?plan={p}&member={m}&area={a}")),
        ),
        read(
            "api:matter",
            8,
            each_matter(&|m| format!("/api/v1/matters/{m}")),
        ),
        read(
            "api:task",
            6,
            anonymous(
                tasks
                    .iter()
                    .map(|(t, _)| format!("/api/v1/tasks/{t}"))
                    .collect(),
            ),
        ),
        read("api:plan", 5, each_plan(&|p| format!("/api/v1/plans/{p}"))),
        read(
            "api:meetings",
            3,
            anonymous(vec!["/api/v1/meetings".to_owned()]),
        ),
        read(
            "api:problems",
            3,
            anonymous(vec!["/api/v1/problems".to_owned()]),
        ),
        read(
            "api:indicator",
            4,
            each_indicator(&|i| format!("/api/v1/indicators/{i}")),
        ),
        Kind {
            name: "write:report",
            method: Method::POST,
            weight: 7,
            expected: StatusCode::CREATED,
            payload: Payload::Report,
            targets: reports,
        },
        Kind {
            name: "write:position",
            method: Method::PUT,
            weight: 3,
            expected: StatusCode::NO_CONTENT,
            payload: Payload::Position,
            targets: positions,
        },
    ];
    if let Some(empty) = kinds.iter().find(|k| k.targets.is_empty()) {
        bail!("found nothing to request for {}", empty.name);
    }
    Ok(Mix {
        kinds: Arc::new(kinds),
    })
}

/// A scheduled meeting whose decision items some member can take a position on: the newest
/// the server lists, or one the bench schedules as the office.
async fn scheduled_meeting(http: &Http<'_>, accounts: &Accounts) -> anyhow::Result<MeetingItem> {
    let open_to_members = |m: &MeetingItem| {
        m.state == "scheduled"
            && m.decisions.iter().any(|d| {
                d.positions
                    .iter()
                    .any(|p| accounts.coordinator(&p.jurisdiction.code).is_some())
            })
    };
    let mut cursor: Option<String> = None;
    for _ in 0..MEETING_PAGES {
        let mut path = format!("/api/v1/meetings?limit={PAGE}");
        if let Some(cursor) = &cursor {
            path.push_str(&format!("&cursor={cursor}"));
        }
        let page: Items<MeetingItem> = http.get(&path, &Auth::Anonymous).await?;
        if let Some(found) = page.items.into_iter().find(open_to_members) {
            return Ok(found);
        }
        cursor = page.next_cursor;
        if cursor.is_none() {
            break;
        }
    }

    // None: schedule one for the body with the most members, with a few decision items.
    let office = Auth::Bearer(accounts.office.token.as_str().into());
    let bodies: Items<BodyItem> = http.get("/api/v1/bodies", &Auth::Anonymous).await?;
    let members = |b: &BodyItem| {
        b.members
            .iter()
            .filter(|m| accounts.coordinator(&m.code).is_some())
            .count()
    };
    let body = bodies
        .items
        .iter()
        // The first key among the largest, so that the choice is stable.
        .max_by_key(|b| (members(b), std::cmp::Reverse(b.key.clone())))
        .filter(|b| members(b) > 0)
        .context("no body of the mechanism has member jurisdictions to take positions")?;
    let today = time::OffsetDateTime::now_utc().date();
    let start = today + time::Duration::days(90);
    let key = format!("bench-{}", time::OffsetDateTime::now_utc().unix_timestamp());
    // No host: the rotation proposes one, and only another host would need a reason.
    let created: Keyed = http
        .send(
            Method::POST,
            "/api/v1/meetings",
            &office,
            &json!({
                "body": body.key,
                "key": key,
                "title": {"zh": "负载测试会议", "en": "Load test meeting"},
                "start_date": start.to_string(),
            }),
            StatusCode::CREATED,
        )
        .await
        .context("scheduling a meeting for the members' positions")?;
    for n in 1..=DECISIONS {
        let _: Keyed = http
            .send(
                Method::POST,
                &format!("/api/v1/meetings/{}/decisions", created.key),
                &office,
                &json!({
                    "title": {"zh": format!("负载测试议题 {n}"), "en": format!("Load test item {n}")},
                    "subject": {"kind": "other"},
                }),
                StatusCode::CREATED,
            )
            .await
            .context("adding a decision item to the bench's meeting")?;
    }
    eprintln!(
        "bench: scheduled meeting {} of {} with {DECISIONS} decision items for the positions",
        created.key, body.key
    );
    http.get(
        &format!("/api/v1/meetings/{}", created.key),
        &Auth::Anonymous,
    )
    .await
}

/// The discovery's requests: JSON in and out, a failure named by its path.
struct Http<'a> {
    client: &'a reqwest::Client,
    base: &'a str,
}

impl Http<'_> {
    async fn get<T: DeserializeOwned>(&self, path: &str, auth: &Auth) -> anyhow::Result<T> {
        let request = super::load::authorize(self.client.get(format!("{}{path}", self.base)), auth);
        read(request, "GET", path, StatusCode::OK).await
    }

    async fn send<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        auth: &Auth,
        body: &serde_json::Value,
        expected: StatusCode,
    ) -> anyhow::Result<T> {
        let label = method.to_string();
        let request = self
            .client
            .request(method, format!("{}{path}", self.base))
            .json(body);
        read(
            super::load::authorize(request, auth),
            &label,
            path,
            expected,
        )
        .await
    }
}

async fn read<T: DeserializeOwned>(
    request: reqwest::RequestBuilder,
    method: &str,
    path: &str,
    expected: StatusCode,
) -> anyhow::Result<T> {
    let response = request
        .send()
        .await
        .with_context(|| format!("{method} {path}"))?;
    let status = response.status();
    let body = response
        .bytes()
        .await
        .with_context(|| format!("{method} {path}: reading the body"))?;
    if status != expected {
        bail!(
            "{method} {path} answered {status}, not {expected}: {}",
            super::load::excerpt(&body)
        );
    }
    serde_json::from_slice(&body).with_context(|| format!("{method} {path}: reading the JSON"))
}
