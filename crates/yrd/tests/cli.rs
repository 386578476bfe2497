//! The `yrd` command as a user runs it: a real process, a real SQLite file in a temporary
//! directory, real HTTP over loopback.
//!
//! The account, token and history cases run once with SQLite and once with PostgreSQL when
//! `YRD_TEST_POSTGRES_URL` names a server, each in a private scratch database (a fresh schema
//! on PostgreSQL, reached by the `yrd` process through the URL's `search_path` option).
//! Without that variable the PostgreSQL trials are reported as ignored, with the reason, and a
//! line at the start says so, so a skipped engine never passes unnoticed.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use libtest_mimic::{Arguments, Completion, Failed, Trial};
use yrd_store::testing::{POSTGRES_URL_VAR, ScratchStore, postgres_url};
use yrd_store::{Engine, Store};

/// Cases that need no particular database: they make their own in a temporary directory.
const PLAIN: &[(&str, fn())] = &[
    (
        "first_serve_creates_the_database_and_loads_the_yrd_dataset",
        first_serve_creates_the_database_and_loads_the_yrd_dataset,
    ),
    (
        "import_twice_changes_nothing_and_export_round_trips",
        import_twice_changes_nothing_and_export_round_trips,
    ),
    (
        "import_with_bad_rows_names_each_and_writes_nothing",
        import_with_bad_rows_names_each_and_writes_nothing,
    ),
    ("help_describes_every_command", help_describes_every_command),
    (
        "migrate_prepares_an_empty_database",
        migrate_prepares_an_empty_database,
    ),
    (
        "first_serve_tells_how_to_create_the_first_administrator",
        first_serve_tells_how_to_create_the_first_administrator,
    ),
];

/// A case that runs against a scratch database.
type EngineCase = fn(&Scratch);

/// Cases run against a scratch database of each engine.
const PER_ENGINE: &[(&str, EngineCase)] = &[
    (
        "accounts_get_roles_granted_and_revoked",
        accounts_get_roles_granted_and_revoked,
    ),
    (
        "refused_accounts_name_the_problem_and_write_nothing",
        refused_accounts_name_the_problem_and_write_nothing,
    ),
    (
        "token_secrets_are_shown_once_and_tokens_revoked",
        token_secrets_are_shown_once_and_tokens_revoked,
    ),
    (
        "verify_history_finds_an_edited_entry",
        verify_history_finds_an_edited_entry,
    ),
    (
        "verify_history_finds_a_removed_entry",
        verify_history_finds_a_removed_entry,
    ),
    (
        "member_keys_are_generated_listed_and_retired",
        member_keys_are_generated_listed_and_retired,
    ),
    (
        "problems_escalate_overdue_moves_the_late_ones_and_journals_each",
        problems_escalate_overdue_moves_the_late_ones_and_journals_each,
    ),
    (
        "bench_drives_every_request_type_without_errors",
        bench_drives_every_request_type_without_errors,
    ),
    (
        "generate_grows_a_region_with_an_intact_history",
        generate_grows_a_region_with_an_intact_history,
    ),
];

fn main() {
    let args = Arguments::from_args();
    let postgres = postgres_url();
    let skipped =
        format!("{POSTGRES_URL_VAR} not set: the PostgreSQL command-line cases did not run");
    if postgres.is_none() {
        println!("{skipped}");
    }
    let mut trials = Vec::new();
    for &(name, case) in PLAIN {
        trials.push(Trial::test(name, move || {
            case();
            Ok(())
        }));
    }
    for &(name, case) in PER_ENGINE {
        trials.push(Trial::test(format!("sqlite::{name}"), move || {
            with_scratch(None, case)
        }));
        let url = postgres.clone();
        let skipped = skipped.clone();
        trials.push(Trial::ignorable_test(
            format!("postgres::{name}"),
            move || match url {
                Some(url) => with_scratch(Some(&url), case).map(|()| Completion::Completed),
                None => Ok(Completion::ignored_with(skipped)),
            },
        ));
    }
    libtest_mimic::run(&args, trials).exit();
}

/// A migrated, empty database private to one case, with the URL a `yrd` process reaches it by
/// and a direct connection for what no command does (tampering with the journal).
struct Scratch {
    scratch: ScratchStore,
    runtime: tokio::runtime::Runtime,
    dir: tempfile::TempDir,
}

impl Scratch {
    fn url(&self) -> &str {
        &self.scratch.url
    }

    fn engine(&self) -> Engine {
        self.scratch.store.engine()
    }

    /// `yrd --database URL ARGS…`, run in a temporary directory.
    fn yrd(&self, args: &[&str]) -> Output {
        run(yrd(self.dir.path())
            .args(["--database", self.url()])
            .args(args))
    }

    /// The same, with `input` on standard input.
    fn yrd_with_input(&self, args: &[&str], input: &str) -> Output {
        let mut child = yrd(self.dir.path())
            .args(["--database", self.url()])
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("yrd runs");
        let mut stdin = child.stdin.take().unwrap();
        // A refusal may come before yrd reads its input, and it may have exited by now: its
        // output, not the write, is what the case checks.
        if let Err(e) = stdin.write_all(input.as_bytes()) {
            assert_eq!(
                e.kind(),
                std::io::ErrorKind::BrokenPipe,
                "writing to yrd: {e}"
            );
        }
        drop(stdin);
        child.wait_with_output().expect("yrd finishes")
    }

    /// Runs SQL on the database directly, as someone with access to the server could.
    fn sql(&self, sql: &str) -> Result<(), yrd_store::StoreError> {
        self.runtime.block_on(self.scratch.store.execute_raw(sql))
    }

    fn store(&self) -> &Store {
        &self.scratch.store
    }
}

fn with_scratch(postgres: Option<&str>, case: EngineCase) -> Result<(), Failed> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let scratch = runtime
        .block_on(async {
            match postgres {
                Some(url) => ScratchStore::postgres(url).await,
                None => ScratchStore::sqlite().await,
            }
        })
        .map_err(|e| format!("opening a scratch database: {e}"))?;
    let scratch = Scratch {
        scratch,
        runtime,
        dir: tempfile::tempdir()?,
    };
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| case(&scratch)));
    let Scratch {
        scratch, runtime, ..
    } = scratch;
    runtime
        .block_on(scratch.cleanup())
        .map_err(|e| format!("cleaning up: {e}"))?;
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
    Ok(())
}

fn yrd(cwd: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_yrd"));
    command
        .current_dir(cwd)
        .env_remove("YRD_DATABASE_URL")
        .env_remove("YRD_LISTEN")
        .env_remove("YRD_POSTGRES_READ_CONNECTIONS")
        .env_remove("YRD_POSTGRES_WRITE_CONNECTIONS")
        .env("RUST_LOG", "warn");
    command
}

