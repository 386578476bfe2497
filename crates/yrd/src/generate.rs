//! A synthetic region grown on top of a loaded dataset, for measuring yrd at scale: years of
//! lists of key cooperation matters split into members' tasks and departments' sub-tasks,
//! monthly progress reports through their review, meetings of the working bodies with their
//! decisions and positions, monitoring indicators with weekly observations, and the problems
//! raised on the way.
//!
//! Everything is drawn from one seeded generator, so the same seed and sizes give the same
//! records on every machine. Records come in [`BulkBatch`]es in key order (which keeps the
//! databases' indexes appending); each batch is self-contained, so it can be written in its
//! own transaction.

use time::{Date, Duration, Month};
use yrd_domain::*;
use yrd_store::BulkBatch;

/// How much to generate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sizes {
    pub tasks: u64,
    pub reports: u64,
    pub observations: u64,
    pub meetings: u64,
}

/// What the generated region is built on: the loaded dataset's members, cities and bodies.
#[derive(Clone, Debug)]
pub struct Base {
    /// The members (provincial level), with their names.
    pub members: Vec<(AdminCode, Text)>,
    /// Cities and counties, each with its member.
    pub places: Vec<(AdminCode, Text)>,
    /// Execution-tier bodies: thematic groups own matters and areas; all of them meet.
    pub groups: Vec<(String, Text)>,
    /// Action plans (key, first year, last year) that generated lists carry out.
    pub action_plans: Vec<(String, i32, i32)>,
}

/// The first year generated; lists run from here to the year of `today`.
const FIRST_YEAR: i32 = 2019;
/// Matters in one generated list (one batch).
const MATTERS_PER_PLAN: usize = 500;
/// Observations per generated indicator: weekly readings over ten years.
const OBSERVATIONS_PER_INDICATOR: u64 = 520;
/// Meetings written per batch.
const MEETINGS_PER_BATCH: u64 = 500;
/// Indicators written per batch.
const INDICATORS_PER_BATCH: u64 = 40;
/// The source every generated record names: entered in yrd by the generator.
const SOURCE: &str = "yrd:generate";
/// Every generated key starts with this, so a generated region is recognisable and is not
/// generated twice.
pub const KEY_PREFIX: &str = "gen-";

const UNITS: &[(&str, &str)] = &[
    ("发展和改革委员会", "Development and Reform Commission"),
    ("交通运输厅", "Department of Transport"),
    ("生态环境厅", "Department of Ecology and Environment"),
    ("科学技术厅", "Department of Science and Technology"),
    ("商务厅", "Department of Commerce"),
    ("卫生健康委员会", "Health Commission"),
    ("教育厅", "Department of Education"),
    (
        "人力资源和社会保障厅",
        "Department of Human Resources and Social Security",
    ),
    (
        "经济和信息化厅",
        "Department of Economy and Information Technology",
    ),
    ("市场监督管理局", "Administration for Market Regulation"),
];

const SUBJECTS: &[(&str, &str)] = &[
    (
        "跨省通办事项清单扩容",
        "extending the list of services handled across provinces",
    ),
    (
        "省际断头路打通",
        "connecting dead-end roads across the border",
    ),
    (
        "跨界水体联保联治",
        "joint protection of cross-border waters",
    ),
    (
        "大型科研仪器开放共享",
        "opening large research instruments for shared use",
    ),
    (
        "产业链供应链协同",
        "coordinating industrial and supply chains",
    ),
    (
        "异地就医直接结算",
        "direct settlement of medical bills across the region",
    ),
    (
        "公共信用信息互认",
        "mutual recognition of public credit information",
    ),
    (
        "人才资质互认",
        "mutual recognition of professional qualifications",
    ),
    ("数据跨域共享", "sharing data across jurisdictions"),
    (
        "食品安全追溯互通",
        "linking food-safety traceability systems",
    ),
    ("文旅一卡通", "one card for culture and tourism"),
    ("港口群协同发展", "coordinating the port cluster"),
];

