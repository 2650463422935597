//! The naming rules of a Dialogue application, as ordinary functions.
//!
//! The `dialogue!` and `#[derive(Event)]` macros call these at compile time and
//! the runtime calls them on names that arrive over the wire, so a name that
//! compiles is exactly a name the server accepts. They need no tokens and no
//! dependencies, which is why they sit in their own module.

use std::fmt;

/// The longest event name or room id accepted, in bytes.
pub const MAX_NAME_LEN: usize = 128;

/// The wildcard: "any event" in a room's `events`, "every event" in a
/// subscription. It is never a valid event name.
pub const WILDCARD: &str = "*";

/// In a declared room's id, stands for the user a per-user room belongs to:
/// `user:{userId}` is `user:alice` for alice, and only alice may join it.
pub const USER_PLACEHOLDER: &str = "{userId}";

/// The parts of a per-user room id around [`USER_PLACEHOLDER`], or `None` for
/// an ordinary id.
///
/// ```
/// use dialogue_core::rules::user_room_pattern;
///
/// assert_eq!(user_room_pattern("user:{userId}"), Some(("user:", "")));
/// assert_eq!(user_room_pattern("chat"), None);
/// ```
pub fn user_room_pattern(id: &str) -> Option<(&str, &str)> {
    id.split_once(USER_PLACEHOLDER)
}

/// The user a per-user room id belongs to, given the pattern's parts.
///
/// ```
/// use dialogue_core::rules::user_of_room;
///
/// assert_eq!(user_of_room(("user:", ""), "user:alice"), Some("alice"));
/// assert_eq!(user_of_room(("user:", ""), "user:"), None);
/// assert_eq!(user_of_room(("inbox-", "-main"), "inbox-bob-main"), Some("bob"));
/// ```
pub fn user_of_room<'a>(pattern: (&str, &str), id: &'a str) -> Option<&'a str> {
    let user = id.strip_prefix(pattern.0)?.strip_suffix(pattern.1)?;
    (!user.is_empty()).then_some(user)
}

/// A declared room id with one `{parameter}`: a template whose instances
/// are made on first use (`doc:{docId}` gives `doc:readme`). `{userId}` is
/// the per-user template: only that user may join its instance.
///
/// ```
/// use dialogue_core::rules::RoomPattern;
///
/// let doc = RoomPattern::parse("doc:{docId}").unwrap();
/// assert_eq!((doc.prefix, doc.param, doc.suffix), ("doc:", "docId", ""));
/// assert_eq!(doc.value_of("doc:readme"), Some("readme"));
/// assert_eq!(doc.value_of("doc:"), None);
/// assert_eq!(doc.value_of("doc:a b"), None, "1 to 64 of [A-Za-z0-9_-]");
/// assert!(!doc.is_per_user());
/// assert!(RoomPattern::parse("user:{userId}").unwrap().is_per_user());
/// assert!(RoomPattern::parse("chat").is_none());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RoomPattern<'a> {
    /// What comes before the parameter.
    pub prefix: &'a str,
    /// The parameter's name, e.g. `docId`.
    pub param: &'a str,
    /// What comes after it.
    pub suffix: &'a str,
}

/// The longest value of a template's parameter, in bytes.
pub const MAX_PARAM_LEN: usize = 64;

impl<'a> RoomPattern<'a> {
    /// The pattern of a template id, or `None` for an ordinary id (no
    /// `{...}`, or braces around something that is not an identifier).
    pub fn parse(id: &'a str) -> Option<Self> {
        let (prefix, rest) = id.split_once('{')?;
        let (param, suffix) = rest.split_once('}')?;
        let identifier = param
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && param.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        identifier.then_some(Self {
            prefix,
            param,
            suffix,
        })
    }

    /// Whether it is the per-user template (`{userId}`).
    pub fn is_per_user(&self) -> bool {
        self.param == "userId"
    }

    /// The parameter's value in `id`, when `id` is an instance of the
    /// pattern. A per-user pattern takes any non-empty user id; any other
    /// takes 1 to [`MAX_PARAM_LEN`] ASCII letters, digits, `_` or `-`.
    pub fn value_of<'i>(&self, id: &'i str) -> Option<&'i str> {
        let value = id.strip_prefix(self.prefix)?.strip_suffix(self.suffix)?;
        if value.is_empty() {
            return None;
        }
        if self.is_per_user() {
            return Some(value);
        }
        let valid = value.len() <= MAX_PARAM_LEN
            && value
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        valid.then_some(value)
    }

    /// The instance id for `value`.
    pub fn instance(&self, value: &str) -> String {
        format!("{}{value}{}", self.prefix, self.suffix)
    }
}

/// Why a name was refused.
///
/// ```
/// use dialogue_core::rules::{check_event_name, NameError};
///
/// assert_eq!(check_event_name("*"), Err(NameError::Reserved));
/// assert!(matches!(check_event_name("a b"), Err(NameError::InvalidChar { ch: ' ', .. })));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NameError {
    /// The name is the empty string.
    Empty,
    /// The name is longer than [`MAX_NAME_LEN`] bytes.
    TooLong {
        /// Its length in bytes.
        len: usize,
    },
    /// The name is `*`, which means "any event".
    Reserved,
    /// The name holds a character the rule does not allow.
    InvalidChar {
        /// The first offending character.
        ch: char,
        /// Its byte offset in the name.
        index: usize,
    },
}

