//! The physical reference: what the disk under the data directory does without the server.

use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;

use crate::Result;
use crate::drive::Budget;
use crate::stats::{Latencies, Throughput};

/// The server's blob writer buffers this much between `write` calls.
const CHUNK: usize = 256 * 1024;

/// Per PUT, the server writes a temporary file, fsyncs it, renames it into a shard directory
/// and fsyncs that directory. This does the same with `payload`, `budget.concurrency` threads
/// at a time, and removes the files afterwards.
pub fn write_fsync_rename(dir: &Path, payload: &Bytes, budget: Budget) -> Result<Throughput> {
    let tmp = dir.join("tmp");
    let shards = dir.join("blobs");
    fs::create_dir_all(&tmp)?;
    for shard in 0..16 {
        fs::create_dir_all(shards.join(format!("{shard:02x}")))?;
    }
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let deadline = started + budget.max_time;

    let mut threads = Vec::new();
    for _ in 0..budget.concurrency {
        let (tmp, shards, payload, next) =
            (tmp.clone(), shards.clone(), payload.clone(), next.clone());
        threads.push(std::thread::spawn(
            move || -> std::io::Result<Vec<Duration>> {
                let mut latencies = Vec::new();
                loop {
                    let n = next.fetch_add(1, Ordering::Relaxed);
                    if n >= budget.max_ops || Instant::now() >= deadline {
                        return Ok(latencies);
                    }
                    let began = Instant::now();
                    let shard = shards.join(format!("{:02x}", n % 16));
                    let name = format!("{n:08}");
                    let temp = tmp.join(&name);
                    let mut file = File::create(&temp)?;
                    for chunk in payload.chunks(CHUNK) {
                        file.write_all(chunk)?;
                    }
                    file.sync_all()?;
                    drop(file);
                    fs::rename(&temp, shard.join(&name))?;
                    File::open(&shard)?.sync_all()?;
                    latencies.push(began.elapsed());
                }
            },
        ));
    }
    let mut latencies = Vec::new();
    for thread in threads {
        latencies.extend(thread.join().map_err(|_| "disk thread panicked")??);
    }
    let wall = started.elapsed();
    fs::remove_dir_all(&tmp)?;
    fs::remove_dir_all(&shards)?;

    Ok(Throughput {
        ops: latencies.len(),
        bytes: (latencies.len() * payload.len()) as u64,
        wall,
        latencies: Latencies::new(latencies),
    })
}

/// `count` times: append 4 KiB to one file and fsync it, as a WAL commit does.
pub fn append_fsync(dir: &Path, count: usize) -> Result<Latencies> {
    let path: PathBuf = dir.join("fsync-probe");
    let mut file = File::create(&path)?;
    let block = vec![0x5au8; 4096];
    let mut latencies = Vec::with_capacity(count);
    for _ in 0..count {
        let began = Instant::now();
        file.write_all(&block)?;
        file.sync_all()?;
        latencies.push(began.elapsed());
    }
    drop(file);
    fs::remove_file(&path)?;
    Ok(Latencies::new(latencies))
}

/// Bytes that do not compress or deduplicate (xorshift), so no layer gets them for free.
pub fn payload(size: usize, seed: u64) -> Vec<u8> {
    let mut state = seed | 1;
    let mut bytes = Vec::with_capacity(size + 8);
    while bytes.len() < size {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        bytes.extend_from_slice(&state.to_le_bytes());
    }
    bytes.truncate(size);
    bytes
}
