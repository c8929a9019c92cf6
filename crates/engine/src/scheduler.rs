//! The scheduler: a bounded pool of worker threads that claim runnable tasks with leases, run
//! their nodes off any async runtime, and commit each outcome together with what it unlocks.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use bucketflow_store::{Store, StoreError, TaskRecord, now_ms};
use bucketflow_xml::Element;

use crate::callback;
use crate::delivery::{DeliveryConfig, Dispatcher};
use crate::nodes::{self, NodeLimits, NodeRun};
use crate::plan::{self, STATE_FAILED, STATE_SUCCESS, Transition};
use crate::signal::Signal;
use crate::workflow::Workflow;

/// How the scheduler runs.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// Worker threads, each running one task at a time.
    pub workers: usize,
    /// How long a claimed task stays owned before another worker may take it over.
    pub lease: Duration,
    /// How often idle workers look for expired leases.
    pub poll: Duration,
    pub limits: NodeLimits,
    pub delivery: DeliveryConfig,
}

/// A running scheduler. Dropping it does not stop the workers; call [`Engine::stop`].
pub struct Engine {
    shared: Arc<Shared>,
    workers: Mutex<Vec<JoinHandle<()>>>,
}

/// Wakes the callback senders when a commit queued deliveries.
type DeliveryWaker = Arc<Dispatcher>;

struct Shared {
    store: Arc<Store>,
    config: EngineConfig,
    dispatcher: DeliveryWaker,
    signal: Signal,
    /// Wakes the batch scanner (a job was created, or batch tasks finished).
    batch_signal: Signal,
    stopping: AtomicBool,
}

impl Engine {
    /// Starts the workers. Unfinished executions of an earlier run need nothing special: their
    /// Ready tasks are claimed as usual and their Running tasks once the old leases expire.
    pub fn start(store: Arc<Store>, config: EngineConfig) -> Engine {
        let dispatcher = Arc::new(Dispatcher::start(store.clone(), config.delivery.clone()));
        let shared = Arc::new(Shared {
            store,
            config,
            dispatcher,
            signal: Signal::default(),
            batch_signal: Signal::default(),
            stopping: AtomicBool::new(false),
        });
        let mut workers: Vec<JoinHandle<()>> = (0..shared.config.workers.max(1))
            .map(|index| {
                let shared = shared.clone();
                std::thread::Builder::new()
                    .name(format!("bucketflow-worker-{index}"))
                    .spawn(move || worker(&shared))
                    .expect("spawning a worker thread")
            })
            .collect();
        let batch = shared.clone();
        workers.push(
            std::thread::Builder::new()
                .name("bucketflow-batch".into())
                .spawn(move || batch_scanner(&batch))
                .expect("spawning the batch thread"),
        );
        Engine {
            shared,
            workers: Mutex::new(workers),
        }
    }

    /// Tells idle workers that new tasks may be runnable.
    pub fn wake(&self) {
        self.shared.wake();
    }

    /// Tells the batch scanner that a job was created or cancelled.
    pub fn wake_batch(&self) {
        self.shared.batch_signal.notify();
    }

    /// Tells the callback senders that deliveries may be due (e.g. after an operator
    /// re-queued failed ones).
    pub fn wake_deliveries(&self) {
        self.shared.dispatcher.wake();
    }

    /// Stops the workers after their current task, then the callback senders, and waits.
    pub fn stop(&self) {
        self.shared.stopping.store(true, Ordering::SeqCst);
        self.shared.wake();
        self.shared.batch_signal.notify();
        let workers = std::mem::take(&mut *self.workers.lock().unwrap_or_else(|e| e.into_inner()));
        for worker in workers {
            let _ = worker.join();
        }
        self.shared.dispatcher.stop();
    }
}

impl Shared {
    fn wake(&self) {
        self.signal.notify();
    }

    fn wait(&self, seen: u64) {
        self.signal.wait(seen, self.config.poll);
    }
}

fn worker(shared: &Shared) {
    while !shared.stopping.load(Ordering::SeqCst) {
        let seen = shared.signal.current();
        let lease_ms = shared.config.lease.as_millis() as i64;
        match shared.store.write(|tx| tx.claim_task(now_ms(), lease_ms)) {
            Ok(Some(task)) => run_task(shared, task),
            Ok(None) => shared.wait(seen),
            Err(error) => {
                tracing::warn!(%error, "claiming a task failed; retrying");
                shared.wait(seen);
            }
        }
    }
}

