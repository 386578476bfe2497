//! What the browser cases run against: the portal served in-process over a scratch SQLite
//! database holding the built-in YRD dataset, a chromedriver child process on a free port, and
//! for each case a fresh headless Chromium session with its own empty profile.

use std::future::Future;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, OnceLock, mpsc};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use libtest_mimic::Failed;
use serde_json::{Value, json};
use yrd_store::testing::ScratchStore;

use crate::{Lang, Page, ensure, fail};

/// Chromium, as Debian's `chromium` package installs it (`YRD_CHROMIUM` overrides).
pub const CHROMIUM: &str = "/usr/bin/chromium";

/// How long one case may take, browser start and shutdown included.
const CASE_TIMEOUT: Duration = Duration::from_secs(180);

/// The browser window: the viewport of every page and so of the screenshots.
pub const WINDOW: (u32, u32) = (1280, 1600);

/// Where screenshots and axe reports go: `target/browser-artifacts`.
pub fn artifacts_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/browser-artifacts")
}

/// The server and chromedriver, started by the first case that needs them and stopped when
/// the suite ends.
pub struct Suite {
    chromedriver: PathBuf,
    running: OnceLock<Result<Running, String>>,
}

impl Suite {
    pub fn new(chromedriver: PathBuf) -> Suite {
        Suite {
            chromedriver,
            running: OnceLock::new(),
        }
    }

    fn running(&self) -> Result<&Running, Failed> {
        self.running
            .get_or_init(|| Running::start(&self.chromedriver))
            .as_ref()
            .map_err(|e| Failed::from(e.clone()))
    }
}

/// Fields drop in order: the browser driver (and any browser left) before the server.
struct Running {
    driver: Driver,
    server: Server,
    chromium: PathBuf,
}

impl Running {
    fn start(chromedriver: &Path) -> Result<Running, String> {
        let dir = artifacts_dir();
        std::fs::create_dir_all(&dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
        let chromium = std::env::var_os("YRD_CHROMIUM")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(CHROMIUM));
        if !chromium.exists() {
            return Err(format!(
                "{} not found, though chromedriver is there: install Debian's chromium",
                chromium.display()
            ));
        }
        let server = Server::start()?;
        let driver = Driver::start(chromedriver, &dir.join("chromedriver.log"))?;
        Ok(Running {
            driver,
            server,
            chromium,
        })
    }
}

/// The portal on a free local port, served from its own thread and runtime.
struct Server {
    base: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    done: Mutex<mpsc::Receiver<Result<(), String>>>,
}

impl Server {
    fn start() -> Result<Server, String> {
        let (ready_tx, ready_rx) = mpsc::channel::<Result<SocketAddr, String>>();
        let (done_tx, done) = mpsc::channel();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        std::thread::Builder::new()
            .name("yrd-server".into())
            .spawn(move || {
                let outcome = serve(ready_tx.clone(), stopped);
                if let Err(e) = &outcome {
                    let _ = ready_tx.send(Err(e.clone()));
                }
                let _ = done_tx.send(outcome);
            })
            .map_err(|e| format!("starting the server thread: {e}"))?;
        let address = ready_rx
            .recv_timeout(Duration::from_secs(120))
            .map_err(|e| format!("the server did not start: {e}"))??;
        Ok(Server {
            base: format!("http://{address}"),
            stop: Some(stop),
            done: Mutex::new(done),
        })
    }
}

/// The account the sign-in case uses: an officer of Anhui.
pub const OFFICER: (&str, &str) = ("ah-officer", "browser-suite-password");

async fn create_officer(store: &yrd_store::Store) -> Result<(), String> {
    use yrd_domain::access::{Assignment, Role, Scope};
    let anhui = "340000".parse().map_err(|e| format!("{e}"))?;
    let role = Assignment::new(Role::MemberOfficer, Scope::Jurisdiction(anhui))?;
    store
        .create_user(
            &yrd_store::Author::Command {
                command: "user add".into(),
                os_user: "browser-tests".into(),
            },
            &yrd_store::NewUser {
                username: OFFICER.0.into(),
                display_name: "Anhui officer".into(),
                lang: yrd_domain::Lang::En,
                password_hash: Some(yrd_store::hash_password(OFFICER.1)),
            },
            &[role],
        )
        .await
        .map(|_| ())
        .map_err(|e| format!("creating the officer: {e}"))
}

