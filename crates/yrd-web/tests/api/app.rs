//! A running server over a scratch database, and a client with the helpers cases use.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use libtest_mimic::Failed;
use reqwest::header::{CONTENT_TYPE, HeaderMap};
use serde_json::Value;
use tokio::net::TcpListener;
use yrd_domain::Dataset;
use yrd_store::testing::ScratchStore;
use yrd_web::AppState;

use crate::fail;
use crate::fixtures::Fixture;

pub type CaseFuture = Pin<Box<dyn Future<Output = Result<(), Failed>>>>;
pub type Case = fn(TestApp) -> CaseFuture;

/// Declares a list of cases from `async fn(TestApp) -> Result<(), Failed>` functions.
#[macro_export]
macro_rules! cases {
    ($($case:ident),+ $(,)?) => {
        pub const CASES: &[(&str, $crate::app::Case)] = &[
            $((stringify!($case), |app| Box::pin($case(app)))),+
        ];
    };
}

/// The database engine of a trial.
#[derive(Clone, Debug)]
pub enum Engine {
    Sqlite,
    Postgres(String),
}

/// What a case gets: a client for the server and the dataset the server holds.
pub struct TestApp {
    base: String,
    client: reqwest::Client,
    /// The dataset imported into the server's database.
    pub dataset: Arc<Dataset>,
    /// `sqlite` or `postgres`, as the health check names it.
    pub engine: &'static str,
    /// The server's store, for cases that break the database on purpose.
    pub store: yrd_store::Store,
    /// What another process would be given to reach the server's database.
    pub database_url: String,
    /// The server's directory of members' signing keys (temporary, empty at the start): cases
    /// make keys with `store.generate_member_key(…, &app.keys, …)`.
    pub keys: std::path::PathBuf,
}

/// A second server over a case's database, with a state of the case's own; it stops when
/// dropped.
pub struct SecondServer {
    pub app: TestApp,
    _stop: tokio::sync::oneshot::Sender<()>,
}

impl TestApp {
    /// Serves the case's database a second time, with `state` (made over `self.store`), for a
    /// case about a setting the first server does not have.
    pub async fn second_server(&self, state: AppState) -> Result<SecondServer, Failed> {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|e| fail("binding a port", e))?;
        let address = listener
            .local_addr()
            .map_err(|e| fail("local address", e))?;
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(yrd_web::serve(listener, state, async move {
            let _ = stopped.await;
        }));
        Ok(SecondServer {
            app: TestApp {
                base: format!("http://{address}"),
                client: self.client.clone(),
                dataset: self.dataset.clone(),
                engine: self.engine,
                store: self.store.clone(),
                database_url: self.database_url.clone(),
                keys: self.keys.clone(),
            },
            _stop: stop,
        })
    }
}

/// A response, read whole.
pub struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
    /// What was requested, for messages.
    pub path: String,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn json(&self) -> Result<Value, Failed> {
        serde_json::from_slice(&self.body)
            .map_err(|e| fail(&format!("{} is not JSON", self.path), e))
    }

    /// Checks a problem document: status, media type, the RFC 9457 members, and (if given)
    /// that `errors` names `field`.
    pub fn expect_problem(&self, status: u16, field: Option<&str>) -> Result<Value, Failed> {
        crate::ensure_eq!(self.status, status, "status of {}", self.path);
        crate::ensure_eq!(
            self.header("content-type"),
            Some("application/problem+json"),
            "media type of {}",
            self.path
        );
        let problem = self.json()?;
        crate::ensure_eq!(
            problem["status"],
            Value::from(status),
            "problem status of {}",
            self.path
        );
        for member in ["type", "title", "detail"] {
            crate::ensure!(
                problem[member].as_str().is_some_and(|s| !s.is_empty()),
                "{}: problem without {member}: {problem}",
                self.path
            );
        }
        if let Some(field) = field {
            let errors = problem["errors"].as_array().cloned().unwrap_or_default();
            crate::ensure!(
                errors
                    .iter()
                    .any(|e| e["field"] == field
                        && e["reason"].as_str().is_some_and(|r| !r.is_empty())),
                "{}: errors do not name {field:?}: {problem}",
                self.path
            );
        }
        Ok(problem)
    }
}

impl TestApp {
    /// GETs `path` (which starts with `/`) with extra headers.
    pub async fn get_with(&self, path: &str, headers: &[(&str, &str)]) -> Result<Reply, Failed> {
        let mut request = self.client.get(format!("{}{path}", self.base));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = request
            .send()
            .await
            .map_err(|e| fail(&format!("GET {path}"), e))?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response
            .bytes()
            .await
            .map_err(|e| fail(&format!("reading {path}"), e))?
            .to_vec();
        Ok(Reply {
            status,
            headers,
            body,
            path: path.to_owned(),
        })
    }

    pub async fn get(&self, path: &str) -> Result<Reply, Failed> {
        self.get_with(path, &[]).await
    }