const MEASURES: &[(&str, &str, &str, Direction, f64)] = &[
    (
        "PM2.5 周均浓度",
        "PM2.5 weekly mean",
        "μg/m³",
        Direction::LowerIsBetter,
        35.0,
    ),
    (
        "跨省通办业务量",
        "cross-province service requests",
        "件",
        Direction::HigherIsBetter,
        1200.0,
    ),
    (
        "异地就医结算人次",
        "out-of-province medical settlements",
        "人次",
        Direction::HigherIsBetter,
        5000.0,
    ),
    (
        "省际客运班次",
        "inter-provincial passenger services",
        "班",
        Direction::HigherIsBetter,
        800.0,
    ),
    (
        "断面水质达标率",
        "water-quality sections meeting standard",
        "%",
        Direction::HigherIsBetter,
        85.0,
    ),
];

/// The generator's position: which kind of batch comes next and how far it has got.
enum Phase {
    Indicators { done: u64 },
    Meetings { done: u64 },
    Plans { index: usize },
    Done,
}

/// Yields the generated region batch by batch.
pub struct Generator {
    base: Base,
    sizes: Sizes,
    today: Date,
    rng: fastrand::Rng,
    phase: Phase,
    plans: usize,
    tasks_done: u64,
    reports_done: u64,
}

impl Generator {
    pub fn new(base: Base, sizes: Sizes, seed: u64, today: Date) -> Generator {
        assert!(
            base.members.len() >= 2 && !base.groups.is_empty() && !base.places.is_empty(),
            "the base dataset has members, places and working bodies"
        );
        // Lists hold about 500 matters of 2–4 members' tasks with 0–3 sub-tasks each.
        let tasks_per_plan = MATTERS_PER_PLAN as u64 * 15 / 2;
        let plans = sizes.tasks.div_ceil(tasks_per_plan).max(1) as usize;
        Generator {
            base,
            sizes,
            today,
            rng: fastrand::Rng::with_seed(seed),
            phase: Phase::Indicators { done: 0 },
            plans,
            tasks_done: 0,
            reports_done: 0,
        }
    }

    /// Records the generator will yield, over every kind it is sized by (approximate for
    /// reports, which follow the tasks' schedules).
    pub fn planned_records(&self) -> u64 {
        self.sizes.tasks + self.sizes.reports + self.sizes.observations + self.sizes.meetings
    }

    fn years(&self) -> i32 {
        self.today.year() - FIRST_YEAR + 1
    }

    /// The year of generated list `index`: the lists are spread evenly over the years.
    fn plan_year(&self, index: usize) -> i32 {
        FIRST_YEAR + (index as i64 * i64::from(self.years()) / self.plans as i64) as i32
    }

    fn day_in(&mut self, year: i32) -> Date {
        let first = Date::from_calendar_date(year, Month::January, 1).expect("a valid year");
        first + Duration::days(self.rng.i64(0..365))
    }

