//! CORS for the Socket.IO endpoint (its long-polling requests are plain HTTP)
//! and the routes mounted beside it, as dialogue-ts offers: allow every
//! origin (the default, for development), a list of origins, or none.

use axum::http::{HeaderValue, Method};
use tower_http::cors::{AllowOrigin, CorsLayer};

/// Which web origins may call the server from a browser.
///
/// ```
/// use dialogue_runtime::Cors;
///
/// let production = Cors::origins(["https://app.example.com", "https://admin.example.com"]);
/// assert!(matches!(production, Cors::Origins(ref list) if list.len() == 2));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Cors {
    /// Every origin, with credentials (the request's origin is echoed): the
    /// default, convenient in development.
    #[default]
    AllowAll,
    /// These origins only (e.g. `https://app.example.com`), with credentials.
    Origins(Vec<String>),
    /// No CORS headers: browsers allow same-origin requests only.
    Disabled,
}

impl Cors {
    /// Only these origins.
    pub fn origins<I, S>(origins: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self::Origins(origins.into_iter().map(Into::into).collect())
    }

    /// Whether a WebSocket upgrade from `origin` may proceed (browsers send
    /// no CORS preflight for it, so the server checks): a request without
    /// an `Origin` (not a browser) always may, a same-origin one (its
    /// `Origin` names the `Host` it was sent to) too, else as the setting
    /// says.
    ///
    /// ```
    /// use dialogue_runtime::Cors;
    ///
    /// let cors = Cors::origins(["https://app.example.com"]);
    /// assert!(cors.allows_upgrade(None, Some("rt.example.com")));
    /// assert!(cors.allows_upgrade(Some("https://app.example.com"), Some("rt.example.com")));
    /// assert!(cors.allows_upgrade(Some("https://rt.example.com"), Some("rt.example.com")));
    /// assert!(!cors.allows_upgrade(Some("https://evil.example"), Some("rt.example.com")));
    /// assert!(!Cors::Disabled.allows_upgrade(Some("https://evil.example"), Some("rt.example.com")));
    /// assert!(Cors::AllowAll.allows_upgrade(Some("https://evil.example"), None));
    /// ```
    pub fn allows_upgrade(&self, origin: Option<&str>, host: Option<&str>) -> bool {
        let Some(origin) = origin else {
            return true;
        };
        let same_origin = host.is_some_and(|host| {
            origin
                .split_once("://")
                .is_some_and(|(_, authority)| authority.eq_ignore_ascii_case(host))
        });
        match self {
            Self::AllowAll => true,
            Self::Disabled => same_origin,
            Self::Origins(list) => same_origin || list.iter().any(|allowed| allowed == origin),
        }
    }

    /// The layer, or `None` when disabled. Origins that are not valid header
    /// values are skipped (and logged).
    pub(crate) fn layer(&self) -> Option<CorsLayer> {
        let origin = match self {
            Self::Disabled => return None,
            Self::AllowAll => AllowOrigin::mirror_request(),
            Self::Origins(list) => AllowOrigin::list(list.iter().filter_map(|origin| {
                HeaderValue::from_str(origin)
                    .inspect_err(|_| tracing::warn!(%origin, "ignoring an invalid CORS origin"))
                    .ok()
            })),
        };
        Some(
            CorsLayer::new()
                .allow_origin(origin)
                .allow_methods([Method::GET, Method::POST, Method::OPTIONS])
                .allow_headers(tower_http::cors::AllowHeaders::mirror_request())
                .allow_credentials(true),
        )
    }
}
