//! `objects`: PUT and GET throughput and latency, the server's memory while it serves them,
//! and the disk's raw write+fsync+rename rate for the same sizes.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use clap::Args;

use crate::drive::{self, Budget, Done};
use crate::server::{self, Sampler};
use crate::stats::{Throughput, load_average, mib, ms, rate, size_label};
use crate::{Result, ServerOptions, Target, disk};

#[derive(Args)]
pub struct Options {
    #[command(flatten)]
    pub server: ServerOptions,
}

const SIZES: [usize; 3] = [4 << 10, 1 << 20, 64 << 20];
const CONCURRENCY: [usize; 2] = [1, 16];

/// Operations and time per cell; the whole run stays within a few minutes on a slow disk.
fn budget(size: usize, concurrency: usize, quick: bool) -> Budget {
    let (max_ops, max_time) = match (size, concurrency) {
        (s, 1) if s <= 4 << 10 => (2000, 8),
        (s, _) if s <= 4 << 10 => (4000, 8),
        (s, 1) if s <= 1 << 20 => (300, 8),
        (s, _) if s <= 1 << 20 => (600, 8),
        (_, 1) => (6, 30),
        (_, _) => (16, 30),
    };
    let (max_ops, max_time) = if quick {
        ((max_ops / 10).max(concurrency), max_time / 4)
    } else {
        (max_ops, max_time)
    };
    Budget {
        concurrency,
        max_ops,
        max_time: Duration::from_secs(max_time),
    }
}

/// One size at one concurrency.
struct Cell {
    size: usize,
    concurrency: usize,
    raw: Throughput,
    put: Throughput,
    get: Throughput,
    put_memory: Memory,
    get_memory: Memory,
}

/// The server's memory during one measurement, in KiB.
#[derive(Default, Clone, Copy)]
struct Memory {
    sampled_peak: u64,
    hwm: Option<u64>,
}

/// Measures peak memory around one step: resets `VmHWM` and the sampler before, reads both
/// after.
struct MemoryProbe {
    pid: Option<u32>,
    sampler: Option<Sampler>,
    hwm_resets: bool,
}

impl MemoryProbe {
    fn new(pid: Option<u32>) -> MemoryProbe {
        let hwm_resets = pid.is_some_and(server::reset_peak);
        MemoryProbe {
            pid,
            sampler: pid.map(Sampler::start),
            hwm_resets,
        }
    }

    fn begin(&self) {
        if let Some(pid) = self.pid
            && self.hwm_resets
        {
            server::reset_peak(pid);
        }
        if let Some(sampler) = &self.sampler {
            sampler.take_peak();
        }
    }

    fn end(&self) -> Memory {
        let sampled_peak = self.sampler.as_ref().map_or(0, Sampler::take_peak);
        let hwm = self
            .pid
            .filter(|_| self.hwm_resets)
            .and_then(server::memory)
            .map(|(_, hwm)| hwm);
        Memory { sampled_peak, hwm }
    }
}

pub async fn run(target: &Target, _options: &Options) -> Result<()> {
    let cos = &target.cos;
    cos.create_bucket().await?;
    let load_before = load_average();
    let probe_dir = target.probe_dir()?;
    warm_up(target).await?;

    let memory = MemoryProbe::new(target.pid);
    let idle = target.pid.and_then(server::memory).map(|(rss, _)| rss);
    let mut cells = Vec::new();
    for (index, size) in SIZES.into_iter().enumerate() {
        let payload = Bytes::from(disk::payload(size, 0x9e37_79b9 + index as u64));
        for concurrency in CONCURRENCY {
            let budget = budget(size, concurrency, target.quick);
            eprintln!("{} x{concurrency}: raw disk", size_label(size));
            let raw = {
                let (dir, payload) = (probe_dir.clone(), payload.clone());
                tokio::task::spawn_blocking(move || {
                    disk::write_fsync_rename(&dir, &payload, budget)
                })
                .await??
            };

            eprintln!("{} x{concurrency}: PUT", size_label(size));
            let prefix = format!("objects/{size}/c{concurrency}");
            memory.begin();
            let (put, written) = put_cell(target, &prefix, &payload, budget).await?;
            let put_memory = memory.end();

            eprintln!("{} x{concurrency}: GET", size_label(size));
            let keys: Arc<Vec<String>> =
                Arc::new(written.iter().map(|n| format!("{prefix}/{n:06}")).collect());
            memory.begin();
            let get = get_cell(target, &keys, budget).await?;
            let get_memory = memory.end();

            delete_all(target, &keys).await?;
            cells.push(Cell {
                size,
                concurrency,
                raw,
                put,
                get,
                put_memory,
                get_memory,
            });
        }
    }
    let logged = target.check_server()?;
    let load_after = load_average();

    println!("## Object API\n");
    println!("Machine: {}.", crate::machine());
    println!("Load average (1, 5, 15 min): {load_before} before, {load_after} after.");
    if let Some(idle) = idle {
        println!("Server RSS after warm-up: {} MiB.", mib(idle));
    }
    println!("Server warnings logged during the run: {logged}.\n");
    print_tables(&cells);
    Ok(())
}

