//! One layered configuration loader: built-in defaults, then a TOML file, then `BUCKETFLOW_*`
//! environment variables, then command-line flags. Unknown keys are errors that name the key.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use bucketflow_engine::delivery::{DeliveryConfig, RetryPolicy, TargetPolicy, TargetRule};

use serde::{Deserialize, Serialize};

/// A key pair that may sign requests.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Credential {
    pub secret_id: String,
    pub secret_key: String,
}

/// The effective configuration of `bucketflow serve`.
#[derive(Debug, Clone)]
pub struct Config {
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    /// Region reported for buckets (`x-cos-bucket-region`, `Location`).
    pub region: String,
    /// The bucket of requests whose Host names none (an IP address or a custom domain).
    pub default_bucket: Option<String>,
    /// Largest object the synchronous ImageInspect API accepts.
    pub inspect_max_bytes: u64,
    /// Largest single PUT or part.
    pub max_object_bytes: u64,
    /// Worker threads of the workflow scheduler.
    pub workers: usize,
    /// How workflow callbacks are sent: retry policy, target lists, signing secret.
    pub callbacks: DeliveryConfig,
    pub credentials: Vec<Credential>,
}

/// The TOML file's shape; every field optional so that it only overrides.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileLayer {
    listen: Option<String>,
    data_dir: Option<PathBuf>,
    region: Option<String>,
    default_bucket: Option<String>,
    inspect_max_bytes: Option<u64>,
    max_object_bytes: Option<u64>,
    workers: Option<usize>,
    callback_attempts: Option<u32>,
    callback_backoff_ms: Option<u64>,
    callback_backoff_max_ms: Option<u64>,
    callback_max_age_secs: Option<u64>,
    callback_timeout_ms: Option<u64>,
    callback_senders: Option<usize>,
    callback_allow: Option<Vec<String>>,
    callback_deny: Option<Vec<String>>,
    callback_secret: Option<String>,
    #[serde(default)]
    credentials: Vec<Credential>,
}

/// Values given on the command line.
#[derive(Debug, Default)]
pub struct FlagLayer {
    pub config: Option<PathBuf>,
    pub listen: Option<String>,
    pub data_dir: Option<PathBuf>,
}

const ENV_PREFIX: &str = "BUCKETFLOW_";
/// Every environment variable the loader reads (the file's keys, upper-cased, plus the
/// single credential pair and the config file path).
const ENV_KEYS: &[&str] = &[
    "CONFIG",
    "LISTEN",
    "DATA_DIR",
    "REGION",
    "DEFAULT_BUCKET",
    "INSPECT_MAX_BYTES",
    "MAX_OBJECT_BYTES",
    "WORKERS",
    "CALLBACK_ATTEMPTS",
    "CALLBACK_BACKOFF_MS",
    "CALLBACK_BACKOFF_MAX_MS",
    "CALLBACK_MAX_AGE_SECS",
    "CALLBACK_TIMEOUT_MS",
    "CALLBACK_SENDERS",
    "CALLBACK_ALLOW",
    "CALLBACK_DENY",
    "CALLBACK_SECRET",
    "SECRET_ID",
    "SECRET_KEY",
    "LOG",
];

impl Config {
    /// Loads the layers from the process environment and `flags`.
    pub fn load(flags: FlagLayer) -> Result<Config, String> {
        let env: Vec<(String, String)> = std::env::vars().collect();
        Config::load_from(flags, &env)
    }

    pub fn load_from(flags: FlagLayer, env: &[(String, String)]) -> Result<Config, String> {
        let env = EnvLayer::read(env)?;
        let file_path = flags
            .config
            .clone()
            .or_else(|| env.get("CONFIG").map(PathBuf::from));
        let file = match &file_path {
            Some(path) => read_file_layer(path)?,
            None => FileLayer::default(),
        };

        let callbacks = callback_config(&env, &file)?;
        let listen = flags
            .listen
            .or_else(|| env.get("LISTEN").map(str::to_string))
            .or(file.listen)
            .unwrap_or_else(|| "127.0.0.1:9000".into());
        let listen = listen
            .parse()
            .map_err(|_| format!("listen: `{listen}` is not an ADDR:PORT"))?;
        let data_dir = flags
            .data_dir
            .or_else(|| env.get("DATA_DIR").map(PathBuf::from))
            .or(file.data_dir)
            .unwrap_or_else(|| PathBuf::from("bucketflow-data"));
        let region = env
            .get("REGION")
            .map(str::to_string)
            .or(file.region)
            .unwrap_or_else(|| "ap-guangzhou".into());
        let default_bucket = env
            .get("DEFAULT_BUCKET")
            .map(str::to_string)
            .or(file.default_bucket)
            .filter(|b| !b.is_empty());
        if let Some(bucket) = &default_bucket
            && !crate::router::is_valid_bucket_name(bucket)
        {
            return Err(format!(
                "default_bucket: `{bucket}` is not a valid bucket name"
            ));
        }
        let inspect_max_bytes = env
            .number("INSPECT_MAX_BYTES")?
            .or(file.inspect_max_bytes)
            .unwrap_or(32 * 1024 * 1024);
        let max_object_bytes = env
            .number("MAX_OBJECT_BYTES")?
            .or(file.max_object_bytes)
            .unwrap_or(5 * 1024 * 1024 * 1024);

        let workers = env
            .number("WORKERS")?
            .map(|n| n as usize)
            .or(file.workers)
            .unwrap_or_else(default_workers);
        if workers == 0 {
            return Err("workers must be at least 1".into());
        }

        let mut credentials = file.credentials;
        match (env.get("SECRET_ID"), env.get("SECRET_KEY")) {
            (Some(id), Some(key)) => credentials.insert(
                0,
                Credential {
                    secret_id: id.into(),
                    secret_key: key.into(),
                },
            ),
            (None, None) => {}
            _ => {
                return Err(
                    "BUCKETFLOW_SECRET_ID and BUCKETFLOW_SECRET_KEY must be set together".into(),
                );
            }
        }
        for credential in &credentials {
            if credential.secret_id.is_empty() || credential.secret_key.is_empty() {
                return Err("credentials: secret_id and secret_key must not be empty".into());
            }
        }

        Ok(Config {
            listen,
            data_dir,
            region,
            default_bucket,
            inspect_max_bytes,
            max_object_bytes,
            workers,
            callbacks,
            credentials,
        })
    }
}