    fn next_indicators(&mut self, done: u64) -> BulkBatch {
        let total = self.sizes.observations.div_ceil(OBSERVATIONS_PER_INDICATOR);
        let mut batch = BulkBatch::default();
        let last_week = self.today
            - Duration::days(i64::from(self.today.weekday().number_days_from_monday()) + 7);
        for n in done..(done + INDICATORS_PER_BATCH).min(total) {
            let (place, place_name) = self.base.places[n as usize % self.base.places.len()].clone();
            let (zh, en, unit, direction, level) =
                MEASURES[(n as usize / self.base.places.len()) % MEASURES.len()];
            let key = format!("{KEY_PREFIX}i{n:06}");
            let first_obs = n * OBSERVATIONS_PER_INDICATOR;
            let count = OBSERVATIONS_PER_INDICATOR.min(self.sizes.observations - first_obs);
            let mut value = level * (0.8 + self.rng.f64() * 0.4);
            for k in 0..count {
                let date = last_week - Duration::weeks((count - 1 - k) as i64);
                // A random walk that drifts the way the indicator should go.
                let drift = match direction {
                    Direction::LowerIsBetter => -0.001,
                    _ => 0.002,
                };
                value = (value * (1.0 + drift + (self.rng.f64() - 0.5) * 0.04)).max(0.0);
                let value = if unit == "%" { value.min(100.0) } else { value };
                batch.observations.push(Observation {
                    key: format!("{key}-{k:04}"),
                    indicator: key.clone(),
                    date: PartialDate::Day(date),
                    value: Value::Number((value * 10.0).round() / 10.0),
                    jurisdiction: None,
                    site: None,
                    qualifier: Qualifier::Exact,
                    note: Text::default(),
                    source: SOURCE.into(),
                });
            }
            batch.indicators.push(Indicator {
                key,
                name: Text::new(
                    format!("{}{zh}", place_name.zh),
                    format!("{}: {en}", place_name.en),
                ),
                description: Text::new(
                    format!("{}每周监测数据（生成）。", place_name.zh),
                    format!("Weekly monitoring in {} (generated).", place_name.en),
                ),
                unit: Text::new(unit, unit),
                classes: vec![],
                direction,
                scope: Scope::Jurisdiction(place),
                baseline: None,
                targets: vec![],
                source: SOURCE.into(),
            });
        }
        self.phase = if done + INDICATORS_PER_BATCH < total {
            Phase::Indicators {
                done: done + INDICATORS_PER_BATCH,
            }
        } else {
            Phase::Meetings { done: 0 }
        };
        batch
    }

    fn next_meetings(&mut self, done: u64) -> BulkBatch {
        let total = self.sizes.meetings;
        let mut batch = BulkBatch::default();
        let end = (done + MEETINGS_PER_BATCH).min(total);
        let members: Vec<AdminCode> = self.base.members.iter().map(|m| m.0).collect();
        for n in done..end {
            // Spread evenly over the years, in key order.
            let year = FIRST_YEAR + (n * self.years() as u64 / total.max(1)) as i32;
            let start = self.day_in(year).min(self.today - Duration::days(1));
            let (body, body_name) = pick(&mut self.rng, &self.base.groups).clone();
            let host = *pick(&mut self.rng, &members);
            let key = format!("{KEY_PREFIX}m{year}-{n:06}");
            let subject = *pick(&mut self.rng, SUBJECTS);
            let decisions = self.rng.u32(0..=3);
            for seq in 1..=decisions {
                let positions = members
                    .iter()
                    .map(|&jurisdiction| Position {
                        jurisdiction,
                        stance: Stance::Consent,
                        comment: Text::default(),
                    })
                    .collect();
                batch.decisions.push(Decision {
                    key: format!("{key}-d{seq}"),
                    meeting: key.clone(),
                    seq,
                    title: Text::new(
                        format!("审议{}工作安排（第{seq}项）", subject.0),
                        format!("Work arrangements for {} (item {seq})", subject.1),
                    ),
                    subject: DecisionSubject::Other,
                    positions,
                    outcome: Some(rules::DecisionStatus::Adopted),
                    supersedes: None,
                    source: SOURCE.into(),
                });
            }
            batch.meetings.push(Meeting {
                key,
                body,
                title: Text::new(
                    format!("{}{year}年第{}次会议", body_name.zh, n % 12 + 1),
                    format!("{} {year}, meeting {}", body_name.en, n % 12 + 1),
                ),
                start: PartialDate::Day(start),
                end: None,
                host: Some(host),
                host_reason: Text::default(),
                theme: Text::new(subject.0, subject.1),
                attendees: vec![],
                agenda: vec![Text::new(subject.0, subject.1)],
                outcomes: vec![],
                documents: vec![],
                state: MeetingState::Closed,
                closed_on: Some(start),
                source: SOURCE.into(),
            });
        }
        self.phase = if end < total {
            Phase::Meetings { done: end }
        } else {
            Phase::Plans { index: 0 }
        };
        batch
    }

