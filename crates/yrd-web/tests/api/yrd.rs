//! Cases over the built-in YRD dataset: the API returns the public record faithfully.

use std::collections::BTreeSet;

use libtest_mimic::Failed;
use serde_json::Value;
use yrd_domain::rules::next_host;

use crate::app::TestApp;
use crate::fixtures::{AH, JS, SH, WENZHOU, ZJ, code};
use crate::{cases, ensure, ensure_eq};

cases!(
    jurisdiction_330300_is_wenzhou_under_zhejiang,
    jurisdictions_list_every_record_with_its_parent,
    meetings_include_the_2024_symposium_with_each_members_position,
    meeting_pages_join_up_without_gaps_or_duplicates,
    bodies_show_seats_rotation_and_the_next_host,
    action_plan_2024_2026_has_nine_areas_and_a_rollup,
    every_observation_of_every_indicator_has_a_source,
    matter_filters_select_exactly_the_matching_matters,
    matter_pages_join_up_without_gaps_or_duplicates,
    agreements_filter_by_party,
);

fn codes(list: &Value) -> Vec<String> {
    list.as_array()
        .into_iter()
        .flatten()
        .map(|j| j["code"].as_str().unwrap_or_default().to_owned())
        .collect()
}

fn keys(items: &[Value]) -> Vec<String> {
    items
        .iter()
        .map(|i| i["key"].as_str().unwrap_or_default().to_owned())
        .collect()
}

async fn jurisdiction_330300_is_wenzhou_under_zhejiang(app: TestApp) -> Result<(), Failed> {
    let zh = app.json("/api/v1/jurisdictions/330300").await?;
    ensure_eq!(zh["code"], WENZHOU, "code");
    ensure_eq!(zh["name"], "温州市", "Chinese name");
    ensure_eq!(zh["parent"]["code"], ZJ, "parent");
    ensure_eq!(zh["parent"]["name"], "浙江省", "parent's name");
    ensure_eq!(zh["level"], "prefecture", "level");
    ensure!(
        zh["source"].as_str().is_some_and(|s| !s.is_empty()),
        "no source: {zh}"
    );
    ensure!(
        zh["children"].is_array() && zh["zones"].is_array(),
        "no children or zones: {zh}"
    );

    let en = app.json("/api/v1/jurisdictions/330300?lang=en").await?;
    ensure_eq!(en["name"], "Wenzhou", "English name");
    ensure_eq!(en["parent"]["name"], "Zhejiang", "parent's English name");

    // A province lists its cities as children, and a city names it as their parent.
    let zhejiang = app.json("/api/v1/jurisdictions/330000").await?;
    ensure!(
        zhejiang["parent"].is_null(),
        "a province has no parent: {zhejiang}"
    );
    ensure!(
        codes(&zhejiang["children"]).contains(&WENZHOU.to_owned()),
        "Wenzhou is not a child of Zhejiang"
    );
    for child in zhejiang["children"].as_array().into_iter().flatten() {
        ensure_eq!(
            child["parent"]["code"],
            ZJ,
            "parent of child {}",
            child["code"]
        );
    }
    Ok(())
}

async fn jurisdictions_list_every_record_with_its_parent(app: TestApp) -> Result<(), Failed> {
    let list = app.json("/api/v1/jurisdictions").await?;
    let items = list["items"].as_array().cloned().unwrap_or_default();
    let expected: Vec<String> = app
        .dataset
        .jurisdictions
        .iter()
        .map(|j| j.code.to_string())
        .collect();
    let mut got = codes(&list["items"]);
    got.sort();
    let mut expected_sorted = expected.clone();
    expected_sorted.sort();
    ensure_eq!(got, expected_sorted, "codes listed");
    for item in &items {
        let record = app
            .dataset
            .jurisdictions
            .iter()
            .find(|j| j.code.to_string() == item["code"])
            .ok_or("listed code not in the dataset")?;
        let parent = record.parent.map(|p| p.to_string());
        ensure_eq!(
            item["parent"]["code"].as_str().map(str::to_owned),
            parent,
            "parent of {}",
            item["code"]
        );
        ensure_eq!(
            item["name"],
            record.name.zh.as_str(),
            "name of {}",
            item["code"]
        );
        ensure!(item["level"].is_string(), "no level: {item}");
        match record.centroid {
            Some(c) => ensure_eq!(
                item["centroid"]["lat"].as_f64(),
                Some(c.lat),
                "centroid of {}",
                item["code"]
            ),
            None => ensure!(item["centroid"].is_null(), "invented centroid: {item}"),
        }
    }
    let zones = app.json("/api/v1/zones").await?;
    ensure_eq!(
        zones["items"].as_array().map(Vec::len),
        Some(app.dataset.zones.len()),
        "zones listed"
    );
    Ok(())
}

