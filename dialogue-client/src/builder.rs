//! Connection options and the connect entry point.

use std::time::Duration;

use hyper::Uri;
use serde_json::Value;

use crate::{Client, Error, Transport, packet::DEFAULT_NAMESPACE, transport::Endpoint};

/// The default Engine.IO path, as with socket.io-client.
const DEFAULT_PATH: &str = "/socket.io/";

/// The default time allowed for [`ClientBuilder::connect`].
const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Options for a connection; finish with [`ClientBuilder::connect`].
///
/// The URL is the server's base URL, `http://host:port` (or `ws://host:port`; TLS is not
/// supported). As with socket.io-client, a path in the URL selects the namespace
/// (`http://host:port/admin` connects to `/admin`) and a query string is sent along with
/// every Engine.IO request.
#[derive(Debug, Clone)]
pub struct ClientBuilder {
    url: String,
    transport: Transport,
    auth: Option<Value>,
    path: String,
    namespace: Option<String>,
    connect_timeout: Duration,
}

impl ClientBuilder {
    /// Starts a builder for the server at `url`, with the defaults: WebSocket transport,
    /// path `/socket.io/`, namespace `/`, no auth, a 10 s connect timeout.
    pub fn new(url: impl Into<String>) -> Self {
        ClientBuilder {
            url: url.into(),
            transport: Transport::default(),
            auth: None,
            path: DEFAULT_PATH.to_owned(),
            namespace: None,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
        }
    }

    /// Chooses the transport: [`Transport::WebSocket`] (default) or [`Transport::Polling`].
    pub fn transport(mut self, transport: Transport) -> Self {
        self.transport = transport;
        self
    }

    /// Sets the handshake `auth` payload sent in the namespace CONNECT packet
    /// (`40{...}`). The protocol expects a JSON object; other values are sent as they are,
    /// and a server will normally refuse them.
    pub fn auth(mut self, auth: Value) -> Self {
        self.auth = Some(auth);
        self
    }

    /// Sets the Engine.IO path (default `/socket.io/`); a leading and a trailing `/` are
    /// added when missing, as socket.io-client does.
    pub fn path(mut self, path: impl Into<String>) -> Self {
        self.path = path.into();
        self
    }

    /// Sets the namespace (default `/`, or the URL's path); a leading `/` is added when
    /// missing.
    pub fn namespace(mut self, namespace: impl Into<String>) -> Self {
        self.namespace = Some(namespace.into());
        self
    }

    /// Bounds the whole connection (Engine.IO handshake plus namespace CONNECT); past it
    /// [`connect`](Self::connect) fails with [`Error::ConnectTimeout`].
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Opens the Engine.IO session, joins the namespace and returns the connected client.
    ///
    /// Fails with [`Error::ConnectRefused`] when the server answers with a CONNECT_ERROR
    /// (for instance a connect middleware returning an error), with
    /// [`Error::ConnectTimeout`] when it takes too long, and with a transport error when
    /// the server cannot be reached.
    pub async fn connect(self) -> Result<Client, Error> {
        let (endpoint, url_namespace) = parse_url(&self.url, &self.path)?;
        let namespace = normalize_namespace(
            self.namespace
                .or(url_namespace)
                .unwrap_or_else(|| DEFAULT_NAMESPACE.to_owned()),
        );
        let timeout = self.connect_timeout;
        let connecting = Client::establish(self.transport, endpoint, namespace, self.auth);
        tokio::time::timeout(timeout, connecting)
            .await
            .map_err(|_| Error::ConnectTimeout(timeout))?
    }
}

/// Splits the server URL into the Engine.IO endpoint and the namespace its path names.
fn parse_url(url: &str, path: &str) -> Result<(Endpoint, Option<String>), Error> {
    let invalid = |reason: &str| Error::InvalidUrl {
        url: url.to_owned(),
        reason: reason.to_owned(),
    };
    let uri: Uri = url.parse().map_err(|err| invalid(&format!("{err}")))?;
    match uri.scheme_str() {
        Some("http" | "ws") => {}
        Some("https" | "wss") => return Err(invalid("TLS (https, wss) is not supported")),
        Some(_) => return Err(invalid("the scheme must be http or ws")),
        None => return Err(invalid("missing scheme, expected http://host:port")),
    }
    let authority = uri
        .authority()
        .ok_or_else(|| invalid("missing host"))?
        .as_str()
        .to_owned();
    let namespace = match uri.path() {
        "" | "/" => None,
        other => Some(other.to_owned()),
    };
    let endpoint = Endpoint {
        authority,
        path: normalize_path(path),
        query: uri.query().map(str::to_owned),
    };
    Ok((endpoint, namespace))
}

fn normalize_path(path: &str) -> String {
    let trimmed = path.trim_matches('/');
    if trimmed.is_empty() {
        "/".to_owned()
    } else {
        format!("/{trimmed}/")
    }
}

fn normalize_namespace(namespace: String) -> String {
    if namespace.starts_with('/') {
        namespace
    } else {
        format!("/{namespace}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_urls() {
        let (endpoint, ns) = parse_url("http://127.0.0.1:3000", "/socket.io/").unwrap();
        assert_eq!(endpoint.authority, "127.0.0.1:3000");
        assert_eq!(endpoint.path, "/socket.io/");
        assert_eq!(endpoint.query, None);
        assert_eq!(ns, None);

        let (endpoint, ns) = parse_url("ws://localhost:1/admin?token=a", "io").unwrap();
        assert_eq!(endpoint.authority, "localhost:1");
        assert_eq!(endpoint.path, "/io/");
        assert_eq!(endpoint.query.as_deref(), Some("token=a"));
        assert_eq!(ns.as_deref(), Some("/admin"));
    }

    #[test]
    fn rejects_bad_urls() {
        for url in [
            "",
            "127.0.0.1:3000",
            "https://x",
            "wss://x",
            "ftp://x",
            "http://",
        ] {
            assert!(
                matches!(parse_url(url, "/"), Err(Error::InvalidUrl { .. })),
                "{url}"
            );
        }
    }

    #[test]
    fn normalizes() {
        assert_eq!(normalize_path("/socket.io"), "/socket.io/");
        assert_eq!(normalize_path("socket.io/"), "/socket.io/");
        assert_eq!(normalize_path(""), "/");
        assert_eq!(normalize_namespace("admin".into()), "/admin");
        assert_eq!(normalize_namespace("/".into()), "/");
    }
}
