//! The package's `package.json` and `README.md`, and the options that name
//! it.

use dialogue_core::spec::AppSpec;

use crate::CodegenError;

/// The entry points of the package: `(subpath, module)`.
const ENTRIES: &[(&str, &str)] = &[
    (".", "index"),
    ("./client", "client"),
    ("./types", "types"),
    ("./socket-io", "socket-io"),
    ("./zod", "zod"),
    ("./react", "react"),
];

/// What names the npm package: its name and version.
///
/// ```
/// use dialogue_codegen::PackageOptions;
///
/// let options = PackageOptions::new("@acme/chat-client", "1.2.0");
/// assert_eq!(options.name(), "@acme/chat-client");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageOptions {
    name: String,
    version: String,
}

impl PackageOptions {
    /// A package named `name` (npm's rules: lowercase, URL-safe, an
    /// optional `@scope/`) at `version` (semver, e.g. `1.2.0`). Checked when
    /// the package is generated.
    pub fn new(name: impl Into<String>, version: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            version: version.into(),
        }
    }

    /// The default for `spec`: its name in kebab case with `-client`
    /// (`ChatApp` → `chat-app-client`), version `0.1.0`.
    ///
    /// ```
    /// use dialogue_codegen::PackageOptions;
    /// use dialogue_core::spec::AppSpec;
    ///
    /// let spec = AppSpec::builder("ChatApp").build().unwrap();
    /// assert_eq!(PackageOptions::for_app(&spec).name(), "chat-app-client");
    /// ```
    pub fn for_app(spec: &AppSpec) -> Self {
        let mut name = String::new();
        for (i, c) in spec.name.chars().enumerate() {
            if c.is_ascii_uppercase() {
                if i > 0 && !name.ends_with('-') {
                    name.push('-');
                }
                name.push(c.to_ascii_lowercase());
            } else if c.is_ascii_alphanumeric() {
                name.push(c);
            } else if !name.ends_with('-') {
                name.push('-');
            }
        }
        let name = name.trim_matches('-');
        let name = if name.is_empty() { "dialogue" } else { name };
        Self::new(format!("{name}-client"), "0.1.0")
    }

    /// The package name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The version.
    pub fn version(&self) -> &str {
        &self.version
    }

    pub(crate) fn validate(&self) -> Result<(), CodegenError> {
        if let Some(why) = name_problem(&self.name) {
            return Err(CodegenError::PackageName {
                name: self.name.clone(),
                why,
            });
        }
        if !is_semver(&self.version) {
            return Err(CodegenError::PackageVersion {
                version: self.version.clone(),
            });
        }
        Ok(())
    }
}

/// What is wrong with `name` as an npm package name, if anything.
fn name_problem(name: &str) -> Option<&'static str> {
    let part_ok = |part: &str| {
        !part.is_empty()
            && !part.starts_with(['.', '_'])
            && part
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "-._~".contains(c))
    };
    if name.is_empty() || name.len() > 214 {
        return Some("it must have 1 to 214 characters");
    }
    let parts: Vec<&str> = match name.strip_prefix('@') {
        Some(scoped) => scoped.split('/').collect(),
        None => vec![name],
    };
    match parts.as_slice() {
        [_] if name.starts_with('@') => Some("a scoped name is `@scope/name`"),
        [single] if part_ok(single) => None,
        [scope, package] if part_ok(scope) && part_ok(package) => None,
        _ => Some(
            "use lowercase letters, digits and `-._~`, not starting with `.` or `_`, with an optional `@scope/`",
        ),
    }
}

/// Whether `version` reads as semver: `MAJOR.MINOR.PATCH`, an optional
/// `-prerelease` and `+build`.
fn is_semver(version: &str) -> bool {
    let (core, _build) = version.split_once('+').unwrap_or((version, ""));
    let (core, pre) = core
        .split_once('-')
        .map_or((core, None), |(c, p)| (c, Some(p)));
    let numbers: Vec<&str> = core.split('.').collect();
    let number_ok = |n: &&str| {
        !n.is_empty()
            && n.chars().all(|c| c.is_ascii_digit())
            && (n.len() == 1 || !n.starts_with('0'))
    };
    let label_ok = |text: &str| {
        text.split('.').all(|part| {
            !part.is_empty() && part.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
    };
    numbers.len() == 3
        && numbers.iter().all(number_ok)
        && pre.is_none_or(label_ok)
        && version
            .split_once('+')
            .is_none_or(|(_, build)| label_ok(build))
}

/// A JSON value whose objects keep their members' order (npm reads the
/// conditions of `exports` in order: `types` must come first).
enum Json {
    Bool(bool),
    Text(String),
    List(Vec<String>),
    Object(Vec<(String, Json)>),
}

impl Json {
    fn text(text: impl Into<String>) -> Self {
        Self::Text(text.into())
    }

    fn object<const N: usize>(members: [(&str, Json); N]) -> Self {
        Self::Object(
            members
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v))
                .collect(),
        )
    }

    fn write(&self, out: &mut String, indent: usize) {
        let quote = |text: &str| serde_json::to_string(text).unwrap_or_default();
        match self {
            Self::Bool(value) => out.push_str(if *value { "true" } else { "false" }),
            Self::Text(text) => out.push_str(&quote(text)),
            Self::List(items) => {
                let items: Vec<String> = items.iter().map(|item| quote(item)).collect();
                out.push_str(&format!("[{}]", items.join(", ")));
            }
            Self::Object(members) => {
                out.push_str("{\n");
                for (i, (key, value)) in members.iter().enumerate() {
                    out.push_str(&"  ".repeat(indent + 1));
                    out.push_str(&quote(key));
                    out.push_str(": ");
                    value.write(out, indent + 1);
                    out.push_str(if i + 1 < members.len() { ",\n" } else { "\n" });
                }
                out.push_str(&"  ".repeat(indent));
                out.push('}');
            }
        }
    }
}

