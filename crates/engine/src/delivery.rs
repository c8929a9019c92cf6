//! Callback delivery: sender threads take due deliveries from the outbox, POST them, and
//! record each attempt. Retryable failures come back later under an exponential backoff with
//! jitter; a receiver's 4xx is final; redirects are not followed; every attempt has a timeout;
//! a receiver with a delivery in flight is skipped so one slow receiver never holds up others.

use std::collections::HashSet;
use std::net::{IpAddr, ToSocketAddrs};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use bucketflow_store::{AttemptOutcome, DeliveryRecord, Store, now_ms};
use hmac::{Hmac, Mac};
use ipnet::IpNet;
use sha2::Sha256;

use crate::signal::Signal;

/// When and how often a failed delivery is tried again.
#[derive(Debug, Clone, PartialEq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included.
    pub attempts: u32,
    /// Delay after the first failure; it doubles after each further one.
    pub initial: Duration,
    /// Longest delay between two attempts.
    pub ceiling: Duration,
    /// A delivery older than this is not tried again.
    pub max_age: Duration,
    /// Limit on one attempt (connect, send, answer).
    pub timeout: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            attempts: 12,
            initial: Duration::from_secs(1),
            ceiling: Duration::from_secs(600),
            max_age: Duration::from_secs(24 * 3600),
            timeout: Duration::from_secs(10),
        }
    }
}

/// The result of one HTTP attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendResult {
    Status(u16),
    /// The request could not be completed (connect, timeout, reset…).
    Error(String),
    /// Not sent: the target is refused by the allow/deny lists.
    Refused(String),
}

impl RetryPolicy {
    /// The wait after `failed` failed attempts: half the exponential step, plus a random part
    /// of the other half (`jitter` in 0..1), so that receivers coming back are not stampeded.
    pub fn delay(&self, failed: u32, jitter: f64) -> Duration {
        let exponent = failed.saturating_sub(1).min(30);
        let step = self
            .initial
            .saturating_mul(1u32 << exponent)
            .min(self.ceiling);
        let half = step / 2;
        half + half.mul_f64(jitter.clamp(0.0, 1.0))
    }

    /// Decides what an attempt's result means for `delivery` (whose `attempts` counts this
    /// attempt). 2xx is delivered; 3xx (redirects are not followed) and 4xx other than 408 and
    /// 429 are final; anything else is retried while attempts and age allow.
    pub fn decide(
        &self,
        delivery: &DeliveryRecord,
        result: &SendResult,
        now_ms: i64,
        jitter: f64,
    ) -> AttemptOutcome {
        let (status, error) = match result {
            SendResult::Status(code) if (200..300).contains(code) => {
                return AttemptOutcome::Delivered { status: *code };
            }
            SendResult::Status(code) => (Some(*code), format!("receiver answered {code}")),
            SendResult::Error(error) => (None, error.clone()),
            SendResult::Refused(why) => (None, why.clone()),
        };
        let retryable = match (result, status) {
            (SendResult::Refused(_), _) => false,
            (_, None) => true,
            (_, Some(code)) => code >= 500 || code == 408 || code == 429,
        };
        let next = now_ms + self.delay(delivery.attempts, jitter).as_millis() as i64;
        let too_old = next - delivery.created_ms > self.max_age.as_millis() as i64;
        if !retryable || delivery.attempts >= self.attempts || too_old {
            let why = if !retryable {
                "not retried"
            } else {
                "retries exhausted"
            };
            return AttemptOutcome::Failed {
                status,
                error: format!("{error}; {why} after {} attempt(s)", delivery.attempts),
            };
        }
        AttemptOutcome::Retry {
            status,
            error,
            next_attempt_ms: next,
        }
    }
}

/// One allow- or deny-list entry: a host name (`*.example.com` matches its subdomains) or a
/// network (`10.0.0.0/8`, `::1/128`, or a single address).
#[derive(Debug, Clone, PartialEq)]
pub enum TargetRule {
    Host(String),
    Network(IpNet),
}

impl TargetRule {
    pub fn parse(text: &str) -> Result<TargetRule, String> {
        let text = text.trim();
        if let Ok(net) = text.parse::<IpNet>() {
            return Ok(TargetRule::Network(net));
        }
        if let Ok(ip) = text.parse::<IpAddr>() {
            return Ok(TargetRule::Network(IpNet::from(ip)));
        }
        let host = text.to_ascii_lowercase();
        let valid = !host.is_empty()
            && host
                .trim_start_matches("*.")
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.');
        if !valid {
            return Err(format!("`{text}` is neither a host name nor a network"));
        }
        Ok(TargetRule::Host(host))
    }

