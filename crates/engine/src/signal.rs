//! A wake-up signal for pools of worker threads that otherwise poll.

use std::sync::{Condvar, Mutex};
use std::time::Duration;

/// A counter bumped on every notification, so that a thread that read the counter before
/// looking for work never sleeps through a notification sent after it looked.
#[derive(Default)]
pub struct Signal {
    counter: Mutex<u64>,
    changed: Condvar,
}

impl Signal {
    pub fn notify(&self) {
        let mut counter = self.counter.lock().unwrap_or_else(|e| e.into_inner());
        *counter = counter.wrapping_add(1);
        self.changed.notify_all();
    }

    pub fn current(&self) -> u64 {
        *self.counter.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Sleeps until a notification newer than `seen`, or `timeout`.
    pub fn wait(&self, seen: u64, timeout: Duration) {
        let counter = self.counter.lock().unwrap_or_else(|e| e.into_inner());
        if *counter == seen {
            let _ = self.changed.wait_timeout(counter, timeout);
        }
    }
}
