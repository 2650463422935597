//! The React bindings of the generated npm package (`<package>/react`):
//!
//! - typed: `tests/e2e/react/hooks.types.ts` compiles against the package,
//!   each line after `// @ts-expect-error` an error (a room, event or
//!   request the declaration does not have);
//! - working: `tests/e2e/react/hooks.test.mjs` renders components with
//!   React Testing Library in jsdom against the conformance server (join
//!   and leave with the component, under strict mode; events, presence, a
//!   request, a refused join);
//! - in a browser: `tests/e2e/react/page.mjs`, bundled by esbuild, in
//!   Debian's chromium (`CHROMIUM`, default `/usr/bin/chromium`) against the
//!   conformance server, with a Node client in the same room.
//!
//! Needs Node.js 20+ and `npm ci` in `tests/e2e`, and the conformance
//! example built (`cargo build --example conformance`).

#[path = "codegen_ts/node.rs"]
mod node;
#[path = "codegen_ts/package.rs"]
mod package;
mod support;

use dialogue_runtime::DialogueApp;
use package::{consumer_dir, link_module, run_node, write_package};
use support::conformance::ConformanceApp;
use support::server_process::ServerProcess;

#[test]
fn the_hooks_are_typed_by_the_declaration() {
    node::require_node_and_modules();
    let dir = consumer_dir("codegen_react_types", "module");
    write_package(
        ConformanceApp::spec(),
        "conformance-client",
        &dir.join("pkg"),
    );
    link_module(&dir, "conformance-client", &dir.join("pkg"));
    std::fs::copy(
        node::e2e_dir().join("react/hooks.types.ts"),
        dir.join("hooks.types.ts"),
    )
    .unwrap();
    let config = serde_json::json!({
        "compilerOptions": {
            "strict": true,
            "target": "ES2022",
            "lib": ["ES2022", "DOM"],
            "module": "NodeNext",
            "moduleResolution": "NodeNext",
            "types": [],
            "noEmit": true,
            "skipLibCheck": false,
        },
        "files": ["hooks.types.ts"],
    });
    node::write(
        &dir.join("tsconfig.json"),
        &serde_json::to_string_pretty(&config).unwrap(),
    );
    node::tsc(
        &["-p", &dir.join("tsconfig.json").to_string_lossy()],
        "the React hooks' type tests",
    );
}

#[test]
fn components_join_listen_and_leave_with_the_hooks() {
    node::require_node_and_modules();
    let dir = consumer_dir("codegen_react_dom", "module");
    write_package(
        ConformanceApp::spec(),
        "conformance-client",
        &dir.join("pkg"),
    );
    link_module(&dir, "conformance-client", &dir.join("pkg"));
    std::fs::copy(
        node::e2e_dir().join("react/hooks.test.mjs"),
        dir.join("hooks.test.mjs"),
    )
    .unwrap();
    let server = ServerProcess::start(&[]);
    let printed = run_node(&dir, "hooks.test.mjs", &[&server.url], "the React test");
    server.stop();
    let outcome: serde_json::Value =
        serde_json::from_str(&printed).unwrap_or_else(|error| panic!("{error}: {printed}"));
    assert_eq!(outcome["ok"], true, "{outcome}");
    assert_eq!(outcome["refused"], "ROOM_NOT_FOUND", "{outcome}");
}

#[test]
fn a_react_page_works_in_chromium() {
    node::require_node_and_modules();
    let dir = consumer_dir("codegen_react_page", "module");
    write_package(
        ConformanceApp::spec(),
        "conformance-client",
        &dir.join("pkg"),
    );
    link_module(&dir, "conformance-client", &dir.join("pkg"));
    for file in ["page.mjs", "page.browser.mjs"] {
        std::fs::copy(node::e2e_dir().join("react").join(file), dir.join(file)).unwrap();
    }
    let server = ServerProcess::start(&[]);
    let printed = run_node(
        &dir,
        "page.browser.mjs",
        &[&server.url],
        "the React page in Chromium",
    );
    server.stop();
    let outcome: serde_json::Value =
        serde_json::from_str(&printed).unwrap_or_else(|error| panic!("{error}: {printed}"));
    assert_eq!(outcome["ok"], true, "{outcome}");
}