    fn matches(&self, host: &str, addresses: &[IpAddr]) -> bool {
        match self {
            TargetRule::Host(pattern) => match pattern.strip_prefix("*.") {
                Some(domain) => host.ends_with(&format!(".{domain}")),
                None => host == pattern,
            },
            // An IPv4-mapped IPv6 address (`::ffff:127.0.0.1`) is its IPv4 address.
            TargetRule::Network(net) => addresses
                .iter()
                .any(|ip| net.contains(ip) || net.contains(&ip.to_canonical())),
        }
    }
}

/// Which callback targets are allowed. By default everything is; a deny rule always wins;
/// a non-empty allow list admits only what it matches.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TargetPolicy {
    pub allow: Vec<TargetRule>,
    pub deny: Vec<TargetRule>,
}

impl TargetPolicy {
    /// Checks a callback URL. Names are matched as written and, for network rules, by the
    /// addresses they resolve to.
    pub fn check(&self, url: &str) -> Result<(), String> {
        let (host, port) = url_host(url).ok_or_else(|| format!("`{url}` is not an http(s) URL"))?;
        if self.allow.is_empty() && self.deny.is_empty() {
            return Ok(());
        }
        let addresses = resolve(&host, port);
        if self.deny.iter().any(|r| r.matches(&host, &addresses)) {
            return Err(format!(
                "callback host {host} is denied by callback_deny (BUCKETFLOW_CALLBACK_DENY)"
            ));
        }
        if !self.allow.is_empty() && !self.allow.iter().any(|r| r.matches(&host, &addresses)) {
            return Err(format!(
                "callback host {host} is not in callback_allow (BUCKETFLOW_CALLBACK_ALLOW)"
            ));
        }
        Ok(())
    }
}

fn resolve(host: &str, port: u16) -> Vec<IpAddr> {
    if let Ok(ip) = host.trim_matches(['[', ']']).parse::<IpAddr>() {
        return vec![ip];
    }
    (host, port)
        .to_socket_addrs()
        .map(|addrs| addrs.map(|a| a.ip()).collect())
        .unwrap_or_default()
}

/// The lower-cased host and port of an http(s) URL.
fn url_host(url: &str) -> Option<(String, u16)> {
    let (scheme, rest) = url.split_once("://")?;
    let default_port = match scheme.to_ascii_lowercase().as_str() {
        "http" => 80,
        "https" => 443,
        _ => return None,
    };
    let authority = rest.split(['/', '?', '#']).next()?;
    let authority = authority.rsplit_once('@').map_or(authority, |(_, a)| a);
    let (host, port) = match authority.rsplit_once(':') {
        Some((host, port)) if !host.ends_with(']') || authority.starts_with('[') => {
            match port.parse::<u16>() {
                Ok(port) => (host, port),
                Err(_) => (authority, default_port),
            }
        }
        _ => (authority, default_port),
    };
    if host.is_empty() {
        return None;
    }
    Some((host.to_ascii_lowercase(), port))
}

/// How callbacks are sent.
#[derive(Debug, Clone)]
pub struct DeliveryConfig {
    pub senders: usize,
    pub retry: RetryPolicy,
    pub targets: TargetPolicy,
    /// When set, each delivery carries `x-bucketflow-signature: t=<unix>,v1=<hex>` with
    /// v1 = HMAC-SHA256(secret, "<t>.<body>").
    pub secret: Option<String>,
    pub poll: Duration,
}

/// The running sender threads.
pub struct Dispatcher {
    shared: Arc<Shared>,
    threads: Mutex<Vec<JoinHandle<()>>>,
}

struct Shared {
    store: Arc<Store>,
    config: DeliveryConfig,
    agent: ureq::Agent,
    signal: Signal,
    stopping: AtomicBool,
    /// Receivers (scheme, host, port) with an attempt in flight.
    busy: Mutex<HashSet<String>>,
}

impl Dispatcher {
    pub fn start(store: Arc<Store>, config: DeliveryConfig) -> Dispatcher {
        let agent = ureq::Agent::config_builder()
            .timeout_global(Some(config.retry.timeout))
            .max_redirects(0)
            .http_status_as_error(false)
            .build()
            .new_agent();
        let shared = Arc::new(Shared {
            store,
            agent,
            signal: Signal::default(),
            stopping: AtomicBool::new(false),
            busy: Mutex::new(HashSet::new()),
            config,
        });
        let threads = (0..shared.config.senders.max(1))
            .map(|index| {
                let shared = shared.clone();
                std::thread::Builder::new()
                    .name(format!("bucketflow-callback-{index}"))
                    .spawn(move || sender(&shared))
                    .expect("spawning a callback thread")
            })
            .collect();
        Dispatcher {
            shared,
            threads: Mutex::new(threads),
        }
    }

