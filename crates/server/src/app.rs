//! The shared state of a running server and the bridge from async handlers to the
//! blocking store.

use std::sync::Arc;

use bucketflow_store::Store;
use http::Extensions;

use crate::config::{Config, Credential};
use crate::error::{ApiError, ApiResult};

pub struct App {
    pub config: Config,
    pub store: Arc<Store>,
    pub engine: bucketflow_engine::Engine,
    /// Attached to every response so that hyper writes COS header spellings.
    pub spelling: Extensions,
}

impl App {
    pub fn secret_key(&self, secret_id: &str) -> Option<&str> {
        self.config
            .credentials
            .iter()
            .find(|c: &&Credential| c.secret_id == secret_id)
            .map(|c| c.secret_key.as_str())
    }

    /// Runs a blocking store closure off the async runtime.
    pub async fn blocking<T, F>(&self, f: F) -> ApiResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Store) -> ApiResult<T> + Send + 'static,
    {
        let store = self.store.clone();
        tokio::task::spawn_blocking(move || f(&store))
            .await
            .map_err(|e| ApiError::Internal(format!("store task failed: {e}")))?
    }
}