    /// GETs `path`, expects 200 with a JSON body, and returns it.
    pub async fn json(&self, path: &str) -> Result<Value, Failed> {
        let reply = self.get(path).await?;
        crate::ensure!(
            reply.status == 200,
            "GET {path}: expected 200, got {}: {}",
            reply.status,
            String::from_utf8_lossy(&reply.body)
        );
        crate::ensure!(
            reply
                .header(CONTENT_TYPE.as_str())
                .is_some_and(|v| v.starts_with("application/json")),
            "GET {path}: not JSON: {:?}",
            reply.header("content-type")
        );
        reply.json()
    }

    /// Sends `method` to `path` without a body.
    pub async fn request(&self, method: reqwest::Method, path: &str) -> Result<Reply, Failed> {
        let response = self
            .client
            .request(method.clone(), format!("{}{path}", self.base))
            .send()
            .await
            .map_err(|e| fail(&format!("{method} {path}"), e))?;
        Ok(Reply {
            status: response.status().as_u16(),
            headers: response.headers().clone(),
            path: path.to_owned(),
            body: response
                .bytes()
                .await
                .map_err(|e| fail("reading", e))?
                .to_vec(),
        })
    }

    /// Sends `method` to `path` with headers and an optional body (its media type, its bytes).
    pub async fn send(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, String)],
        body: Option<(&str, Vec<u8>)>,
    ) -> Result<Reply, Failed> {
        let method = reqwest::Method::from_bytes(method.as_bytes())
            .map_err(|e| fail(&format!("method {method}"), e))?;
        let mut request = self
            .client
            .request(method.clone(), format!("{}{path}", self.base));
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        if let Some((media_type, bytes)) = body {
            request = request.header(CONTENT_TYPE, media_type).body(bytes);
        }
        let response = request
            .send()
            .await
            .map_err(|e| fail(&format!("{method} {path}"), e))?;
        Ok(Reply {
            status: response.status().as_u16(),
            headers: response.headers().clone(),
            path: format!("{method} {path}"),
            body: response
                .bytes()
                .await
                .map_err(|e| fail("reading", e))?
                .to_vec(),
        })
    }

    /// Walks every page of a paged list (`path` has a query string) and returns all items.
    pub async fn all_pages(&self, path: &str) -> Result<Vec<Value>, Failed> {
        let mut items = Vec::new();
        let mut next: Option<String> = None;
        for _ in 0..10_000 {
            let url = match &next {
                Some(cursor) => format!("{path}&cursor={cursor}"),
                None => path.to_owned(),
            };
            let page = self.json(&url).await?;
            items.extend(page["items"].as_array().cloned().unwrap_or_default());
            match page["next_cursor"].as_str() {
                Some(cursor) => next = Some(cursor.to_owned()),
                None => return Ok(items),
            }
        }
        Err("the pages never end".into())
    }
}

/// Runs one case: a scratch database with the fixture imported, a server on a free port, the
/// case, then an orderly shutdown and clean-up.
pub fn run_case(engine: Engine, fixture: Fixture, case: Case) -> Result<(), Failed> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| fail("starting a runtime", e))?;
    runtime.block_on(async move {
        let (scratch, engine_name) = match &engine {
            Engine::Sqlite => (ScratchStore::sqlite().await, "sqlite"),
            Engine::Postgres(url) => (ScratchStore::postgres(url).await, "postgres"),
        };
        let scratch = scratch.map_err(|e| fail("opening a scratch database", e))?;
        let dataset = fixture.dataset()?;
        scratch
            .store
            .import(
                &yrd_store::Author::Command {
                    command: "import".into(),
                    os_user: "api-tests".into(),
                },
                &dataset,
            )
            .await
            .map_err(|e| fail("importing the fixture", e))?;

        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|e| fail("binding a port", e))?;
        let address = listener
            .local_addr()
            .map_err(|e| fail("local address", e))?;
        let keys = tempfile::tempdir().map_err(|e| fail("making a key directory", e))?;
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        // Cases read as visitors what they have just changed, and check it: a visitor is
        // answered as new as the records here. The case about stale answers starts its own
        // server (`TestApp::second_server`).
        let server = tokio::spawn(yrd_web::serve(
            listener,
            AppState::new(scratch.store.clone())
                .with_keys(keys.path())
                .with_stale_bound(Duration::ZERO),
            async move {
                let _ = stopped.await;
            },
        ));
        let client = reqwest::Client::builder()
            // A proxy from the environment must not stand between the test and its server.
            .no_proxy()
            // Redirects (after signing in or out) are part of what cases check.
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(60))
            .build()
            .map_err(|e| fail("building a client", e))?;
        let app = TestApp {
            base: format!("http://{address}"),
            client,
            dataset,
            engine: engine_name,
            store: scratch.store.clone(),
            database_url: scratch.url.clone(),
            keys: keys.path().to_owned(),
        };
        let outcome = case(app).await;

        let _ = stop.send(());
        let served = tokio::time::timeout(Duration::from_secs(30), server).await;
        scratch
            .cleanup()
            .await
            .map_err(|e| fail("cleaning up the scratch database", e))?;
        outcome?;
        match served {
            Ok(Ok(Ok(()))) => Ok(()),
            Ok(Ok(Err(e))) => Err(fail("the server failed", e)),
            Ok(Err(e)) => Err(fail("the server task failed", e)),
            Err(_) => Err("the server did not shut down within 30 s".into()),
        }
    })
}