    pub fn wake(&self) {
        self.shared.signal.notify();
    }

    pub fn stop(&self) {
        self.shared.stopping.store(true, Ordering::SeqCst);
        self.shared.signal.notify();
        let threads = std::mem::take(&mut *self.threads.lock().unwrap_or_else(|e| e.into_inner()));
        for thread in threads {
            let _ = thread.join();
        }
    }
}

/// The receiver a URL points at, `host:port`: deliveries to one receiver go one at a time.
pub fn receiver_key(url: &str) -> String {
    url_host(url).map_or_else(|| url.to_string(), |(h, p)| format!("{h}:{p}"))
}

fn sender(shared: &Shared) {
    while !shared.stopping.load(Ordering::SeqCst) {
        let seen = shared.signal.current();
        let lease_ms = shared.config.retry.timeout.as_millis() as i64 + 30_000;
        let claimed = {
            // Hold the busy set across the claim so two senders never pick one receiver.
            let mut busy = shared.busy.lock().unwrap_or_else(|e| e.into_inner());
            let busy_list: Vec<String> = busy.iter().cloned().collect();
            let claimed = shared
                .store
                .write(|tx| tx.claim_delivery(now_ms(), lease_ms, &busy_list));
            if let Ok(Some(delivery)) = &claimed {
                busy.insert(delivery.receiver.clone());
            }
            claimed
        };
        match claimed {
            Ok(Some(delivery)) => {
                attempt(shared, &delivery);
                let key = receiver_key(&delivery.url);
                shared
                    .busy
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .remove(&key);
                // Another receiver's delivery may have been skipped while this one was busy.
                shared.signal.notify();
            }
            Ok(None) => shared.signal.wait(seen, shared.config.poll),
            Err(error) => {
                tracing::warn!(%error, "claiming a callback delivery failed");
                shared.signal.wait(seen, shared.config.poll);
            }
        }
    }
}

fn attempt(shared: &Shared, delivery: &DeliveryRecord) {
    let result = match shared.config.targets.check(&delivery.url) {
        Ok(()) => send(shared, delivery),
        Err(why) => SendResult::Refused(why),
    };
    let outcome = shared
        .config
        .retry
        .decide(delivery, &result, now_ms(), jitter());
    if let AttemptOutcome::Failed { status, error } = &outcome {
        tracing::warn!(
            delivery_id = delivery.delivery_id,
            run_id = delivery.run_id,
            event = delivery.event,
            status = status.unwrap_or(0),
            error,
            "callback delivery gave up"
        );
    }
    let recorded = shared.store.write(|tx| {
        tx.record_attempt(&delivery.delivery_id, delivery.attempts, &outcome, now_ms())
    });
    if let Err(error) = recorded {
        tracing::warn!(
            delivery_id = delivery.delivery_id,
            %error,
            "recording a callback attempt failed"
        );
    }
}

fn send(shared: &Shared, delivery: &DeliveryRecord) -> SendResult {
    let mut request = shared
        .agent
        .post(&delivery.url)
        .header("Content-Type", &delivery.content_type)
        .header("x-bucketflow-delivery-id", &delivery.delivery_id)
        .header("x-bucketflow-event", &delivery.event);
    if let Some(secret) = &shared.config.secret {
        request = request.header(
            "x-bucketflow-signature",
            &signature_header(secret, now_ms() / 1000, &delivery.body),
        );
    }
    match request.send(&delivery.body[..]) {
        Ok(response) => SendResult::Status(response.status().as_u16()),
        Err(error) => SendResult::Error(error.to_string()),
    }
}

/// `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`.
pub fn signature_header(secret: &str, unix_secs: i64, body: &[u8]) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(unix_secs.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!(
        "t={unix_secs},v1={}",
        hex::encode(mac.finalize().into_bytes())
    )
}

