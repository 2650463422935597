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

    /// The salt and hash in hex, as a shared registry keeps them (never
    /// the secret itself).
    #[cfg_attr(not(feature = "redis"), allow(dead_code))]
    pub(crate) fn to_hex(&self) -> String {
        use std::fmt::Write as _;
        let mut text = String::with_capacity(96);
        for byte in self.salt.iter().chain(&self.hash) {
            let _ = write!(text, "{byte:02x}");
        }
        text
    }

    /// A secret from [`to_hex`](Self::to_hex)'s text; `None` when it does
    /// not read.
    #[cfg_attr(not(feature = "redis"), allow(dead_code))]
    pub(crate) fn from_hex(text: &str) -> Option<Self> {
        if text.len() != 96 || !text.is_ascii() {
            return None;
        }
        let mut bytes = [0u8; 48];
        for (i, byte) in bytes.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&text[2 * i..2 * i + 2], 16).ok()?;
        }
        let mut salt = [0u8; 16];
        let mut hash = [0u8; 32];
        salt.copy_from_slice(&bytes[..16]);
        hash.copy_from_slice(&bytes[16..]);
        Some(Self { salt, hash })
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
