//! `batch`: a Workflow-type batch job (`POST /inventorytriggerjob`) over objects already in the
//! bucket, alone and while uploads trigger an Active workflow on another prefix, and how much
//! the batch slows those uploads' executions.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use clap::Args;
use tokio::sync::watch;

use crate::client::{Cos, JobDetail};
use crate::drive::{self, Budget, Done};
use crate::engine::{self, Image, Level, Seen, UploadLoad};
use crate::stats::{Latencies, load_average, ms, rate};
use crate::{Result, ServerOptions, Target, server};

#[derive(Args)]
pub struct Options {
    #[command(flatten)]
    pub server: ServerOptions,
    /// The ImageInspect corpus (with `clean/` and `abnormal/`).
    #[arg(long, value_name = "DIR", default_value = "/work/shared/corpus/dev")]
    corpus: PathBuf,
    /// Objects uploaded under the batch prefix before any job runs.
    #[arg(long, default_value_t = 10_000)]
    objects: usize,
    /// Concurrency of that setup upload.
    #[arg(long, default_value_t = 32)]
    setup_concurrency: usize,
    /// Uploads of each upload-triggered load.
    #[arg(long, default_value_t = 300)]
    uploads: usize,
    /// Concurrency of the upload-triggered loads.
    #[arg(long, default_value_t = 4)]
    concurrency: usize,
    /// Pause between two polls of the execution list, in milliseconds (at most 10).
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..=10))]
    poll_ms: u64,
    /// Pause between two reads of the job's detail, in milliseconds.
    #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u64).range(10..=1000))]
    job_poll_ms: u64,
}

/// Objects the batch jobs select; no workflow triggers on uploads here.
const BATCH_PREFIX: &str = "batch/";
/// The Active upload-triggered workflow's `ObjectPrefix`.
const UPLOAD_PREFIX: &str = "uploads/";
/// The longest a batch job may take before the benchmark gives up on it.
const JOB_TIMEOUT: Duration = Duration::from_secs(900);
/// The longest the setup upload may take.
const SETUP_TIMEOUT: Duration = Duration::from_secs(600);
/// Before the loaded uploads start, the batch must have finished this share of its objects
/// (so its scanner and workers are in their steady state), waiting at most [`LEAD_TIMEOUT`].
const LEAD_SHARE: f64 = 0.05;
const LEAD_TIMEOUT: Duration = Duration::from_secs(60);

/// One batch job, watched from its creation to its final state.
struct JobRun {
    last: JobDetail,
    /// From sending `POST /inventorytriggerjob` to the first detail read in a final state.
    wall: Duration,
    /// `SuccessCount` as read over time, from the job's creation.
    samples: Vec<(Instant, u64)>,
    /// Time of each `GET /inventorytriggerjob/<JobId>`.
    detail_request: Latencies,
    /// Server CPU seconds per second of the job, when its pid is known.
    server_cores: Option<f64>,
}

impl JobRun {
    fn objects_per_s(&self) -> f64 {
        self.last.success as f64 / self.wall.as_secs_f64().max(1e-9)
    }

    /// `SuccessCount` gained per second between the last read at or before `from` and the
    /// first read at or after `to`.
    fn objects_per_s_between(&self, from: Instant, to: Instant) -> Option<f64> {
        let start = self.samples.iter().rev().find(|(at, _)| *at <= from)?;
        let end = self.samples.iter().find(|(at, _)| *at >= to)?;
        let span = end.0.duration_since(start.0).as_secs_f64().max(1e-9);
        Some((end.1 - start.1) as f64 / span)
    }
}

/// An upload-triggered load and the window it ran in.
struct Loaded {
    level: Level,
    began: Instant,
    ended: Instant,
}