fn run(command: &mut Command) -> Output {
    command.output().expect("yrd runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn yrd_data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/yrd")
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
    }
}

/// Every file of a directory, by name.
fn files(dir: &Path) -> Vec<(String, String)> {
    let mut files: Vec<(String, String)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read_to_string(e.path()).unwrap(),
            )
        })
        .collect();
    files.sort();
    files
}

/// A `yrd serve` process, killed when dropped.
struct Server {
    child: Child,
    base: String,
    /// Everything it has printed on standard output so far.
    output: Arc<Mutex<Vec<String>>>,
}

impl Server {
    /// Its standard output, once it holds `needle` or `wait` has passed.
    fn output_once(&self, needle: &str, wait: Duration) -> String {
        let deadline = Instant::now() + wait;
        loop {
            let text = self.output.lock().unwrap().join("\n");
            if text.contains(needle) || Instant::now() >= deadline {
                return text;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(cwd: &Path, extra: &[&str]) -> Server {
    let mut child = yrd(cwd)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("yrd serve starts");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut seen = Vec::new();
    while Instant::now() < deadline {
        let Some(Ok(line)) = lines.next() else { break };
        if let Some(at) = line.find("on http://") {
            let url = line[at + 3..]
                .split_whitespace()
                .next()
                .unwrap()
                .trim_end_matches('/')
                .to_owned();
            seen.push(line);
            let output = Arc::new(Mutex::new(seen));
            // Keep draining stdout so the server never blocks on a full pipe.
            let sink = output.clone();
            std::thread::spawn(move || {
                for line in lines.map_while(Result::ok) {
                    sink.lock().unwrap().push(line);
                }
            });
            return Server {
                child,
                base: url,
                output,
            };
        }
        seen.push(line);
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("yrd serve did not print its address; it printed: {seen:?}");
}

fn get(url: &str) -> (u16, String) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let response = reqwest::get(url).await.expect("request");
        let status = response.status().as_u16();
        (status, response.text().await.unwrap())
    })
}

fn first_serve_creates_the_database_and_loads_the_yrd_dataset() {
    let cwd = tempfile::tempdir().unwrap();
    let server = serve(cwd.path(), &[]);
    assert!(
        cwd.path().join("yrd-data/yrd.db").exists(),
        "the default SQLite file is created"
    );
    let (status, body) = get(&format!("{}/api/v1/jurisdictions/330300", server.base));
    assert_eq!(status, 200, "{body}");
    assert!(
        body.contains("温州市"),
        "Wenzhou in Chinese by default: {body}"
    );
    let (status, body) = get(&format!("{}/api/v1/healthz", server.base));
    assert_eq!(status, 200, "{body}");
    drop(server);
    // A second start finds the data in place and does not load it again.
    let server = serve(cwd.path(), &[]);
    let (status, _) = get(&format!("{}/api/v1/meetings", server.base));
    assert_eq!(status, 200);
}

fn import_twice_changes_nothing_and_export_round_trips() {
    let work = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", work.path().join("yrd.db").display());
    let first = run(yrd(work.path())
        .args(["--database", &db, "import"])
        .arg(yrd_data()));
    assert!(first.status.success(), "{}", stderr(&first));
    assert!(
        !stdout(&first).contains(": 0 records changed"),
        "{}",
        stdout(&first)
    );
    let second = run(yrd(work.path())
        .args(["--database", &db, "import"])
        .arg(yrd_data()));
    assert!(second.status.success(), "{}", stderr(&second));
    assert!(
        stdout(&second).contains(": 0 records changed"),
        "{}",
        stdout(&second)
    );

    let exported = work.path().join("exported");
    let export = run(yrd(work.path())
        .args(["--database", &db, "export"])
        .arg(&exported));
    assert!(export.status.success(), "{}", stderr(&export));
    let copy_db = format!("sqlite://{}", work.path().join("copy.db").display());
    let import = run(yrd(work.path())
        .args(["--database", &copy_db, "import"])
        .arg(&exported));
    assert!(import.status.success(), "{}", stderr(&import));
    let again = work.path().join("again");
    let export = run(yrd(work.path())
        .args(["--database", &copy_db, "export"])
        .arg(&again));
    assert!(export.status.success(), "{}", stderr(&export));
    assert_eq!(
        files(&exported),
        files(&again),
        "export → import → export is the identity"
    );
}

fn import_with_bad_rows_names_each_and_writes_nothing() {
    let work = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", work.path().join("yrd.db").display());
    let ok = run(yrd(work.path())
        .args(["--database", &db, "import"])
        .arg(yrd_data()));
    assert!(ok.status.success(), "{}", stderr(&ok));
    let before = work.path().join("before");
    assert!(
        run(yrd(work.path())
            .args(["--database", &db, "export"])
            .arg(&before))
        .status
        .success()
    );

    let bad = work.path().join("bad");
    copy_dir(&yrd_data(), &bad);
    let jurisdictions = std::fs::read_to_string(bad.join("jurisdictions.csv")).unwrap();
    let mut lines: Vec<String> = jurisdictions.lines().map(str::to_owned).collect();
    let header: Vec<String> = lines[0].split(',').map(str::to_owned).collect();
    let column = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let mut row = vec![String::new(); header.len()];
    row[column("code")] = "330399".into();
    row[column("parent")] = "339900".into(); // no such jurisdiction
    row[column("name_zh")] = "虚构市".into();
    row[column("name_en")] = "Nowhere".into();
    row[column("source")] = "seed:test".into();
    lines.push(row.join(","));
    let mut nameless = vec![String::new(); header.len()];
    nameless[column("code")] = "330398".into();
    nameless[column("parent")] = "330000".into();
    // Neither name_zh nor name_en: a name in neither language.
    nameless[column("source")] = "seed:test".into();
    lines.push(nameless.join(","));
    std::fs::write(bad.join("jurisdictions.csv"), lines.join("\n") + "\n").unwrap();
    let tasks = std::fs::read_to_string(bad.join("tasks.csv")).unwrap();
    let first_due = tasks
        .lines()
        .nth(1)
        .unwrap()
        .split(',')
        .find(|f| f.len() == 10 && f.starts_with("20"))
        .unwrap()
        .to_owned();
    let tasks = tasks.replacen(&first_due, "2023-02-30", 1);
    std::fs::write(bad.join("tasks.csv"), tasks).unwrap();

    let failed = run(yrd(work.path())
        .args(["--database", &db, "import"])
        .arg(&bad));
    assert_eq!(
        failed.status.code(),
        Some(1),
        "a bad dataset fails the import"
    );
    let report = stderr(&failed);
    let bad_parent_line = lines.len() - 1;
    let nameless_line = lines.len();
    assert!(
        report.contains(&format!("jurisdictions.csv:{bad_parent_line}:")),
        "unknown parent reported at its line: {report}"
    );
    assert!(
        report.contains("339900"),
        "the unknown code is named: {report}"
    );
    assert!(
        report.contains(&format!("jurisdictions.csv:{nameless_line}:")),
        "a name in neither language at its line: {report}"
    );
    assert!(
        report.contains("name_zh"),
        "the missing field is named: {report}"
    );
    assert!(
        report.contains("tasks.csv:2:") && report.contains("2023-02-30"),
        "the impossible date is named: {report}"
    );
    assert!(report.contains("nothing was written"), "{report}");

    let after = work.path().join("after");
    assert!(
        run(yrd(work.path())
            .args(["--database", &db, "export"])
            .arg(&after))
        .status
        .success()
    );
    assert_eq!(files(&before), files(&after), "the database is unchanged");
}

fn help_describes_every_command() {
    let cwd = tempfile::tempdir().unwrap();
    let help = run(yrd(cwd.path()).arg("--help"));
    assert!(help.status.success());
    let text = stdout(&help);
    for command in [
        "serve",
        "migrate",
        "import",
        "export",
        "user",
        "token",
        "verify-history",
    ] {
        assert!(text.contains(command), "--help lists {command}: {text}");
    }
    let serve_help = stdout(&run(yrd(cwd.path()).args(["serve", "--help"])));
    assert!(
        serve_help.contains("YRD_LISTEN") && serve_help.contains("YRD_DATABASE_URL"),
        "{serve_help}"
    );
}

fn migrate_prepares_an_empty_database() {
    let work = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", work.path().join("fresh.db").display());
    let migrate = run(yrd(work.path()).args(["--database", &db, "migrate"]));
    assert!(migrate.status.success(), "{}", stderr(&migrate));

    // An older yrd's schema: an unknown version is refused by name, a known one reverts the
    // newer migrations, and `migrate` brings them back.
    let unknown = run(yrd(work.path()).args(["--database", &db, "migrate", "--down-to", "999"]));
    assert!(!unknown.status.success());
    assert!(
        stderr(&unknown).contains("version") && stderr(&unknown).contains("999"),
        "{}",
        stderr(&unknown)
    );
    let down = run(yrd(work.path()).args(["--database", &db, "migrate", "--down-to", "5"]));
    assert!(down.status.success(), "{}", stderr(&down));
    assert!(
        stdout(&down).contains("at migration 5"),
        "{}",
        stdout(&down)
    );
    let again = run(yrd(work.path()).args(["--database", &db, "migrate"]));
    assert!(again.status.success(), "{}", stderr(&again));

    let server = serve(work.path(), &["--database", &db]);
    let (status, body) = get(&format!("{}/api/v1/jurisdictions", server.base));
    assert_eq!(status, 200, "{body}");
    assert!(
        !body.contains("温州市"),
        "a configured empty database is not filled implicitly: {body}"
    );
}

fn first_serve_tells_how_to_create_the_first_administrator() {
    let cwd = tempfile::tempdir().unwrap();
    let server = serve(cwd.path(), &[]);
    let hint = "  yrd user add admin --name \"Administrator\" --role administrator --scope region --password-stdin";
    let output = server.output_once(hint, Duration::from_secs(10));
    assert!(
        output.contains("no accounts yet: create the first administrator with\n"),
        "{output}"
    );
    assert!(
        output.lines().any(|line| line == hint),
        "the command for the default database needs no --database: {output}"
    );
    let lower = output.to_lowercase();
    for default in ["default password", "password:", "password=", "--password "] {
        assert!(
            !lower.contains(default),
            "no password is suggested ({default:?}): {output}"
        );
    }
    drop(server);

    // The command as printed creates the administrator; the next start says nothing of it.
    let mut child = yrd(cwd.path())
        .args([
            "user",
            "add",
            "admin",
            "--name",
            "Administrator",
            "--role",
            "administrator",
            "--scope",
            "region",
            "--password-stdin",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"a long and private passphrase\n")
        .unwrap();
    let added = child.wait_with_output().unwrap();
    assert!(added.status.success(), "{}", stderr(&added));
    let server = serve(cwd.path(), &[]);
    let (status, _) = get(&format!("{}/api/v1/healthz", server.base));
    assert_eq!(status, 200);
    let output = server.output_once("no accounts yet", Duration::from_millis(500));
    assert!(!output.contains("no accounts yet"), "{output}");
    drop(server);

    // A database given on the command line is named in the command to run.
    let db = format!("sqlite://{}", cwd.path().join("other.db").display());
    let server = serve(cwd.path(), &["--database", &db]);
    let output = server.output_once("--password-stdin", Duration::from_secs(10));
    assert!(
        output.contains(&format!("  yrd --database {db} user add admin ")),
        "{output}"
    );
}

/// Asserts that a command succeeded, showing what it said if not.
fn succeeded(output: &Output, what: &str) -> String {
    assert!(
        output.status.success(),
        "{what} failed ({:?}):\nstdout: {}\nstderr: {}",
        output.status.code(),
        stdout(output),
        stderr(output)
    );
    stdout(output)
}

/// Asserts that a command failed with exit code 1 and one line on standard error naming the
/// problem, and no Rust debug output.
fn refused(output: &Output, what: &str, names: &[&str]) {
    let message = stderr(output);
    assert_eq!(
        output.status.code(),
        Some(1),
        "{what} is refused:\nstdout: {}\nstderr: {message}",
        stdout(output)
    );
    assert_eq!(
        message.trim_end().lines().count(),
        1,
        "{what}: one line: {message}"
    );
    assert!(message.starts_with("error: "), "{what}: {message}");
    for name in names {
        assert!(message.contains(name), "{what}: names {name:?}: {message}");
    }
    for debug in [
        "Error {",
        "StoreError",
        "panicked",
        "Invalid {",
        "backtrace",
    ] {
        assert!(!message.contains(debug), "{what}: no debug dump: {message}");
    }
}

/// `history intact: N entries, head HASH` → N and HASH.
fn intact(output: &Output) -> (i64, String) {
    let text = succeeded(output, "verify-history");
    let rest = text
        .trim_end()
        .strip_prefix("history intact: ")
        .unwrap_or_else(|| panic!("an intact history: {text}"));
    let (entries, head) = rest.split_once(" entries, head ").expect(&text);
    assert_eq!(head.len(), 64, "a SHA-256 head: {text}");
    (entries.parse().expect(&text), head.to_owned())
}

const PASSWORD: &str = "correct horse battery staple";

fn accounts_get_roles_granted_and_revoked(s: &Scratch) {
    let data = yrd_data();
    succeeded(&s.yrd(&["import", data.to_str().unwrap()]), "import");
    let added = s.yrd_with_input(
        &[
            "user",
            "add",
            "wang.fang",
            "--name",
            "王芳",
            "--role",
            "member_officer",
            "--scope",
            "jurisdiction:320000",
            "--role",
            "office_staff",
            "--scope",
            "region",
            "--password-stdin",
        ],
        &format!("{PASSWORD}\n"),
    );
    let said = succeeded(&added, "user add") + &stderr(&added);
    assert!(said.contains("wang.fang"), "{said}");
    assert!(
        !said.contains(PASSWORD),
        "the password is never shown: {said}"
    );
    let added = s.yrd(&[
        "user",
        "add",
        "ann",
        "--name",
        "Ann Lee",
        "--lang",
        "en",
        "--no-password",
    ]);
    succeeded(&added, "user add --no-password");

    let list = succeeded(&s.yrd(&["user", "list"]), "user list");
    let row = |username: &str| {
        list.lines()
            .find(|line| line.starts_with(&format!("{username} ")))
            .unwrap_or_else(|| panic!("{username} is listed: {list}"))
            .to_owned()
    };
    let wang = row("wang.fang");
    for expected in [
        "王芳",
        " zh ",
        " set ",
        "member_officer jurisdiction:320000",
        "office_staff region",
    ] {
        assert!(wang.contains(expected), "{expected:?} in {wang:?}");
    }
    let ann = row("ann");
    for expected in ["Ann Lee", " en ", " none "] {
        assert!(ann.contains(expected), "{expected:?} in {ann:?}");
    }
    assert!(
        !list.contains(PASSWORD) && !list.contains("argon2"),
        "{list}"
    );

    let granted = s.yrd(&[
        "user",
        "grant",
        "ann",
        "body_secretary",
        "body:joint-meeting",
    ]);
    let said = succeeded(&granted, "user grant");
    assert!(said.contains("granted body_secretary"), "{said}");
    let again = s.yrd(&[
        "user",
        "grant",
        "ann",
        "body_secretary",
        "body:joint-meeting",
    ]);
    assert!(
        succeeded(&again, "a second grant").contains("nothing changed"),
        "{}",
        stdout(&again)
    );
    let revoked = s.yrd(&["user", "revoke", "wang.fang", "office_staff", "region"]);
    succeeded(&revoked, "user revoke");
    let again = s.yrd(&["user", "revoke", "wang.fang", "office_staff", "region"]);
    assert!(
        succeeded(&again, "a second revoke").contains("nothing changed"),
        "{}",
        stdout(&again)
    );
    let list = succeeded(&s.yrd(&["user", "list"]), "user list");
    assert!(list.contains("body_secretary body:joint-meeting"), "{list}");
    assert!(!list.contains("office_staff"), "{list}");
    assert!(
        list.contains("member_officer jurisdiction:320000"),
        "{list}"
    );

    let changed = s.yrd_with_input(
        &["user", "password", "ann", "--password-stdin"],
        "another long passphrase\n",
    );
    succeeded(&changed, "user password");
    let list = succeeded(&s.yrd(&["user", "list"]), "user list");
    let ann = list.lines().find(|l| l.starts_with("ann ")).unwrap();
    assert!(ann.contains(" set "), "{ann}");

    // The history records each change under the command and who ran it, never a secret.
    let history = s
        .runtime
        .block_on(s.store().history("user", "wang.fang", None, 100))
        .unwrap();
    assert!(history.len() >= 3, "{history:?}");
    for entry in &history {
        assert!(entry.actor.starts_with("cli:user "), "{entry:?}");
        let text = format!("{entry:?}");
        assert!(
            !text.contains(PASSWORD) && !text.contains("argon2"),
            "{text}"
        );
    }
    assert!(
        history
            .iter()
            .any(|e| e.actor.starts_with("cli:user revoke:")),
        "{history:?}"
    );

    refused(
        &s.yrd(&["user", "grant", "nobody", "auditor", "region"]),
        "a grant to an unknown user",
        &["nobody", "does not exist"],
    );
    refused(
        &s.yrd(&["user", "revoke", "nobody", "auditor", "region"]),
        "a revoke from an unknown user",
        &["nobody", "does not exist"],
    );
    refused(
        &s.yrd_with_input(
            &["user", "password", "nobody", "--password-stdin"],
            &format!("{PASSWORD}\n"),
        ),
        "a password for an unknown user",
        &["nobody", "does not exist"],
    );
}

fn refused_accounts_name_the_problem_and_write_nothing(s: &Scratch) {
    let first = s.yrd(&[
        "user",
        "add",
        "admin",
        "--name",
        "Administrator",
        "--role",
        "administrator",
        "--scope",
        "region",
        "--no-password",
    ]);
    succeeded(&first, "the first account");
    let list_before = succeeded(&s.yrd(&["user", "list"]), "user list");
    let (entries_before, head_before) = intact(&s.yrd(&["verify-history"]));

    let add = |extra: &[&str], input: Option<&str>| {
        let mut args = vec!["user", "add", "bob", "--name", "Bob"];
        args.extend_from_slice(extra);
        match input {
            Some(input) => s.yrd_with_input(&args, input),
            None => s.yrd(&args),
        }
    };
    let password = format!("{PASSWORD}\n");
    let stdin = Some(password.as_str());
    refused(
        &add(
            &["--role", "chief", "--scope", "region", "--password-stdin"],
            stdin,
        ),
        "an unknown role",
        &["unknown role \"chief\"", "member_officer"],
    );
    refused(
        &add(
            &["--role", "auditor", "--scope", "planet", "--password-stdin"],
            stdin,
        ),
        "an unknown scope kind",
        &["\"planet\"", "jurisdiction:<code>"],
    );
    refused(
        &add(
            &[
                "--role",
                "member_officer",
                "--scope",
                "jurisdiction:32",
                "--password-stdin",
            ],
            stdin,
        ),
        "a malformed jurisdiction code",
        &["\"jurisdiction:32\""],
    );
    refused(
        &add(
            &[
                "--role",
                "auditor",
                "--scope",
                "jurisdiction:320000",
                "--password-stdin",
            ],
            stdin,
        ),
        "a role in a scope it is not held in",
        &["auditor", "jurisdiction:320000"],
    );
    // Well formed, but no such jurisdiction is recorded (this database holds no dataset):
    // refused by the store after the account row was written, so this checks the rollback.
    refused(
        &add(
            &[
                "--role",
                "member_officer",
                "--scope",
                "jurisdiction:320000",
                "--password-stdin",
            ],
            stdin,
        ),
        "a scope that names no record",
        &["scope", "320000"],
    );
    refused(
        &add(
            &[
                "--role",
                "auditor",
                "--role",
                "office_staff",
                "--scope",
                "region",
                "--password-stdin",
            ],
            stdin,
        ),
        "a role without a scope",
        &["--scope"],
    );
    refused(
        &add(&["--password-stdin"], Some("too short\n")),
        "a short password",
        &["too short", "12"],
    );
    refused(
        &add(&["--password-stdin"], Some("")),
        "an empty standard input",
        &["--password-stdin"],
    );
    refused(
        &add(&[], None),
        "no password and no terminal",
        &["--password-stdin", "--no-password"],
    );
    refused(
        &s.yrd_with_input(
            &[
                "user",
                "add",
                "admin",
                "--name",
                "Another",
                "--password-stdin",
            ],
            &password,
        ),
        "a taken username",
        &["\"admin\"", "taken"],
    );
    refused(
        &s.yrd(&["user", "add", "Bob!", "--name", "Bob", "--no-password"]),
        "an invalid username",
        &["\"Bob!\"", "lowercase"],
    );
    refused(
        &s.yrd(&["user", "add", "bob", "--name", " ", "--no-password"]),
        "an empty display name",
        &["--name"],
    );
    refused(
        &s.yrd(&["user", "grant", "admin", "auditor", "body:"]),
        "a grant with an empty body key",
        &["body"],
    );
    refused(
        &s.yrd_with_input(
            &["user", "password", "admin", "--password-stdin"],
            "short\n",
        ),
        "a short new password",
        &["too short"],
    );

    let list_after = succeeded(&s.yrd(&["user", "list"]), "user list");
    assert_eq!(list_before, list_after, "nothing was written");
    let (entries_after, head_after) = intact(&s.yrd(&["verify-history"]));
    assert_eq!(
        (entries_before, head_before),
        (entries_after, head_after),
        "nothing was journalled"
    );
}

fn token_secrets_are_shown_once_and_tokens_revoked(s: &Scratch) {
    succeeded(
        &s.yrd(&[
            "user",
            "add",
            "robot",
            "--name",
            "Exporter",
            "--no-password",
        ]),
        "user add",
    );
    let created = s.yrd(&["token", "create", "robot", "--name", "nightly export"]);
    let printed = succeeded(&created, "token create");
    let lines: Vec<&str> = printed.lines().collect();
    assert_eq!(lines.len(), 1, "only the secret on stdout: {printed}");
    let secret = lines[0];
    assert!(secret.starts_with("yrd_"), "{secret}");
    assert!(secret.len() > 40, "{secret}");
    assert!(
        stderr(&created).contains("only"),
        "a note that it is shown once: {}",
        stderr(&created)
    );
    let second = succeeded(
        &s.yrd(&["token", "create", "robot", "--name", "dashboard"]),
        "a second token",
    );
    let second = second.trim();
    assert_ne!(second, secret);

    let list = succeeded(&s.yrd(&["token", "list", "robot"]), "token list");
    assert!(
        list.contains("nightly export") && list.contains("dashboard"),
        "{list}"
    );
    assert!(
        !list.contains(secret) && !list.contains(second),
        "no secret is listed: {list}"
    );
    let secret_part = secret.rsplit('_').next().unwrap();
    assert!(!list.contains(secret_part), "{list}");
    let row = list
        .lines()
        .find(|line| line.ends_with("nightly export"))
        .unwrap();
    let id = row.split_whitespace().next().unwrap().to_owned();
    assert!(
        secret.starts_with(&format!("yrd_{id}_")),
        "{id} names {secret}"
    );
    assert!(row.contains(" - "), "not revoked yet: {row}");

    let revoked = s.yrd(&["token", "revoke", &id]);
    assert!(
        succeeded(&revoked, "token revoke").contains("revoked"),
        "{}",
        stdout(&revoked)
    );
    let list = succeeded(&s.yrd(&["token", "list", "robot"]), "token list");
    let row = list
        .lines()
        .find(|line| line.ends_with("nightly export"))
        .unwrap();
    assert!(!row.contains(" - "), "revoked: {row}");
    let dashboard = list
        .lines()
        .find(|line| line.ends_with("dashboard"))
        .unwrap();
    assert!(dashboard.contains(" - "), "the other is live: {dashboard}");
    let again = s.yrd(&["token", "revoke", &id]);
    assert!(
        succeeded(&again, "a second revoke").contains("already revoked"),
        "{}",
        stdout(&again)
    );
    let live = s
        .runtime
        .block_on(s.store().token_account(secret))
        .expect("token lookup")
        .map(|user| user.username);
    assert_eq!(live, None, "a revoked token signs nobody in");
    let live = s
        .runtime
        .block_on(s.store().token_account(second))
        .expect("token lookup")
        .map(|user| user.username);
    assert_eq!(live.as_deref(), Some("robot"));

    refused(
        &s.yrd(&["token", "revoke", "0123456789ab"]),
        "revoking an unknown token",
        &["\"0123456789ab\"", "does not exist"],
    );
    refused(
        &s.yrd(&["token", "create", "nobody", "--name", "x"]),
        "a token for an unknown user",
        &["\"nobody\"", "does not exist"],
    );
    refused(
        &s.yrd(&["token", "list", "nobody"]),
        "the tokens of an unknown user",
        &["\"nobody\"", "does not exist"],
    );
    refused(
        &s.yrd(&["token", "create", "robot", "--name", " "]),
        "a token without a name",
        &["--name"],
    );
}

/// Journalled changes to tamper with: an account with a role (entries 1 and 2), then a grant.
fn journalled_changes(s: &Scratch) -> i64 {
    succeeded(
        &s.yrd(&[
            "user",
            "add",
            "admin",
            "--name",
            "Administrator",
            "--role",
            "administrator",
            "--scope",
            "region",
            "--no-password",
        ]),
        "user add",
    );
    succeeded(
        &s.yrd(&["user", "grant", "admin", "auditor", "region"]),
        "user grant",
    );
    let (entries, _) = intact(&s.yrd(&["verify-history"]));
    assert!(entries >= 3, "{entries} entries");
    entries
}

fn verify_history_finds_an_edited_entry(s: &Scratch) {
    journalled_changes(s);
    let edit = "UPDATE journal SET actor = 'user:mallory' WHERE seq = 2";
    assert!(
        s.sql(edit).is_err(),
        "the journal refuses edits while its triggers stand"
    );
    intact(&s.yrd(&["verify-history"]));
    let drop_trigger = match s.engine() {
        Engine::Sqlite => "DROP TRIGGER journal_no_update",
        Engine::Postgres => "DROP TRIGGER journal_no_change ON journal",
    };
    s.sql(&format!("{drop_trigger}; {edit}"))
        .expect("tampering with the triggers dropped");
    let verified = s.yrd(&["verify-history"]);
    let message = stderr(&verified);
    assert_eq!(
        verified.status.code(),
        Some(1),
        "{}{message}",
        stdout(&verified)
    );
    assert!(
        message.starts_with("history broken at entry 2: "),
        "entry 2 is named: {message}"
    );
    assert!(message.contains("edited"), "{message}");
    assert!(
        !stdout(&verified).contains("intact:"),
        "{}",
        stdout(&verified)
    );
}

fn verify_history_finds_a_removed_entry(s: &Scratch) {
    journalled_changes(s);
    let delete = "DELETE FROM journal WHERE seq = 2";
    assert!(
        s.sql(delete).is_err(),
        "the journal refuses deletes while its triggers stand"
    );
    let drop_trigger = match s.engine() {
        Engine::Sqlite => "DROP TRIGGER journal_no_delete",
        Engine::Postgres => "DROP TRIGGER journal_no_change ON journal",
    };
    s.sql(&format!("{drop_trigger}; {delete}"))
        .expect("tampering with the triggers dropped");
    let verified = s.yrd(&["verify-history"]);
    let message = stderr(&verified);
    assert_eq!(
        verified.status.code(),
        Some(1),
        "{}{message}",
        stdout(&verified)
    );
    assert!(
        message.starts_with("history broken at entry 2: "),
        "entry 2 is named: {message}"
    );
    assert!(message.contains("missing"), "{message}");
}

/// Raises a problem on `matter` directly in the store, as the API would.
fn raise_problem(s: &Scratch, matter: &str, raised_on: time::Date, due: time::Date) -> String {
    s.runtime
        .block_on(s.store().raise_problem(
            &yrd_store::Author::Command {
                command: "test".into(),
                os_user: "cli-tests".into(),
            },
            matter,
            &yrd_store::NewProblem {
                title: yrd_domain::Text::new("跨省审批不一致", "Approvals differ"),
                description: yrd_domain::Text::default(),
                task: None,
                due,
                raised_on,
            },
        ))
        .expect("raising a problem")
        .key
}

fn problems_escalate_overdue_moves_the_late_ones_and_journals_each(s: &Scratch) {
    let data = yrd_data();
    succeeded(&s.yrd(&["import", data.to_str().unwrap()]), "import");
    let matter = "basic-research-joint-fund";
    let late = raise_problem(
        s,
        matter,
        time::macros::date!(2026 - 05 - 01),
        time::macros::date!(2026 - 05 - 31),
    );
    let due_today = raise_problem(
        s,
        matter,
        time::macros::date!(2026 - 06 - 01),
        time::macros::date!(2026 - 06 - 15),
    );
    let help = succeeded(&s.yrd(&["problems", "--help"]), "problems --help");
    assert!(help.contains("escalate-overdue"), "{help}");

    let said = succeeded(
        &s.yrd(&["problems", "escalate-overdue", "--as-of", "2026-06-15"]),
        "problems escalate-overdue",
    );
    assert_eq!(
        said.trim_end(),
        format!("escalated {late} (matter {matter}) to the coordination tier, due 2026-07-15"),
        "exactly the overdue one moved"
    );
    assert!(!said.contains(&due_today), "due today is not late: {said}");
    let moved = s
        .runtime
        .block_on(s.store().problem(&late))
        .unwrap()
        .expect("the problem");
    assert_eq!(moved.tier, yrd_domain::Tier::Coordination);
    assert_eq!(
        moved.escalated_on,
        Some(time::macros::date!(2026 - 06 - 15))
    );
    let stayed = s
        .runtime
        .block_on(s.store().problem(&due_today))
        .unwrap()
        .expect("the problem");
    assert_eq!(stayed.tier, yrd_domain::Tier::Execution);
    let history = s
        .runtime
        .block_on(s.store().history("problem", &late, None, 10))
        .unwrap();
    let actions: Vec<&str> = history.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["raise", "escalate"], "{history:?}");
    assert!(
        history[1]
            .actor
            .starts_with("cli:problems escalate-overdue:"),
        "journalled as the command: {}",
        history[1].actor
    );
    assert!(
        history[1]
            .after
            .as_deref()
            .is_some_and(|a| a.contains("\"overdue\"")),
        "with the reason: {:?}",
        history[1].after
    );

    // Run again the same day, nothing is late any more.
    let said = succeeded(
        &s.yrd(&["problems", "escalate-overdue", "--as-of", "2026-06-15"]),
        "problems escalate-overdue again",
    );
    assert!(said.contains("nothing escalated"), "{said}");
    refused(
        &s.yrd(&["problems", "escalate-overdue", "--as-of", "2026-02-30"]),
        "a date that does not exist",
        &["--as-of"],
    );

    // `yrd serve` runs the same sweep as it starts, for today.
    let long_late = raise_problem(
        s,
        matter,
        time::macros::date!(2020 - 01 - 01),
        time::macros::date!(2020 - 01 - 31),
    );
    let server = serve(s.dir.path(), &["--database", s.url()]);
    let deadline = Instant::now() + Duration::from_secs(30);
    let swept = loop {
        let problem = s
            .runtime
            .block_on(s.store().problem(&long_late))
            .unwrap()
            .expect("the problem");
        if problem.tier != yrd_domain::Tier::Execution || Instant::now() >= deadline {
            break problem;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    drop(server);
    assert_eq!(swept.tier, yrd_domain::Tier::Coordination, "swept at start");
    let history = s
        .runtime
        .block_on(s.store().history("problem", &long_late, None, 10))
        .unwrap();
    assert!(
        history
            .last()
            .is_some_and(|e| e.action == "escalate" && e.actor.starts_with("cli:serve:")),
        "journalled as the server's: {history:?}"
    );
    intact(&s.yrd(&["verify-history"]));
}

/// The mode bits of a file's permissions.
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

fn member_keys_are_generated_listed_and_retired(s: &Scratch) {
    let data = yrd_data();
    succeeded(&s.yrd(&["import", data.to_str().unwrap()]), "import");
    let keys = s.dir.path().join("keys");
    let keys_arg = keys.to_str().unwrap();
    let generated = succeeded(
        &s.yrd(&["key", "generate", "--member", "320000", "--keys", keys_arg]),
        "key generate",
    );
    let file = keys.join("320000.pem");
    assert_eq!(mode(&file), 0o600, "only the owner reads the private key");
    let pem = std::fs::read_to_string(&file).unwrap();
    assert!(
        pem.starts_with("-----BEGIN PRIVATE KEY-----"),
        "PKCS#8 PEM: {pem}"
    );
    let first = s.runtime.block_on(s.store().member_keys()).unwrap();
    assert_eq!(first.len(), 1, "{first:?}");
    let first = first[0].clone();
    assert!(
        generated.contains(&first.id) && generated.contains(&first.public_key),
        "{generated}"
    );
    assert_eq!(
        yrd_store::key_file_public_key(&keys, first.jurisdiction).unwrap(),
        first.public_key,
        "the file holds the registered key"
    );
    let list = succeeded(&s.yrd(&["key", "list", "--keys", keys_arg]), "key list");
    let row = list
        .lines()
        .find(|l| l.starts_with(&first.id))
        .expect(&list);
    assert!(row.contains("320000") && row.contains(" ok "), "{row}");

    // One active key per member: a second is refused without --replace, and writes nothing.
    refused(
        &s.yrd(&["key", "generate", "--member", "320000", "--keys", keys_arg]),
        "a second key",
        &["already has an active key", "--replace"],
    );
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        pem,
        "the file is unchanged"
    );
    assert_eq!(
        std::fs::read_dir(&keys).unwrap().count(),
        1,
        "no stray files"
    );
    succeeded(
        &s.yrd(&[
            "key",
            "generate",
            "--member",
            "320000",
            "--keys",
            keys_arg,
            "--replace",
        ]),
        "key generate --replace",
    );
    assert_eq!(mode(&file), 0o600, "the new file too");
    assert_ne!(std::fs::read_to_string(&file).unwrap(), pem, "a new key");
    let all = s.runtime.block_on(s.store().member_keys()).unwrap();
    assert_eq!(all.len(), 2, "{all:?}");
    let active: Vec<_> = all.iter().filter(|k| k.retired_at.is_none()).collect();
    assert_eq!(active.len(), 1, "one active key: {all:?}");
    assert_ne!(active[0].id, first.id, "the new one");
    let list = succeeded(&s.yrd(&["key", "list", "--keys", keys_arg]), "key list");
    let old_row = list
        .lines()
        .find(|l| l.starts_with(&first.id))
        .expect(&list);
    assert!(
        !old_row.contains(" ok "),
        "the old key is retired: {old_row}"
    );

    refused(
        &s.yrd(&["key", "generate", "--member", "32", "--keys", keys_arg]),
        "a malformed code",
        &["--member"],
    );
    refused(
        &s.yrd(&["key", "generate", "--member", "110000", "--keys", keys_arg]),
        "a code not in the register",
        &["--member", "110000"],
    );

    let retired = succeeded(
        &s.yrd(&["key", "retire", "--member", "320000", "--keys", keys_arg]),
        "key retire",
    );
    assert!(
        retired.contains(&active[0].id) && retired.contains("removed"),
        "{retired}"
    );
    assert!(!file.exists(), "the retired key's file is removed");
    refused(
        &s.yrd(&["key", "retire", "--member", "320000", "--keys", keys_arg]),
        "retiring again",
        &["320000", "does not exist"],
    );
    let all = s.runtime.block_on(s.store().member_keys()).unwrap();
    assert!(all.iter().all(|k| k.retired_at.is_some()), "{all:?}");

    // Each registration and retirement is journalled, with the command and who ran it.
    let history = |id: &str| -> Vec<(String, String)> {
        s.runtime
            .block_on(s.store().history("member_key", id, None, 10))
            .unwrap()
            .into_iter()
            .map(|e| (e.action, e.actor))
            .collect()
    };
    let first_history = history(&first.id);
    assert_eq!(
        first_history
            .iter()
            .map(|(a, _)| a.as_str())
            .collect::<Vec<_>>(),
        ["register", "retire"],
        "{first_history:?}"
    );
    assert!(
        first_history[0].1.starts_with("cli:key generate:"),
        "{first_history:?}"
    );
    let second_history = history(&active[0].id);
    assert!(
        second_history
            .last()
            .is_some_and(|(a, who)| a == "retire" && who.starts_with("cli:key retire:")),
        "{second_history:?}"
    );
    intact(&s.yrd(&["verify-history"]));
}

/// The CI smoke check of the load harness: a few seconds on the YRD dataset, where every
/// request type runs and none fails, the server's memory is measured, and the bench's
/// credentials end with the run.
fn bench_drives_every_request_type_without_errors(s: &Scratch) {
    // A small generated region: the smoke check of the benchmarks' whole path.
    succeeded(
        &s.yrd(&[
            "generate",
            "--tasks",
            "1500",
            "--reports",
            "6000",
            "--observations",
            "1040",
            "--meetings",
            "20",
            "--as-of",
            "2026-11-30",
        ]),
        "generate",
    );
    let json = s.dir.path().join("bench.json");
    let table = succeeded(
        &s.yrd(&[
            "bench",
            "--duration",
            "3s",
            "--warmup",
            "1s",
            "--connections",
            "4",
            "--json",
            json.to_str().unwrap(),
        ]),
        "bench",
    );
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let engine = match s.engine() {
        Engine::Sqlite => "sqlite",
        Engine::Postgres => "postgres",
    };
    assert_eq!(report["database"], engine, "{report:#}");
    assert_eq!(report["settings"]["connections"], 4, "{report:#}");
    let types = report["requests"].as_array().unwrap();
    let names: Vec<&str> = types.iter().map(|t| t["name"].as_str().unwrap()).collect();
    for expected in [
        "page:home",
        "page:plan",
        "page:plan-filtered",
        "page:matter",
        "page:indicator",
        "page:meetings",
        "page:workspace",
        "api:matters",
        "api:matters-filtered",
        "api:matter",
        "api:task",
        "api:plan",
        "api:meetings",
        "api:problems",
        "api:indicator",
        "write:report",
        "write:position",
    ] {
        assert!(
            names.contains(&expected),
            "{expected} is in the mix: {names:?}"
        );
    }
    for kind in types {
        let name = &kind["name"];
        assert!(kind["count"].as_u64().unwrap() >= 1, "{name} ran: {kind:#}");
        assert_eq!(kind["errors"], 0, "{name} had no errors: {kind:#}");
        let p99 = kind["latency_ms"]["p99"].as_f64().unwrap();
        assert!(p99 > 0.0 && p99 <= kind["latency_ms"]["max"].as_f64().unwrap());
        assert!(table.contains(name.as_str().unwrap()), "{table}");
        // Only visitors' reads are answered from the server's cache: never a write, nor a
        // signed-in page.
        let cached = kind["cached"].as_u64().unwrap();
        assert!(cached <= kind["count"].as_u64().unwrap(), "{kind:#}");
        let personal = name.as_str().unwrap().starts_with("write:") || name == "page:workspace";
        if personal {
            assert_eq!(cached, 0, "{name} is never cached: {kind:#}");
        }
        assert_eq!(
            kind["gzipped"], 0,
            "{name}: gzip was not asked for: {kind:#}"
        );
    }
    assert_eq!(report["settings"]["gzip"], false, "{report:#}");
    assert_eq!(report["total"]["errors"], 0, "{report:#}");
    // The sample is drawn from the seed and the journal's length, so that the next run on
    // this database samples afresh.
    let sample = &report["settings"]["sample"];
    let journal_length = sample["journal_length"].as_i64().unwrap();
    assert!(journal_length > 0, "{report:#}");
    assert_eq!(report["settings"]["fixed_sample"], false, "{report:#}");
    assert_ne!(sample["seed"], 1, "{report:#}");
    // The server had the default connections to PostgreSQL: 6 for reads, 3 for writes.
    assert_eq!(
        report["settings"]["postgres_connections"],
        serde_json::json!([6, 3]),
        "{report:#}"
    );
    assert!(
        table.contains(&format!("sample drawn with {}", sample["seed"])),
        "{table}"
    );
    // The home page, one address asked again and again, is found in the cache at times.
    let home = types.iter().find(|t| t["name"] == "page:home").unwrap();
    assert!(home["cached"].as_u64().unwrap() > 0, "{home:#}");
    let peak = report["server"]["peak_memory_mib"].as_f64();
    assert!(peak.is_some_and(|mib| mib > 0.0), "{report:#}");
    assert!(table.contains("server peak memory"), "{table}");

    // Asked for gzip as a browser asks, the visitors' answers come gzipped; a signed-in page,
    // never kept, comes as made.
    let gzip_json = s.dir.path().join("bench-gzip.json");
    let gzip_table = succeeded(
        &s.yrd(&[
            "bench",
            "--gzip",
            "--duration",
            "1s",
            "--warmup",
            "500ms",
            "--connections",
            "2",
            "--only",
            "page:home,page:workspace",
            "--fixed-sample",
            "--postgres-read-connections",
            "2",
            "--postgres-write-connections",
            "1",
            "--json",
            gzip_json.to_str().unwrap(),
        ]),
        "bench --gzip",
    );
    assert!(gzip_table.contains("gzip accepted"), "{gzip_table}");
    let gzip_report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&gzip_json).unwrap()).unwrap();
    assert_eq!(gzip_report["settings"]["gzip"], true, "{gzip_report:#}");
    // With the sample fixed, it is drawn from the seed alone; the journal has grown by the
    // first run's reports and tokens.
    let fixed = &gzip_report["settings"]["sample"];
    assert_eq!(fixed["seed"], 1, "{gzip_report:#}");
    assert!(
        fixed["journal_length"].as_i64().unwrap() > journal_length,
        "{gzip_report:#}"
    );
    assert!(gzip_table.contains("sample fixed"), "{gzip_table}");
    // The server ran with the connections the run was given (on PostgreSQL, two and one).
    assert_eq!(
        gzip_report["settings"]["postgres_connections"],
        serde_json::json!([2, 1]),
        "{gzip_report:#}"
    );
    if s.engine() == Engine::Postgres {
        assert!(
            gzip_table.contains("2 connections for reads, 1 for writes"),
            "{gzip_table}"
        );
    }
    // No connections at all is refused, naming the flag.
    let none = s.yrd(&["--postgres-write-connections", "0", "verify-history"]);
    assert!(!none.status.success(), "{}", stderr(&none));
    assert!(
        stderr(&none).contains("--postgres-write-connections"),
        "{}",
        stderr(&none)
    );
    assert_eq!(gzip_report["total"]["errors"], 0, "{gzip_report:#}");
    let gzip_types = gzip_report["requests"].as_array().unwrap();
    let kind = |name: &str| gzip_types.iter().find(|t| t["name"] == name).unwrap();
    let home = kind("page:home");
    assert!(
        home["count"].as_u64().unwrap() > 0 && home["gzipped"] == home["count"],
        "every home page came gzipped: {home:#}"
    );
    let workspace = kind("page:workspace");
    assert!(
        workspace["count"].as_u64().unwrap() > 0 && workspace["gzipped"] == 0,
        "{workspace:#}"
    );

    // The run's tokens are revoked when it ends; the accounts stay for the next run.
    for member in ["310000", "320000", "330000", "340000"] {
        let tokens = s
            .runtime
            .block_on(s.store().tokens(&format!("bench-coordinator-{member}")))
            .unwrap();
        assert!(
            !tokens.is_empty() && tokens.iter().all(|t| t.revoked_at.is_some()),
            "{tokens:?}"
        );
    }
    intact(&s.yrd(&["verify-history"]));
}

/// Lines of a CSV file of an exported dataset whose first field starts with `prefix`.
fn exported_rows(dir: &Path, file: &str, prefix: &str) -> usize {
    std::fs::read_to_string(dir.join(file))
        .unwrap_or_else(|e| panic!("{file}: {e}"))
        .lines()
        .filter(|line| line.starts_with(prefix))
        .count()
}

fn generate_grows_a_region_with_an_intact_history(s: &Scratch) {
    let args = [
        "generate",
        "--tasks",
        "2000",
        "--reports",
        "9000",
        "--observations",
        "1100",
        "--meetings",
        "30",
        "--seed",
        "5",
        "--as-of",
        "2026-11-30",
    ];
    let out = succeeded(&s.yrd(&args), "generate");
    assert!(out.contains("loaded the built-in YRD dataset"), "{out}");
    for figure in ["2000 tasks", "1100 observations", "30 meetings"] {
        assert!(out.contains(figure), "{figure}: {out}");
    }

    // What was written is what was announced, and it reads back as a dataset.
    let exported = s.dir.path().join("exported");
    succeeded(&s.yrd(&["export", exported.to_str().unwrap()]), "export");
    assert_eq!(exported_rows(&exported, "tasks.csv", "gen-"), 2000);
    assert_eq!(exported_rows(&exported, "observations.csv", "gen-"), 1100);
    let reports = exported_rows(&exported, "reports.csv", "gen-");
    assert!((7_000..=11_000).contains(&reports), "{reports} reports");

    // Every record is in the chain, and the chain is whole.
    let (entries, _) = intact(&s.yrd(&["verify-history"]));
    assert!(
        entries as usize > 2000 + reports + 1100 + 30,
        "{entries} journal entries"
    );

    // A region is grown once: a second run names the problem and writes nothing.
    let again = s.yrd(&args);
    assert_eq!(again.status.code(), Some(1), "{}", stdout(&again));
    assert!(
        stderr(&again).contains("already holds a generated region"),
        "{}",
        stderr(&again)
    );
    assert_eq!(intact(&s.yrd(&["verify-history"])).0, entries);
}