    fn next_plan(&mut self, index: usize) -> BulkBatch {
        let year = self.plan_year(index);
        let number = (0..index).filter(|&i| self.plan_year(i) == year).count() + 1;
        let key = format!("{KEY_PREFIX}{year}-{number:03}");
        let parent = self
            .base
            .action_plans
            .iter()
            .find(|(_, from, to)| (*from..=*to).contains(&year))
            .map(|(k, _, _)| k.clone());
        let areas: Vec<Area> = self
            .base
            .groups
            .iter()
            .enumerate()
            .map(|(i, (body, name))| Area {
                key: area_key(body),
                seq: i as u32 + 1,
                name: name.clone(),
                stated_task_count: None,
            })
            .collect();
        let adopted = Date::from_calendar_date(year, Month::January, 15).expect("a valid year");
        let mut batch = BulkBatch {
            plans: vec![Plan {
                key: key.clone(),
                kind: PlanKind::MatterList,
                title: Text::new(
                    format!("{year}年长三角一体化发展重点合作事项清单（第{number}批）"),
                    format!(
                        "Key cooperation matters of Yangtze River Delta integration, {year}, list {number}"
                    ),
                ),
                parent,
                period_start: year,
                period_end: year,
                stage: if year < self.today.year() {
                    PlanStage::Superseded
                } else {
                    PlanStage::InForce
                },
                adopted_on: Some(PartialDate::Day(adopted)),
                issued_on: Some(PartialDate::Day(adopted)),
                issuer: Text::new("长三角区域合作办公室", "Regional Cooperation Office"),
                summary: Text::new(
                    "生成的重点合作事项清单，用于容量测试。",
                    "A generated list of key cooperation matters, for measuring capacity.",
                ),
                areas,
                published: true,
                source: SOURCE.into(),
            }],
            ..BulkBatch::default()
        };
        // The last list takes whatever the others left, however many matters that needs.
        let last = index + 1 == self.plans;
        let mut m = 0;
        while self.tasks_done < self.sizes.tasks
            && (last || m < MATTERS_PER_PLAN)
            && (last || m == 0 || !self.plan_full(index))
        {
            self.matter(&mut batch, &key, year, m);
            m += 1;
        }
        self.phase = if last || self.tasks_done >= self.sizes.tasks {
            Phase::Done
        } else {
            Phase::Plans { index: index + 1 }
        };
        batch
    }

    /// Whether list `index` has its share of the tasks, so that the lists share them evenly.
    fn plan_full(&self, index: usize) -> bool {
        self.tasks_done >= self.sizes.tasks * (index as u64 + 1) / self.plans as u64
    }

