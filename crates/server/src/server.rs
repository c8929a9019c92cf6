//! `bucketflow serve`: configuration, the store, and the accept loop.

use std::process::ExitCode;
use std::sync::Arc;

use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tracing_subscriber::EnvFilter;

use crate::app::App;
use crate::config::{Config, FlagLayer, generated_credential};

pub fn run(flags: FlagLayer) -> ExitCode {
    init_logging();
    let mut config = match Config::load(flags) {
        Ok(config) => config,
        Err(message) => {
            eprintln!("bucketflow: configuration error: {message}");
            return ExitCode::from(2);
        }
    };
    if config.credentials.is_empty() {
        match generated_credential(&config.data_dir) {
            Ok((credential, path, created)) => {
                let verb = if created {
                    "generated"
                } else {
                    "using generated"
                };
                tracing::info!(
                    secret_id = credential.secret_id,
                    file = %path.display(),
                    "{verb} key pair (set BUCKETFLOW_SECRET_ID/BUCKETFLOW_SECRET_KEY to choose one)"
                );
                config.credentials.push(credential);
            }
            Err(error) => {
                eprintln!("bucketflow: cannot create credentials: {error}");
                return ExitCode::FAILURE;
            }
        }
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("bucketflow: cannot start the runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(serve(config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("bucketflow: {error}");
            ExitCode::FAILURE
        }
    }
}

fn init_logging() {
    let filter =
        EnvFilter::try_from_env("BUCKETFLOW_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .init();
}

async fn serve(config: Config) -> Result<(), Box<dyn std::error::Error>> {
    let _lock = lock_data_dir(&config.data_dir)?;
    let data_dir = config.data_dir.clone();
    let store = tokio::task::spawn_blocking(move || {
        let store = bucketflow_store::Store::open(&data_dir)?;
        // The data directory is locked, so any lease in it belongs to a dead process: hand
        // its tasks and deliveries straight back instead of waiting for the leases to expire.
        let released = store.write(|tx| tx.release_leases())?;
        if released > 0 {
            tracing::info!(
                released,
                "resuming tasks left running by the previous process"
            );
        }
        Ok::<_, bucketflow_store::StoreError>(store)
    })
    .await??;
    let spelling = crate::header_case::spelling_extensions().await?;
    let listener = TcpListener::bind(config.listen).await?;
    tracing::info!(
        listen = %listener.local_addr()?,
        data_dir = %config.data_dir.display(),
        region = config.region,
        keys = config.credentials.len(),
        "bucketflow serving"
    );
    let store = Arc::new(store);
    let engine = bucketflow_engine::Engine::start(store.clone(), engine_config(&config));
    let app = Arc::new(App {
        config,
        store,
        engine,
        spelling,
    });

    let shutdown = shutdown_signal();
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => accepted?,
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let app = app.clone();
        tokio::spawn(async move {
            let service = service_fn(move |request| {
                let app = app.clone();
                async move {
                    Ok::<_, std::convert::Infallible>(crate::http::serve(app, request, peer).await)
                }
            });
            let connection = hyper::server::conn::http1::Builder::new()
                .keep_alive(true)
                .serve_connection(TokioIo::new(stream), service);
            if let Err(error) = connection.await {
                tracing::debug!(%peer, %error, "connection ended with an error");
            }
        });
    }
    tracing::info!("bucketflow stopping");
    let engine_app = app.clone();
    tokio::task::spawn_blocking(move || engine_app.engine.stop()).await?;
    Ok(())
}

/// Holds an exclusive lock on the data directory for the life of the process: one server per
/// embedded store.
fn lock_data_dir(dir: &std::path::Path) -> Result<std::fs::File, Box<dyn std::error::Error>> {
    std::fs::create_dir_all(dir)?;
    let file = std::fs::File::create(dir.join("lock"))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(_) => Err(format!("{} is in use by another bucketflow process", dir.display()).into()),
    }
}

fn engine_config(config: &Config) -> bucketflow_engine::EngineConfig {
    bucketflow_engine::EngineConfig {
        workers: config.workers,
        lease: std::time::Duration::from_secs(60),
        poll: std::time::Duration::from_millis(500),
        limits: bucketflow_engine::nodes::NodeLimits {
            inspect_max_bytes: config.inspect_max_bytes,
            region: config.region.clone(),
        },
        delivery: config.callbacks.clone(),
    }
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(term) => term,
                Err(_) => return ctrl_c.await.unwrap_or(()),
            };
        tokio::select! {
            _ = ctrl_c => {},
            _ = term.recv() => {},
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}
