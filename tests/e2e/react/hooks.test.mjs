// The generated package's React bindings in a DOM (jsdom), rendered with
// React Testing Library against the conformance server: the provider, the
// connection state, a room joined with the component and left after it,
// events, presence and a request. Run by `cargo test --test codegen_react`
// from a directory where `conformance-client` is the generated package.
//
//   node hooks.test.mjs http://127.0.0.1:PORT

import assert from "node:assert/strict";
import { JSDOM } from "jsdom";

const url = process.argv[2];
assert.ok(url, "usage: node hooks.test.mjs URL");

const dom = new JSDOM("<!doctype html><html><body></body></html>", { url: "http://localhost/" });
globalThis.window = dom.window;
globalThis.document = dom.window.document;
globalThis.navigator = dom.window.navigator;
globalThis.HTMLElement = dom.window.HTMLElement;
globalThis.IS_REACT_ACT_ENVIRONMENT = true;

const React = await import("react");
const { render, screen, waitFor, fireEvent, cleanup } = await import("@testing-library/react");
const { createDialogueClient } = await import("conformance-client");
const { DialogueProvider, useConnectionState, useEvent, usePresence, useRequest, useRoom } = await import(
  "conformance-client/react"
);

const h = React.createElement;
const wait = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const deadline = setTimeout(() => {
  console.error("the React test did not finish within 60 s");
  process.exit(1);
}, 60_000);

function Lobby() {
  const state = useConnectionState();
  const { room, error } = useRoom("lobby");
  const [texts, setTexts] = React.useState([]);
  useEvent(room, "message", (message) => setTexts((list) => [...list, `${message.from}: ${message.data.text}`]));
  const members = usePresence(room);
  const add = useRequest("add");
  return h(
    "div",
    null,
    h("p", { "data-testid": "state" }, state),
    h("p", { "data-testid": "room" }, room !== undefined ? "joined" : error !== undefined ? error.code : "joining"),
    h("ul", { "data-testid": "messages" }, texts.map((text, i) => h("li", { key: i }, text))),
    h("p", { "data-testid": "members" }, members.map((member) => member.userId).sort().join(",")),
    h("button", { onClick: () => add.call({ a: 2, b: 3 }).catch(() => undefined) }, "add"),
    h("p", { "data-testid": "sum" }, add.pending ? "asking" : add.data !== undefined ? String(add.data.sum) : ""),
    h("button", { onClick: () => room?.trigger("message", { text: "hello from React", senderId: "ada" }) }, "send"),
  );
}

function Closed() {
  // Not an id the `doc:{docId}` template takes.
  const { error } = useRoom("doc:not valid!");
  return h("p", { "data-testid": "refused" }, error !== undefined ? error.code : "no error");
}

const text = (id) => screen.getByTestId(id).textContent;
const ada = createDialogueClient({ url, auth: { userId: "ada" }, transports: ["websocket"] });
const bob = createDialogueClient({ url, auth: { userId: "bob" }, transports: ["websocket"] });

try {
  // Strict mode mounts every component twice: one membership all the same.
  render(h(React.StrictMode, null, h(DialogueProvider, { client: ada }, h(Lobby), h(Closed))));
  await waitFor(() => assert.equal(text("state"), "connected"));
  await waitFor(() => assert.equal(text("room"), "joined"));
  await waitFor(() => assert.equal(text("members"), "ada"));

  // Another user arrives and speaks: presence and the event reach the page.
  await bob.connect();
  const bobLobby = await bob.join("lobby");
  await waitFor(() => assert.equal(text("members"), "ada,bob"));
  await bobLobby.send("message", { text: "hi ada", senderId: "bob" });
  await waitFor(() => assert.deepEqual(
    [...screen.getByTestId("messages").children].map((li) => li.textContent),
    ["bob: hi ada"],
  ));

  // The page speaks; bob hears it.
  const heard = new Promise((resolve) => bobLobby.on("message", (message) => resolve(message)));
  fireEvent.click(screen.getByText("send"));
  const message = await heard;
  assert.equal(message.from, "ada");
  assert.equal(message.data.text, "hello from React");

  // A request, with its state.
  fireEvent.click(screen.getByText("add"));
  await waitFor(() => assert.equal(text("sum"), "5"));

  // A room that cannot be joined: its code.
  await waitFor(() => assert.notEqual(text("refused"), "no error"));
  const refused = text("refused");

  // Strict mode's second mount kept ada in the room: still present after
  // the hooks' leave delay.
  await wait(300);
  assert.equal((await bobLobby.presence()).members.map((m) => m.userId).sort().join(","), "ada,bob");

  // Unmounting leaves the room.
  cleanup();
  await waitFor(async () => {
    const page = await bobLobby.presence();
    assert.deepEqual(page.members.map((m) => m.userId), ["bob"]);
  }, { timeout: 5000 });

  process.stdout.write(JSON.stringify({ ok: true, refused }));
} finally {
  clearTimeout(deadline);
  ada.disconnect();
  bob.disconnect();
}
process.exit(0);
