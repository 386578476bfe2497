//! The server under test: `yrd serve` started from this very binary as a child process, on the
//! bench's database, its output kept in a log file; its memory watched from
//! `/proc/<pid>/status` (the kernel's high-water mark, and the resident size sampled every
//! 100 ms); and stopped when the run ends, fails or is interrupted, so that no server outlives
//! the bench.

use std::fs::File;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use serde::Deserialize;

use crate::commands::Database;

/// How long a server may take to answer its health check (it migrates the database first).
const START_TIMEOUT: Duration = Duration::from_secs(120);
/// How often the resident size is sampled.
const SAMPLE_EVERY: Duration = Duration::from_millis(100);
/// How long a server may take to finish after SIGTERM before it is killed.
const STOP_TIMEOUT: Duration = Duration::from_secs(10);

/// A running `yrd serve`; dropping it kills the process.
pub struct Server {
    child: Option<Child>,
    pid: u32,
    base: String,
    engine: String,
    log: PathBuf,
    watch: Arc<Watch>,
    sampler: tokio::task::JoinHandle<()>,
}

/// The largest figures seen, in KiB.
#[derive(Debug, Default)]
struct Watch {
    high_water: AtomicU64,
    resident: AtomicU64,
}

impl Watch {
    /// Reads the process's status once; false when it is gone (or there is no `/proc`).
    fn sample(&self, pid: u32) -> bool {
        let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status")) else {
            return false;
        };
        if let Some(kib) = status_kib(&status, "VmHWM:") {
            self.high_water.fetch_max(kib, Ordering::Relaxed);
        }
        if let Some(kib) = status_kib(&status, "VmRSS:") {
            self.resident.fetch_max(kib, Ordering::Relaxed);
        }
        true
    }
}

/// The server's memory over the run.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Memory {
    /// The peak resident size: the kernel's high-water mark (or the largest sample, if that
    /// was larger), in MiB; `None` where `/proc` does not tell.
    pub peak_mib: Option<f64>,
    /// The largest resident size of the 100 ms samples, in MiB.
    pub sampled_rss_mib: Option<f64>,
}

/// What `GET /api/v1/healthz` answers.
#[derive(Deserialize)]
struct Health {
    database: String,
}