pub async fn run(target: &Target, options: &Options) -> Result<()> {
    let images = Arc::new(engine::pick_images(&options.corpus)?);
    let scale = |n: usize| if target.quick { (n / 10).max(1) } else { n };
    let (objects, uploads) = (scale(options.objects), scale(options.uploads));
    let cos = &target.cos;
    cos.create_bucket().await?;
    let load_before = load_average();

    // Setup: no workflow exists yet, so these uploads trigger nothing.
    eprintln!(
        "setup: {objects} objects under {BATCH_PREFIX} at concurrency {}",
        options.setup_concurrency
    );
    let setup = upload_objects(cos, &images, objects, options.setup_concurrency).await?;

    // The batch's workflow is Paused and only inspects, so objects stay where they are and
    // later uploads to the batch prefix would not trigger it.
    let inspect = "<AutoProcess>false</AutoProcess>";
    let document = engine::image_inspect_workflow("bench-batch", "Paused", BATCH_PREFIX, inspect);
    let batch_workflow = cos.create_workflow(document).await?;
    let job_poll = Duration::from_millis(options.job_poll_ms);

    // (a) The batch alone.
    eprintln!("batch alone: workflow {batch_workflow} over {BATCH_PREFIX}");
    let alone = watch_job(
        cos,
        target.pid,
        &batch_workflow,
        "bench-batch-alone",
        job_poll,
        None,
    )
    .await?;
    check_job(&alone, objects)?;

    // (b) Uploads under an Active workflow on another prefix: idle, during the batch, idle.
    let upload_workflow = cos
        .create_workflow(engine::upload_workflow_document(UPLOAD_PREFIX))
        .await?;
    let seen: Arc<Mutex<Seen>> = Arc::default();
    let load = |name: &str| UploadLoad {
        key_prefix: format!("{UPLOAD_PREFIX}{name}/"),
        concurrency: options.concurrency,
        uploads,
        poll_every: Duration::from_millis(options.poll_ms),
    };
    eprintln!(
        "{uploads} uploads at concurrency {}, idle server",
        options.concurrency
    );
    let idle_before =
        engine::run_level(cos, &upload_workflow, &seen, &images, &load("idle-1")).await?;

    eprintln!("batch again, with the same uploads once it has started");
    let (under_load, loaded) = {
        let during = load("batch");
        let run_uploads = engine::run_level(cos, &upload_workflow, &seen, &images, &during);
        batch_with_uploads(target, &batch_workflow, job_poll, objects, run_uploads).await?
    };
    check_job(&under_load, objects)?;

    eprintln!(
        "{uploads} uploads at concurrency {}, idle again",
        options.concurrency
    );
    let idle_after =
        engine::run_level(cos, &upload_workflow, &seen, &images, &load("idle-2")).await?;

    let logged = target.check_server()?;
    let load_after = load_average();
    let report = Report {
        images: &images,
        objects,
        setup,
        alone,
        under_load,
        idle_before,
        loaded,
        idle_after,
        concurrency: options.concurrency,
        load_before,
        load_after,
        logged,
    };
    report.print();
    Ok(())
}

/// Starts a batch job, and once it is under way runs `uploads` (a not yet polled upload
/// level) while the job goes on; returns the job and the level with its time window.
async fn batch_with_uploads(
    target: &Target,
    workflow_id: &str,
    job_poll: Duration,
    objects: usize,
    uploads: impl Future<Output = Result<Level>>,
) -> Result<(JobRun, Loaded)> {
    let (tx, rx) = watch::channel(JobDetail::default());
    let job = {
        let (cos, pid, workflow) = (target.cos.clone(), target.pid, workflow_id.to_string());
        tokio::spawn(async move {
            let name = "bench-batch-loaded";
            watch_job(&cos, pid, &workflow, name, job_poll, Some(tx)).await
        })
    };
    wait_for_lead(rx, objects).await?;
    let began = Instant::now();
    let level = uploads.await?;
    let loaded = Loaded {
        level,
        began,
        ended: Instant::now(),
    };
    Ok((job.await??, loaded))
}

