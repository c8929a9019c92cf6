//! The engine against a real store: executions planned from uploads, run by the scheduler,
//! side effects applied once, and tasks of a crashed worker taken over when the lease expires.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use bucketflow_engine::delivery::{DeliveryConfig, RetryPolicy, TargetPolicy};
use bucketflow_engine::nodes::NodeLimits;
use bucketflow_engine::plan::{Transition, next_transitions};
use bucketflow_engine::workflow::Workflow;
use bucketflow_engine::{Engine, EngineConfig};
use bucketflow_store::{BucketRecord, ObjectRecord, Store, TaskRecord, now_ms};

const BUCKET: &str = "engine-1250000000";

/// A 1x1 PNG (signature, IHDR, IDAT, IEND) with a run of TS packets appended.
fn png_with_ts() -> Vec<u8> {
    let mut png = clean_png();
    for counter in 0..8u8 {
        // Sync byte, PID 0x100, payload only with a running continuity counter.
        let mut packet = vec![0xffu8; 188];
        packet[..4].copy_from_slice(&[0x47, 0x01, 0x00, 0x10 | counter]);
        png.extend(packet);
    }
    png
}

fn clean_png() -> Vec<u8> {
    fn chunk(kind: &[u8], data: &[u8]) -> Vec<u8> {
        let mut out = (data.len() as u32).to_be_bytes().to_vec();
        let mut body = kind.to_vec();
        body.extend(data);
        out.extend(&body);
        out.extend(crc32(&body).to_be_bytes());
        out
    }
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    png.extend(chunk(b"IHDR", &[0, 0, 0, 1, 0, 0, 0, 1, 8, 0, 0, 0, 0]));
    png.extend(chunk(
        b"IDAT",
        &[0x78, 0x9c, 0x63, 0x60, 0x00, 0x00, 0x00, 0x02, 0x00, 0x01],
    ));
    png.extend(chunk(b"IEND", &[]));
    png
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xffff_ffffu32;
    for byte in data {
        crc ^= u32::from(*byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn workflow(process_type: &str) -> Workflow {
    let body = common::seed_with("BackupObject", process_type);
    Workflow::parse(body.as_bytes()).expect("seed variant parses")
}

struct Fixture {
    _dir: tempfile::TempDir,
    store: Arc<Store>,
}

impl Fixture {
    fn new() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(Store::open(dir.path()).unwrap());
        store
            .write(|tx| {
                tx.create_bucket(&BucketRecord {
                    name: BUCKET.into(),
                    region: "ap-guangzhou".into(),
                    acl: "private".into(),
                    created_ms: now_ms(),
                })
            })
            .unwrap();
        Fixture { _dir: dir, store }
    }

    /// Stores `bytes` at `key` and plans one execution of `workflow` on it, as an upload would.
    fn upload(&self, key: &str, bytes: &[u8], workflow: &Workflow) -> String {
        let (temp, mut file) = self.store.blobs().create_temp().unwrap();
        std::io::Write::write_all(&mut file, bytes).unwrap();
        drop(file);
        let blob = self.store.blobs().persist(temp).unwrap();
        let object = ObjectRecord {
            bucket: BUCKET.into(),
            key: key.into(),
            blob,
            size: bytes.len() as u64,
            etag: "\"x\"".into(),
            crc64: 0,
            modified_ms: now_ms(),
            content_type: "image/png".into(),
            acl: "default".into(),
            storage_class: "STANDARD".into(),
            headers: Vec::new(),
            meta: Vec::new(),
        };
        self.store
            .write(|tx| {
                tx.put_object(&object)?;
                bucketflow_engine::trigger::start_one(tx, "wtest", workflow, &object, "")
            })
            .unwrap()
    }

    fn engine(&self, lease: Duration) -> Engine {
        Engine::start(
            self.store.clone(),
            EngineConfig {
                workers: 2,
                lease,
                poll: Duration::from_millis(20),
                limits: NodeLimits {
                    inspect_max_bytes: 32 << 20,
                    region: "ap-guangzhou".into(),
                },
                delivery: DeliveryConfig {
                    senders: 1,
                    retry: RetryPolicy::default(),
                    targets: TargetPolicy::default(),
                    secret: None,
                    poll: Duration::from_millis(20),
                },
            },
        )
    }

    /// Waits (bounded) for the execution to leave Running and returns its state and tasks.
    fn finished(&self, run_id: &str) -> (String, Vec<TaskRecord>) {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let execution = self.store.read(|r| r.execution(run_id)).unwrap().unwrap();
            if execution.state != "Running" {
                let tasks = self.store.read(|r| r.tasks(run_id)).unwrap();
                return (execution.state, tasks);
            }
            assert!(
                Instant::now() < deadline,
                "execution {run_id} did not finish"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    fn object(&self, key: &str) -> Option<ObjectRecord> {
        self.store.read(|r| r.object(BUCKET, key)).unwrap()
    }
}

#[test]
fn backup_moves_an_abnormal_image_with_its_bytes() {
    let fx = Fixture::new();
    let bytes = png_with_ts();
    let run_id = fx.upload("test/a.png", &bytes, &workflow("BackupObject"));
    let engine = fx.engine(Duration::from_secs(60));
    let (state, tasks) = fx.finished(&run_id);
    engine.stop();

    assert_eq!(state, "Success");
    assert_eq!(tasks[0].state, "Success");
    assert!(
        tasks[0]
            .result
            .contains("<SuspiciousType>MPEG-TS</SuspiciousType>"),
        "{}",
        tasks[0].result
    );
    assert!(
        tasks[0]
            .result
            .contains("<AutoProcessResult><Code>Success</Code>")
    );
    assert!(fx.object("test/a.png").is_none());
    let moved = fx
        .object("abnormal_images_backup/test/a.png")
        .expect("backup exists");
    assert_eq!(
        std::fs::read(fx.store.blobs().path(&moved.blob)).unwrap(),
        bytes
    );
}

#[test]
fn private_and_delete_act_and_clean_images_stay() {
    let fx = Fixture::new();
    let private = fx.upload(
        "test/p.png",
        &png_with_ts(),
        &workflow("SwitchObjectToPrivate"),
    );
    let deleted = fx.upload("test/d.png", &png_with_ts(), &workflow("DeleteObject"));
    let clean = fx.upload("test/c.png", &clean_png(), &workflow("DeleteObject"));
    let engine = fx.engine(Duration::from_secs(60));
    for run in [&private, &deleted, &clean] {
        assert_eq!(fx.finished(run).0, "Success");
    }
    engine.stop();

    assert_eq!(fx.object("test/p.png").unwrap().acl, "private");
    assert!(fx.object("test/d.png").is_none());
    assert_eq!(fx.object("test/c.png").unwrap().acl, "default");
}

#[test]
fn a_non_image_fails_its_execution() {
    let fx = Fixture::new();
    let run_id = fx.upload(
        "test/notes.txt",
        b"just some text",
        &workflow("DeleteObject"),
    );
    let engine = fx.engine(Duration::from_secs(60));
    let (state, tasks) = fx.finished(&run_id);
    engine.stop();
    assert_eq!(state, "Failed");
    assert_eq!(tasks[0].code, "ResourceNotSupported");
    assert!(
        fx.object("test/notes.txt").is_some(),
        "a failed inspection touches nothing"
    );
}

#[test]
fn a_task_whose_worker_died_runs_again_once_its_lease_expires() {
    let fx = Fixture::new();
    let run_id = fx.upload("test/a.png", &png_with_ts(), &workflow("BackupObject"));

    // A worker claims the task and dies without committing.
    let claimed = fx
        .store
        .write(|tx| tx.claim_task(now_ms(), 50))
        .unwrap()
        .expect("the task is claimable");
    assert_eq!(claimed.attempts, 1);

    let engine = fx.engine(Duration::from_secs(60));
    let (state, tasks) = fx.finished(&run_id);
    engine.stop();
    assert_eq!(state, "Success");
    assert_eq!(tasks[0].attempts, 2, "taken over exactly once");
    assert!(fx.object("abnormal_images_backup/test/a.png").is_some());
    assert!(
        fx.object("abnormal_images_backup/abnormal_images_backup/test/a.png")
            .is_none()
    );

    // The dead worker's late commit is refused: the task belongs to attempt 2 now.
    let late = fx
        .store
        .write(|tx| tx.finish_task(&claimed, claimed.attempts, now_ms()))
        .unwrap();
    assert!(!late);
}

#[test]
fn unfinished_executions_resume_after_a_restart() {
    let fx = Fixture::new();
    let runs: Vec<String> = (0..5)
        .map(|i| {
            fx.upload(
                &format!("test/{i}.png"),
                &png_with_ts(),
                &workflow("BackupObject"),
            )
        })
        .collect();
    // Nothing ran before the "crash"; a new engine on the same store finishes everything.
    let engine = fx.engine(Duration::from_secs(60));
    for run in &runs {
        assert_eq!(fx.finished(run).0, "Success");
    }
    engine.stop();
    for i in 0..5 {
        assert!(
            fx.object(&format!("abnormal_images_backup/test/{i}.png"))
                .is_some()
        );
    }
}

fn task(node: &str, state: &str) -> TaskRecord {
    TaskRecord {
        run_id: "i1".into(),
        node: node.into(),
        node_type: "ImageInspect".into(),
        job_id: "c1".into(),
        state: state.into(),
        created_ms: 0,
        started_ms: None,
        finished_ms: None,
        attempts: 0,
        code: String::new(),
        message: String::new(),
        result: String::new(),
    }
}

fn fan_out() -> Workflow {
    let body = common::body(
        "<Start>A,B</Start><A>End</A><B>End</B>",
        "<A><Type>ImageInspect</Type></A><B><Type>ImageInspect</Type></B>",
    );
    Workflow::parse(body.as_bytes()).expect("fan-out parses")
}

#[test]
fn an_execution_ends_only_when_every_branch_ended() {
    let wf = fan_out();
    let running = next_transitions(&wf, &[task("A", "Success"), task("B", "Running")]);
    assert!(running.is_empty(), "{running:?}");
    let done = next_transitions(&wf, &[task("A", "Success"), task("B", "Success")]);
    assert_eq!(done, [Transition::FinishExecution("Success")]);
}

#[test]
fn a_failed_branch_fails_the_execution_but_lets_the_other_finish() {
    let wf = fan_out();
    let one_failed = next_transitions(&wf, &[task("A", "Failed"), task("B", "Running")]);
    assert!(one_failed.is_empty(), "{one_failed:?}");
    let done = next_transitions(&wf, &[task("A", "Failed"), task("B", "Success")]);
    assert_eq!(done, [Transition::FinishExecution("Failed")]);
}
