// Type tests of the generated package's React bindings (the conformance
// app's): right usages compile, and each line after `@ts-expect-error` must
// be an error. Checked by `cargo test --test codegen_react`.

import { createDialogueClient, type EventMessage, type Message } from "conformance-client";
import {
  DialogueProvider,
  useConnectionState,
  useDialogue,
  useEvent,
  usePresence,
  useRequest,
  useRoom,
  type RoomState,
} from "conformance-client/react";
import { createElement, type ReactNode } from "react";

export function Page(): ReactNode {
  const client = useDialogue();
  const state: "disconnected" | "connecting" | "connected" | "reconnecting" = useConnectionState();
  const chat: RoomState<"chat"> = useRoom("chat");
  const doc = useRoom("doc:readme");
  // @ts-expect-error: no room `nowhere` is declared
  useRoom("nowhere");

  useEvent(chat.room, "message", (message: EventMessage<Message, "message">) => {
    const text: string = message.data.text;
    void text;
  });
  useEvent(doc.room, "typing", (message) => {
    const typing: boolean = message.data.isTyping;
    void typing;
  });
  // @ts-expect-error: `chat` does not deliver `order:updated`
  useEvent(chat.room, "order:updated", () => undefined);

  chat.room?.trigger("message", { text: "hi", senderId: "me" });
  // @ts-expect-error: a message needs its text
  chat.room?.trigger("message", { senderId: "me" });

  const members = usePresence(useRoom("lobby").room);
  const names: Array<string | undefined> = members.map((member) => member.info?.name);

  const add = useRequest("add");
  void add.call({ a: 1, b: 2 }).then((answer) => answer.sum.toFixed());
  const sum: number | undefined = add.data?.sum;
  // @ts-expect-error: `add` takes two integers
  void add.call({ a: 1 });
  // @ts-expect-error: no request `subtract` is declared
  useRequest("subtract");

  void client;
  return createElement("p", null, state, names.join(","), String(sum));
}

export function App(): ReactNode {
  const client = createDialogueClient({ url: "http://localhost:3000", autoConnect: false });
  // @ts-expect-error: the provider needs a client
  createElement(DialogueProvider, {});
  return createElement(DialogueProvider, { client }, createElement(Page));
}