/// The callback settings: each key from the environment, else the file, else the default.
fn callback_config(env: &EnvLayer, file: &FileLayer) -> Result<DeliveryConfig, String> {
    let defaults = RetryPolicy::default();
    let millis = |key: &str, file: Option<u64>, default: Duration| -> Result<Duration, String> {
        Ok(env
            .number(key)?
            .or(file)
            .map(Duration::from_millis)
            .unwrap_or(default))
    };
    let retry = RetryPolicy {
        attempts: env
            .number("CALLBACK_ATTEMPTS")?
            .map(|n| n as u32)
            .or(file.callback_attempts)
            .unwrap_or(defaults.attempts)
            .max(1),
        initial: millis(
            "CALLBACK_BACKOFF_MS",
            file.callback_backoff_ms,
            defaults.initial,
        )?,
        ceiling: millis(
            "CALLBACK_BACKOFF_MAX_MS",
            file.callback_backoff_max_ms,
            defaults.ceiling,
        )?,
        max_age: env
            .number("CALLBACK_MAX_AGE_SECS")?
            .or(file.callback_max_age_secs)
            .map(Duration::from_secs)
            .unwrap_or(defaults.max_age),
        timeout: millis(
            "CALLBACK_TIMEOUT_MS",
            file.callback_timeout_ms,
            defaults.timeout,
        )?,
    };
    let rules = |key: &str, file: &Option<Vec<String>>| -> Result<Vec<TargetRule>, String> {
        let listed: Vec<String> = match env.get(key) {
            Some(text) => text.split(',').map(str::to_string).collect(),
            None => file.clone().unwrap_or_default(),
        };
        listed
            .iter()
            .filter(|r| !r.trim().is_empty())
            .map(|r| TargetRule::parse(r).map_err(|e| format!("{}: {e}", key.to_ascii_lowercase())))
            .collect()
    };
    Ok(DeliveryConfig {
        senders: env
            .number("CALLBACK_SENDERS")?
            .map(|n| n as usize)
            .or(file.callback_senders)
            .unwrap_or(4)
            .max(1),
        retry,
        targets: TargetPolicy {
            allow: rules("CALLBACK_ALLOW", &file.callback_allow)?,
            deny: rules("CALLBACK_DENY", &file.callback_deny)?,
        },
        secret: env
            .get("CALLBACK_SECRET")
            .map(str::to_string)
            .or_else(|| file.callback_secret.clone())
            .filter(|s| !s.is_empty()),
        poll: Duration::from_millis(500),
    })
}

/// One worker per core: ImageInspect is CPU-bound.
fn default_workers() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}

fn read_file_layer(path: &Path) -> Result<FileLayer, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("config file {}: {e}", path.display()))?;
    toml::from_str(&text).map_err(|e| format!("config file {}: {e}", path.display()))
}

/// The `BUCKETFLOW_*` variables, checked against [`ENV_KEYS`].
struct EnvLayer(Vec<(String, String)>);

