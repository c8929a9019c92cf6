//! Bounded closed-loop load: `concurrency` workers take operation numbers from one counter
//! until either the count or the time budget is spent.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::Result;
use crate::stats::{Latencies, Throughput};

/// How much of one operation to run.
#[derive(Debug, Clone, Copy)]
pub struct Budget {
    pub concurrency: usize,
    pub max_ops: usize,
    /// No operation starts after this much time; those in flight finish.
    pub max_time: Duration,
}

/// What one operation did: its latency and the payload bytes it moved.
pub struct Done {
    pub latency: Duration,
    pub bytes: u64,
}

/// Runs `op(n)` for `n = 0, 1, …` within `budget`; returns the throughput and the operation
/// numbers that completed (in completion order per worker), or the first error.
pub async fn run<F, Fut>(budget: Budget, op: F) -> Result<(Throughput, Vec<usize>)>
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<Done>> + Send + 'static,
{
    let op = Arc::new(op);
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let deadline = started + budget.max_time;

    let mut workers = Vec::with_capacity(budget.concurrency);
    for _ in 0..budget.concurrency {
        let op = op.clone();
        let next = next.clone();
        workers.push(tokio::spawn(async move {
            let mut done = Vec::new();
            loop {
                let n = next.fetch_add(1, Ordering::Relaxed);
                if n >= budget.max_ops || Instant::now() >= deadline {
                    return Ok::<_, crate::Error>(done);
                }
                done.push((n, op(n).await?));
            }
        }));
    }

    let mut completed = Vec::new();
    for worker in workers {
        completed.extend(worker.await??);
    }
    let wall = started.elapsed();
    let bytes = completed.iter().map(|(_, d)| d.bytes).sum();
    let latencies = Latencies::new(completed.iter().map(|(_, d)| d.latency).collect());
    let numbers = completed.iter().map(|(n, _)| *n).collect();
    let throughput = Throughput {
        ops: latencies.len(),
        bytes,
        wall,
        latencies,
    };
    Ok((throughput, numbers))
}
