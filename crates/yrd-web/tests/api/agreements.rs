//! Agreements from draft to in force over real HTTP: texts, members' Ed25519 signatures bound
//! to the text's hash (checked here independently of the server), a changed text that
//! invalidates earlier signatures, keys that are missing or not the member's, expiry, the
//! pages' forms, the journal of every transition, and this part's rows of the authorization
//! matrix.

use ed25519_dalek::pkcs8::EncodePrivateKey;
use ed25519_dalek::pkcs8::spki::der::pem::LineEnding;
use ed25519_dalek::{Signature, SigningKey, Verifier, VerifyingKey};
use libtest_mimic::Failed;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use yrd_domain::Text;
use yrd_domain::access::{Role, Scope};
use yrd_store::{Author, NewAgreement, NewParty};

use crate::access::{ALL_200, Row, row};
use crate::app::{Reply, TestApp};
use crate::fixtures::{AH, JS, SH, ZJ, code};
use crate::people::{PROFILES, setup_author, with_token};
use crate::{ensure, ensure_eq, fail};

crate::cases!(
    an_agreement_is_drafted_opened_signed_and_comes_into_force,
    signing_needs_the_members_active_key_and_its_file,
    an_agreement_in_force_past_its_expiry_has_expired,
    the_pages_forms_draft_open_sign_reword_and_end_an_agreement,
    a_draft_agreement_is_found_only_by_those_who_see_drafts,
);

fn today() -> String {
    OffsetDateTime::now_utc().date().to_string()
}