/// Uploads `count` images cycled from `images` under [`BATCH_PREFIX`]; all must succeed.
async fn upload_objects(
    cos: &Cos,
    images: &Arc<Vec<Image>>,
    count: usize,
    concurrency: usize,
) -> Result<crate::stats::Throughput> {
    let budget = Budget {
        concurrency,
        max_ops: count,
        max_time: SETUP_TIMEOUT,
    };
    let (cos, images) = (cos.clone(), images.clone());
    let (put, _) = drive::run(budget, move |n| {
        let cos = cos.clone();
        let image = &images[n % images.len()];
        let base = image.name.rsplit('/').next().unwrap_or("image");
        let key = format!("{BATCH_PREFIX}{n:05}-{base}");
        let body: Bytes = image.bytes.clone();
        async move {
            let bytes = body.len() as u64;
            let latency = cos.put(&key, body).await?;
            Ok(Done { latency, bytes })
        }
    })
    .await?;
    if put.ops != count {
        return Err(format!("setup uploaded {} of {count} objects in time", put.ops).into());
    }
    Ok(put)
}

/// Creates a Workflow-type job over [`BATCH_PREFIX`] and reads its detail every `every` until
/// it ends, publishing each read to `progress`.
async fn watch_job(
    cos: &Cos,
    pid: Option<u32>,
    workflow_id: &str,
    name: &str,
    every: Duration,
    progress: Option<watch::Sender<JobDetail>>,
) -> Result<JobRun> {
    let document = format!(
        "<Request><Name>{name}</Name><Type>Workflow</Type>\
         <Input><Prefix>{BATCH_PREFIX}</Prefix></Input>\
         <Operation><WorkflowIds>{workflow_id}</WorkflowIds></Operation></Request>"
    );
    let cpu_before = pid.and_then(server::cpu_seconds);
    let created = Instant::now();
    let mut last = cos.create_batch_job(document).await?;
    let job_id = last.job_id.clone();
    eprintln!("job {job_id} created");
    let mut samples = vec![(created, 0)];
    let mut requests = Vec::new();
    let mut ticker = tokio::time::interval(every);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    while !last.is_final() {
        if created.elapsed() >= JOB_TIMEOUT {
            return Err(format!(
                "job {job_id} still {} after {} s ({} of {} succeeded)",
                last.state,
                JOB_TIMEOUT.as_secs(),
                last.success,
                last.selected
            )
            .into());
        }
        ticker.tick().await;
        let asked = Instant::now();
        last = cos.batch_job(&job_id).await?;
        let now = Instant::now();
        requests.push(now - asked);
        samples.push((now, last.success));
        if let Some(progress) = &progress {
            progress.send_replace(last.clone());
        }
    }
    let wall = created.elapsed();
    let cpu_after = pid.and_then(server::cpu_seconds);
    Ok(JobRun {
        last,
        wall,
        samples,
        detail_request: Latencies::new(requests),
        server_cores: cpu_before
            .zip(cpu_after)
            .map(|(before, after)| (after - before) / wall.as_secs_f64()),
    })
}

/// Waits until the job has finished [`LEAD_SHARE`] of `objects`, or ended, or
/// [`LEAD_TIMEOUT`] passed.
async fn wait_for_lead(mut progress: watch::Receiver<JobDetail>, objects: usize) -> Result<()> {
    let wanted = (objects as f64 * LEAD_SHARE).ceil() as u64;
    let reached = progress.wait_for(|d| d.success >= wanted || d.is_final());
    match tokio::time::timeout(LEAD_TIMEOUT, reached).await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(_)) => Err("the job watcher stopped before the batch got going".into()),
        Err(_) => Err(format!(
            "the batch finished fewer than {wanted} objects in {} s",
            LEAD_TIMEOUT.as_secs()
        )
        .into()),
    }
}

/// A job must end in `Success` with every object selected and succeeded.
fn check_job(job: &JobRun, objects: usize) -> Result<()> {
    let d = &job.last;
    if d.state != "Success" || d.selected != objects as u64 || d.success != d.selected {
        return Err(format!(
            "job {} ended {} with {} selected, {} succeeded, {} failed (expected {objects})",
            d.job_id, d.state, d.selected, d.success, d.failed
        )
        .into());
    }
    Ok(())
}