impl Server {
    /// Starts `yrd serve` on `database` (with its connections), listening on `listen` (port 0:
    /// a free port), with the members' keys in `keys` and its output in `log`, and waits until
    /// it answers its health check.
    pub async fn start(
        client: &reqwest::Client,
        database: &Database,
        listen: SocketAddr,
        keys: &Path,
        log: &Path,
    ) -> anyhow::Result<Server> {
        let listen = if listen.port() == 0 {
            // The port is released just before the server takes it; nothing else on a test
            // machine races for a port the kernel has just handed out.
            std::net::TcpListener::bind(listen)
                .and_then(|l| l.local_addr())
                .with_context(|| format!("finding a free port on {}", listen.ip()))?
        } else {
            listen
        };
        let output = File::create(log).with_context(|| format!("creating {}", log.display()))?;
        let exe = std::env::current_exe().context("finding the yrd executable")?;
        let child = Command::new(exe)
            // The URL goes in the environment, not on the command line, where every user of
            // the machine would see its password.
            .env("YRD_DATABASE_URL", &database.url)
            .arg("--postgres-read-connections")
            .arg(database.connections.reads.to_string())
            .arg("--postgres-write-connections")
            .arg(database.connections.writes.to_string())
            .arg("serve")
            .arg("--listen")
            .arg(listen.to_string())
            .arg("--keys")
            .arg(keys)
            .stdin(Stdio::null())
            .stdout(
                output
                    .try_clone()
                    .context("sharing the server's log file")?,
            )
            .stderr(output)
            .spawn()
            .context("starting yrd serve")?;
        let pid = child.id();
        let watch = Arc::new(Watch::default());
        let sampler = {
            let watch = watch.clone();
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(SAMPLE_EVERY);
                loop {
                    tick.tick().await;
                    if !watch.sample(pid) {
                        break;
                    }
                }
            })
        };
        let mut server = Server {
            child: Some(child),
            pid,
            base: format!("http://{listen}"),
            engine: String::new(),
            log: log.to_owned(),
            watch,
            sampler,
        };
        server.engine = server.wait_until_healthy(client).await?;
        Ok(server)
    }

    /// Polls the health check until it answers 200; returns the engine it names.
    async fn wait_until_healthy(&mut self, client: &reqwest::Client) -> anyhow::Result<String> {
        let url = format!("{}/api/v1/healthz", self.base);
        let started = Instant::now();
        loop {
            if let Some(child) = self.child.as_mut()
                && let Some(status) = child.try_wait().context("watching the server")?
            {
                bail!(
                    "the server exited ({status}) before answering{}",
                    self.log_tail()
                );
            }
            let answer = client
                .get(&url)
                .timeout(Duration::from_secs(2))
                .send()
                .await;
            if let Ok(response) = answer
                && response.status() == reqwest::StatusCode::OK
            {
                let health: Health = response
                    .json()
                    .await
                    .context("reading the server's health check")?;
                return Ok(health.database);
            }
            if started.elapsed() > START_TIMEOUT {
                bail!(
                    "the server did not answer {url} within {START_TIMEOUT:?}{}",
                    self.log_tail()
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// `http://host:port`, without a trailing slash.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// The database engine, as the server's health check names it.
    pub fn engine(&self) -> &str {
        &self.engine
    }

    /// The last lines the server wrote, as a paragraph to append to a message; empty if it
    /// wrote nothing.
    pub fn log_tail(&self) -> String {
        const LINES: usize = 20;
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        if lines.is_empty() {
            return String::new();
        }
        let tail = &lines[lines.len().saturating_sub(LINES)..];
        format!(
            "\nthe server's last {} lines of output:\n  {}",
            tail.len(),
            tail.join("\n  ")
        )
    }

    /// Stops the server (SIGTERM, so that it finishes cleanly; killed if it takes too long)
    /// and returns its memory over the run.
    pub async fn stop(mut self) -> Memory {
        // The last look, while the process still exists.
        self.watch.sample(self.pid);
        self.sampler.abort();
        if let Some(mut child) = self.child.take() {
            terminate(&mut child).await;
        }
        let high_water = self.watch.high_water.load(Ordering::Relaxed);
        let resident = self.watch.resident.load(Ordering::Relaxed);
        let mib = |kib: u64| (kib > 0).then(|| kib as f64 / 1024.0);
        Memory {
            peak_mib: mib(high_water.max(resident)),
            sampled_rss_mib: mib(resident),
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.sampler.abort();
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Asks the server to stop and waits for it; kills it if it does not stop in time.
async fn terminate(child: &mut Child) {
    #[cfg(unix)]
    {
        // `kill` rather than a signal call: the workspace forbids unsafe code, and a signal
        // crate is not worth adding for one signal.
        let asked = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|status| status.success());
        if asked {
            let deadline = Instant::now() + STOP_TIMEOUT;
            while Instant::now() < deadline {
                if let Ok(Some(_)) = child.try_wait() {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// A `/proc/<pid>/status` figure in KiB, e.g. from the line `VmRSS:     12345 kB`.
fn status_kib(status: &str, field: &str) -> Option<u64> {
    status
        .lines()
        .find_map(|line| line.strip_prefix(field))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|number| number.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::status_kib;

    #[test]
    fn status_figures_are_read_in_kib() {
        let status = "Name:\tyrd\nVmPeak:\t  900000 kB\nVmHWM:\t   51200 kB\nVmRSS:\t   40960 kB\n";
        assert_eq!(status_kib(status, "VmHWM:"), Some(51200));
        assert_eq!(status_kib(status, "VmRSS:"), Some(40960));
        assert_eq!(status_kib(status, "VmSwap:"), None);
    }

    #[test]
    fn this_process_has_a_resident_size() {
        // The harness reads the same file of its child; on Linux it must be there.
        if cfg!(target_os = "linux") {
            let watch = super::Watch::default();
            assert!(watch.sample(std::process::id()));
            assert!(watch.high_water.load(std::sync::atomic::Ordering::Relaxed) > 0);
        }
    }
}