impl fmt::Display for NameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => f.write_str("the name is empty"),
            Self::TooLong { len } => {
                write!(
                    f,
                    "the name is {len} bytes long; at most {MAX_NAME_LEN} are allowed"
                )
            }
            Self::Reserved => f.write_str("`*` is reserved: it means \"any event\""),
            Self::InvalidChar { ch, index } => {
                write!(f, "the character {ch:?} at byte {index} is not allowed")
            }
        }
    }
}

impl std::error::Error for NameError {}

/// Checks an event's wire name.
///
/// A name is 1 to [`MAX_NAME_LEN`] ASCII letters, digits, `:`, `-`, `_` or `.`
/// (so `message`, `order:updated`, `player.move-v2` are names); `*` is reserved.
///
/// ```
/// use dialogue_core::rules::check_event_name;
///
/// assert!(check_event_name("order:updated").is_ok());
/// assert!(check_event_name("order updated").is_err());
/// ```
pub fn check_event_name(name: &str) -> Result<(), NameError> {
    check_length(name)?;
    if name == WILDCARD {
        return Err(NameError::Reserved);
    }
    match name.char_indices().find(|&(_, ch)| !is_event_name_char(ch)) {
        Some((index, ch)) => Err(NameError::InvalidChar { ch, index }),
        None => Ok(()),
    }
}

/// Whether `ch` may appear in an event name.
pub fn is_event_name_char(ch: char) -> bool {
    ch.is_ascii_alphanumeric() || matches!(ch, ':' | '-' | '_' | '.')
}

/// Checks a room id.
///
/// Room ids are wider than event names because applications build them from
/// their own data (`user:alice@example.com`, `doc:7f3a…`): any 1 to
/// [`MAX_NAME_LEN`] bytes without whitespace or control characters, except `*`.
///
/// ```
/// use dialogue_core::rules::check_room_id;
///
/// assert!(check_room_id("user:alice@example.com").is_ok());
/// assert!(check_room_id("two words").is_err());
/// ```
pub fn check_room_id(id: &str) -> Result<(), NameError> {
    check_length(id)?;
    if id == WILDCARD {
        return Err(NameError::Reserved);
    }
    match id
        .char_indices()
        .find(|&(_, ch)| ch.is_whitespace() || ch.is_control())
    {
        Some((index, ch)) => Err(NameError::InvalidChar { ch, index }),
        None => Ok(()),
    }
}

fn check_length(name: &str) -> Result<(), NameError> {
    match name.len() {
        0 => Err(NameError::Empty),
        len if len > MAX_NAME_LEN => Err(NameError::TooLong { len }),
        _ => Ok(()),
    }
}

/// The wire name an event type gets when `#[event(name = "...")]` is left out:
/// the words of the type name, lowercased and joined by `:`.
///
/// This follows the `noun:verb` habit of Socket.IO applications, so most
/// events need no explicit name.
///
/// ```
/// use dialogue_core::rules::event_name_for_type;
///
/// assert_eq!(event_name_for_type("Message"), "message");
/// assert_eq!(event_name_for_type("OrderUpdated"), "order:updated");
/// assert_eq!(event_name_for_type("HTTPRequestSent"), "http:request:sent");
/// ```
pub fn event_name_for_type(type_name: &str) -> String {
    words(type_name).join(":")
}

/// Splits an identifier into lowercase words, the way `heck` does: at `_`, at a
/// lowercase-to-uppercase step, and before the last capital of an acronym
/// (`HTTPRequest` is `http`, `request`). Digits stay with the word before them.
/// A leading `r#` is ignored.
pub fn words(ident: &str) -> Vec<String> {
    let ident = ident.strip_prefix("r#").unwrap_or(ident);
    let chars: Vec<char> = ident.chars().collect();
    let mut words = Vec::new();
    let mut current = String::new();
    for (i, &ch) in chars.iter().enumerate() {
        if ch == '_' || ch == '-' {
            if !current.is_empty() {
                words.push(std::mem::take(&mut current));
            }
            continue;
        }
        if ch.is_uppercase() && !current.is_empty() {
            let prev = chars[i - 1];
            let next_is_lower = chars.get(i + 1).is_some_and(|c| c.is_lowercase());
            let starts_word = prev.is_lowercase()
                || prev.is_ascii_digit()
                || (prev.is_uppercase() && next_is_lower);
            if starts_word {
                words.push(std::mem::take(&mut current));
            }
        }
        current.extend(ch.to_lowercase());
    }
    if !current.is_empty() {
        words.push(current);
    }
    words
}

/// `game_lobby` → `GameLobby`: the type name generated for a room key.
pub fn to_pascal_case(ident: &str) -> String {
    words(ident)
        .iter()
        .map(|word| {
            let mut chars = word.chars();
            match chars.next() {
                Some(first) => first.to_uppercase().chain(chars).collect::<String>(),
                None => String::new(),
            }
        })
        .collect()
}