impl EnvLayer {
    fn read(env: &[(String, String)]) -> Result<EnvLayer, String> {
        let mut known = Vec::new();
        for (name, value) in env {
            let Some(key) = name.strip_prefix(ENV_PREFIX) else {
                continue;
            };
            if !ENV_KEYS.contains(&key) {
                return Err(format!(
                    "unknown environment variable {name}; known: {}",
                    ENV_KEYS
                        .iter()
                        .map(|k| format!("{ENV_PREFIX}{k}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
            known.push((key.to_string(), value.clone()));
        }
        Ok(EnvLayer(known))
    }

    fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    fn number(&self, key: &str) -> Result<Option<u64>, String> {
        self.get(key)
            .map(|v| {
                v.parse()
                    .map_err(|_| format!("{ENV_PREFIX}{key}: `{v}` is not a number"))
            })
            .transpose()
    }
}

/// Loads the generated key pair of `data_dir`, creating it on first start. The file is
/// readable by its owner only.
pub fn generated_credential(data_dir: &Path) -> std::io::Result<(Credential, PathBuf, bool)> {
    let path = data_dir.join("credentials.toml");
    if let Ok(text) = std::fs::read_to_string(&path) {
        let credential: Credential = toml::from_str(&text)
            .map_err(|e| std::io::Error::other(format!("{}: {e}", path.display())))?;
        return Ok((credential, path, false));
    }
    std::fs::create_dir_all(data_dir)?;
    let credential = Credential {
        secret_id: format!("AKID{}", bucketflow_store::random_hex()),
        secret_key: bucketflow_store::random_hex(),
    };
    let text = toml::to_string(&credential).map_err(std::io::Error::other)?;
    write_private(&path, text.as_bytes())?;
    Ok((credential, path, true))
}

#[cfg(unix)]
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

#[cfg(not(unix))]
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    std::fs::write(path, bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn defaults_need_no_configuration() {
        let config = Config::load_from(FlagLayer::default(), &[]).unwrap();
        assert_eq!(config.listen.to_string(), "127.0.0.1:9000");
        assert_eq!(config.inspect_max_bytes, 32 * 1024 * 1024);
        assert!(config.credentials.is_empty());
    }

    #[test]
    fn flags_override_env_which_overrides_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("c.toml");
        std::fs::write(
            &file,
            "listen = \"127.0.0.1:1\"\nregion = \"file-region\"\n",
        )
        .unwrap();
        let vars = env(&[
            ("BUCKETFLOW_LISTEN", "127.0.0.1:2"),
            ("BUCKETFLOW_REGION", "env-region"),
        ]);
        let flags = FlagLayer {
            config: Some(file),
            listen: Some("127.0.0.1:3".into()),
            data_dir: None,
        };
        let config = Config::load_from(flags, &vars).unwrap();
        assert_eq!(config.listen.to_string(), "127.0.0.1:3");
        assert_eq!(config.region, "env-region");
    }

    #[test]
    fn unknown_file_key_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("c.toml");
        std::fs::write(&file, "listne = \"127.0.0.1:1\"\n").unwrap();
        let flags = FlagLayer {
            config: Some(file),
            ..FlagLayer::default()
        };
        let error = Config::load_from(flags, &[]).unwrap_err();
        assert!(error.contains("listne"), "{error}");
    }

    #[test]
    fn unknown_env_key_is_named() {
        let error = Config::load_from(FlagLayer::default(), &env(&[("BUCKETFLOW_LISTNE", "x")]))
            .unwrap_err();
        assert!(error.contains("BUCKETFLOW_LISTNE"), "{error}");
    }

    #[test]
    fn env_pair_comes_first_and_file_adds_more() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("c.toml");
        std::fs::write(
            &file,
            "[[credentials]]\nsecret_id = \"AKIDfile\"\nsecret_key = \"k2\"\n",
        )
        .unwrap();
        let vars = env(&[
            ("BUCKETFLOW_SECRET_ID", "AKIDenv"),
            ("BUCKETFLOW_SECRET_KEY", "k1"),
        ]);
        let flags = FlagLayer {
            config: Some(file),
            ..FlagLayer::default()
        };
        let config = Config::load_from(flags, &vars).unwrap();
        let ids: Vec<_> = config
            .credentials
            .iter()
            .map(|c| c.secret_id.as_str())
            .collect();
        assert_eq!(ids, ["AKIDenv", "AKIDfile"]);
    }

    #[test]
    fn callback_settings_come_from_env_and_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("c.toml");
        std::fs::write(
            &file,
            "callback_attempts = 3\ncallback_deny = [\"10.0.0.0/8\"]\ncallback_secret = \"s\"\n",
        )
        .unwrap();
        let vars = env(&[("BUCKETFLOW_CALLBACK_ALLOW", "127.0.0.1,*.example.com")]);
        let flags = FlagLayer {
            config: Some(file),
            ..FlagLayer::default()
        };
        let config = Config::load_from(flags, &vars).unwrap();
        assert_eq!(config.callbacks.retry.attempts, 3);
        assert_eq!(config.callbacks.targets.allow.len(), 2);
        assert_eq!(config.callbacks.targets.deny.len(), 1);
        assert_eq!(config.callbacks.secret.as_deref(), Some("s"));
    }

    #[test]
    fn a_bad_callback_rule_names_its_key() {
        let vars = env(&[("BUCKETFLOW_CALLBACK_DENY", "not a host!")]);
        let error = Config::load_from(FlagLayer::default(), &vars).unwrap_err();
        assert!(error.contains("callback_deny"), "{error}");
    }

    #[test]
    fn generated_credential_is_private_and_stable() {
        let dir = tempfile::tempdir().unwrap();
        let (first, path, created) = generated_credential(dir.path()).unwrap();
        assert!(created);
        let (second, _, created_again) = generated_credential(dir.path()).unwrap();
        assert!(!created_again);
        assert_eq!(first, second);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}