    fn matter(&mut self, batch: &mut BulkBatch, plan: &str, year: i32, m: usize) {
        let key = format!("{plan}-{m:04}");
        let (body, _) = pick(&mut self.rng, &self.base.groups).clone();
        let subject = *pick(&mut self.rng, SUBJECTS);
        let (_, place) = pick(&mut self.rng, &self.base.places).clone();
        let mut members: Vec<AdminCode> = self.base.members.iter().map(|m| m.0).collect();
        self.rng.shuffle(&mut members);
        members.truncate(self.rng.usize(2..=self.base.members.len().min(4)));
        let start = Date::from_calendar_date(year, Month::January, 1).expect("a valid year")
            + Duration::days(self.rng.i64(0..90));
        let due = start + Duration::days(self.rng.i64(180..540));
        // Most matters of past years were finished; the rest are the overdue ones.
        let finishes = due > self.today || self.rng.f64() < 0.88;
        let milestone_due = start + (due - start) / 2;
        let milestones = vec![Milestone {
            title: Text::new("阶段性成果", "Interim results"),
            due: milestone_due,
            done_on: (milestone_due <= self.today && finishes).then_some(milestone_due),
        }];
        batch.matters.push(Matter {
            key: key.clone(),
            plan: plan.to_owned(),
            area: Some(area_key(&body)),
            title: Text::new(
                format!("{}{}", place.zh, subject.0),
                format!("{}: {}", place.en, subject.1),
            ),
            objective: Text::new(
                format!("推进{}，形成可复制经验。", subject.0),
                format!("Make progress on {} and share what works.", subject.1),
            ),
            leads: vec![members[0]],
            participants: members[1..].to_vec(),
            start: Some(start),
            due: Some(due),
            milestones,
            indicators: vec![],
            agreements: vec![],
            body: Some(body),
            // One matter in a hundred is still a draft of its thematic group.
            published: self.rng.u32(0..100) != 0,
            carried_from: None,
            source: SOURCE.into(),
        });
        for &member in &members {
            let member_name = self.member_name(member);
            let task_key = format!("{key}-{member}");
            let unit = *pick(&mut self.rng, UNITS);
            self.task(
                batch,
                &key,
                &task_key,
                None,
                member,
                &member_name,
                unit,
                start,
                due,
                finishes,
            );
            for s in 1..=self.rng.u32(0..=3) {
                let unit = *pick(&mut self.rng, UNITS);
                let sub_due = due - Duration::days(self.rng.i64(0..60));
                self.task(
                    batch,
                    &key,
                    &format!("{task_key}-{s}"),
                    Some(&task_key),
                    member,
                    &member_name,
                    unit,
                    start,
                    sub_due,
                    finishes,
                );
            }
        }
        if self.rng.u32(0..50) == 0 {
            self.problem(batch, &key, start, due, finishes);
        }
    }

    fn member_name(&self, member: AdminCode) -> Text {
        self.base
            .members
            .iter()
            .find(|m| m.0 == member)
            .map(|m| m.1.clone())
            .unwrap_or_default()
    }

    #[allow(clippy::too_many_arguments)]
    fn task(
        &mut self,
        batch: &mut BulkBatch,
        matter: &str,
        key: &str,
        parent: Option<&str>,
        member: AdminCode,
        member_name: &Text,
        unit: (&str, &str),
        start: Date,
        due: Date,
        finishes: bool,
    ) {
        if self.tasks_done >= self.sizes.tasks {
            return;
        }
        self.tasks_done += 1;
        let title = batch
            .matters
            .last()
            .map(|m| m.title.clone())
            .unwrap_or_default();
        batch.tasks.push(Task {
            key: key.to_owned(),
            matter: matter.to_owned(),
            parent: parent.map(str::to_owned),
            jurisdiction: member,
            unit: Text::new(
                format!("{}{}", member_name.zh, unit.0),
                format!("{} {}", member_name.en, unit.1),
            ),
            title: if parent.is_some() {
                Text::new(
                    format!("{}（{}部分）", title.zh, unit.0),
                    format!("{} ({} share)", title.en, unit.1),
                )
            } else {
                title
            },
            start: Some(start),
            due,
            source: SOURCE.into(),
        });
        self.reports(batch, key, start, due, finishes);
    }

