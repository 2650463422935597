// Type tests of the generated client of the fixture with every payload shape
// (tests/support/shapes.rs): per-user rooms, a room with server events, a
// room without client events, unit and tuple payloads, every serde tagging.
// `cargo test --test codegen_ts` generates that app's dialogue.ts next to a
// copy of this file (under target/) and runs `tsc --strict --noEmit` on both;
// every `// @ts-expect-error` line must be an error.

import {
  createDialogueClient,
  validatePayload,
  type Command,
  type EventMessage,
  type Profile,
  type RoomId,
  type Score,
  type Shape,
} from "./dialogue.js";

type Equals<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function assertType<T extends true>(_: T): void {}

export async function rightUsages(): Promise<void> {
  const client = createDialogueClient({ url: "http://127.0.0.1:3000", auth: { userId: "ada" } });
  await client.connect();
  assertType<Equals<RoomId, "all" | "game:lobby" | "any" | "quiet" | `inbox:${string}:main`>>(true);

  // Per-user rooms are template literal types.
  const inbox = await client.join(`inbox:${client.userId!}:main`);
  inbox.trigger("ping", null);
  inbox.trigger("shape", "Empty");
  inbox.trigger("shape", { Circle: { radius: 1 } });
  inbox.on("shape", (m) => assertType<Equals<typeof m.data, Shape>>(true));
  await client.join("inbox:bob:main");

  const all = await client.join("all");
  all.trigger("score", 3);
  all.trigger("point", [1, 2]);
  all.trigger("command", { type: "move", dx: 1, dy: -1 });
  all.trigger("command", { type: "quit" });
  all.trigger("envelope", { kind: "count", payload: 3 });
  all.trigger("envelope", { kind: "nothing" });
  all.trigger("reading", 2.5);
  all.trigger("reading", "high");
  const profile: Profile = {
    userName: "ada_99",
    email: "a@b.co",
    homepage: null,
    age: 30,
    tags: [],
    scores: { x: 1 },
    addr: { city: "x", country_code: "GB" },
    bio: "b",
    verified: true,
    visits: 1,
    darkMode: true,
    theme: "high-contrast",
  };
  const sent = await all.send("profile:updated", profile);
  assertType<Equals<typeof sent, EventMessage<Profile, "profile:updated">>>(true);

  // Server events are received, not triggered.
  const lobby = await client.join("game:lobby");
  lobby.trigger("command", { type: "sayHello", to: "bob" });
  lobby.on("score", (m) => assertType<Equals<typeof m.data, Score>>(true));
  lobby.on("command", (m) => assertType<Equals<typeof m.data, Command>>(true));

  // A room that takes nothing still receives every event the server pushes.
  const quiet = await client.join("quiet");
  quiet.on("profile:updated", (m) => void m.data.userName);

  const anything = await client.join("any");
  anything.trigger("whatever", { a: 1 });

  validatePayload("profile:updated", profile);
}

export async function wrongUsages(): Promise<void> {
  const client = createDialogueClient({ url: "http://127.0.0.1:3000" });
  // @ts-expect-error: the per-user room needs its suffix
  await client.join("inbox:ada");
  // @ts-expect-error: and its prefix
  await client.join("ada:main");
  // @ts-expect-error: the room's id, not its name
  await client.join("lobby");

  const inbox = await client.join("inbox:ada:main");
  // @ts-expect-error: the per-user room does not carry `score`
  inbox.trigger("score", 1);
  // @ts-expect-error: a unit event's payload is null
  inbox.trigger("ping", {});
  // @ts-expect-error: not a variant of Shape
  inbox.trigger("shape", "Triangle");

  const all = await client.join("all");
  // @ts-expect-error: a point has two coordinates
  all.trigger("point", [1, 2, 3]);
  // @ts-expect-error: an internally tagged variant needs its fields
  all.trigger("command", { type: "move", dx: 1 });
  // @ts-expect-error: an unknown tag
  all.trigger("command", { type: "jump" });
  // @ts-expect-error: the adjacently tagged payload's type
  all.trigger("envelope", { kind: "count", payload: "3" });
  // @ts-expect-error: the untagged enum is a number or a string
  all.trigger("reading", true);
  // @ts-expect-error: renamed field under its Rust name
  all.trigger("profile:updated", { user_name: "ada" });

  const lobby = await client.join("game:lobby");
  // @ts-expect-error: a server event may not be triggered by a client
  lobby.trigger("score", 1);

  const quiet = await client.join("quiet");
  // @ts-expect-error: the room takes no events from clients
  quiet.trigger("ping", null);
}
