//! What a request handler answers when it does not answer: a [`Refusal`].

/// Why a request handler gave no response: a refusal the client sees, with
/// a code of the application's own (UPPER_SNAKE_CASE) and a message, or a
/// failure that is logged on the server (the client gets `INTERNAL`).
///
/// `?` turns any error into a failure:
///
/// ```
/// use dialogue_runtime::Refusal;
///
/// fn check(a: i64) -> Result<i64, Refusal> {
///     if a > 1_000_000_000 {
///         return Err(Refusal::new("TOO_BIG", "a is over 1,000,000,000"));
///     }
///     let parsed: i64 = "42".parse()?; // a ParseIntError would be a failure
///     Ok(a + parsed)
/// }
/// assert_eq!(check(1), Ok(43));
/// assert_eq!(check(2_000_000_000).unwrap_err().code(), Some("TOO_BIG"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Refused: `code` (UPPER_SNAKE_CASE) and `message` go to the client as
    /// they are.
    Refused {
        /// The application's code, e.g. `TOO_BIG`.
        code: String,
        /// What the client is told.
        message: String,
    },
    /// Failed: logged with this text; the client gets `INTERNAL`.
    Failed(String),
}

impl Refusal {
    /// A refusal the client sees. A code that is not UPPER_SNAKE_CASE (1 to
    /// 64 of `A`-`Z`, `0`-`9`, `_`, starting with a letter), or that is one
    /// of the protocol's own codes, is a bug of the handler: the client
    /// gets `INTERNAL` and the server logs it.
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Refused {
            code: code.into(),
            message: message.into(),
        }
    }

    /// A failure, logged on the server; the client gets `INTERNAL`.
    pub fn fail(error: impl std::fmt::Display) -> Self {
        Self::Failed(error.to_string())
    }

    /// The refusal's code (`None` for a failure).
    pub fn code(&self) -> Option<&str> {
        match self {
            Self::Refused { code, .. } => Some(code),
            Self::Failed(_) => None,
        }
    }
}

impl<E: std::error::Error> From<E> for Refusal {
    fn from(error: E) -> Self {
        Self::fail(error)
    }
}

/// Whether `code` may be an application's code: UPPER_SNAKE_CASE, 1 to 64
/// characters, starting with a letter, and none of the protocol's own
/// (a client could not tell it from the server's).
pub(crate) fn is_application_code(code: &str) -> bool {
    crate::protocol::ErrorCode::from_wire(code).is_none()
        && !code.is_empty()
        && code.len() <= 64
        && code.starts_with(|c: char| c.is_ascii_uppercase())
        && code
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn application_codes_are_upper_snake_case() {
        for good in ["TOO_BIG", "A", "OUT_OF_STOCK_2"] {
            assert!(is_application_code(good), "{good}");
        }
        let long = "X".repeat(65);
        for bad in [
            "",
            "too_big",
            "TOO-BIG",
            "_X",
            "2BIG",
            &long,
            "INTERNAL",
            "NOT_IN_ROOM",
        ] {
            assert!(!is_application_code(bad), "{bad}");
        }
    }
}
