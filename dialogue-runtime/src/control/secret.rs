//! Room secrets: kept as a salted hash, compared in constant time.

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// A room's secret, as the server keeps it: a random salt and the SHA-256
/// of salt and secret. The secret itself is not kept, never logged and never
/// sent; a join's secret is checked against it in constant time.
///
/// ```
/// use dialogue_runtime::RoomSecret;
///
/// let secret = RoomSecret::new("hunter2");
/// assert!(secret.admits("hunter2"));
/// assert!(!secret.admits("hunter3"));
/// assert_eq!(format!("{secret:?}"), "RoomSecret(..)");
/// ```
#[derive(Clone)]
pub struct RoomSecret {
    salt: [u8; 16],
    hash: [u8; 32],
}

impl RoomSecret {
    /// Keeps `secret` as a salted hash.
    pub fn new(secret: &str) -> Self {
        let mut salt = [0u8; 16];
        // Without randomness the salt is zero: the hash still hides the
        // secret, only two rooms with one secret would hash alike.
        if getrandom::fill(&mut salt).is_err() {
            tracing::warn!("no randomness for a room secret's salt");
        }
        Self {
            hash: hash(&salt, secret),
            salt,
        }
    }

    /// Whether `given` is the secret, compared in constant time.
    pub fn admits(&self, given: &str) -> bool {
        hash(&self.salt, given).ct_eq(&self.hash).into()
    }
}

fn hash(salt: &[u8; 16], secret: &str) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(salt);
    hasher.update(secret.as_bytes());
    hasher.finalize().into()
}

impl std::fmt::Debug for RoomSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RoomSecret(..)")
    }
}

impl PartialEq for RoomSecret {
    fn eq(&self, other: &Self) -> bool {
        self.salt == other.salt && bool::from(self.hash.ct_eq(&other.hash))
    }
}