async fn meetings_include_the_2024_symposium_with_each_members_position(
    app: TestApp,
) -> Result<(), Failed> {
    let list = app.json("/api/v1/meetings?limit=500").await?;
    let items = list["items"].as_array().cloned().unwrap_or_default();
    let symposium = items
        .iter()
        .find(|m| m["key"] == "symposium-2024")
        .ok_or("the 2024 symposium is not listed")?;
    ensure_eq!(symposium["host"]["code"], WENZHOU, "host");
    ensure_eq!(symposium["host"]["name"], "温州市", "host's name");
    ensure_eq!(symposium["start"], "2024-06-05", "start");
    let decisions = symposium["decisions"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    ensure!(!decisions.is_empty(), "the 2024 symposium has no decisions");
    let recorded = app
        .dataset
        .decisions
        .iter()
        .filter(|d| d.meeting == "symposium-2024")
        .count();
    ensure_eq!(decisions.len(), recorded, "decisions of the 2024 symposium");
    for decision in &decisions {
        // Every member of the body, in the body's order, whether or not it answered.
        let members: Vec<&str> = decision["positions"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|p| p["jurisdiction"]["code"].as_str())
            .collect();
        ensure_eq!(
            members,
            vec![SH, JS, ZJ, AH],
            "members in the positions of {}",
            decision["key"]
        );
        for position in decision["positions"].as_array().into_iter().flatten() {
            ensure!(
                position.get("stance").is_some(),
                "a position without a stance member (null when unanswered): {position}"
            );
        }
        ensure!(decision["status"].is_string(), "no status: {decision}");
    }
    let plan = decisions
        .iter()
        .find(|d| d["key"] == "symposium-2024.action-plan")
        .ok_or("no decision on the action plan")?;
    ensure_eq!(
        plan["status"],
        "adopted_in_principle",
        "the action plan was adopted in principle"
    );
    ensure_eq!(plan["subject"]["kind"], "adopt_plan", "subject");
    ensure_eq!(
        plan["subject"]["plan"],
        "action-plan-2024-2026",
        "subject plan"
    );
    for position in plan["positions"].as_array().into_iter().flatten() {
        ensure_eq!(
            position["stance"],
            "consent_in_principle",
            "stance of {}",
            position["jurisdiction"]["code"]
        );
    }
    // Newest first.
    let starts: Vec<&str> = items.iter().filter_map(|m| m["start"].as_str()).collect();
    ensure!(
        starts.windows(2).all(|w| w[0] >= w[1]),
        "not newest first: {starts:?}"
    );

    // The detail is the list's item.
    let detail = app.json("/api/v1/meetings/symposium-2024").await?;
    ensure_eq!(&detail, symposium, "detail and list item");
    let en = app.json("/api/v1/meetings/symposium-2024?lang=en").await?;
    ensure_eq!(en["host"]["name"], "Wenzhou", "host's English name");
    Ok(())
}

async fn meeting_pages_join_up_without_gaps_or_duplicates(app: TestApp) -> Result<(), Failed> {
    let all = keys(
        &app.json("/api/v1/meetings?limit=500").await?["items"]
            .as_array()
            .cloned()
            .unwrap_or_default(),
    );
    ensure_eq!(
        all.len(),
        app.dataset.meetings.len(),
        "every meeting on one page"
    );
    for limit in [1, 2, 7] {
        let walked = keys(
            &app.all_pages(&format!("/api/v1/meetings?limit={limit}"))
                .await?,
        );
        ensure_eq!(walked, all, "pages of {limit}");
    }
    let body = "main-leaders-symposium";
    let filtered = keys(
        &app.all_pages(&format!("/api/v1/meetings?body={body}&limit=3"))
            .await?,
    );
    let expected = app
        .dataset
        .meetings
        .iter()
        .filter(|m| m.body == body)
        .count();
    ensure_eq!(filtered.len(), expected, "meetings of {body}");
    ensure!(
        filtered.iter().collect::<BTreeSet<_>>().len() == filtered.len(),
        "duplicates: {filtered:?}"
    );
    Ok(())
}

async fn bodies_show_seats_rotation_and_the_next_host(app: TestApp) -> Result<(), Failed> {
    let list = app.json("/api/v1/bodies").await?;
    let items = list["items"].as_array().cloned().unwrap_or_default();
    ensure_eq!(items.len(), app.dataset.bodies.len(), "bodies listed");
    for body in &app.dataset.bodies {
        let item = items
            .iter()
            .find(|b| b["key"] == body.key.as_str())
            .ok_or("a body is missing")?;
        let members: Vec<String> = body.members.iter().map(ToString::to_string).collect();
        ensure_eq!(codes(&item["members"]), members, "members of {}", body.key);
        let seats = app
            .dataset
            .seats
            .iter()
            .filter(|s| s.body == body.key)
            .count();
        ensure_eq!(
            item["seats"].as_array().map(Vec::len),
            Some(seats),
            "seats of {}",
            body.key
        );
        // The rule applied to the recorded hosts, oldest first.
        let mut meetings: Vec<_> = app
            .dataset
            .meetings
            .iter()
            .filter(|m| m.body == body.key)
            .collect();
        meetings.sort_by_key(|m| m.start);
        let hosts: Vec<_> = meetings.iter().filter_map(|m| m.host).collect();
        let expected = next_host(&body.host_rotation, &hosts).map(|c| c.to_string());
        ensure_eq!(
            item["next_host"]["code"].as_str().map(str::to_owned),
            expected,
            "next host of {}",
            body.key
        );
    }
    let symposium = items
        .iter()
        .find(|b| b["key"] == "main-leaders-symposium")
        .ok_or("no symposium")?;
    ensure_eq!(symposium["tier"], "decision", "tier");
    ensure_eq!(
        codes(&symposium["host_rotation"]),
        vec![AH, ZJ, JS, SH],
        "rotation"
    );
    Ok(())
}

async fn action_plan_2024_2026_has_nine_areas_and_a_rollup(app: TestApp) -> Result<(), Failed> {
    let plan = app.json("/api/v1/plans/action-plan-2024-2026").await?;
    let areas = plan["areas"].as_array().cloned().unwrap_or_default();
    ensure_eq!(areas.len(), 9, "areas of the 2024–26 action plan");
    ensure_eq!(plan["kind"], "action_plan", "kind");
    ensure_eq!(plan["period"]["start"], 2024, "period start");
    ensure_eq!(plan["period"]["end"], 2026, "period end");

    let rollup = &plan["rollup"];
    let rows = rollup["rows"].as_array().cloned().unwrap_or_default();
    ensure!(rows.len() >= 9, "fewer rows than areas: {}", rows.len());
    for (row, area) in rows.iter().zip(&areas) {
        ensure_eq!(
            row["area"]["key"],
            area["key"],
            "row order follows the areas"
        );
        ensure_eq!(
            row["cells"].as_array().map(Vec::len),
            rollup["members"].as_array().map(Vec::len),
            "cells of row {}",
            area["key"]
        );
    }
    let plan_matters: BTreeSet<&str> = app
        .dataset
        .matters
        .iter()
        .filter(|m| m.plan == "action-plan-2024-2026")
        .map(|m| m.key.as_str())
        .collect();
    let tasks: Vec<_> = app
        .dataset
        .tasks
        .iter()
        .filter(|t| plan_matters.contains(t.matter.as_str()))
        .collect();
    let total = &rollup["total"]["reported"];
    ensure_eq!(total["tasks"], tasks.len(), "tasks in the roll-up");
    ensure_eq!(
        total["reported"].as_u64().unwrap_or(0) + total["unreported"].as_u64().unwrap_or(0),
        tasks.len() as u64,
        "reported + unreported"
    );
    let members: BTreeSet<String> = tasks.iter().map(|t| t.jurisdiction.to_string()).collect();
    ensure_eq!(
        codes(&rollup["members"]),
        members.into_iter().collect::<Vec<_>>(),
        "members with tasks"
    );
    let per_member: u64 = rollup["member_totals"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c["reported"]["tasks"].as_u64())
        .sum();
    ensure_eq!(per_member, tasks.len() as u64, "member totals add up");

    let plans = app.json("/api/v1/plans").await?;
    ensure_eq!(
        plans["items"].as_array().map(Vec::len),
        Some(app.dataset.plans.len()),
        "plans listed"
    );
    Ok(())
}

async fn every_observation_of_every_indicator_has_a_source(app: TestApp) -> Result<(), Failed> {
    let list = app.json("/api/v1/indicators").await?;
    let items = list["items"].as_array().cloned().unwrap_or_default();
    ensure_eq!(
        items.len(),
        app.dataset.indicators.len(),
        "indicators listed"
    );
    ensure!(!items.is_empty(), "the dataset has indicators");
    let mut observations = 0;
    for item in &items {
        ensure!(
            item["assessment"]["status"].is_string(),
            "no status: {item}"
        );
        let key = item["key"].as_str().ok_or("no key")?;
        let detail = app.json(&format!("/api/v1/indicators/{key}")).await?;
        ensure_eq!(
            detail["assessment"],
            item["assessment"],
            "status of {key} in list and detail"
        );
        for observation in detail["observations"].as_array().into_iter().flatten() {
            ensure!(
                observation["source"]
                    .as_str()
                    .is_some_and(|s| !s.trim().is_empty()),
                "{key}: observation without a source: {observation}"
            );
            ensure!(
                observation["value"].is_number() || observation["value"].is_string(),
                "no value: {observation}"
            );
            observations += 1;
        }
    }
    ensure_eq!(
        observations,
        app.dataset.observations.len(),
        "observations returned"
    );
    Ok(())
}

async fn matter_filters_select_exactly_the_matching_matters(app: TestApp) -> Result<(), Failed> {
    let as_of = "2025-01-01";
    let all = app
        .all_pages(&format!("/api/v1/matters?limit=500&as_of={as_of}"))
        .await?;
    ensure_eq!(all.len(), app.dataset.matters.len(), "every matter");

    let plan = "action-plan-2024-2026";
    let by_plan = keys(
        &app.all_pages(&format!("/api/v1/matters?plan={plan}&limit=500"))
            .await?,
    );
    let expected: Vec<String> = {
        let mut k: Vec<String> = app
            .dataset
            .matters
            .iter()
            .filter(|m| m.plan == plan)
            .map(|m| m.key.clone())
            .collect();
        k.sort();
        k
    };
    ensure!(!expected.is_empty(), "the plan has matters");
    ensure_eq!(by_plan, expected, "matters of {plan}");

    for member in [SH, JS, ZJ, AH] {
        let got = keys(
            &app.all_pages(&format!("/api/v1/matters?member={member}&limit=500"))
                .await?,
        );
        let mut expected: Vec<String> = app
            .dataset
            .matters
            .iter()
            .filter(|m| m.leads.contains(&code(member)) || m.participants.contains(&code(member)))
            .map(|m| m.key.clone())
            .collect();
        expected.sort();
        ensure_eq!(got, expected, "matters of member {member}");
    }

    // The status filter partitions the list.
    let mut partitioned = Vec::new();
    for status in ["not_started", "on_track", "at_risk", "overdue", "done"] {
        let items = app
            .all_pages(&format!(
                "/api/v1/matters?status={status}&as_of={as_of}&limit=2"
            ))
            .await?;
        for item in &items {
            ensure_eq!(item["status"], status, "status of {}", item["key"]);
        }
        partitioned.extend(keys(&items));
    }
    partitioned.sort();
    ensure_eq!(
        partitioned,
        keys(&all),
        "the statuses partition the matters"
    );

    let area = all
        .iter()
        .find_map(|m| m["area"]["key"].as_str())
        .ok_or("no matter has an area")?;
    let in_area = app
        .all_pages(&format!(
            "/api/v1/matters?plan={plan}&area={area}&limit=500"
        ))
        .await?;
    ensure!(!in_area.is_empty(), "no matter in area {area}");
    for item in &in_area {
        ensure_eq!(item["area"]["key"], area, "area of {}", item["key"]);
    }

    let key = &keys(&all)[0];
    let detail = app
        .json(&format!("/api/v1/matters/{key}?as_of={as_of}"))
        .await?;
    ensure_eq!(detail["key"], key.as_str(), "detail key");
    ensure_eq!(detail["as_of"], as_of, "as_of echoed");
    ensure_eq!(detail["basis"], "reported", "default basis");
    ensure!(
        detail["tasks"].as_array().is_some_and(|t| !t.is_empty()),
        "tasks: {detail}"
    );
    Ok(())
}

async fn matter_pages_join_up_without_gaps_or_duplicates(app: TestApp) -> Result<(), Failed> {
    let all = keys(
        &app.json("/api/v1/matters?limit=500").await?["items"]
            .as_array()
            .cloned()
            .unwrap_or_default(),
    );
    ensure!(all.len() > 2, "too few matters to page: {}", all.len());
    for limit in [1, 2] {
        let walked = keys(
            &app.all_pages(&format!("/api/v1/matters?limit={limit}"))
                .await?,
        );
        ensure_eq!(walked, all, "pages of {limit}");
    }
    // Paging a filtered list.
    let member = JS;
    let filtered = keys(
        &app.all_pages(&format!("/api/v1/matters?member={member}&limit=500"))
            .await?,
    );
    let walked = keys(
        &app.all_pages(&format!("/api/v1/matters?member={member}&limit=1"))
            .await?,
    );
    ensure_eq!(walked, filtered, "filtered pages");
    let unique: BTreeSet<_> = walked.iter().collect();
    ensure_eq!(unique.len(), walked.len(), "no duplicates");
    Ok(())
}

async fn agreements_filter_by_party(app: TestApp) -> Result<(), Failed> {
    let all = app.json("/api/v1/agreements").await?["items"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    ensure_eq!(all.len(), app.dataset.agreements.len(), "agreements listed");
    let party = AH;
    let filtered = app
        .json(&format!("/api/v1/agreements?party={party}"))
        .await?["items"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let expected = app
        .dataset
        .agreements
        .iter()
        .filter(|a| a.parties.iter().any(|p| p.jurisdiction == code(party)))
        .count();
    ensure_eq!(filtered.len(), expected, "agreements with {party}");
    for agreement in &filtered {
        let parties: Vec<&str> = agreement["parties"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|p| p["jurisdiction"]["code"].as_str())
            .collect();
        ensure!(
            parties.contains(&party),
            "{} does not have {party} as a party",
            agreement["key"]
        );
        let signed = agreement["parties"]
            .as_array()
            .into_iter()
            .flatten()
            .all(|p| p["signed"] == true);
        ensure_eq!(
            agreement["all_signed"],
            signed,
            "all_signed of {}",
            agreement["key"]
        );
    }
    let key = all
        .first()
        .and_then(|a| a["key"].as_str())
        .ok_or("no agreement")?;
    let detail = app.json(&format!("/api/v1/agreements/{key}")).await?;
    ensure_eq!(&detail, &all[0], "detail and list item");
    Ok(())
}