    /// Monthly-ish reports from the start to the due date or today, rising to the task's
    /// final figure; the older ones verified, the latest still in review, a few returned.
    fn reports(
        &mut self,
        batch: &mut BulkBatch,
        task: &str,
        start: Date,
        due: Date,
        finishes: bool,
    ) {
        let end = due.min(self.today);
        let span = (end - start).whole_days();
        if span <= 0 {
            return;
        }
        let remaining_tasks = (self.sizes.tasks - self.tasks_done + 1).max(1);
        let mean =
            self.sizes.reports.saturating_sub(self.reports_done) as f64 / remaining_tasks as f64;
        let count = ((mean * (0.5 + self.rng.f64())).round() as i64).clamp(0, span);
        let final_percent: i64 = if due <= self.today {
            if finishes { 100 } else { self.rng.i64(40..95) }
        } else {
            // On schedule, give or take.
            let expected =
                100 * (self.today - start).whole_days() / (due - start).whole_days().max(1);
            (expected + self.rng.i64(-20..10)).clamp(0, 99)
        };
        for n in 0..count {
            self.reports_done += 1;
            let as_of = start + Duration::days(span * (n + 1) / count);
            let percent = (final_percent * (n + 1) / count) as u8;
            let latest = n + 1 == count;
            let state = if self.rng.u32(0..50) == 0 {
                ReportState::Returned
            } else if !latest {
                ReportState::Verified
            } else {
                *pick(
                    &mut self.rng,
                    &[
                        ReportState::Submitted,
                        ReportState::Approved,
                        ReportState::Verified,
                    ],
                )
            };
            let return_reason = if state == ReportState::Returned {
                Text::new(
                    "证明材料不足，请补充。",
                    "The evidence is insufficient; please add to it.",
                )
            } else {
                Text::default()
            };
            batch.reports.push(ProgressReport {
                key: format!("{task}-r{n:03}"),
                task: task.to_owned(),
                as_of,
                percent,
                narrative: Text::new(
                    format!("按计划推进，完成{percent}%。"),
                    format!("Proceeding as planned: {percent} % done."),
                ),
                evidence: vec![],
                state,
                return_reason,
                source: SOURCE.into(),
            });
        }
    }

    fn problem(
        &mut self,
        batch: &mut BulkBatch,
        matter: &str,
        start: Date,
        due: Date,
        finishes: bool,
    ) {
        let raised_on = (start + Duration::days(self.rng.i64(30..120))).min(self.today);
        let resolved = finishes && due <= self.today;
        let tiers = [Tier::Execution, Tier::Coordination];
        let tier = *pick(&mut self.rng, &tiers);
        batch.problems.push(Problem {
            key: format!("{matter}-p1"),
            matter: matter.to_owned(),
            task: None,
            title: Text::new(
                "跨区域审批标准不一致",
                "Approval standards differ across the border",
            ),
            description: Text::new(
                "各方审批标准尚未统一，影响进度。",
                "The parties' approval standards are not yet aligned, which holds up progress.",
            ),
            tier,
            raised_on,
            due: Some(raised_on + Duration::days(30)),
            escalated_on: (tier == Tier::Coordination).then_some(raised_on + Duration::days(30)),
            resolved_on: resolved.then_some((raised_on + Duration::days(45)).min(self.today)),
            resolved_tier: resolved.then_some(tier),
            resolution: if resolved {
                Text::new("已统一审批标准。", "The approval standards were aligned.")
            } else {
                Text::default()
            },
            source: SOURCE.into(),
        });
    }
}

/// One of `items`, drawn by `rng`.
fn pick<'a, T>(rng: &mut fastrand::Rng, items: &'a [T]) -> &'a T {
    &items[rng.usize(..items.len())]
}

/// A plan area's key for a thematic group: the group's key without its `thematic-group-`.
fn area_key(body: &str) -> String {
    body.strip_prefix("thematic-group-")
        .unwrap_or(body)
        .to_owned()
}

impl Iterator for Generator {
    type Item = BulkBatch;

    fn next(&mut self) -> Option<BulkBatch> {
        loop {
            let batch = match self.phase {
                Phase::Indicators { done } if self.sizes.observations > 0 => {
                    self.next_indicators(done)
                }
                Phase::Indicators { .. } => {
                    self.phase = Phase::Meetings { done: 0 };
                    continue;
                }
                Phase::Meetings { done } if self.sizes.meetings > 0 => self.next_meetings(done),
                Phase::Meetings { .. } => {
                    self.phase = Phase::Plans { index: 0 };
                    continue;
                }
                Phase::Plans { .. } if self.sizes.tasks == 0 => {
                    self.phase = Phase::Done;
                    continue;
                }
                Phase::Plans { index } => self.next_plan(index),
                Phase::Done => return None,
            };
            return Some(batch);
        }
    }
}

#[cfg(test)]
mod tests {
    use time::macros::date;

    use super::*;

