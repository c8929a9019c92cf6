//! `bucketflow-bench`: a signed load generator for bucketflow. It measures the object API next
//! to the raw speed of the disk underneath, the workflow engine's upload-to-Success latency
//! next to the disk's fsync latency, and batch jobs' rate and their effect on uploads. Tables
//! go to stdout as Markdown, progress to stderr.
//!
//! All traffic goes to a loopback address; every loop is bounded in count and time.

mod batch;
mod client;
mod disk;
mod drive;
mod engine;
mod objects;
mod server;
mod stats;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use crate::client::{Cos, Credentials};
use crate::server::Spawned;

pub type Error = Box<dyn std::error::Error + Send + Sync>;
pub type Result<T> = std::result::Result<T, Error>;

/// The bucket every benchmark uses.
const BUCKET: &str = "bench-1250000000";

#[derive(Parser)]
#[command(name = "bucketflow-bench", about = "Benchmarks for bucketflow")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// PUT and GET throughput and latency for 4 KiB, 1 MiB and 64 MiB objects at concurrency 1
    /// and 16, the server's memory, and the raw write+fsync+rename rate of the disk.
    Objects(objects::Options),
    /// Upload-to-Success latency and executions per second of an Active ImageInspect workflow,
    /// and the disk's fsync latency.
    Engine(engine::Options),
    /// Objects per second of a Workflow-type batch job over 10,000 stored images, alone and
    /// during uploads to an Active workflow, and how much the batch slows those uploads.
    Batch(batch::Options),
}

/// Where the server under test comes from, shared by both benchmarks.
#[derive(Args, Clone)]
pub struct ServerOptions {
    /// The `bucketflow` binary to start [default: `bucketflow` next to this executable].
    #[arg(long, value_name = "PATH")]
    server: Option<PathBuf>,
    /// Use a server already listening on this loopback address instead of starting one; its
    /// key pair comes from BUCKETFLOW_SECRET_ID / BUCKETFLOW_SECRET_KEY.
    #[arg(long, value_name = "127.0.0.1:PORT")]
    endpoint: Option<SocketAddr>,
    /// Process id of the --endpoint server, to sample its memory.
    #[arg(long, value_name = "PID", requires = "endpoint")]
    pid: Option<u32>,
    /// Directory for the server's data and the disk probes; it must be on the disk under test
    /// [default: the system temporary directory].
    #[arg(long, value_name = "DIR")]
    scratch: Option<PathBuf>,
    /// BUCKETFLOW_WORKERS for a started server [default: the server's own, one per core].
    #[arg(long, value_name = "N")]
    workers: Option<usize>,
    /// Run a tenth of the operations, for a smoke test; the figures mean little.
    #[arg(long)]
    quick: bool,
}

/// The server under test and the scratch directory beside it.
pub struct Target {
    pub cos: Cos,
    pub pid: Option<u32>,
    pub quick: bool,
    /// Kept so that the server lives as long as the target; declared before `scratch` so that
    /// it stops before its data directory is removed.
    spawned: Option<Spawned>,
    pub scratch: tempfile::TempDir,
}

impl Target {
    fn open(options: &ServerOptions) -> Result<Target> {
        let parent = options.scratch.clone().unwrap_or_else(std::env::temp_dir);
        let scratch = tempfile::Builder::new()
            .prefix("bucketflow-bench-")
            .tempdir_in(&parent)?;
        let (addr, credentials, spawned) = match options.endpoint {
            Some(addr) => {
                if !addr.ip().is_loopback() {
                    return Err(format!("--endpoint {addr} is not a loopback address").into());
                }
                (addr, credentials_from_env()?, None)
            }
            None => {
                let binary = match &options.server {
                    Some(path) => path.clone(),
                    None => sibling_server()?,
                };
                let credentials = Credentials {
                    secret_id: "AKIDbucketflowbench0000000000000000".into(),
                    secret_key: "bucketflowbenchsecretkey000000000".into(),
                };
                let data = scratch.path().join("data");
                let spawned = server::spawn(&binary, &data, &credentials, options.workers)?;
                eprintln!(
                    "started {} (pid {}) on {}, data in {}",
                    binary.display(),
                    spawned.pid(),
                    spawned.addr,
                    data.display()
                );
                (spawned.addr, credentials, Some(spawned))
            }
        };
        let pid = options.pid.or(spawned.as_ref().map(Spawned::pid));
        Ok(Target {
            cos: Cos::new(addr, BUCKET, credentials),
            pid,
            quick: options.quick,
            spawned,
            scratch,
        })
    }

    /// A directory for the disk probes, on the same file system as the server's data.
    pub fn probe_dir(&self) -> Result<PathBuf> {
        let dir = self.scratch.path().join("probe");
        std::fs::create_dir_all(&dir)?;
        Ok(dir)
    }

    /// Fails if a started server has died or logged warnings; says how many it logged.
    pub fn check_server(&self) -> Result<usize> {
        match &self.spawned {
            Some(spawned) => {
                let lines = spawned.logged_lines();
                if lines > 0 {
                    eprintln!("server log (last lines):\n{}", spawned.log_tail());
                }
                Ok(lines)
            }
            None => Ok(0),
        }
    }
}

fn credentials_from_env() -> Result<Credentials> {
    match (
        std::env::var("BUCKETFLOW_SECRET_ID"),
        std::env::var("BUCKETFLOW_SECRET_KEY"),
    ) {
        (Ok(secret_id), Ok(secret_key)) => Ok(Credentials {
            secret_id,
            secret_key,
        }),
        _ => Err("--endpoint needs BUCKETFLOW_SECRET_ID and BUCKETFLOW_SECRET_KEY".into()),
    }
}

/// `bucketflow` in the directory of this executable (the same cargo target directory).
fn sibling_server() -> Result<PathBuf> {
    let exe = std::env::current_exe()?;
    let dir = exe.parent().unwrap_or(Path::new("."));
    let path = dir.join("bucketflow");
    if path.is_file() {
        Ok(path)
    } else {
        Err(format!(
            "{} not found; build it (cargo build --release -p bucketflow-server) or pass --server",
            path.display()
        )
        .into())
    }
}

/// The machine line that heads every report.
pub fn machine() -> String {
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|text| {
            text.lines()
                .find_map(|line| line.strip_prefix("model name"))
                .map(|rest| rest.trim_start_matches([' ', '\t', ':']).to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    format!("{cores} cores ({cpu})")
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("bucketflow-bench: cannot start the runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let outcome = runtime.block_on(async {
        match cli.command {
            Command::Objects(options) => {
                let target = Target::open(&options.server)?;
                objects::run(&target, &options).await
            }
            Command::Engine(options) => {
                let target = Target::open(&options.server)?;
                engine::run(&target, &options).await
            }
            Command::Batch(options) => {
                let target = Target::open(&options.server)?;
                batch::run(&target, &options).await
            }
        }
    });
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("bucketflow-bench: {error}");
            ExitCode::FAILURE
        }
    }
}