/// A few requests so that connections and the server's first allocations are not measured.
async fn warm_up(target: &Target) -> Result<()> {
    let body = Bytes::from(disk::payload(4096, 7));
    let keys: Vec<String> = (0..32).map(|n| format!("warmup/{n:03}")).collect();
    for key in &keys {
        target.cos.put(key, body.clone()).await?;
        target.cos.get(key).await?;
    }
    delete_all(target, &Arc::new(keys)).await
}

async fn put_cell(
    target: &Target,
    prefix: &str,
    payload: &Bytes,
    budget: Budget,
) -> Result<(Throughput, Vec<usize>)> {
    let (cos, prefix, payload) = (target.cos.clone(), prefix.to_string(), payload.clone());
    drive::run(budget, move |n| {
        let (cos, payload) = (cos.clone(), payload.clone());
        let key = format!("{prefix}/{n:06}");
        async move {
            let bytes = payload.len() as u64;
            let latency = cos.put(&key, payload).await?;
            Ok(Done { latency, bytes })
        }
    })
    .await
}

/// GETs cycle over the keys the PUT cell wrote, with the PUT cell's budget.
async fn get_cell(target: &Target, keys: &Arc<Vec<String>>, budget: Budget) -> Result<Throughput> {
    if keys.is_empty() {
        return Err("the PUT cell wrote nothing".into());
    }
    let (cos, keys) = (target.cos.clone(), keys.clone());
    let (throughput, _) = drive::run(budget, move |n| {
        let cos = cos.clone();
        let key = keys[n % keys.len()].clone();
        async move {
            let (latency, bytes) = cos.get(&key).await?;
            Ok(Done { latency, bytes })
        }
    })
    .await?;
    Ok(throughput)
}

/// Removes what a cell wrote, 16 at a time, so the disk holds at most one cell's objects.
async fn delete_all(target: &Target, keys: &Arc<Vec<String>>) -> Result<()> {
    let (cos, keys) = (target.cos.clone(), keys.clone());
    let budget = Budget {
        concurrency: 16,
        max_ops: keys.len(),
        max_time: Duration::from_secs(120),
    };
    drive::run(budget, move |n| {
        let cos = cos.clone();
        let key = keys[n].clone();
        async move {
            cos.delete(&key).await?;
            Ok(Done {
                latency: Duration::ZERO,
                bytes: 0,
            })
        }
    })
    .await?;
    Ok(())
}

fn print_tables(cells: &[Cell]) {
    println!("| op | size | conc | ops | MB/s | ops/s | p50 ms | p99 ms | server peak RSS MiB |");
    println!("|---|---|---|---|---|---|---|---|---|");
    for cell in cells {
        for (op, t, memory) in [
            ("PUT", &cell.put, cell.put_memory),
            ("GET", &cell.get, cell.get_memory),
        ] {
            println!(
                "| {op} | {} | {} | {} | {} | {} | {} | {} | {} |",
                size_label(cell.size),
                cell.concurrency,
                t.ops,
                rate(t.mb_per_s()),
                rate(t.ops_per_s()),
                ms(t.latencies.p50()),
                ms(t.latencies.p99()),
                memory_label(memory),
            );
        }
    }

    println!(
        "\nRaw disk, same sizes and concurrency: write (256 KiB writes), fsync, rename into a"
    );
    println!("shard directory, fsync the directory, as the server does per PUT.\n");
    println!("| size | conc | ops | MB/s | ops/s | p50 ms | p99 ms | PUT ÷ raw (MB/s) |");
    println!("|---|---|---|---|---|---|---|---|");
    for cell in cells {
        let t = &cell.raw;
        println!(
            "| {} | {} | {} | {} | {} | {} | {} | {:.2} |",
            size_label(cell.size),
            cell.concurrency,
            t.ops,
            rate(t.mb_per_s()),
            rate(t.ops_per_s()),
            ms(t.latencies.p50()),
            ms(t.latencies.p99()),
            cell.put.mb_per_s() / t.mb_per_s().max(1e-9),
        );
    }
    println!(
        "\nPeak RSS: highest VmRSS sampled every {} ms, then VmHWM (reset before each step).",
        server::SAMPLE_EVERY.as_millis()
    );
}

fn memory_label(memory: Memory) -> String {
    match memory.hwm {
        Some(hwm) => format!("{} / {}", mib(memory.sampled_peak), mib(hwm)),
        None if memory.sampled_peak > 0 => mib(memory.sampled_peak),
        None => "n/a".into(),
    }
}