fn jitter() -> f64 {
    let hex = bucketflow_store::random_hex();
    let value = u32::from_str_radix(&hex[..8], 16).unwrap_or(0);
    f64::from(value) / f64::from(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn delivery(attempts: u32, created_ms: i64) -> DeliveryRecord {
        DeliveryRecord {
            delivery_id: "d1".into(),
            run_id: "i1".into(),
            event: "TaskFinish".into(),
            url: "http://127.0.0.1:1/cb".into(),
            receiver: "127.0.0.1:1".into(),
            content_type: "application/xml".into(),
            body: Vec::new(),
            state: "Sending".into(),
            created_ms,
            next_attempt_ms: created_ms,
            attempts,
            last_status: None,
            last_error: String::new(),
            finished_ms: None,
        }
    }

    fn policy() -> RetryPolicy {
        RetryPolicy {
            attempts: 5,
            initial: Duration::from_secs(1),
            ceiling: Duration::from_secs(8),
            max_age: Duration::from_secs(3600),
            timeout: Duration::from_secs(1),
        }
    }

    #[test]
    fn backoff_doubles_up_to_the_ceiling_with_jitter_in_the_upper_half() {
        let p = policy();
        assert_eq!(p.delay(1, 0.0), Duration::from_millis(500));
        assert_eq!(p.delay(1, 1.0), Duration::from_secs(1));
        assert_eq!(p.delay(2, 0.0), Duration::from_secs(1));
        assert_eq!(p.delay(3, 1.0), Duration::from_secs(4));
        assert_eq!(
            p.delay(10, 1.0),
            Duration::from_secs(8),
            "capped by the ceiling"
        );
        assert_eq!(p.delay(10, 0.0), Duration::from_secs(4));
    }

    #[test]
    fn server_errors_and_timeouts_are_retried_at_the_backoff_time() {
        let p = policy();
        let now = 1_000_000;
        for result in [
            SendResult::Status(503),
            SendResult::Error("timed out".into()),
        ] {
            match p.decide(&delivery(2, now), &result, now, 0.0) {
                AttemptOutcome::Retry {
                    next_attempt_ms, ..
                } => {
                    assert_eq!(next_attempt_ms, now + 1000);
                }
                other => panic!("{result:?} should be retried, got {other:?}"),
            }
        }
    }

    #[test]
    fn client_errors_redirects_and_refused_targets_are_final() {
        let p = policy();
        for result in [
            SendResult::Status(404),
            SendResult::Status(302),
            SendResult::Refused("denied".into()),
        ] {
            assert!(
                matches!(
                    p.decide(&delivery(1, 0), &result, 0, 0.5),
                    AttemptOutcome::Failed { .. }
                ),
                "{result:?}"
            );
        }
        assert!(matches!(
            p.decide(&delivery(1, 0), &SendResult::Status(429), 0, 0.5),
            AttemptOutcome::Retry { .. }
        ));
    }

    #[test]
    fn retries_stop_after_the_attempt_budget_or_the_age_limit() {
        let p = policy();
        let exhausted = p.decide(&delivery(5, 0), &SendResult::Status(500), 0, 0.0);
        assert!(matches!(exhausted, AttemptOutcome::Failed { .. }));
        let hour = 3_600_000;
        let too_old = p.decide(&delivery(2, 0), &SendResult::Status(500), hour, 0.0);
        assert!(matches!(too_old, AttemptOutcome::Failed { .. }));
    }

    #[test]
    fn success_is_any_2xx() {
        let outcome = policy().decide(&delivery(1, 0), &SendResult::Status(204), 0, 0.0);
        assert_eq!(outcome, AttemptOutcome::Delivered { status: 204 });
    }

    #[test]
    fn target_lists_deny_first_then_allow() {
        let policy = TargetPolicy {
            allow: vec![
                TargetRule::parse("127.0.0.0/8").unwrap(),
                TargetRule::parse("*.example.com").unwrap(),
            ],
            deny: vec![TargetRule::parse("127.0.0.2").unwrap()],
        };
        assert!(policy.check("http://127.0.0.1:8080/cb").is_ok());
        assert!(policy.check("https://hooks.example.com/x").is_ok());
        assert!(
            policy
                .check("http://127.0.0.2/cb")
                .unwrap_err()
                .contains("denied")
        );
        assert!(
            policy
                .check("http://10.1.2.3/cb")
                .unwrap_err()
                .contains("callback_allow")
        );
        assert!(TargetPolicy::default().check("http://anything:1/").is_ok());
        assert!(TargetRule::parse("bad host!").is_err());
    }

    #[test]
    fn signatures_cover_the_timestamp_and_body() {
        let header = signature_header("secret", 1_700_000_000, b"<Response/>");
        assert!(header.starts_with("t=1700000000,v1="));
        assert_ne!(
            header,
            signature_header("secret", 1_700_000_001, b"<Response/>")
        );
        assert_ne!(
            header,
            signature_header("other", 1_700_000_000, b"<Response/>")
        );
    }
}
