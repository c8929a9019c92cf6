//! The server under test: a child `bucketflow serve` on a loopback port, or one already running,
//! and a sampler of its resident memory.

use std::fs::{self, File};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::Result;
use crate::client::Credentials;

/// A `bucketflow serve` started for the run; killed when dropped.
pub struct Spawned {
    child: Child,
    pub addr: SocketAddr,
    log: PathBuf,
}

/// Starts `binary serve` on a free loopback port with `data_dir`, and waits until it accepts
/// connections (at most 20 s).
pub fn spawn(
    binary: &Path,
    data_dir: &Path,
    credentials: &Credentials,
    workers: Option<usize>,
) -> Result<Spawned> {
    let addr = free_loopback_port()?;
    fs::create_dir_all(data_dir)?;
    let log = data_dir.with_extension("log");
    let mut command = Command::new(binary);
    command
        .arg("serve")
        .arg("--listen")
        .arg(addr.to_string())
        .arg("--data-dir")
        .arg(data_dir)
        .env("BUCKETFLOW_SECRET_ID", &credentials.secret_id)
        .env("BUCKETFLOW_SECRET_KEY", &credentials.secret_key)
        .env("BUCKETFLOW_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(File::create(&log)?);
    if let Some(workers) = workers {
        command.env("BUCKETFLOW_WORKERS", workers.to_string());
    }
    let child = command
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", binary.display()))?;
    let mut spawned = Spawned { child, addr, log };

    let deadline = Instant::now() + Duration::from_secs(20);
    while TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
        if let Some(status) = spawned.child.try_wait()? {
            return Err(format!("server exited with {status}: {}", spawned.log_tail()).into());
        }
        if Instant::now() >= deadline {
            return Err(format!("server did not listen on {addr} within 20 s").into());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Ok(spawned)
}

impl Spawned {
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The last lines the server logged, for error messages.
    pub fn log_tail(&self) -> String {
        let text = fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(10)..].join("\n")
    }

    /// Warnings or errors the server logged (its log level is `warn`).
    pub fn logged_lines(&self) -> usize {
        fs::read_to_string(&self.log).map_or(0, |text| text.lines().count())
    }
}

impl Drop for Spawned {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Binds port 0 and releases it; the server binds it again a moment later.
fn free_loopback_port() -> Result<SocketAddr> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?)
}

/// `VmRSS` and `VmHWM` of a process, in KiB.
pub fn memory(pid: u32) -> Option<(u64, u64)> {
    let status = fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| {
        status
            .lines()
            .find_map(|line| line.strip_prefix(name))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|kib| kib.parse::<u64>().ok())
    };
    Some((field("VmRSS:")?, field("VmHWM:")?))
}

/// User plus system CPU time a process has used, in seconds (`/proc/<pid>/stat` fields 14 and
/// 15, counted in the USER_HZ ticks of 1/100 s that Linux uses on every common architecture).
pub fn cpu_seconds(pid: u32) -> Option<f64> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name, which may hold spaces, start with field 3 (state).
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |field: usize| fields.get(field - 3)?.parse::<u64>().ok();
    Some((ticks(14)? + ticks(15)?) as f64 / 100.0)
}

/// Resets `VmHWM` to the current RSS (Linux `clear_refs` value 5). Returns whether it worked.
pub fn reset_peak(pid: u32) -> bool {
    fs::write(format!("/proc/{pid}/clear_refs"), "5").is_ok()
}

/// Samples `VmRSS` of a process every 10 ms on its own thread, keeping the highest value
/// since the last [`Sampler::take_peak`].
pub struct Sampler {
    peak_kib: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

/// How often [`Sampler`] reads `/proc/<pid>/status`.
pub const SAMPLE_EVERY: Duration = Duration::from_millis(10);

impl Sampler {
    pub fn start(pid: u32) -> Sampler {
        let peak_kib = Arc::new(AtomicU64::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (peak_kib, stop) = (peak_kib.clone(), stop.clone());
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    if let Some((rss, _)) = memory(pid) {
                        peak_kib.fetch_max(rss, Ordering::Relaxed);
                    }
                    std::thread::sleep(SAMPLE_EVERY);
                }
            })
        };
        Sampler {
            peak_kib,
            stop,
            thread: Some(thread),
        }
    }

    /// The highest sampled RSS since the previous call, in KiB.
    pub fn take_peak(&self) -> u64 {
        self.peak_kib.swap(0, Ordering::Relaxed)
    }
}

impl Drop for Sampler {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