/// The accounts the form cases sign in with: Jiangsu's coordinator and the office.
pub const COORDINATOR: (&str, &str) = ("js-coordinator", "browser-suite-coordinator");
pub const OFFICE: (&str, &str) = ("office", "browser-suite-office");

/// The meeting the form cases work on: the symposium after the dataset's last, scheduled with
/// one decision item.
pub const SCHEDULED_MEETING: &str = "main-leaders-symposium-2026";
pub const SCHEDULED_DECISION: &str = "main-leaders-symposium-2026.1";

/// Adds the form cases' accounts and a scheduled meeting with a decision item.
async fn prepare_forms(store: &yrd_store::Store) -> Result<(), String> {
    use yrd_domain::access::{Assignment, Role, Scope};
    use yrd_domain::{DecisionSubject, Text};
    let author = yrd_store::Author::Command {
        command: "browser-setup".into(),
        os_user: "browser-tests".into(),
    };
    let jiangsu = "320000".parse().map_err(|e| format!("{e}"))?;
    for ((username, password), role) in [
        (
            COORDINATOR,
            Assignment::new(Role::MemberCoordinator, Scope::Jurisdiction(jiangsu))?,
        ),
        (OFFICE, Assignment::new(Role::OfficeStaff, Scope::Region)?),
    ] {
        store
            .create_user(
                &author,
                &yrd_store::NewUser {
                    username: username.into(),
                    display_name: username.into(),
                    lang: yrd_domain::Lang::En,
                    password_hash: Some(yrd_store::hash_password(password)),
                },
                &[role],
            )
            .await
            .map_err(|e| format!("creating {username}: {e}"))?;
    }
    let key = store
        .schedule_meeting(
            &author,
            &yrd_store::NewMeeting {
                body: "main-leaders-symposium".into(),
                key: None,
                details: yrd_store::MeetingDetails {
                    title: Text::new(
                        "2026年度长三角地区主要领导座谈会",
                        "2026 Main Leaders' Symposium",
                    ),
                    start: "2026-06-05".parse().map_err(|e| format!("{e}"))?,
                    end: None,
                    host: None,
                    host_reason: Text::default(),
                    theme: Text::default(),
                    agenda: vec![Text::new("审议示范区建设方案", "Consider the zone's plan")],
                    documents: Vec::new(),
                },
            },
        )
        .await
        .map_err(|e| format!("scheduling the meeting: {e}"))?;
    store
        .add_decision(
            &author,
            &key,
            None,
            &yrd_store::NewDecision {
                title: Text::new("审议示范区建设方案", "Adopt the zone's plan"),
                subject: DecisionSubject::Other,
                supersedes: None,
            },
        )
        .await
        .map_err(|e| format!("adding a decision: {e}"))?;
    // The public record has no problems: one raised on a matter, for the problem pages.
    store
        .raise_problem(
            &author,
            "rail-transit-operator",
            &yrd_store::NewProblem {
                title: Text::new(
                    "跨省线路运营补贴分担未定",
                    "Sharing of cross-border operating subsidies unsettled",
                ),
                description: Text::default(),
                task: None,
                due: time::macros::date!(2026 - 09 - 30),
                raised_on: time::macros::date!(2026 - 06 - 01),
            },
        )
        .await
        .map_err(|e| format!("raising a problem: {e}"))?;
    Ok(())
}

/// Imports `data/yrd` into a scratch SQLite database and serves it until `stopped`.
fn serve(
    ready: mpsc::Sender<Result<SocketAddr, String>>,
    stopped: tokio::sync::oneshot::Receiver<()>,
) -> Result<(), String> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| format!("starting a runtime: {e}"))?;
    runtime.block_on(async move {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/yrd");
        let dataset =
            yrd_dataset::read_dir(&dir).map_err(|e| format!("reading {}:\n{e}", dir.display()))?;
        let scratch = ScratchStore::sqlite()
            .await
            .map_err(|e| format!("opening a scratch database: {e}"))?;
        scratch
            .store
            .import(
                &yrd_store::Author::Command {
                    command: "import".into(),
                    os_user: "browser-tests".into(),
                },
                &dataset,
            )
            .await
            .map_err(|e| format!("importing data/yrd: {e}"))?;
        create_officer(&scratch.store).await?;
        prepare_forms(&scratch.store).await?;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|e| format!("binding a port: {e}"))?;
        let address = listener
            .local_addr()
            .map_err(|e| format!("local address: {e}"))?;
        let _ = ready.send(Ok(address));
        // Cases look, as visitors, at what they have just changed: a visitor is answered as
        // new as the records here (the API suite has the case about stale answers).
        let served = yrd_web::serve(
            listener,
            yrd_web::AppState::new(scratch.store.clone())
                .with_stale_bound(std::time::Duration::ZERO),
            async move {
                let _ = stopped.await;
            },
        )
        .await;
        scratch
            .cleanup()
            .await
            .map_err(|e| format!("cleaning up the scratch database: {e}"))?;
        served.map_err(|e| format!("the server failed: {e}"))
    })
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let done = self.done.get_mut().unwrap_or_else(|e| e.into_inner());
        match done.recv_timeout(Duration::from_secs(30)) {
            Ok(Ok(())) => {}
            Ok(Err(e)) => eprintln!("browser suite: {e}"),
            Err(_) => eprintln!("browser suite: the server did not stop within 30 s"),
        }
    }
}