/// `game_lobby` → `GAME_LOBBY`: the constant name generated for a room key.
pub fn to_shouty_snake_case(ident: &str) -> String {
    words(ident).join("_").to_uppercase()
}

/// `ChatApp` → `chat_app`: the module name generated for an application.
pub fn to_snake_case(ident: &str) -> String {
    words(ident).join("_")
}

/// Whether `ident` is a lowercase snake_case Rust name (`chat`, `game_lobby`,
/// `room2`), the form room keys take in `dialogue!`.
pub fn is_snake_case(ident: &str) -> bool {
    let ident = ident.strip_prefix("r#").unwrap_or(ident);
    !ident.is_empty()
        && !ident.starts_with('_')
        && !ident.ends_with('_')
        && !ident.contains("__")
        && ident
            .chars()
            .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_names_accept_the_documented_alphabet() {
        for name in [
            "message",
            "order:updated",
            "a",
            "A-b_c.d:9",
            "x".repeat(128).as_str(),
        ] {
            assert_eq!(check_event_name(name), Ok(()), "{name}");
        }
    }

    #[test]
    fn event_names_refuse_everything_else() {
        assert_eq!(check_event_name(""), Err(NameError::Empty));
        assert_eq!(check_event_name("*"), Err(NameError::Reserved));
        assert_eq!(
            check_event_name(&"x".repeat(129)),
            Err(NameError::TooLong { len: 129 })
        );
        assert_eq!(
            check_event_name("order updated"),
            Err(NameError::InvalidChar { ch: ' ', index: 5 })
        );
        assert_eq!(
            check_event_name("msg*"),
            Err(NameError::InvalidChar { ch: '*', index: 3 })
        );
        assert_eq!(
            check_event_name("café"),
            Err(NameError::InvalidChar { ch: 'é', index: 3 })
        );
        assert!(check_event_name("a/b").is_err());
    }

    #[test]
    fn room_ids_allow_application_data_but_no_whitespace() {
        assert_eq!(check_room_id("user:alice@example.com"), Ok(()));
        assert_eq!(check_room_id("doc/7f3a#é"), Ok(()));
        assert_eq!(check_room_id(""), Err(NameError::Empty));
        assert_eq!(check_room_id("*"), Err(NameError::Reserved));
        assert_eq!(
            check_room_id("a\tb"),
            Err(NameError::InvalidChar { ch: '\t', index: 1 })
        );
        assert_eq!(
            check_room_id("a\u{0}"),
            Err(NameError::InvalidChar {
                ch: '\u{0}',
                index: 1
            })
        );
        assert!(check_room_id(&"r".repeat(129)).is_err());
    }

    #[test]
    fn derived_event_names_follow_the_words_of_the_type() {
        let cases = [
            ("Message", "message"),
            ("Typing", "typing"),
            ("OrderUpdated", "order:updated"),
            ("UserJoined", "user:joined"),
            ("HTTPRequest", "http:request"),
            ("PlayerMoveV2", "player:move:v2"),
            ("V2Update", "v2:update"),
            ("IOError", "io:error"),
            ("r#Type", "type"),
            ("Already_Split", "already:split"),
        ];
        for (ty, name) in cases {
            assert_eq!(event_name_for_type(ty), name, "{ty}");
            assert_eq!(check_event_name(&event_name_for_type(ty)), Ok(()));
        }
    }

    #[test]
    fn case_conversions_for_generated_items() {
        assert_eq!(to_pascal_case("chat"), "Chat");
        assert_eq!(to_pascal_case("game_lobby"), "GameLobby");
        assert_eq!(to_pascal_case("room2"), "Room2");
        assert_eq!(to_shouty_snake_case("game_lobby"), "GAME_LOBBY");
        assert_eq!(to_snake_case("ChatApp"), "chat_app");
        assert_eq!(to_snake_case("IoTApp"), "io_t_app");
    }

    #[test]
    fn snake_case_room_keys() {
        for ok in ["chat", "game_lobby", "room2", "r#type"] {
            assert!(is_snake_case(ok), "{ok}");
        }
        for bad in ["Chat", "gameLobby", "_x", "x_", "a__b", ""] {
            assert!(!is_snake_case(bad), "{bad}");
        }
    }

    #[test]
    fn per_user_patterns_split_once() {
        assert_eq!(user_room_pattern("a{userId}b"), Some(("a", "b")));
        assert_eq!(user_of_room(("a", "b"), "axyzb"), Some("xyz"));
        assert_eq!(user_of_room(("a", "b"), "ab"), None);
        assert_eq!(user_of_room(("a", "b"), "xb"), None);
    }

    #[test]
    fn errors_read_as_sentences() {
        assert_eq!(
            NameError::InvalidChar { ch: ' ', index: 5 }.to_string(),
            "the character ' ' at byte 5 is not allowed"
        );
        assert!(NameError::Reserved.to_string().contains("any event"));
    }
}
