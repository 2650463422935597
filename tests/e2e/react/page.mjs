// A small page on the generated package's React bindings, bundled by
// esbuild for Chromium (see page.browser.mjs): it joins `lobby` as `carol`,
// lists who is present and the messages, and sends one on a button.

import { createElement as h, useState } from "react";
import { createRoot } from "react-dom/client";
import { createDialogueClient } from "conformance-client";
import { DialogueProvider, useConnectionState, useEvent, usePresence, useRoom } from "conformance-client/react";

function Lobby() {
  const state = useConnectionState();
  const { room, error } = useRoom("lobby");
  const [texts, setTexts] = useState([]);
  useEvent(room, "message", (message) => setTexts((list) => [...list, `${message.from}: ${message.data.text}`]));
  const members = usePresence(room);
  return h(
    "main",
    null,
    h("p", { id: "state" }, state),
    h("p", { id: "room" }, room !== undefined ? "joined" : error !== undefined ? error.code : "joining"),
    h("p", { id: "members" }, members.map((member) => member.userId).sort().join(",")),
    h("ul", { id: "messages" }, texts.map((text, i) => h("li", { key: i }, text))),
    h("button", { id: "send", onClick: () => room?.trigger("message", { text: "hello from Chromium", senderId: "carol" }) }, "send"),
  );
}

const client = createDialogueClient({ url: window.SERVER_URL, auth: { userId: "carol" }, transports: ["websocket"] });
createRoot(document.getElementById("app")).render(h(DialogueProvider, { client }, h(Lobby)));