/// Scans batch jobs page by page, pausing while the workers have a backlog of batch tasks.
fn batch_scanner(shared: &Shared) {
    while !shared.stopping.load(Ordering::SeqCst) {
        let seen = shared.batch_signal.current();
        match crate::batch::step(&shared.store) {
            Ok(true) => shared.wake(),
            Ok(false) => shared.batch_signal.wait(seen, shared.config.poll),
            Err(error) => {
                tracing::warn!(%error, "batch scan step failed; retrying");
                shared.batch_signal.wait(seen, shared.config.poll);
            }
        }
    }
}

/// Why a task's outcome was not committed.
#[derive(Debug)]
enum CommitError {
    /// Another worker took the task over after our lease expired; its outcome wins.
    LeaseLost,
    Store(StoreError),
}

impl From<StoreError> for CommitError {
    fn from(e: StoreError) -> Self {
        CommitError::Store(e)
    }
}

fn run_task(shared: &Shared, task: TaskRecord) {
    let execution = match shared.store.read(|r| r.execution(&task.run_id)) {
        Ok(Some(execution)) => execution,
        Ok(None) | Err(_) => {
            tracing::warn!(
                run_id = task.run_id,
                node = task.node,
                "task without execution"
            );
            return;
        }
    };
    let outcome = match Workflow::from_stored(&execution.topology) {
        Ok(workflow) => {
            let run = nodes::run(
                &shared.store,
                &workflow,
                &task,
                &execution.bucket,
                &execution.object_key,
                &shared.config.limits,
            );
            commit(shared, &workflow, &task, run)
        }
        Err(error) => {
            tracing::error!(run_id = task.run_id, %error, "stored topology does not parse");
            return;
        }
    };
    match outcome {
        Ok((woke, queued)) => {
            if woke {
                shared.wake();
            }
            if queued {
                shared.dispatcher.wake();
            }
            // A finished batch task frees backlog and may finish its job.
            if !execution.job_id.is_empty() {
                shared.batch_signal.notify();
            }
        }
        Err(CommitError::LeaseLost) => {
            tracing::warn!(
                run_id = task.run_id,
                node = task.node,
                "lease lost; outcome dropped"
            );
        }
        Err(CommitError::Store(error)) => {
            // The lease will expire and the task run again.
            tracing::warn!(run_id = task.run_id, node = task.node, %error, "commit failed");
        }
    }
}

/// Commits a task's outcome, its side effect, what follows from it and the callbacks it
/// causes in one transaction. Returns whether new tasks became runnable and whether callbacks
/// were queued.
fn commit(
    shared: &Shared,
    workflow: &Workflow,
    task: &TaskRecord,
    run: NodeRun,
) -> Result<(bool, bool), CommitError> {
    let now = now_ms();
    let (woke, queued, freed) = shared.store.write(|tx| {
        // The side effect, if the node asked for one.
        let mut freed = Vec::new();
        let mut result = run.result.clone();
        if let Some(effect) = &run.effect {
            let (code, message, blobs) = nodes::apply_effect(tx, effect)?;
            freed = blobs;
            add_auto_process_result(&mut result, &code, &message);
        }

        // The task's own outcome, only if we still own it.
        let finished = TaskRecord {
            state: if run.succeeded {
                STATE_SUCCESS
            } else {
                STATE_FAILED
            }
            .to_string(),
            code: run.code.clone(),
            message: run.message.clone(),
            result: result.map(|r| r.to_compact()).unwrap_or_default(),
            ..task.clone()
        };
        if !tx.finish_task(&finished, task.attempts, now)? {
            return Err(CommitError::LeaseLost);
        }

        // What it unlocks.
        let tasks = tx.tasks(&task.run_id)?;
        let mut woke = false;
        for transition in plan::next_transitions(workflow, &tasks) {
            match transition {
                Transition::Ready(node) => {
                    tx.set_task_state(&task.run_id, &node, plan::TASK_READY, now)?;
                    woke = true;
                }
                Transition::Skip(node) => {
                    tx.set_task_state(&task.run_id, &node, plan::TASK_SKIPPED, now)?;
                }
                Transition::FinishExecution(state) => {
                    tx.finish_execution(&task.run_id, state, now)?;
                }
            }
        }

        // The callbacks this causes, in the same transaction.
        let region = &shared.config.limits.region;
        let queued = callback::enqueue(tx, workflow, &task.run_id, Some(&task.node), region, now)?;
        Ok::<_, CommitError>((woke, queued, freed))
    })?;
    for blob in freed {
        shared.store.blobs().remove(&blob);
    }
    Ok((woke, queued))
}

fn add_auto_process_result(result: &mut Option<Element>, code: &str, message: &str) {
    let auto = Element::new("AutoProcessResult")
        .child(Element::with_text("Code", code))
        .child(Element::with_text("Message", message));
    if let Some(process) = result
        .as_mut()
        .and_then(|r| r.children.iter_mut().find(|c| c.name == "ProcessResult"))
    {
        process.push(auto);
    }
}