    fn base() -> Base {
        let code = |s: &str| s.parse::<AdminCode>().unwrap();
        Base {
            members: ["310000", "320000", "330000", "340000"]
                .iter()
                .map(|c| (code(c), Text::new(*c, *c)))
                .collect(),
            places: vec![(code("320500"), Text::new("苏州市", "Suzhou"))],
            groups: vec![
                (
                    "thematic-group-transport".into(),
                    Text::new("交通", "Transport"),
                ),
                ("thematic-group-energy".into(), Text::new("能源", "Energy")),
            ],
            action_plans: vec![("action-plan-2024-2026".into(), 2024, 2026)],
        }
    }

    fn sizes() -> Sizes {
        Sizes {
            tasks: 9_000,
            reports: 60_000,
            observations: 3_000,
            meetings: 700,
        }
    }

    fn all(seed: u64) -> Vec<BulkBatch> {
        Generator::new(base(), sizes(), seed, date!(2026 - 11 - 30)).collect()
    }

    #[test]
    fn sizes_are_met_and_the_same_seed_gives_the_same_region() {
        let batches = all(7);
        let count = |f: fn(&BulkBatch) -> usize| batches.iter().map(f).sum::<usize>() as u64;
        assert_eq!(count(|b| b.tasks.len()), 9_000);
        // However the draws fall, the last list makes up the total.
        for seed in 0..20 {
            let tasks: usize = Generator::new(
                base(),
                Sizes {
                    tasks: 4_000,
                    ..sizes()
                },
                seed,
                date!(2026 - 11 - 30),
            )
            .map(|b| b.tasks.len())
            .sum();
            assert_eq!(tasks, 4_000, "seed {seed}");
        }
        assert_eq!(count(|b| b.observations.len()), 3_000);
        assert_eq!(count(|b| b.meetings.len()), 700);
        let reports = count(|b| b.reports.len());
        assert!((50_000..=70_000).contains(&reports), "{reports} reports");
        // Nine thousand tasks at about 3,750 a list: three lists.
        assert_eq!(count(|b| b.plans.len()), 3);

        let again = all(7);
        let keys = |batches: &[BulkBatch]| -> Vec<String> {
            batches
                .iter()
                .flat_map(|b| {
                    b.reports
                        .iter()
                        .map(|r| format!("{}:{}:{:?}", r.key, r.percent, r.state))
                })
                .collect()
        };
        assert_eq!(keys(&batches), keys(&again));
        assert_ne!(keys(&batches), keys(&all(8)));
    }

    #[test]
    fn records_are_consistent_and_in_key_order() {
        let batches = all(1);
        let mut previous_plan = String::new();
        for batch in &batches {
            let tasks: std::collections::HashSet<&str> =
                batch.tasks.iter().map(|t| t.key.as_str()).collect();
            for t in &batch.tasks {
                assert!(is_valid_key(&t.key), "{}", t.key);
                if let Some(parent) = &t.parent {
                    assert!(
                        tasks.contains(parent.as_str()),
                        "{} has its parent in its batch",
                        t.key
                    );
                }
                assert!(t.start.unwrap() < t.due || t.parent.is_some());
            }
            for r in &batch.reports {
                assert!(tasks.contains(r.task.as_str()));
                assert!(r.as_of <= date!(2026 - 11 - 30));
                assert_eq!(r.return_reason.is_empty(), r.state != ReportState::Returned);
            }
            for p in &batch.plans {
                assert!(p.key > previous_plan, "{} after {previous_plan}", p.key);
                previous_plan = p.key.clone();
                for m in batch.matters.iter() {
                    assert_eq!(m.plan, p.key);
                    assert!(p.areas.iter().any(|a| Some(&a.key) == m.area.as_ref()));
                }
            }
            let keys: Vec<&str> = batch.observations.iter().map(|o| o.key.as_str()).collect();
            assert!(keys.windows(2).all(|w| w[0] < w[1]));
        }
    }
}
