//! The HTTP API's key: compared in constant time, never logged.

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// The bearer key of the HTTP API (`Authorization: Bearer <key>`). Kept as
/// its SHA-256, so that comparing takes the same time whatever the length
/// and content of what a request presents.
///
/// ```
/// use dialogue_runtime::ApiKey;
///
/// let key = ApiKey::new("s3cret-key");
/// assert!(key.admits("s3cret-key"));
/// assert!(!key.admits("s3cret"));
/// assert_eq!(format!("{key:?}"), "ApiKey(..)");
/// ```
#[derive(Clone)]
pub struct ApiKey {
    hash: [u8; 32],
}

impl ApiKey {
    /// The key `key`.
    pub fn new(key: &str) -> Self {
        Self {
            hash: Sha256::digest(key.as_bytes()).into(),
        }
    }

    /// Whether `presented` is the key.
    pub fn admits(&self, presented: &str) -> bool {
        let presented: [u8; 32] = Sha256::digest(presented.as_bytes()).into();
        presented.ct_eq(&self.hash).into()
    }
}

impl std::fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ApiKey(..)")
    }
}

/// Where the HTTP API is served, and its key.
#[derive(Debug, Clone)]
pub(crate) struct HttpApi {
    pub(crate) key: ApiKey,
    /// The path it is nested at, e.g. `/api`.
    pub(crate) path: String,
}

/// Where the HTTP API is served by default.
pub const DEFAULT_API_PATH: &str = "/api";

/// Where the health probes are served; `None` switches one off.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Probes {
    pub(crate) health: Option<String>,
    pub(crate) ready: Option<String>,
}

impl Default for Probes {
    fn default() -> Self {
        Self {
            health: Some("/health".to_owned()),
            ready: Some("/ready".to_owned()),
        }
    }
}