/// `package.json`.
pub(crate) fn package_json(spec: &AppSpec, options: &PackageOptions) -> String {
    let mut exports = Vec::new();
    let mut types_versions = Vec::new();
    for (subpath, module) in ENTRIES {
        let files = |js: &str, dts: &str| {
            Json::object([
                ("types", Json::text(format!("./dist/{module}{dts}"))),
                ("default", Json::text(format!("./dist/{module}{js}"))),
            ])
        };
        exports.push((
            (*subpath).to_owned(),
            Json::object([
                ("import", files(".js", ".d.ts")),
                ("require", files(".cjs", ".d.cts")),
            ]),
        ));
        if let Some(sub) = subpath.strip_prefix("./") {
            types_versions.push((
                sub.to_owned(),
                Json::List(vec![format!("./dist/{module}.d.cts")]),
            ));
        }
    }
    exports.push(("./package.json".to_owned(), Json::text("./package.json")));
    let optional = || Json::object([("optional", Json::Bool(true))]);
    let manifest = Json::object([
        ("name", Json::text(&options.name)),
        ("version", Json::text(&options.version)),
        (
            "description",
            Json::text(format!(
                "The typed client of the Dialogue application `{}`, generated by dialogue-codegen.",
                spec.name
            )),
        ),
        ("type", Json::text("module")),
        ("main", Json::text("./dist/index.cjs")),
        ("types", Json::text("./dist/index.d.cts")),
        ("exports", Json::Object(exports)),
        (
            "typesVersions",
            Json::object([("*", Json::Object(types_versions))]),
        ),
        ("files", Json::List(vec!["dist".to_owned()])),
        ("engines", Json::object([("node", Json::text(">=18"))])),
        ("sideEffects", Json::Bool(false)),
        (
            "peerDependencies",
            Json::object([
                ("@types/react", Json::text("^18.0.0 || ^19.0.0")),
                ("react", Json::text("^18.0.0 || ^19.0.0")),
                ("socket.io-client", Json::text("^4.7.0")),
                ("zod", Json::text("^4.0.0")),
            ]),
        ),
        (
            "peerDependenciesMeta",
            Json::object([
                ("@types/react", optional()),
                ("react", optional()),
                ("zod", optional()),
            ]),
        ),
    ]);
    let mut text = String::new();
    manifest.write(&mut text, 0);
    text.push('\n');
    text
}

/// `README.md`.
pub(crate) fn readme(spec: &AppSpec, options: &PackageOptions, regenerate: &str) -> String {
    let name = &options.name;
    format!(
        "# {name}\n\n\
         The typed client of the Dialogue application `{app}`, generated by dialogue-codegen\n\
         from its Rust declaration. Do not edit: regenerate with `{regenerate}`.\n\n\
         | import | what |\n|---|---|\n\
         | `{name}` | everything below but React and Zod |\n\
         | `{name}/client` | `createDialogueClient` and its types |\n\
         | `{name}/types` | the payload types and what each room sends and receives |\n\
         | `{name}/socket-io` | `ServerToClientEvents`, `ClientToServerEvents` for a plain socket.io-client |\n\
         | `{name}/zod` | a Zod 4 schema per payload (needs `zod`) |\n\
         | `{name}/react` | `DialogueProvider` and hooks (needs `react` 18 or 19) |\n\n\
         ```ts\n\
         import {{ createDialogueClient }} from \"{name}\";\n\n\
         const client = createDialogueClient({{ url: \"http://localhost:3000\", auth: {{ userId: \"ada\" }} }});\n\
         ```\n\n\
         ES module and CommonJS builds, each with its declarations; `socket.io-client` is a peer\n\
         dependency, `react` and `zod` optional ones.\n",
        app = spec.name
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_npm_rules() {
        for good in ["chat-client", "@acme/chat", "a.b_c~d", "x1"] {
            assert_eq!(name_problem(good), None, "{good}");
        }
        for bad in [
            "", "Chat", ".hidden", "_x", "@acme", "@/x", "a b", "a/b", "@a/B",
        ] {
            assert!(name_problem(bad).is_some(), "{bad}");
        }
    }

    #[test]
    fn versions_are_semver() {
        for good in ["0.1.0", "1.2.3-beta.1", "1.0.0+build.5", "10.20.30-rc-1+x"] {
            assert!(is_semver(good), "{good}");
        }
        for bad in ["1.2", "1.2.3.4", "01.2.3", "1.2.x", "1.2.3-", "v1.2.3", ""] {
            assert!(!is_semver(bad), "{bad}");
        }
    }
}