/// chromedriver as a child process on a free port, shut down (and killed if need be) on drop.
struct Driver {
    child: Child,
    port: u16,
}

impl Driver {
    fn start(path: &Path, log: &Path) -> Result<Driver, String> {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| format!("finding a free port: {e}"))?
            .port();
        let child = Command::new(path)
            .arg(format!("--port={port}"))
            .arg(format!("--log-path={}", log.display()))
            // Commands at INFO would log axe-core's source once per page.
            .arg("--log-level=WARNING")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("starting {}: {e}", path.display()))?;
        let mut driver = Driver { child, port };
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Ok(driver);
            }
            if let Ok(Some(status)) = driver.child.try_wait() {
                return Err(format!(
                    "{} exited at start ({status}); see {}",
                    path.display(),
                    log.display()
                ));
            }
            if Instant::now() > deadline {
                return Err(format!("{} did not listen within 30 s", path.display()));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        // `/shutdown` quits any browser a failed case left open; a kill only if that fails.
        if let Ok(mut stream) = TcpStream::connect(("127.0.0.1", self.port)) {
            let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
            let _ = write!(
                stream,
                "GET /shutdown HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nConnection: close\r\n\r\n",
                self.port
            );
            let _ = stream.read_to_end(&mut Vec::new());
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A running case's browser.
pub struct Browser {
    pub client: Client,
    base: String,
}

pub type CaseFuture = Pin<Box<dyn Future<Output = Result<(), Failed>>>>;

/// Runs a case in a fresh browser session against the suite's server, and always ends the
/// session.
pub fn run(suite: &Suite, case: impl FnOnce(Browser) -> CaseFuture) -> Result<(), Failed> {
    let running = suite.running()?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| fail("starting a runtime", e))?;
    runtime.block_on(async move {
        let profile = tempfile::tempdir().map_err(|e| fail("a profile directory", e))?;
        let client = connect(running, profile.path()).await?;
        let browser = Browser {
            client: client.clone(),
            base: running.server.base.clone(),
        };
        let outcome = tokio::time::timeout(CASE_TIMEOUT, case(browser))
            .await
            .unwrap_or_else(|_| Err(format!("no result within {CASE_TIMEOUT:?}").into()));
        let closed = client.close().await;
        outcome?;
        closed.map_err(|e| fail("closing the browser", e))
    })
}

async fn connect(running: &Running, profile: &Path) -> Result<Client, Failed> {
    let (width, height) = WINDOW;
    let args = [
        "--headless".to_owned(),
        // As root, Chromium's sandbox cannot start.
        "--no-sandbox".to_owned(),
        "--disable-gpu".to_owned(),
        // The machine's network is closed: without these Chromium stalls on its own requests.
        "--disable-quic".to_owned(),
        "--no-first-run".to_owned(),
        "--disable-background-networking".to_owned(),
        "--disable-component-update".to_owned(),
        "--disable-sync".to_owned(),
        "--no-proxy-server".to_owned(),
        "--hide-scrollbars".to_owned(),
        "--force-device-scale-factor=1".to_owned(),
        format!("--window-size={width},{height}"),
        format!("--user-data-dir={}", profile.display()),
    ];
    let capabilities = json!({
        "browserName": "chrome",
        "pageLoadStrategy": "normal",
        "timeouts": { "pageLoad": 30_000, "script": 60_000, "implicit": 0 },
        "goog:chromeOptions": {
            "binary": running.chromium.display().to_string(),
            "args": args,
        },
    });
    let Value::Object(capabilities) = capabilities else {
        unreachable!("an object")
    };
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(capabilities)
        .connect(&running.driver.url())
        .await
        .map_err(|e| {
            fail(
                &format!(
                    "starting Chromium through chromedriver (see {})",
                    artifacts_dir().join("chromedriver.log").display()
                ),
                e,
            )
        })
}

impl Browser {
    /// Opens a path of the portal (`/zh/plans`) and waits for it to load.
    pub async fn goto(&self, path: &str) -> Result<(), Failed> {
        self.client
            .goto(&format!("{}{path}", self.base))
            .await
            .map_err(|e| fail(&format!("opening {path}"), e))
    }

    /// The current page's path, e.g. `/en/plans`.
    pub async fn path(&self) -> Result<String, Failed> {
        let url = self
            .client
            .current_url()
            .await
            .map_err(|e| fail("the current URL", e))?;
        Ok(url.path().to_owned())
    }

    /// Waits until the current page's path is `want`.
    pub async fn wait_for_path(&self, want: &str) -> Result<(), Failed> {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let path = self.path().await?;
            if path == want {
                return Ok(());
            }
            ensure!(
                Instant::now() < deadline,
                "still at {path} after 30 s, expected {want}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Clicks the first element `selector` finds.
    pub async fn click(&self, selector: &str) -> Result<(), Failed> {
        let here = self.path().await?;
        self.client
            .find(Locator::Css(selector))
            .await
            .map_err(|e| fail(&format!("{here}: `{selector}`"), e))?
            .click()
            .await
            .map_err(|e| fail(&format!("{here}: clicking `{selector}`"), e))
    }

    /// Clicks what `selector` finds and waits until a new document has loaded in its place:
    /// a form that posts back to the page it is on leaves the path as it was, so waiting for
    /// the path alone would read the old page.
    pub async fn click_to_new_page(&self, selector: &str) -> Result<(), Failed> {
        // A document's time origin is set when it is created, so a new one has another.
        const ORIGIN: &str =
            "return document.readyState === 'complete' ? performance.timeOrigin : null";
        let here = self.path().await?;
        let deadline = Instant::now() + Duration::from_secs(30);
        // The page clicked on must itself have loaded, or its own load would pass for the next.
        let before = loop {
            let origin = self.script(ORIGIN).await?;
            if !origin.is_null() {
                break origin;
            }
            ensure!(Instant::now() < deadline, "{here}: not loaded after 30 s");
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        self.click(selector).await?;
        loop {
            // While the browser is between documents a script may fail; that is "not yet".
            if let Ok(now) = self.client.execute(ORIGIN, Vec::new()).await
                && !now.is_null()
                && now != before
            {
                return Ok(());
            }
            ensure!(
                Instant::now() < deadline,
                "{here}: no new page 30 s after clicking `{selector}`"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Runs a script and returns its result.
    pub async fn script(&self, script: &str) -> Result<Value, Failed> {
        self.client
            .execute(script, Vec::new())
            .await
            .map_err(|e| fail(&format!("running `{script}`"), e))
    }

    /// The text of the page's first `h1`, which must be visible.
    pub async fn h1(&self) -> Result<String, Failed> {
        let page = self.path().await?;
        let h1 = self
            .client
            .find(Locator::Css("h1"))
            .await
            .map_err(|e| fail(&format!("{page}: an h1"), e))?;
        let shown = h1
            .is_displayed()
            .await
            .map_err(|e| fail("h1 displayed", e))?;
        ensure!(shown, "{page}: the h1 is not visible");
        let text = h1.text().await.map_err(|e| fail("h1 text", e))?;
        ensure!(!text.trim().is_empty(), "{page}: the h1 is empty");
        Ok(text)
    }

    /// Where a page type is in a language: its path, or where the first link it names leads.
    pub async fn resolve(&self, page: &Page, lang: Lang) -> Result<String, Failed> {
        let path = format!("/{}{}", lang.code(), page.path);
        let Some(selector) = page.via_first else {
            return Ok(path);
        };
        self.goto(&path).await?;
        let link = self
            .client
            .find(Locator::Css(selector))
            .await
            .map_err(|e| fail(&format!("{path}: a link `{selector}`"), e))?;
        let href = link
            .attr("href")
            .await
            .map_err(|e| fail("href", e))?
            .ok_or_else(|| format!("{path}: the `{selector}` link has no href"))?;
        ensure!(
            href.starts_with(&format!("/{}/", lang.code())),
            "{path}: the `{selector}` link leads out of the {} pages: {href}",
            lang.code()
        );
        Ok(href)
    }
}