struct Report<'a> {
    images: &'a [Image],
    objects: usize,
    setup: crate::stats::Throughput,
    alone: JobRun,
    under_load: JobRun,
    idle_before: Level,
    loaded: Loaded,
    idle_after: Level,
    concurrency: usize,
    load_before: String,
    load_after: String,
    logged: usize,
}

impl Report<'_> {
    fn print(&self) {
        println!("## Batch jobs\n");
        println!("Machine: {}.", crate::machine());
        println!(
            "Load average (1, 5, 15 min): {} before, {} after.",
            self.load_before, self.load_after
        );
        println!("Server warnings logged during the run: {}.", self.logged);
        println!(
            "Setup: {} objects ({} images cycled) uploaded at {} /s with no workflow.\n",
            self.objects,
            self.images.len(),
            rate(self.setup.ops_per_s())
        );
        self.print_jobs();
        self.print_uploads();
    }

    fn print_jobs(&self) {
        println!(
            "| batch | selected | succeeded | failed | job wall s | objects/s | objects/s during \
             the uploads | server CPU cores | detail GET p50 / p99 ms |"
        );
        println!("|---|---|---|---|---|---|---|---|---|");
        let during = self
            .under_load
            .objects_per_s_between(self.loaded.began, self.loaded.ended);
        for (label, job, during) in [
            ("alone", &self.alone, None),
            ("with uploads", &self.under_load, during),
        ] {
            println!(
                "| {label} | {} | {} | {} | {:.1} | {} | {} | {} | {} / {} |",
                job.last.selected,
                job.last.success,
                job.last.failed,
                job.wall.as_secs_f64(),
                rate(job.objects_per_s()),
                during.map_or_else(|| "—".into(), rate),
                job.server_cores
                    .map_or_else(|| "n/a".into(), |c| format!("{c:.2}")),
                ms(job.detail_request.p50()),
                ms(job.detail_request.p99()),
            );
        }
        let finished_at = self.under_load.samples.last().map(|(at, _)| *at);
        if finished_at.is_some_and(|at| at < self.loaded.ended) {
            println!("\nThe second batch ended before the uploads did: the overlap is partial.");
        }
        println!();
    }

    fn print_uploads(&self) {
        println!(
            "Uploads at concurrency {} under an Active ImageInspect workflow on `{UPLOAD_PREFIX}`, \
             timed from each PUT's answer to its execution's Success as in `engine`.\n",
            self.concurrency
        );
        println!(
            "| load | uploads | uploads/s | PUT p50 ms | PUT p99 ms | PUT→Success p50 ms | p99 ms | \
             max ms | failed | missing | poll cycle p50 / p99 ms |"
        );
        println!("|---|---|---|---|---|---|---|---|---|---|---|");
        for (label, level) in [
            ("idle, before", &self.idle_before),
            ("during the batch", &self.loaded.level),
            ("idle, after", &self.idle_after),
        ] {
            println!(
                "| {label} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} / {} |",
                level.uploads,
                rate(level.uploads as f64 / level.upload_wall.as_secs_f64().max(1e-9)),
                ms(level.put.p50()),
                ms(level.put.p99()),
                ms(level.to_success.p50()),
                ms(level.to_success.p99()),
                ms(level.to_success.max()),
                level.failed,
                level.missing,
                ms(level.poll_cycle.p50()),
                ms(level.poll_cycle.p99()),
            );
        }
        let ratio =
            |during: Duration, idle: Duration| during.as_secs_f64() / idle.as_secs_f64().max(1e-9);
        let during = &self.loaded.level.to_success;
        let (before, after) = (&self.idle_before.to_success, &self.idle_after.to_success);
        println!(
            "\nPUT→Success during the batch ÷ idle before / after: p50 {:.2}× / {:.2}×, \
             p99 {:.2}× / {:.2}×.",
            ratio(during.p50(), before.p50()),
            ratio(during.p50(), after.p50()),
            ratio(during.p99(), before.p99()),
            ratio(during.p99(), after.p99()),
        );
    }
}
