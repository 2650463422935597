//! Built-in authentication with JSON Web Tokens from the handshake's
//! `auth.token`: the signature is checked with one algorithm only (so `none`
//! and algorithm confusion are refused), `exp` and `nbf` with a small leeway,
//! and `sub` becomes the user id.

use std::time::Duration;

use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::Value;

use crate::control::hooks::{Handshake, HookError, Identity};
use crate::rules::MAX_NAME_LEN;

/// The leeway on `exp` and `nbf` by default: clocks are never quite in step.
pub const DEFAULT_LEEWAY: Duration = Duration::from_secs(30);

/// Why a token was refused. The message is what the client's
/// `connect_error` says.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JwtError {
    /// No `auth.token`.
    #[error("authentication required: send a JWT as auth.token")]
    Missing,
    /// Not a JWT, or a header or claims that do not read.
    #[error("invalid token")]
    Malformed,
    /// Signed with another algorithm than the server accepts (`none`
    /// included).
    #[error("invalid token: wrong algorithm")]
    WrongAlgorithm,
    /// The signature does not match.
    #[error("invalid token: bad signature")]
    BadSignature,
    /// Past `exp`.
    #[error("token expired")]
    Expired,
    /// Before `nbf`.
    #[error("token not yet valid")]
    NotYetValid,
    /// Wrong `iss` or `aud`.
    #[error("invalid token: wrong issuer or audience")]
    WrongIssuerOrAudience,
    /// A required claim is missing or has the wrong type.
    #[error("invalid token: claim `{0}` is missing or invalid")]
    Claim(String),
}

/// Why a key could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {kind} public key: {reason}")]
pub struct JwtKeyError {
    kind: &'static str,
    reason: String,
}

/// Verifies JWTs for the `authenticate` step.
///
/// ```
/// use std::time::Duration;
///
/// use dialogue_runtime::JwtAuth;
///
/// let jwt = JwtAuth::hs256("a long random secret")
///     .leeway(Duration::from_secs(5))
///     .issuer("https://auth.example.com");
/// assert!(jwt.verify("not.a.token").is_err());
/// ```
#[derive(Clone)]
pub struct JwtAuth {
    key: DecodingKey,
    validation: Validation,
}

impl std::fmt::Debug for JwtAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwtAuth")
            .field("algorithms", &self.validation.algorithms)
            .field("leeway", &self.validation.leeway)
            .finish_non_exhaustive()
    }
}

impl JwtAuth {
    /// HMAC with SHA-256 and a shared secret.
    pub fn hs256(secret: impl AsRef<[u8]>) -> Self {
        Self::with(DecodingKey::from_secret(secret.as_ref()), Algorithm::HS256)
    }

    /// RSA with SHA-256, with the issuer's public key in PEM.
    pub fn rs256_pem(public_key: &[u8]) -> Result<Self, JwtKeyError> {
        let key = DecodingKey::from_rsa_pem(public_key).map_err(|e| JwtKeyError {
            kind: "RSA",
            reason: e.to_string(),
        })?;
        Ok(Self::with(key, Algorithm::RS256))
    }

    /// ECDSA on P-256 with SHA-256, with the issuer's public key in PEM.
    pub fn es256_pem(public_key: &[u8]) -> Result<Self, JwtKeyError> {
        let key = DecodingKey::from_ec_pem(public_key).map_err(|e| JwtKeyError {
            kind: "EC",
            reason: e.to_string(),
        })?;
        Ok(Self::with(key, Algorithm::ES256))
    }

    fn with(key: DecodingKey, algorithm: Algorithm) -> Self {
        // One algorithm only: a token claiming any other (`none`, or HS256
        // signed with an RSA public key) is refused.
        let mut validation = Validation::new(algorithm);
        validation.validate_nbf = true;
        validation.leeway = DEFAULT_LEEWAY.as_secs();
        validation.set_required_spec_claims(&["exp", "sub"]);
        Self { key, validation }
    }

    /// The leeway on `exp` and `nbf` (default 30 s).
    pub fn leeway(mut self, leeway: Duration) -> Self {
        self.validation.leeway = leeway.as_secs();
        self
    }

    /// Requires `iss` to be `issuer`.
    pub fn issuer(mut self, issuer: &str) -> Self {
        self.validation.set_issuer(&[issuer]);
        self
    }