/// Someone acting through the API with an API token of their own.
struct Person {
    username: String,
    headers: Vec<(&'static str, String)>,
}

impl Person {
    fn actor(&self) -> String {
        format!("user:{}", self.username)
    }
}

async fn person(app: &TestApp, username: &str, roles: &[(Role, Scope)]) -> Result<Person, Failed> {
    let authorization = with_token(app, username, roles).await?;
    Ok(Person {
        username: username.into(),
        headers: vec![("authorization", authorization)],
    })
}

fn coordinator(member: &str) -> Vec<(Role, Scope)> {
    vec![(Role::MemberCoordinator, Scope::Jurisdiction(code(member)))]
}

async fn send(
    app: &TestApp,
    who: Option<&Person>,
    method: &str,
    path: &str,
    extra: &[(&'static str, String)],
    body: Option<Value>,
) -> Result<Reply, Failed> {
    let mut headers = who.map(|p| p.headers.clone()).unwrap_or_default();
    headers.extend(extra.iter().cloned());
    let body = body.map(|b| ("application/json", b.to_string().into_bytes()));
    app.send(method, path, &headers, body).await
}

/// Expects `status` with a JSON body and returns it.
fn expect(reply: &Reply, status: u16) -> Result<Value, Failed> {
    ensure_eq!(
        reply.status,
        status,
        "{}: {}",
        reply.path,
        String::from_utf8_lossy(&reply.body)
    );
    reply.json()
}

/// Expects a problem with `status` whose detail contains `words`.
fn refused(reply: &Reply, status: u16, words: &str) -> Result<(), Failed> {
    let problem = reply.expect_problem(status, None)?;
    ensure!(
        problem["detail"]
            .as_str()
            .is_some_and(|d| d.contains(words)),
        "{}: the reason says {words:?}: {problem}",
        reply.path
    );
    Ok(())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Result<Vec<u8>, Failed> {
    (0..text.len())
        .step_by(2)
        .map(|i| {
            text.get(i..i + 2)
                .and_then(|b| u8::from_str_radix(b, 16).ok())
                .ok_or_else(|| Failed::from(format!("{text:?} is not hex")))
        })
        .collect()
}

/// The hash the signatures bind, computed here from its definition.
fn hash_of(zh: &str, en: &str) -> String {
    hex(&Sha256::digest(format!("zh\n{zh}\nen\n{en}").as_bytes()))
}

/// Checks a signature of the agreement JSON against its public key and the message it must
/// sign, with ed25519-dalek, independently of the server.
fn verify_independently(key: &str, signature: &Value) -> Result<bool, Failed> {
    let field = |name: &str| {
        signature[name]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| Failed::from(format!("a signature has {name}: {signature}")))
    };
    let public: [u8; 32] = unhex(&field("public_key")?)?
        .try_into()
        .map_err(|_| "a 32-byte public key")?;
    let bytes: [u8; 64] = unhex(&field("signature")?)?
        .try_into()
        .map_err(|_| "a 64-byte signature")?;
    ensure_eq!(
        field("key_id")?,
        hex(&Sha256::digest(public))[..16].to_owned(),
        "the key id is the head of the public key's SHA-256"
    );
    let message = format!(
        "yrd-agreement-signature-v1\n{key}\n{}\n{}",
        field("member")?,
        field("text_hash")?
    );
    let verifying = VerifyingKey::from_bytes(&public).map_err(|e| fail("the public key", e))?;
    Ok(verifying
        .verify(message.as_bytes(), &Signature::from_bytes(&bytes))
        .is_ok())
}

/// `(member, valid, current)` of each signature, in order.
fn signatures(agreement: &Value) -> Vec<(String, bool, bool)> {
    agreement["signatures"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|s| {
            (
                s["member"].as_str().unwrap_or("").to_owned(),
                s["valid"] == true,
                s["current"] == true,
            )
        })
        .collect()
}

/// `(action, actor)` of each entry of a record's history, checking each says when.
async fn history(
    app: &TestApp,
    who: &Person,
    record: &str,
) -> Result<Vec<(String, String)>, Failed> {
    let page = expect(
        &send(
            app,
            Some(who),
            "GET",
            &format!("/api/v1/history?record={record}"),
            &[],
            None,
        )
        .await?,
        200,
    )?;
    let mut entries = Vec::new();
    for e in page["items"].as_array().into_iter().flatten() {
        ensure!(
            e["at"]
                .as_str()
                .is_some_and(|at| at.len() >= 20 && at.ends_with('Z')),
            "every entry says when: {e}"
        );
        entries.push((
            e["action"].as_str().unwrap_or("").to_owned(),
            e["actor"].as_str().unwrap_or("").to_owned(),
        ));
    }
    Ok(entries)
}

async fn make_key(app: &TestApp, member: &str, replace: bool) -> Result<(), Failed> {
    app.store
        .generate_member_key(&setup_author(), code(member), &app.keys, replace)
        .await
        .map_err(|e| fail(&format!("a key for {member}"), e))?;
    Ok(())
}

const TEXT_ZH: &str = "第一条 三方共建G60科创走廊。\n第二条 每年报告进展。";
const TEXT_EN: &str =
    "Article 1. The three parties build the G60 corridor.\nArticle 2. Progress is reported yearly.";

async fn an_agreement_is_drafted_opened_signed_and_comes_into_force(
    app: TestApp,
) -> Result<(), Failed> {
    let office = person(&app, "office", &[(Role::OfficeStaff, Scope::Region)]).await?;
    let auditor = person(&app, "auditor", &[(Role::Auditor, Scope::Region)]).await?;
    let sh = person(&app, "sh-coordinator", &coordinator(SH)).await?;
    let js = person(&app, "js-coordinator", &coordinator(JS)).await?;
    let zj = person(&app, "zj-coordinator", &coordinator(ZJ)).await?;
    let ah = person(&app, "ah-coordinator", &coordinator(AH)).await?;
    for member in [SH, JS, ZJ] {
        make_key(&app, member, false).await?;
    }

    // The dataset's agreement was signed on paper: in force, no text, no digital signatures.
    let pact = app.json("/api/v1/agreements/pact").await?;
    ensure_eq!(pact["state"], "in_force", "the public record's agreement");
    ensure!(
        pact["text"].is_null() && pact["text_hash"].is_null(),
        "no text: {pact}"
    );
    ensure_eq!(pact["signatures"], json!([]), "no digital signatures");
    ensure_eq!(
        pact["obligations"][0]["key"],
        "m-tech",
        "its obligations are the matters linked to it: {pact}"
    );

    // Drafting: the office only, at least two distinct parties.
    let draft = json!({
        "key": "g60",
        "title": {"zh": "G60科创走廊合作协议", "en": "G60 corridor agreement"},
        "text": {"zh": TEXT_ZH, "en": TEXT_EN},
        "parties": [
            {"member": SH, "signatory": {"zh": "上海市发展改革委", "en": "Shanghai DRC"}},
            {"member": JS},
            {"member": ZJ},
        ],
        "meeting": "symposium-2024",
    });
    let mut lonely = draft.clone();
    lonely["parties"] = json!([{"member": SH}]);
    send(
        &app,
        Some(&office),
        "POST",
        "/api/v1/agreements",
        &[],
        Some(lonely),
    )
    .await?
    .expect_problem(422, Some("parties"))?;
    let mut twice = draft.clone();
    twice["parties"] = json!([{"member": SH}, {"member": SH}]);
    send(
        &app,
        Some(&office),
        "POST",
        "/api/v1/agreements",
        &[],
        Some(twice),
    )
    .await?
    .expect_problem(422, Some("parties"))?;
    send(
        &app,
        Some(&js),
        "POST",
        "/api/v1/agreements",
        &[],
        Some(draft.clone()),
    )
    .await?
    .expect_problem(403, None)?;
    let created = send(
        &app,
        Some(&office),
        "POST",
        "/api/v1/agreements",
        &[],
        Some(draft.clone()),
    )
    .await?;
    let body = expect(&created, 201)?;
    ensure_eq!(
        created.header("location"),
        Some("/api/v1/agreements/g60"),
        "location"
    );
    ensure_eq!(body["state"], "draft", "a new agreement is a draft");
    let first_hash = hash_of(TEXT_ZH, TEXT_EN);
    ensure_eq!(
        body["text_hash"],
        first_hash.as_str(),
        "the text hash, by its definition"
    );
    ensure_eq!(body["text"]["en"], TEXT_EN, "the text");
    ensure_eq!(body["version"], 1, "version");
    send(
        &app,
        Some(&office),
        "POST",
        "/api/v1/agreements",
        &[],
        Some(draft.clone()),
    )
    .await?
    .expect_problem(409, None)?;

    // A draft is seen by the office and auditors only.
    app.get("/api/v1/agreements/g60")
        .await?
        .expect_problem(404, None)?;
    send(&app, Some(&js), "GET", "/api/v1/agreements/g60", &[], None)
        .await?
        .expect_problem(404, None)?;
    expect(
        &send(
            &app,
            Some(&auditor),
            "GET",
            "/api/v1/agreements/g60",
            &[],
            None,
        )
        .await?,
        200,
    )?;
    let listed = |list: &Value| {
        list["items"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|a| a["key"] == "g60")
    };
    ensure!(
        !listed(&app.json("/api/v1/agreements").await?),
        "the public list has no draft"
    );
    let office_list = expect(
        &send(&app, Some(&office), "GET", "/api/v1/agreements", &[], None).await?,
        200,
    )?;
    ensure!(listed(&office_list), "the office lists its draft");
    let sign_hash = json!({"text_hash": first_hash});
    send(
        &app,
        Some(&js),
        "POST",
        "/api/v1/agreements/g60/signatures/320000",
        &[],
        Some(sign_hash.clone()),
    )
    .await?
    .expect_problem(404, None)?;

    // Opened, it is public and open for signature.
    let opened = expect(
        &send(
            &app,
            Some(&office),
            "POST",
            "/api/v1/agreements/g60/open",
            &[],
            None,
        )
        .await?,
        200,
    )?;
    ensure_eq!(opened["state"], "open", "opened");
    refused(
        &send(
            &app,
            Some(&office),
            "POST",
            "/api/v1/agreements/g60/open",
            &[],
            None,
        )
        .await?,
        409,
        "only a draft",
    )?;
    ensure_eq!(
        app.json("/api/v1/agreements/g60").await?["state"],
        "open",
        "public now"
    );

    // Two of three parties sign: still open.
    let signed = expect(
        &send(
            &app,
            Some(&sh),
            "POST",
            "/api/v1/agreements/g60/signatures/310000",
            &[],
            Some(sign_hash.clone()),
        )
        .await?,
        201,
    )?;
    ensure_eq!(signed["state"], "open", "one signature");
    let signed = expect(
        &send(
            &app,
            Some(&js),
            "POST",
            "/api/v1/agreements/g60/signatures/320000",
            &[],
            Some(sign_hash.clone()),
        )
        .await?,
        201,
    )?;
    ensure_eq!(signed["state"], "open", "two of three");
    ensure_eq!(
        signatures(&signed),
        vec![(SH.to_owned(), true, true), (JS.to_owned(), true, true)],
        "both valid over the current text"
    );
    ensure_eq!(
        signed["parties"][1]["signed_on"],
        today(),
        "Jiangsu signed today"
    );
    ensure_eq!(signed["all_signed"], false, "not every party");
    // Refusals: another member's coordinator, a stale hash, a malformed one, a non-party,
    // signing twice.
    refused(
        &send(
            &app,
            Some(&js),
            "POST",
            "/api/v1/agreements/g60/signatures/330000",
            &[],
            Some(sign_hash.clone()),
        )
        .await?,
        403,
        "coordinator",
    )?;
    refused(
        &send(
            &app,
            Some(&zj),
            "POST",
            "/api/v1/agreements/g60/signatures/330000",
            &[],
            Some(json!({"text_hash": hash_of("旧", "old")})),
        )
        .await?,
        409,
        "the text changed since you read it",
    )?;
    send(
        &app,
        Some(&zj),
        "POST",
        "/api/v1/agreements/g60/signatures/330000",
        &[],
        Some(json!({"text_hash": "abc"})),
    )
    .await?
    .expect_problem(422, Some("text_hash"))?;
    send(
        &app,
        Some(&ah),
        "POST",
        "/api/v1/agreements/g60/signatures/340000",
        &[],
        Some(sign_hash.clone()),
    )
    .await?
    .expect_problem(422, Some("member"))?;
    refused(
        &send(
            &app,
            Some(&js),
            "POST",
            "/api/v1/agreements/g60/signatures/320000",
            &[],
            Some(sign_hash.clone()),
        )
        .await?,
        409,
        "already signed",
    )?;

    // The text changes: the two signatures stay, no longer current.
    let new_zh = format!("{TEXT_ZH}\n第三条 协议有效期五年。");
    let change = json!({"text": {"zh": new_zh, "en": TEXT_EN}});
    send(
        &app,
        Some(&office),
        "PUT",
        "/api/v1/agreements/g60/text",
        &[],
        Some(change.clone()),
    )
    .await?
    .expect_problem(428, None)?;
    let read = send(
        &app,
        Some(&office),
        "GET",
        "/api/v1/agreements/g60",
        &[],
        None,
    )
    .await?;
    let etag = read.header("etag").ok_or("an ETag")?.to_owned();
    let version = read.json()?["version"].as_i64().ok_or("a version")?;
    ensure!(
        etag.starts_with(&format!("\"v{version}.")),
        "the ETag carries the version: {etag}"
    );
    send(
        &app,
        Some(&js),
        "PUT",
        "/api/v1/agreements/g60/text",
        &[("if-match", etag.clone())],
        Some(change.clone()),
    )
    .await?
    .expect_problem(403, None)?;
    let stale = format!("\"v{}.zh.0\"", version - 1);
    refused(
        &send(
            &app,
            Some(&office),
            "PUT",
            "/api/v1/agreements/g60/text",
            &[("if-match", stale)],
            Some(change.clone()),
        )
        .await?,
        409,
        "changed since you read it",
    )?;
    let changed = expect(
        &send(
            &app,
            Some(&office),
            "PUT",
            "/api/v1/agreements/g60/text",
            &[("if-match", etag.clone())],
            Some(change),
        )
        .await?,
        200,
    )?;
    let second_hash = hash_of(&new_zh, TEXT_EN);
    ensure_eq!(changed["text_hash"], second_hash.as_str(), "a new hash");
    ensure_eq!(changed["state"], "open", "still open");
    ensure_eq!(
        signatures(&changed),
        vec![(SH.to_owned(), true, false), (JS.to_owned(), true, false)],
        "the earlier signatures are kept, no longer current"
    );
    ensure!(
        changed["parties"]
            .as_array()
            .into_iter()
            .flatten()
            .all(|p| p["signed"] == false),
        "no party has signed the new text: {changed}"
    );
    // The old hash is refused now.
    refused(
        &send(
            &app,
            Some(&zj),
            "POST",
            "/api/v1/agreements/g60/signatures/330000",
            &[],
            Some(sign_hash.clone()),
        )
        .await?,
        409,
        "the text changed since you read it",
    )?;

    // They sign again, and the third signs: in force today.
    let new_hash = json!({"text_hash": second_hash});
    for (who, member) in [(&sh, SH), (&js, JS)] {
        let body = expect(
            &send(
                &app,
                Some(who),
                "POST",
                &format!("/api/v1/agreements/g60/signatures/{member}"),
                &[],
                Some(new_hash.clone()),
            )
            .await?,
            201,
        )?;
        ensure_eq!(body["state"], "open", "not yet: {member}");
    }
    let in_force = expect(
        &send(
            &app,
            Some(&zj),
            "POST",
            "/api/v1/agreements/g60/signatures/330000",
            &[],
            Some(new_hash.clone()),
        )
        .await?,
        201,
    )?;
    ensure_eq!(
        in_force["state"],
        "in_force",
        "every party signed the current text"
    );
    ensure_eq!(in_force["in_force_on"], today(), "in force today");
    ensure_eq!(in_force["signed_on"], today(), "signed today");
    ensure_eq!(in_force["all_signed"], true, "all signed");
    let current: Vec<_> = signatures(&in_force).into_iter().filter(|s| s.2).collect();
    ensure_eq!(current.len(), 3, "three current signatures: {in_force}");
    ensure!(current.iter().all(|s| s.1), "all valid");
    for s in in_force["signatures"].as_array().into_iter().flatten() {
        ensure!(
            verify_independently("g60", s)?,
            "the signature verifies independently: {s}"
        );
        ensure_eq!(s["valid"], true, "the server agrees");
    }
    // In force: the text and signatures are closed.
    let etag = send(
        &app,
        Some(&office),
        "GET",
        "/api/v1/agreements/g60",
        &[],
        None,
    )
    .await?
    .header("etag")
    .ok_or("an ETag")?
    .to_owned();
    refused(
        &send(
            &app,
            Some(&office),
            "PUT",
            "/api/v1/agreements/g60/text",
            &[("if-match", etag)],
            Some(json!({"text": {"zh": "改"}})),
        )
        .await?,
        409,
        "in force",
    )?;
    refused(
        &send(
            &app,
            Some(&zj),
            "POST",
            "/api/v1/agreements/g60/signatures/330000",
            &[],
            Some(new_hash),
        )
        .await?,
        409,
        "in force",
    )?;

    // A signature tampered with in the database no longer verifies, and shows so.
    let sh_signature = in_force["signatures"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|s| s["member"] == SH && s["current"] == true)
        .and_then(|s| s["signature"].as_str())
        .ok_or("Shanghai's current signature")?
        .to_owned();
    let flipped = if sh_signature.starts_with('0') {
        "1"
    } else {
        "0"
    };
    let tampered = format!("{flipped}{}", &sh_signature[1..]);
    app.store
        .execute_raw(&format!(
            "UPDATE agreement_signatures SET signature = '{tampered}' WHERE signature = '{sh_signature}'"
        ))
        .await
        .map_err(|e| fail("tampering", e))?;
    let after = app.json("/api/v1/agreements/g60").await?;
    let shown = after["signatures"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|s| s["signature"] == tampered.as_str())
        .ok_or("the tampered signature is shown")?;
    ensure_eq!(shown["valid"], false, "a tampered signature is not valid");
    ensure!(
        !verify_independently("g60", shown)?,
        "nor does it verify independently"
    );

    // Terminated by the office, with a reason, once.
    refused(
        &send(
            &app,
            Some(&sh),
            "POST",
            "/api/v1/agreements/g60/terminate",
            &[],
            None,
        )
        .await?,
        403,
        "office",
    )?;
    let ended = expect(
        &send(
            &app,
            Some(&office),
            "POST",
            "/api/v1/agreements/g60/terminate",
            &[],
            Some(json!({"reason": {"en": "Superseded"}, "ended_on": "2030-01-31"})),
        )
        .await?,
        200,
    )?;
    ensure_eq!(ended["state"], "terminated", "terminated");
    ensure_eq!(ended["ended_on"], "2030-01-31", "its end");
    ensure_eq!(
        ended["ended_reason"],
        "Superseded",
        "the reason kept with it"
    );
    refused(
        &send(
            &app,
            Some(&office),
            "POST",
            "/api/v1/agreements/g60/terminate",
            &[],
            None,
        )
        .await?,
        409,
        "terminated",
    )?;
    send(
        &app,
        Some(&office),
        "POST",
        "/api/v1/agreements/g60/terminate",
        &[],
        Some(json!({"ended_on": "soon"})),
    )
    .await?
    .expect_problem(422, Some("ended_on"))?;

    // Every transition in the history, with who and when.
    let entries = history(&app, &auditor, "agreement/g60").await?;
    let expected: Vec<(String, String)> = [
        ("create", &office),
        ("open", &office),
        ("sign", &sh),
        ("sign", &js),
        ("edit_text", &office),
        ("sign", &sh),
        ("sign", &js),
        ("sign", &zj),
        ("enter_into_force", &zj),
        ("terminate", &office),
    ]
    .into_iter()
    .map(|(action, who)| (action.to_owned(), who.actor()))
    .collect();
    ensure_eq!(entries, expected, "the agreement's history");
    let page = expect(
        &send(
            &app,
            Some(&auditor),
            "GET",
            "/api/v1/history?record=agreement/g60",
            &[],
            None,
        )
        .await?,
        200,
    )?;
    let edit = &page["items"][4];
    ensure_eq!(
        edit["before"]["text_hash"],
        first_hash.as_str(),
        "the old hash"
    );
    ensure_eq!(
        edit["after"]["text_hash"],
        second_hash.as_str(),
        "the new hash"
    );
    ensure_eq!(
        page["items"][9]["after"]["reason"]["en"],
        "Superseded",
        "the reason is kept"
    );
    Ok(())
}

/// Opens a two-party agreement (Shanghai, Jiangsu) through the store; returns its hash.
async fn open_agreement(
    app: &TestApp,
    key: &str,
    expires_on: Option<time::Date>,
) -> Result<String, Failed> {
    let text = Text::new("协议全文", "The text");
    app.store
        .create_agreement(
            &setup_author(),
            &NewAgreement {
                key: key.into(),
                title: Text::new("测试协议", "Test agreement"),
                summary: Text::default(),
                text: text.clone(),
                parties: [SH, JS]
                    .map(|m| NewParty {
                        member: code(m),
                        signatory: Text::default(),
                    })
                    .to_vec(),
                meeting: None,
                expires_on,
            },
        )
        .await
        .map_err(|e| fail("drafting", e))?;
    app.store
        .open_agreement(&setup_author(), key, None)
        .await
        .map_err(|e| fail("opening", e))?;
    Ok(yrd_store::text_hash(&text))
}

async fn signing_needs_the_members_active_key_and_its_file(app: TestApp) -> Result<(), Failed> {
    let js = person(&app, "js-coordinator", &coordinator(JS)).await?;
    let hash = open_agreement(&app, "keyed", None).await?;
    let sign = || {
        send(
            &app,
            Some(&js),
            "POST",
            "/api/v1/agreements/keyed/signatures/320000",
            &[],
            Some(json!({"text_hash": hash})),
        )
    };
    refused(&sign().await?, 409, "yrd key generate --member 320000")?;
    // A registered key whose file is gone.
    make_key(&app, JS, false).await?;
    let file = app.keys.join("320000.pem");
    std::fs::remove_file(&file).map_err(|e| fail("removing the key file", e))?;
    refused(&sign().await?, 409, "yrd key generate --member 320000")?;
    // A file that holds another key than the member's active one.
    make_key(&app, JS, true).await?;
    let stranger = SigningKey::from_bytes(&[9; 32])
        .to_pkcs8_pem(LineEnding::LF)
        .map_err(|e| fail("encoding a key", e))?;
    std::fs::write(&file, stranger.as_bytes()).map_err(|e| fail("writing a key", e))?;
    refused(&sign().await?, 409, "not the member's active key")?;
    // A retired key signs nothing.
    make_key(&app, JS, true).await?;
    let (retired, removed) = app
        .store
        .retire_member_key(&setup_author(), code(JS), &app.keys)
        .await
        .map_err(|e| fail("retiring", e))?;
    ensure!(removed && !file.exists(), "retiring removes the key's file");
    refused(&sign().await?, 409, "has no signing key")?;
    let keys = app.store.member_keys().await.map_err(|e| fail("keys", e))?;
    ensure_eq!(keys.len(), 3, "every key is kept");
    ensure!(
        keys.iter().all(|k| k.retired_at.is_some()),
        "none active: {keys:?}"
    );
    // A new key signs; the refusals wrote nothing.
    make_key(&app, JS, false).await?;
    let body = expect(&sign().await?, 201)?;
    ensure_eq!(
        signatures(&body),
        vec![(JS.to_owned(), true, true)],
        "one signature"
    );
    ensure!(
        body["signatures"][0]["key_id"] != retired.id.as_str(),
        "made with the new key"
    );
    let member_key = history(
        &app,
        &person(&app, "auditor", &[(Role::Auditor, Scope::Region)]).await?,
        &format!("member_key/{}", retired.id),
    )
    .await?;
    ensure_eq!(
        member_key,
        vec![
            ("register".to_owned(), "cli:test-setup:api-tests".to_owned()),
            ("retire".to_owned(), "cli:test-setup:api-tests".to_owned()),
        ],
        "the key's history"
    );
    Ok(())
}

async fn an_agreement_in_force_past_its_expiry_has_expired(app: TestApp) -> Result<(), Failed> {
    let office = person(&app, "office", &[(Role::OfficeStaff, Scope::Region)]).await?;
    let yesterday = OffsetDateTime::now_utc()
        .date()
        .previous_day()
        .ok_or("a day")?;
    let hash = open_agreement(&app, "lapsing", Some(yesterday)).await?;
    for member in [SH, JS] {
        make_key(&app, member, false).await?;
        let coordinator = Author::User(format!("{member}-coordinator"));
        app.store
            .sign_agreement(
                &coordinator,
                "lapsing",
                code(member),
                &hash,
                &app.keys,
                OffsetDateTime::now_utc().date(),
            )
            .await
            .map_err(|e| fail("signing", e))?;
    }
    let body = app.json("/api/v1/agreements/lapsing").await?;
    ensure_eq!(body["state"], "expired", "in force, past its expiry");
    ensure_eq!(body["expires_on"], yesterday.to_string(), "expires_on");
    ensure_eq!(body["in_force_on"], today(), "it was in force");
    let listed = app.json("/api/v1/agreements").await?;
    ensure!(
        listed["items"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|a| a["key"] == "lapsing" && a["state"] == "expired"),
        "the list shows it expired: {listed}"
    );
    refused(
        &send(
            &app,
            Some(&office),
            "POST",
            "/api/v1/agreements/lapsing/terminate",
            &[],
            None,
        )
        .await?,
        409,
        "expired",
    )?;
    Ok(())
}

/// A browser signed in as `username`: its cookie and CSRF token.
async fn browser(
    app: &TestApp,
    username: &str,
    roles: &[(Role, Scope)],
) -> Result<(String, String), Failed> {
    person(app, username, roles).await?;
    let (id, session) = app
        .store
        .create_session(username, 3600)
        .await
        .map_err(|e| fail("a session", e))?;
    Ok((format!("yrd_session={id}"), session.csrf_token))
}

async fn post_form(app: &TestApp, cookie: &str, path: &str, body: &str) -> Result<Reply, Failed> {
    app.send(
        "POST",
        path,
        &[
            ("cookie", cookie.to_owned()),
            ("referer", "http://localhost/en/agreements".to_owned()),
        ],
        Some((
            "application/x-www-form-urlencoded",
            body.as_bytes().to_vec(),
        )),
    )
    .await
}

fn see_other(reply: &Reply, to: &str) -> Result<(), Failed> {
    ensure_eq!(
        (reply.status, reply.header("location")),
        (303, Some(to)),
        "{}: {}",
        reply.path,
        String::from_utf8_lossy(&reply.body)
    );
    Ok(())
}

async fn page(app: &TestApp, cookie: Option<&str>, path: &str) -> Result<String, Failed> {
    let headers: Vec<(&str, &str)> = cookie.map(|c| vec![("cookie", c)]).unwrap_or_default();
    let reply = app.get_with(path, &headers).await?;
    ensure_eq!(
        reply.status,
        200,
        "{path}: {}",
        String::from_utf8_lossy(&reply.body)
    );
    Ok(String::from_utf8_lossy(&reply.body).into_owned())
}

async fn the_pages_forms_draft_open_sign_reword_and_end_an_agreement(
    app: TestApp,
) -> Result<(), Failed> {
    let (office, office_csrf) =
        browser(&app, "office", &[(Role::OfficeStaff, Scope::Region)]).await?;
    let (js, js_csrf) = browser(&app, "js-coordinator", &coordinator(JS)).await?;
    make_key(&app, JS, false).await?;

    // The office's form, and its link from the list; no one else's.
    let form = page(&app, Some(&office), "/en/agreements/new").await?;
    for field in [
        "name=\"key\"",
        "name=\"text_zh\"",
        "name=\"party\"",
        "for=\"party-320000\"",
        "name=\"csrf\"",
    ] {
        ensure!(form.contains(field), "the form has {field}");
    }
    ensure!(
        page(&app, Some(&office), "/en/agreements")
            .await?
            .contains("href=\"/en/agreements/new\""),
        "the list links the office to the form"
    );
    ensure!(
        !page(&app, Some(&js), "/en/agreements")
            .await?
            .contains("/en/agreements/new"),
        "not a coordinator"
    );
    let refused_page = app
        .get_with("/zh/agreements/new", &[("cookie", js.as_str())])
        .await?;
    ensure_eq!(refused_page.status, 403, "a coordinator does not draft");
    let anonymous = app.get("/zh/agreements/new").await?;
    ensure_eq!(anonymous.status, 303, "sign in first");

    let fields = "key=form-pact&title_zh=%E5%8D%8F%E8%AE%AE&title_en=Pact&text_zh=%E5%85%A8%E6%96%87&text_en=Full+text\
                  &party=310000&party=320000&signatory_320000_en=Jiangsu+DRC";
    let forged = post_form(
        &app,
        &office,
        "/en/agreements",
        &format!("csrf=forged&{fields}"),
    )
    .await?;
    ensure_eq!(
        forged.status,
        403,
        "a form without the session's CSRF token is refused"
    );
    let missing = post_form(
        &app,
        &office,
        "/en/agreements",
        &format!("csrf={office_csrf}&key=x&party=310000"),
    )
    .await?;
    ensure_eq!(missing.status, 422, "the failure page names the fields");
    let named = String::from_utf8_lossy(&missing.body).into_owned();
    ensure!(
        named.contains("<code>title</code>") && named.contains("<code>text</code>"),
        "{named}"
    );
    see_other(
        &post_form(
            &app,
            &office,
            "/en/agreements",
            &format!("csrf={office_csrf}&{fields}"),
        )
        .await?,
        "/en/agreements/form-pact",
    )?;
    let draft_page = page(&app, Some(&office), "/en/agreements/form-pact").await?;
    ensure!(draft_page.contains("Draft"), "the page shows the state");
    ensure!(
        draft_page.contains("/en/agreements/form-pact/open"),
        "the office may open it"
    );
    let hidden = app.get("/zh/agreements/form-pact").await?;
    ensure_eq!(hidden.status, 404, "a draft's page is hidden");

    see_other(
        &post_form(
            &app,
            &office,
            "/en/agreements/form-pact/open",
            &format!("csrf={office_csrf}&version=1"),
        )
        .await?,
        "/en/agreements/form-pact",
    )?;
    let detail = app.json("/api/v1/agreements/form-pact").await?;
    ensure_eq!(detail["state"], "open", "opened by the form");
    ensure_eq!(
        detail["parties"][1]["signatory"],
        "Jiangsu DRC",
        "the signatory field"
    );
    let hash = detail["text_hash"].as_str().ok_or("a hash")?.to_owned();
    ensure_eq!(hash, hash_of("全文", "Full text"), "the text as typed");

    // The coordinator sees a form for its own member only, carrying the hash shown.
    let coordinator_page = page(&app, Some(&js), "/en/agreements/form-pact").await?;
    ensure!(
        coordinator_page.contains(&format!("name=\"text_hash\" value=\"{hash}\""))
            && coordinator_page.contains("name=\"member\" value=\"320000\"")
            && !coordinator_page.contains("name=\"member\" value=\"310000\""),
        "a sign form for Jiangsu only"
    );
    ensure!(
        !coordinator_page.contains("/terminate"),
        "no office forms for a coordinator"
    );
    let public_page = page(&app, None, "/zh/agreements/form-pact").await?;
    ensure!(
        !public_page.contains("name=\"csrf\""),
        "no forms for visitors"
    );
    let forged = post_form(
        &app,
        &js,
        "/en/agreements/form-pact/signatures",
        &format!("csrf=forged&member=320000&text_hash={hash}"),
    )
    .await?;
    ensure_eq!(
        forged.status,
        403,
        "signing without the CSRF token is refused"
    );
    see_other(
        &post_form(
            &app,
            &js,
            "/en/agreements/form-pact/signatures",
            &format!("csrf={js_csrf}&member=320000&text_hash={hash}"),
        )
        .await?,
        "/en/agreements/form-pact",
    )?;
    let detail = app.json("/api/v1/agreements/form-pact").await?;
    ensure_eq!(
        signatures(&detail),
        vec![(JS.to_owned(), true, true)],
        "signed by the form"
    );
    ensure!(
        page(&app, None, "/en/agreements/form-pact")
            .await?
            .contains("Signed this text"),
        "the page shows the signature"
    );
    let again = post_form(
        &app,
        &js,
        "/en/agreements/form-pact/signatures",
        &format!("csrf={js_csrf}&member=320000&text_hash={hash}"),
    )
    .await?;
    ensure_eq!(
        again.status,
        409,
        "signing twice is refused with the API's status"
    );
    ensure!(
        String::from_utf8_lossy(&again.body).contains("already signed"),
        "and its reason"
    );

    // The office re-words it at the version it read; a stale version is refused.
    let version = detail["version"].as_i64().ok_or("a version")?;
    let stale = post_form(
        &app,
        &office,
        "/en/agreements/form-pact/text",
        &format!(
            "csrf={office_csrf}&version={}&text_zh=%E6%96%B0",
            version - 1
        ),
    )
    .await?;
    ensure_eq!(stale.status, 409, "a stale version");
    see_other(
        &post_form(
            &app,
            &office,
            "/en/agreements/form-pact/text",
            &format!("csrf={office_csrf}&version={version}&text_zh=%E6%96%B0&text_en=New"),
        )
        .await?,
        "/en/agreements/form-pact",
    )?;
    let detail = app.json("/api/v1/agreements/form-pact").await?;
    ensure_eq!(detail["text_hash"], hash_of("新", "New"), "the new text");
    ensure_eq!(
        signatures(&detail),
        vec![(JS.to_owned(), true, false)],
        "no longer current"
    );
    ensure!(
        page(&app, None, "/en/agreements/form-pact")
            .await?
            .contains("Signed an earlier text"),
        "the page shows the earlier signature"
    );

    see_other(
        &post_form(
            &app,
            &office,
            "/en/agreements/form-pact/terminate",
            &format!("csrf={office_csrf}&reason_en=Replaced&ended_on=2031-01-01"),
        )
        .await?,
        "/en/agreements/form-pact",
    )?;
    let detail = app.json("/api/v1/agreements/form-pact").await?;
    ensure_eq!(detail["state"], "terminated", "terminated by the form");
    ensure_eq!(detail["ended_on"], "2031-01-01", "on the day given");
    ensure_eq!(detail["ended_reason"], "Replaced", "for the reason given");
    let list = page(&app, None, "/zh/agreements").await?;
    ensure!(
        list.contains("href=\"/zh/agreements/form-pact\"") && list.contains("已终止"),
        "the list links the page and shows the state"
    );
    Ok(())
}

// -------------------------------------------------------------------------------------------
// The authorization matrix.

/// The parties and text of the matrix's agreements.
const MATRIX_TEXT: (&str, &str) = ("矩阵协议全文", "The matrix agreement");

/// This part's rows of the authorization matrix. Each profile acts on its own agreement
/// (`agr-…-{profile}`), so that one profile's success does not change what the next sees.
pub const ROWS: &[Row] = &[
    row(
        "GET",
        "/api/v1/agreements/{key}",
        "/api/v1/agreements/agr-draft-anonymous",
        None,
        [404, 404, 404, 200, 404, 404, 404, 404, 200],
    ),
    row(
        "POST",
        "/api/v1/agreements",
        "/api/v1/agreements",
        Some(
            r#"{"key":"agr-made-{profile}","title":{"zh":"协议"},"text":{"zh":"全文"},"parties":[{"member":"310000"},{"member":"320000"}]}"#,
        ),
        [401, 403, 403, 201, 403, 403, 403, 403, 403],
    ),
    row(
        "POST",
        "/api/v1/agreements/{key}/open",
        "/api/v1/agreements/agr-draft-{profile}/open",
        None,
        [404, 404, 404, 200, 404, 404, 404, 404, 403],
    ),
    // Without If-Match the office gets as far as the precondition.
    row(
        "PUT",
        "/api/v1/agreements/{key}/text",
        "/api/v1/agreements/agr-open-{profile}/text",
        Some(r#"{"text":{"zh":"新文本"}}"#),
        [401, 403, 403, 428, 403, 403, 403, 403, 403],
    ),
    row(
        "POST",
        "/api/v1/agreements/{key}/signatures/{member}",
        "/api/v1/agreements/agr-open-{profile}/signatures/320000",
        Some(r#"{"text_hash":"{agr-hash}"}"#),
        [401, 403, 201, 403, 403, 403, 403, 403, 403],
    ),
    // Nobody signs for another member.
    row(
        "POST",
        "/api/v1/agreements/{key}/signatures/{member}",
        "/api/v1/agreements/agr-open-{profile}/signatures/310000",
        Some(r#"{"text_hash":"{agr-hash}"}"#),
        [401, 403, 403, 403, 403, 403, 403, 403, 403],
    ),
    row(
        "POST",
        "/api/v1/agreements/{key}/terminate",
        "/api/v1/agreements/agr-open-{profile}/terminate",
        Some(r#"{"reason":{"zh":"矩阵测试"}}"#),
        [401, 403, 403, 200, 403, 403, 403, 403, 403],
    ),
    // Pages and forms.
    row(
        "GET",
        "/{lang}/agreements/{key}",
        "/en/agreements/pact",
        None,
        ALL_200,
    ),
    row(
        "GET",
        "/{lang}/agreements/{key}",
        "/zh/agreements/agr-draft-anonymous",
        None,
        [404, 404, 404, 200, 404, 404, 404, 404, 200],
    ),
    row(
        "GET",
        "/{lang}/agreements/new",
        "/en/agreements/new",
        None,
        [303, 403, 403, 200, 403, 403, 403, 403, 403],
    ),
    row(
        "POST",
        "/{lang}/agreements",
        "/en/agreements",
        Some(
            "csrf={csrf}&key=agr-form-made-{profile}&title_zh=%E5%8D%8F%E8%AE%AE&text_zh=%E5%85%A8%E6%96%87&party=310000&party=320000",
        ),
        [401, 403, 403, 303, 403, 403, 403, 403, 403],
    ),
    row(
        "POST",
        "/{lang}/agreements/{key}/open",
        "/zh/agreements/agr-formdraft-{profile}/open",
        Some("csrf={csrf}"),
        [401, 404, 404, 303, 404, 404, 404, 404, 403],
    ),
    row(
        "POST",
        "/{lang}/agreements/{key}/signatures",
        "/en/agreements/agr-form-{profile}/signatures",
        Some("csrf={csrf}&member=320000&text_hash={agr-hash}"),
        [401, 403, 303, 403, 403, 403, 403, 403, 403],
    ),
    // A form without the session's CSRF token is refused, whoever sends it.
    row(
        "POST",
        "/{lang}/agreements/{key}/signatures",
        "/en/agreements/agr-form-{profile}/signatures",
        Some("csrf=forged&member=320000&text_hash={agr-hash}"),
        [401, 403, 403, 403, 403, 403, 403, 403, 403],
    ),
    row(
        "POST",
        "/{lang}/agreements/{key}/text",
        "/en/agreements/agr-form-{profile}/text",
        Some("csrf={csrf}&version={agr-form-version}&text_zh=%E6%96%B0"),
        [401, 403, 403, 303, 403, 403, 403, 403, 403],
    ),
    row(
        "POST",
        "/{lang}/agreements/{key}/terminate",
        "/zh/agreements/agr-form-{profile}/terminate",
        Some("csrf={csrf}"),
        [401, 403, 403, 303, 403, 403, 403, 403, 403],
    ),
];

/// Drafts an agreement of Shanghai and Jiangsu for the matrix.
async fn matrix_agreement(app: &TestApp, key: &str, open: bool) -> Result<(), Failed> {
    app.store
        .create_agreement(
            &setup_author(),
            &NewAgreement {
                key: key.into(),
                title: Text::new("矩阵协议", "Matrix agreement"),
                summary: Text::default(),
                text: Text::new(MATRIX_TEXT.0, MATRIX_TEXT.1),
                parties: [SH, JS]
                    .map(|m| NewParty {
                        member: code(m),
                        signatory: Text::default(),
                    })
                    .to_vec(),
                meeting: None,
                expires_on: None,
            },
        )
        .await
        .map_err(|e| fail(&format!("drafting {key}"), e))?;
    if open {
        app.store
            .open_agreement(&setup_author(), key, None)
            .await
            .map_err(|e| fail(&format!("opening {key}"), e))?;
    }
    Ok(())
}

/// Adds what this part's matrix rows need to the synthetic fixture; returns the placeholders
/// its rows use and their values.
pub async fn setup(app: &TestApp) -> Result<Vec<(&'static str, String)>, Failed> {
    // Jiangsu's key, with which its coordinator signs.
    make_key(app, JS, false).await?;
    for profile in PROFILES {
        matrix_agreement(app, &format!("agr-draft-{profile}"), false).await?;
        matrix_agreement(app, &format!("agr-formdraft-{profile}"), false).await?;
        matrix_agreement(app, &format!("agr-open-{profile}"), true).await?;
        matrix_agreement(app, &format!("agr-form-{profile}"), true).await?;
    }
    // Drafted (version 1), opened (2); the office's is not signed before its text row.
    Ok(vec![
        (
            "{agr-hash}",
            yrd_store::text_hash(&Text::new(MATRIX_TEXT.0, MATRIX_TEXT.1)),
        ),
        ("{agr-form-version}", "2".to_owned()),
    ])
}

/// Search follows the policy for drafts: a draft agreement's title is found by the office,
/// not by the public or its parties, until it is opened.
async fn a_draft_agreement_is_found_only_by_those_who_see_drafts(
    app: TestApp,
) -> Result<(), Failed> {
    let app = &app;
    matrix_agreement(app, "agr-searched", false).await?;
    let office = person(app, "office", &[(Role::OfficeStaff, Scope::Region)]).await?;
    let js = person(app, "js", &coordinator(JS)).await?;
    let search = "/en/search?q=Matrix%20agreement";
    let found = |page: &str| page.contains("/agreements/agr-searched");
    let anonymous = page(app, None, search).await?;
    ensure!(!found(&anonymous), "the public does not find a draft");
    let headers: Vec<(&str, &str)> = office
        .headers
        .iter()
        .map(|(n, v)| (*n, v.as_str()))
        .collect();
    let as_office = app.get_with(search, &headers).await?;
    ensure!(
        found(&String::from_utf8_lossy(&as_office.body)),
        "the office finds its draft"
    );
    let headers: Vec<(&str, &str)> = js.headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
    let as_party = app.get_with(search, &headers).await?;
    ensure!(
        !found(&String::from_utf8_lossy(&as_party.body)),
        "a party does not find the draft before it is opened"
    );
    app.store
        .open_agreement(&setup_author(), "agr-searched", None)
        .await
        .map_err(|e| fail("opening", e))?;
    let anonymous = page(app, None, search).await?;
    ensure!(found(&anonymous), "once open, everyone finds it");
    Ok(())
}
