//! The `yrd` command as a user runs it: a real process, a real SQLite file in a temporary
//! directory, real HTTP over loopback.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

fn yrd(cwd: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_yrd"));
    command
        .current_dir(cwd)
        .env_remove("YRD_DATABASE_URL")
        .env_remove("YRD_LISTEN")
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
            // Keep draining stdout so the server never blocks on a full pipe.
            std::thread::spawn(move || for _ in lines {});
            return Server { child, base: url };
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

#[test]
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

#[test]
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

#[test]
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
    nameless[column("name_en")] = "No Chinese name".into(); // name_zh left empty
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
        "missing zh name at its line: {report}"
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

#[test]
fn help_describes_every_command() {
    let cwd = tempfile::tempdir().unwrap();
    let help = run(yrd(cwd.path()).arg("--help"));
    assert!(help.status.success());
    let text = stdout(&help);
    for command in ["serve", "migrate", "import", "export"] {
        assert!(text.contains(command), "--help lists {command}: {text}");
    }
    let serve_help = stdout(&run(yrd(cwd.path()).args(["serve", "--help"])));
    assert!(
        serve_help.contains("YRD_LISTEN") && serve_help.contains("YRD_DATABASE_URL"),
        "{serve_help}"
    );
}

#[test]
fn migrate_prepares_an_empty_database() {
    let work = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", work.path().join("fresh.db").display());
    let migrate = run(yrd(work.path()).args(["--database", &db, "migrate"]));
    assert!(migrate.status.success(), "{}", stderr(&migrate));
    let server = serve(work.path(), &["--database", &db]);
    let (status, body) = get(&format!("{}/api/v1/jurisdictions", server.base));
    assert_eq!(status, 200, "{body}");
    assert!(
        !body.contains("温州市"),
        "a configured empty database is not filled implicitly: {body}"
    );
}