    /// Requires `aud` to include `audience`.
    pub fn audience(mut self, audience: &str) -> Self {
        self.validation.set_audience(&[audience]);
        self
    }

    /// Accepts tokens without `exp` (they never expire). Not recommended.
    pub fn allow_tokens_without_expiry(mut self) -> Self {
        self.validation.set_required_spec_claims(&["sub"]);
        self
    }

    /// Checks a token and returns its claims.
    pub fn verify(&self, token: &str) -> Result<Value, JwtError> {
        let data =
            jsonwebtoken::decode::<Value>(token, &self.key, &self.validation).map_err(|error| {
                match error.kind() {
                    ErrorKind::InvalidSignature => JwtError::BadSignature,
                    ErrorKind::ExpiredSignature => JwtError::Expired,
                    ErrorKind::ImmatureSignature => JwtError::NotYetValid,
                    ErrorKind::InvalidAlgorithm
                    | ErrorKind::InvalidAlgorithmName
                    | ErrorKind::MissingAlgorithm => JwtError::WrongAlgorithm,
                    ErrorKind::InvalidIssuer | ErrorKind::InvalidAudience => {
                        JwtError::WrongIssuerOrAudience
                    }
                    ErrorKind::MissingRequiredClaim(claim)
                    | ErrorKind::InvalidClaimFormat(claim) => JwtError::Claim(claim.clone()),
                    // `alg: none` does not even parse as a header algorithm.
                    _ if is_none_algorithm(token) => JwtError::WrongAlgorithm,
                    _ => JwtError::Malformed,
                }
            })?;
        Ok(data.claims)
    }

    /// The identity a handshake's `auth.token` proves: `sub` is the user id,
    /// the claims are `client.auth()`.
    pub fn authenticate(&self, handshake: &Handshake) -> Result<Identity, JwtError> {
        let token = handshake.token().ok_or(JwtError::Missing)?;
        let claims = self.verify(token)?;
        let user_id = match claims.get("sub").and_then(Value::as_str) {
            Some(sub) if !sub.is_empty() && sub.len() <= MAX_NAME_LEN => sub.to_owned(),
            _ => return Err(JwtError::Claim("sub".to_owned())),
        };
        // The connection ends when the token stops being accepted: at `exp`
        // plus the leeway every check allows for clock skew (a handshake
        // with a token inside it is accepted, and must not be dropped at
        // once).
        let leeway = self.validation.leeway.saturating_mul(1000);
        let expires_at = claims
            .get("exp")
            .and_then(Value::as_u64)
            .map(|seconds| seconds.saturating_mul(1000).saturating_add(leeway));
        let mut identity = Identity::user(user_id).with_claims(claims);
        identity.expires_at = expires_at;
        Ok(identity)
    }
}

impl JwtError {
    /// The refusal to give the client: a bad token is its problem, and the
    /// message says which. (`?` would make it a server failure instead.)
    pub fn refusal(self) -> HookError {
        HookError::Refused(self.to_string())
    }
}

/// Whether the token's header says `"alg": "none"` (in any case).
fn is_none_algorithm(token: &str) -> bool {
    use base64::Engine as _;
    let header = token.split('.').next().unwrap_or_default();
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(header.trim_end_matches('='))
        .ok()
        .and_then(|bytes| serde_json::from_slice::<Value>(&bytes).ok())
        .and_then(|header| {
            header
                .get("alg")
                .and_then(Value::as_str)
                .map(str::to_ascii_lowercase)
        })
        .is_some_and(|alg| alg == "none")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn none_algorithm_headers_are_recognised() {
        // {"alg":"none","typ":"JWT"}
        let token = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJzdWIiOiJ4In0.";
        assert!(is_none_algorithm(token));
        assert_eq!(
            JwtAuth::hs256("s").verify(token),
            Err(JwtError::WrongAlgorithm)
        );
        assert!(!is_none_algorithm("eyJhbGciOiJIUzI1NiJ9.e30.x"));
    }

    #[test]
    fn garbage_is_malformed() {
        assert_eq!(
            JwtAuth::hs256("s").verify("garbage"),
            Err(JwtError::Malformed)
        );
        let handshake = Handshake {
            auth: serde_json::json!({}),
            headers: Default::default(),
            remote_addr: None,
        };
        assert_eq!(
            JwtAuth::hs256("s").authenticate(&handshake),
            Err(JwtError::Missing)
        );
    }
}
