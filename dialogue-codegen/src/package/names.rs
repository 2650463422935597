//! The paths of the package's files under `dist/`.

/// Every module of the package, each in four files.
#[cfg(test)]
const MODULES: &[&str] = &[
    "app",
    "client",
    "index",
    "react",
    "rules",
    "socket-io",
    "types",
    "zod",
];

/// `dist/{stem}{suffix}`, e.g. `dist/client.d.cts`. Each path is spelled
/// out (generated files are named by `&'static str`).
pub(crate) fn dist(stem: &str, suffix: &str) -> &'static str {
    macro_rules! table {
        ($($stem:literal),*) => {
            match (stem, suffix) {
                $(
                    ($stem, ".js") => concat!("dist/", $stem, ".js"),
                    ($stem, ".cjs") => concat!("dist/", $stem, ".cjs"),
                    ($stem, ".d.ts") => concat!("dist/", $stem, ".d.ts"),
                    ($stem, ".d.cts") => concat!("dist/", $stem, ".d.cts"),
                )*
                _ => "dist/unknown",
            }
        };
    }
    table!(
        "app",
        "client",
        "index",
        "react",
        "rules",
        "socket-io",
        "types",
        "zod"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_module_has_its_four_files() {
        for module in MODULES {
            for suffix in [".js", ".cjs", ".d.ts", ".d.cts"] {
                assert_eq!(dist(module, suffix), format!("dist/{module}{suffix}"));
            }
        }
    }
}
