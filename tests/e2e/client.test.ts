// End to end with the GENERATED TypeScript client (generated/dialogue.ts)
// against the conformance server at DIALOGUE_URL: every call of the client
// API, success and failure, and the client-side schema check.
//
// `cargo test --test codegen_ts` compiles this file with tsc into target/
// and runs it with `node --test` against a conformance server it starts.
// By hand: see README.md in this directory.

import { afterEach, describe, test } from "node:test";
import assert from "node:assert/strict";

import {
  createDialogueClient,
  DialogueError,
  validatePayload,
  validateRequest,
  type DialogueClient,
  type DialogueClientOptions,
  type EventMessage,
  type PresenceChange,
  type RoomInfo,
} from "./generated/dialogue.js";

const URL = process.env["DIALOGUE_URL"] ?? "";
if (URL === "") {
  throw new Error(
    "DIALOGUE_URL is not set: run `cargo test --test codegen_ts`, which starts the conformance server, " +
      "or see tests/e2e/README.md to run the suite by hand",
  );
}

/** The longest any single wait may take. */
const WAIT_MS = 3000;
/** The quiet period used only to assert that something does NOT arrive. */
const QUIET_MS = 150;
const ALL_TRANSPORTS = ["websocket", "polling"] as const;
/** Both, or those in DIALOGUE_TRANSPORTS (two nodes: WebSocket only). */
const TRANSPORTS = ALL_TRANSPORTS.filter(
  (transport) =>
    !process.env["DIALOGUE_TRANSPORTS"] || process.env["DIALOGUE_TRANSPORTS"].split(",").includes(transport),
);

let counter = 0;
function uid(prefix: string): string {
  counter += 1;
  return `${prefix}-${process.pid}-${Date.now().toString(36)}-${counter}`;
}
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Clients opened by the current test; all disconnected after it. */
const open = new Set<DialogueClient>();
afterEach(() => {
  for (const client of open) client.disconnect();
  open.clear();
});

type Transport = (typeof ALL_TRANSPORTS)[number];

/** A client on `transport`, not yet connected. */
function makeClient(transport: Transport, options: Partial<DialogueClientOptions> = {}): DialogueClient {
  const client = createDialogueClient({
    url: URL,
    auth: { userId: uid("user") },
    autoConnect: false,
    reconnection: false,
    timeout: WAIT_MS,
    transports: [transport],
    ...options,
  });
  open.add(client);
  return client;
}

/** A connected client. */
async function connected(transport: Transport, options: Partial<DialogueClientOptions> = {}): Promise<DialogueClient> {
  const client = makeClient(transport, options);
  await client.connect();
  return client;
}

/** Resolves with the next value `subscribe` delivers (bounded). */
function next<T>(subscribe: (handler: (value: T) => void) => () => void, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`no ${what} within ${WAIT_MS} ms`));
    }, WAIT_MS);
    const off = subscribe((value) => {
      clearTimeout(timer);
      off();
      resolve(value);
    });
  });
}

/** Asserts `promise` rejects with a DialogueError of `code`; returns it. */
async function rejectsWith(promise: Promise<unknown>, code: string): Promise<DialogueError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof DialogueError, `a DialogueError, got ${String(error)}`);
    assert.equal(error.code, code, `expected ${code}, got ${error.code}: ${error.message}`);
    assert.ok(error.message.length > 0, "the error has a message");
    return error;
  }
  assert.fail(`expected a ${code} rejection, but it resolved`);
}

/** Waits (bounded) until `check()` holds. */
async function eventually(check: () => Promise<boolean> | boolean, what: string): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`not within ${WAIT_MS} ms: ${what}`);
    await sleep(20);
  }
}

async function roomSize(client: DialogueClient, roomId: string): Promise<number | undefined> {
  return (await client.listRooms()).find((room) => room.id === roomId)?.size;
}

function assertEnvelope(message: EventMessage, expected: { event: string; roomId: string; data: unknown; from: string }): void {
  assert.equal(message.event, expected.event);
  assert.equal(message.roomId, expected.roomId);
  assert.deepEqual(message.data, expected.data);
  assert.equal(message.from, expected.from);
  assert.ok(Number.isInteger(message.timestamp), "timestamp in whole milliseconds");
  assert.ok(Math.abs(message.timestamp - Date.now()) < 60_000, "timestamp is now");
}

for (const transport of TRANSPORTS) {
  describe(`generated client (${transport})`, () => {
    test("request: the handler's typed answer, its own codes, INTERNAL, membership, client-side validation", async () => {
      const client = await connected(transport);
      const added = await client.request("add", { a: 2, b: 40 });
      assert.deepEqual(added, { sum: 42 });
      const tooBig = await rejectsWith(client.request("add", { a: 1_000_000_001, b: 1 }), "TOO_BIG");
      assert.equal(tooBig.message, "a and b may be at most 1,000,000,000");
      await rejectsWith(client.request("fail", {}), "INTERNAL");
      // With a room: only its members may ask.
      await rejectsWith(client.request("add", { a: 1, b: 1 }, { roomId: "chat" }), "NOT_IN_ROOM");
      await client.join("chat");
      assert.deepEqual(await client.request("add", { a: 1, b: 1 }, { roomId: "chat" }), { sum: 2 });
      // Checked before it is sent, as the server would.
      const invalid = await rejectsWith(client.request("add", { a: 1 } as never), "VALIDATION_FAILED");
      assert.deepEqual(invalid.details?.map((issue) => issue.path), ["/b"]);
      // The server checks too.
      const unchecked = await connected(transport, { validate: false });
      const server = await rejectsWith(unchecked.request("add", { a: "one", b: 2 } as never), "VALIDATION_FAILED");
      assert.deepEqual(server.details?.map((issue) => issue.path), ["/a"]);
      await rejectsWith(unchecked.request("multiply" as never, {} as never), "UNKNOWN_REQUEST");
    });

    test("connect resolves on dialogue:connected; state, userId, onConnect, disconnect, onDisconnect", async () => {
      const userId = uid("alice");
      const client = makeClient(transport, { auth: { userId } });
      assert.equal(client.state, "disconnected");
      assert.equal(client.connected, false);
      assert.equal(client.userId, "", "empty until the server greets the client");
      const greeted = next<void>((h) => client.onConnect(() => h()), "onConnect");
      const connecting = client.connect();
      assert.equal(client.state, "connecting");
      assert.equal(client.connect(), connecting, "connect() while connecting is the same promise");
      await connecting;
      await greeted;
      assert.equal(client.state, "connected");
      assert.equal(client.connected, true);
      assert.equal(client.userId, userId);
      await client.connect(); // already connected: resolves at once

      const chat = await client.join("chat");
      const reason = next<string>((h) => client.onDisconnect(h), "onDisconnect");
      client.disconnect();
      assert.equal(await reason, "io client disconnect");
      assert.equal(client.state, "disconnected");
      assert.equal(client.connected, false);
      assert.equal(client.getRoom("chat"), undefined, "disconnect forgets joined rooms");
      void chat;
    });

    test("autoConnect connects without connect(); connect() then resolves", async () => {
      const client = makeClient(transport, { autoConnect: true });
      await next<void>((h) => client.onConnect(() => h()), "onConnect");
      assert.equal(client.state, "connected");
      await client.connect();
    });

    test("a server that cannot be reached: connect rejects with CONNECT_FAILED", async () => {
      const client = makeClient(transport, { url: "http://127.0.0.1:9" });
      await rejectsWith(client.connect(), "CONNECT_FAILED");
      assert.equal(client.state, "disconnected");
      // With autoConnect nobody awaits the connection: the failure reaches onError.
      const auto = makeClient(transport, { url: "http://127.0.0.1:9", autoConnect: true });
      const reported = await next<DialogueError>((h) => auto.onError(h), "onError");
      assert.equal(reported.code, "CONNECT_FAILED");
    });

    test("join: the room context, getRoom, and history on join through onHistory and room.history", async () => {
      const writer = await connected(transport);
      const writerChat = await writer.join("chat");
      const text = uid("history");
      await writerChat.send("message", { text, senderId: "w" });

      const reader = await connected(transport);
      const histories: Array<[string, EventMessage[]]> = [];
      reader.onHistory((roomId, events) => histories.push([roomId, events]));
      const chat = await reader.join("chat");
      assert.equal(chat.roomId, "chat");
      assert.equal(chat.roomName, "Chat Room");
      assert.equal(reader.getRoom("chat"), chat);
      assert.equal(reader.getRoom("small"), undefined);
      assert.equal(histories.length, 1, "onHistory ran before join resolved");
      const [roomId, events] = histories[0]!;
      assert.equal(roomId, "chat");
      const newest = events[0];
      assert.ok(newest, "the history is not empty");
      assertEnvelope(newest, { event: "message", roomId: "chat", data: { text, senderId: "w" }, from: writer.userId! });
      assert.deepEqual(chat.history, events);

      // A room without history on join has an empty `history`, and no onHistory call.
      const orders = await reader.join("orders");
      assert.deepEqual(orders.history, []);
      assert.equal(histories.length, 1);
      // Joining again answers again and keeps the same context.
      assert.equal(await reader.join("chat"), chat);
    });

    test("trigger and send reach the room's members: on, onAny, the stamped envelope", async () => {
      const alice = await connected(transport);
      const bob = await connected(transport);
      const aliceChat = await alice.join("chat");
      const bobChat = await bob.join("chat");
      const text = uid("hello");

      const received = next<EventMessage>((h) => bobChat.on("message", h), "message on bob");
      const any = next<[string, EventMessage]>((h) => bobChat.onAny((event, m) => h([event, m])), "onAny on bob");
      aliceChat.trigger("message", { text, senderId: "client-says" }, { trace: "t-1" });
      const message = await received;
      assertEnvelope(message, { event: "message", roomId: "chat", data: { text, senderId: "client-says" }, from: alice.userId! });
      assert.deepEqual(message.meta, { trace: "t-1" });
      const [event, same] = await any;
      assert.equal(event, "message");
      assert.deepEqual(same, message);

      const text2 = uid("send");
      const echoed = next<EventMessage>(
        (h) => aliceChat.on("message", (m) => m.data.text === text2 && h(m)),
        "own message on alice",
      );
      const sent = await aliceChat.send("message", { text: text2, senderId: "x" });
      assertEnvelope(sent, { event: "message", roomId: "chat", data: { text: text2, senderId: "x" }, from: alice.userId! });
      assert.deepEqual(await echoed, sent, "the sender, subscribed, gets what everyone got");
    });

    test("on and onAny return functions that stop the handler", async () => {
      const client = await connected(transport);
      const chat = await client.join("chat");
      let named = 0;
      let all = 0;
      const offNamed = chat.on("message", () => {
        named += 1;
      });
      const offAll = chat.onAny(() => {
        all += 1;
      });
      const seen = next<EventMessage>((h) => chat.on("message", h), "message");
      await chat.send("message", { text: uid("one"), senderId: "x" });
      await seen;
      offNamed();
      offAll();
      const seenAgain = next<EventMessage>((h) => chat.on("message", h), "message");
      await chat.send("message", { text: uid("two"), senderId: "x" });
      await seenAgain;
      assert.equal(named, 1);
      assert.equal(all, 1);
    });

    test("subscribe, unsubscribe, subscribeAll", async () => {
      const alice = await connected(transport);
      const bob = await connected(transport);
      const aliceChat = await alice.join("chat");
      const bobChat = await bob.join("chat");
      const typings: EventMessage[] = [];
      bobChat.on("typing", (m) => typings.push(m));

      // `typing` is not a default subscription of chat.
      await aliceChat.send("typing", { isTyping: true });
      await bob.listRooms(); // a round trip: everything sent before has arrived
      await sleep(QUIET_MS);
      assert.equal(typings.length, 0, "not subscribed to typing yet");

      await bobChat.subscribe("typing");
      const got = next<EventMessage>((h) => bobChat.on("typing", h), "typing");
      await aliceChat.send("typing", { isTyping: false });
      assert.deepEqual((await got).data, { isTyping: false });

      await bobChat.unsubscribe("typing");
      const before = typings.length;
      await aliceChat.send("typing", { isTyping: true });
      await bob.listRooms();
      await sleep(QUIET_MS);
      assert.equal(typings.length, before, "unsubscribed from typing");

      await bobChat.subscribeAll();
      const again = next<EventMessage>((h) => bobChat.on("typing", h), "typing after subscribeAll");
      await aliceChat.send("typing", { isTyping: true });
      assert.deepEqual((await again).data, { isTyping: true });
    });

    test("subscribe in a room not joined fails; unawaited, the failure reaches onError", async () => {
      const client = await connected(transport);
      const chat = await client.join("chat");
      await chat.leave();
      await rejectsWith(chat.subscribe("typing"), "NOT_IN_ROOM");
      const reported = next<DialogueError>((h) => client.onError(h), "onError");
      void chat.unsubscribe("typing");
      assert.equal((await reported).code, "NOT_IN_ROOM");
    });

    test("getHistory pages newest first", async () => {
      const client = await connected(transport);
      const chat = await client.join("chat");
      const texts = [uid("h1"), uid("h2"), uid("h3")];
      for (const text of texts) await chat.send("message", { text, senderId: "x" });
      const page = await chat.getHistory("message", 0, 2);
      assert.deepEqual(
        page.map((m) => m.data.text),
        [texts[2], texts[1]],
      );
      const older = await chat.getHistory("message", 2, 3);
      assert.deepEqual(
        older.map((m) => m.data.text),
        [texts[0]],
      );
      const defaults = await chat.getHistory("message");
      assert.ok(defaults.length >= 3 && defaults.length <= 50);
      assert.equal(defaults[0]?.data.text, texts[2]);
    });

    test("leave: no more events, and trigger after leaving is NOT_IN_ROOM", async () => {
      const alice = await connected(transport);
      const bob = await connected(transport);
      const aliceChat = await alice.join("chat");
      const bobChat = await bob.join("chat");
      const afterLeave: EventMessage[] = [];
      bobChat.on("message", (m) => afterLeave.push(m));
      await bobChat.leave();
      assert.equal(bob.getRoom("chat"), undefined);
      await aliceChat.send("message", { text: uid("gone"), senderId: "x" });
      await bob.listRooms();
      await sleep(QUIET_MS);
      assert.deepEqual(afterLeave, []);

      const error = await rejectsWith(bobChat.send("message", { text: "hi", senderId: "x" }), "NOT_IN_ROOM");
      assert.equal(error.details, undefined);
      await rejectsWith(bobChat.getHistory("message"), "NOT_IN_ROOM");
      // Fire and forget: the failure reaches onError.
      const reported = next<DialogueError>((h) => bob.onError(h), "onError");
      bobChat.trigger("message", { text: "hi", senderId: "x" });
      assert.equal((await reported).code, "NOT_IN_ROOM");
    });

    test("ROOM_FULL: a third member of `small` is refused", async () => {
      const [a, b, c] = await Promise.all([connected(transport), connected(transport), connected(transport)]);
      await eventually(async () => (await roomSize(a, "small")) === 0, "small is empty");
      await a.join("small");
      await b.join("small");
      const error = await rejectsWith(c.join("small"), "ROOM_FULL");
      assert.ok(error instanceof Error);
      assert.equal(c.getRoom("small"), undefined);
      assert.equal(await roomSize(a, "small"), 2);
    });

    test("VALIDATION_FAILED from the server (validate: false) lists each issue", async () => {
      const client = await connected(transport, { validate: false });
      const chat = await client.join("chat");
      const error = await rejectsWith(
        chat.send("message", { text: "", senderId: 7 } as unknown as { text: string; senderId: string }),
        "VALIDATION_FAILED",
      );
      const paths = (error.details ?? []).map((issue) => issue.path).sort();
      assert.deepEqual(paths, ["/senderId", "/text"]);
      for (const issue of error.details ?? []) assert.ok(issue.message.length > 0);
      // Fire and forget: onError.
      const reported = next<DialogueError>((h) => client.onError(h), "onError");
      chat.trigger("typing", {} as { isTyping: boolean });
      const failure = await reported;
      assert.equal(failure.code, "VALIDATION_FAILED");
      assert.deepEqual(
        failure.details?.map((issue) => issue.path),
        ["/isTyping"],
        "a missing property is reported at its own pointer",
      );
    });

    test("client-side validation refuses an invalid payload locally, with the server's kind of details", async () => {
      const alice = await connected(transport);
      const bob = await connected(transport);
      const aliceChat = await alice.join("chat");
      const bobChat = await bob.join("chat");
      const seen: EventMessage[] = [];
      bobChat.on("message", (m) => seen.push(m));

      const tooLong = "x".repeat(1001);
      const error = await rejectsWith(aliceChat.send("message", { text: tooLong, senderId: "a" }), "VALIDATION_FAILED");
      assert.deepEqual(
        error.details?.map((issue) => issue.path),
        ["/text"],
      );
      assert.match(error.details?.[0]?.message ?? "", /longer than 1000 characters/);
      // 1000 characters, counted as code points (each emoji is two UTF-16 units), is fine.
      await aliceChat.send("message", { text: "😀".repeat(1000), senderId: "a" });

      const orders = await alice.join("orders");
      const wrongEnum = await rejectsWith(
        orders.send("order:updated", { orderId: "o", status: "lost" as "shipped" }),
        "VALIDATION_FAILED",
      );
      assert.equal(wrongEnum.details?.[0]?.path, "/status");

      const reported = next<DialogueError>((h) => alice.onError(h), "onError");
      aliceChat.trigger("message", { text: "", senderId: "a" });
      const failure = await reported;
      assert.equal(failure.code, "VALIDATION_FAILED");
      assert.equal(failure.details?.[0]?.path, "/text");

      // Nothing invalid was sent: bob got only the valid message, and history agrees.
      await bob.listRooms();
      await sleep(QUIET_MS);
      assert.equal(seen.length, 1);
      const newest = await aliceChat.getHistory("message", 0, 1);
      assert.equal(newest[0]?.data.text, "😀".repeat(1000));
    });

    test("EVENT_NOT_ALLOWED: the read-only room refuses every trigger", async () => {
      const client = await connected(transport);
      const readonly = await client.join("readonly");
      assert.equal(readonly.roomName, "Read-Only");
      // The types refuse this already (NoEvents); a cast gets it to the server.
      const untyped = readonly as unknown as { send(event: string, data: unknown): Promise<EventMessage> };
      await rejectsWith(untyped.send("message", { text: "hi", senderId: "x" }), "EVENT_NOT_ALLOWED");
      const chat = await client.join("chat");
      const chatUntyped = chat as unknown as { send(event: string, data: unknown): Promise<EventMessage> };
      await rejectsWith(chatUntyped.send("order:updated", { orderId: "o", status: "shipped" }), "EVENT_NOT_ALLOWED");
    });

    test("a `*` room takes any event unchecked", async () => {
      const client = await connected(transport);
      const sandbox = await client.join("sandbox");
      const got = next<EventMessage>((h) => sandbox.on("anything-goes", h), "sandbox event");
      const sent = await sandbox.send("anything-goes", { free: ["form", 1, null] });
      assert.deepEqual(sent.data, { free: ["form", 1, null] });
      assert.deepEqual((await got).data, sent.data);
      // Even a declared event name is not checked in a `*` room.
      await sandbox.send("message", { nonsense: true });
    });

    test("TIMEOUT: a request without an answer in time", async () => {
      // Never connected: Socket.IO buffers the request, nobody answers.
      const client = makeClient(transport, { timeout: 200 });
      const started = Date.now();
      const error = await rejectsWith(client.listRooms(), "TIMEOUT");
      assert.ok(Date.now() - started >= 150, "waited for the timeout");
      assert.match(error.message, /200 ms/);
      await rejectsWith(client.join("chat"), "TIMEOUT");
    });

    test("listRooms, createRoom, onRoomCreated, join a created room, deleteRoom, onRoomDeleted", async () => {
      const owner = await connected(transport);
      const other = await connected(transport);
      const rooms = await owner.listRooms();
      for (const id of ["chat", "small", "sandbox", "readonly", "orders", "lobby"]) {
        assert.ok(
          rooms.some((room) => room.id === id),
          `${id} is listed`,
        );
      }
      const small = rooms.find((room) => room.id === "small");
      assert.equal(small?.maxSize, 2);
      assert.equal(rooms.find((room) => room.id === "chat")?.description, "General chat");

      const id = uid("room");
      const announced = next<RoomInfo>((h) => other.onRoomCreated(h), "onRoomCreated");
      const info = await owner.createRoom({ id, name: "Tech Talk", description: "tech", maxSize: 5 });
      assert.deepEqual(
        { id: info.id, name: info.name, description: info.description, maxSize: info.maxSize, createdById: info.createdById },
        { id, name: "Tech Talk", description: "tech", maxSize: 5, createdById: owner.userId },
      );
      assert.equal((await announced).id, id);
      await rejectsWith(owner.createRoom({ id, name: "again" }), "ROOM_EXISTS");

      const room = await other.join(info);
      assert.equal(room.roomName, "Tech Talk");
      assert.equal(other.getRoom(info), room);
      const got = next<EventMessage>((h) => room.onAny((_, m) => h(m)), "event in the created room");
      const ownerRoom = await owner.join({ id });
      await ownerRoom.send("free", { any: 1 });
      assert.deepEqual((await got).data, { any: 1 });

      await rejectsWith(other.deleteRoom(id), "PERMISSION_DENIED");
      await rejectsWith(owner.deleteRoom("chat"), "PERMISSION_DENIED");
      const deleted = next<string>((h) => other.onRoomDeleted(h), "onRoomDeleted");
      await owner.deleteRoom(info);
      assert.equal(await deleted, id);
      assert.equal(other.getRoom(info), undefined, "a deleted room is forgotten");
      assert.ok(!(await owner.listRooms()).some((r) => r.id === id));
      await rejectsWith(owner.deleteRoom(id), "ROOM_NOT_FOUND");
      await rejectsWith(owner.join({ id }), "ROOM_NOT_FOUND");
    });

    test("presence: presence(), onPresence on arrival, update and departure, setPresence checked first", async () => {
      const alice = await connected(transport, { auth: { userId: uid("alice"), name: "Alice" } });
      const bob = await connected(transport);
      const aliceLobby = await alice.join("lobby");
      // Her own arrival first: every member's connections hear each diff.
      const own = await next<PresenceChange>((h) => aliceLobby.onPresence(h), "alice's own arrival");
      assert.deepEqual(own.joined, [{ userId: alice.userId, info: { name: "Alice" } }]);
      const arrival = next<PresenceChange>((h) => aliceLobby.onPresence(h), "bob's arrival");
      const bobLobby = await bob.join("lobby");
      const bobOwn = next<PresenceChange>((h) => bobLobby.onPresence(h), "bob's own arrival");
      assert.deepEqual((await arrival).joined, [{ userId: bob.userId }]);
      assert.deepEqual((await bobOwn).joined, [{ userId: bob.userId }]);
      const present = await bobLobby.presence();
      const mine = present.members.find((member) => member.userId === alice.userId);
      assert.deepEqual(mine, { userId: alice.userId, info: { name: "Alice" } });
      assert.equal(present.count, present.members.length);
      const update = next<PresenceChange>((h) => bobLobby.onPresence(h), "alice's update");
      await aliceLobby.setPresence({ name: "Alice", status: "away" });
      assert.deepEqual((await update).updated, [{ userId: alice.userId, info: { name: "Alice", status: "away" } }]);
      const invalid = await rejectsWith(aliceLobby.setPresence({ status: "asleep" } as never), "VALIDATION_FAILED");
      assert.deepEqual(invalid.details?.map((issue) => issue.path), ["/status"]);
      const departure = next<PresenceChange>((h) => bobLobby.onPresence(h), "alice's departure");
      await aliceLobby.leave();
      assert.deepEqual((await departure).left.map((member) => member.userId), [alice.userId]);
      // A room without presence.
      const chat = await bob.join("chat");
      await rejectsWith(chat.presence(), "INVALID_REQUEST");
    });

    test("secrets and hosts: join with a secret, kick with ban, onKicked, transferHost, onHostChanged", async () => {
      const host = await connected(transport);
      const guest = await connected(transport);
      const id = uid("vault");
      const info = await host.createRoom({ id, name: "Vault", secret: "open sesame", presence: true });
      assert.equal(info.hasSecret, true);
      assert.equal(info.hostId, host.userId);
      assert.equal(info.presence, true);
      await rejectsWith(guest.join(info), "JOIN_DENIED");
      await rejectsWith(guest.join(info, { secret: "wrong" }), "JOIN_DENIED");
      const hostRoom = await host.join(info, { secret: "open sesame" });
      const guestRoom = await guest.join(info, { secret: "open sesame" });
      await rejectsWith(guestRoom.kick(host.userId), "PERMISSION_DENIED");
      const changed = next<string>((h) => guestRoom.onHostChanged(h), "onHostChanged");
      await hostRoom.transferHost(guest.userId);
      assert.equal(await changed, guest.userId);
      const kicked = next<string | undefined>((h) => hostRoom.onKicked(h), "onKicked");
      await guestRoom.kick(host.userId, { reason: "bye", ban: true });
      assert.equal(await kicked, "bye");
      assert.equal(host.getRoom(info), undefined, "a kicked room is forgotten");
      await rejectsWith(host.join(info, { secret: "open sesame" }), "JOIN_DENIED");
      await guest.deleteRoom(info);
    });

    test("a template's instance is made when joined, with the template's validated events", async () => {
      const client = await connected(transport);
      const other = await connected(transport);
      const docId = uid("doc");
      const doc = await client.join(`doc:${docId}`);
      assert.equal(doc.roomName, "Document");
      const otherDoc = await other.join(`doc:${docId}`);
      const got = next<EventMessage>((h) => otherDoc.on("message", h), "message in the instance");
      await doc.send("message", { text: "hello", senderId: "a" });
      assert.deepEqual((await got).data, { text: "hello", senderId: "a" });
      // Validated, as the template's events are.
      const rejected = await rejectsWith(doc.send("message", { text: "", senderId: "a" }), "VALIDATION_FAILED");
      assert.ok(rejected.details !== undefined);
      // Listed while in memory, never created or deleted by clients.
      assert.ok((await client.listRooms()).some((room) => room.id === `doc:${docId}`));
      await rejectsWith(client.createRoom({ id: `doc:${uid("x")}`, name: "mine" }), "PERMISSION_DENIED");
      await rejectsWith(client.deleteRoom(`doc:${docId}`), "PERMISSION_DENIED");
      // A history sync on join, as the template says.
      const late = await connected(transport);
      const lateDoc = await late.join(`doc:${docId}`);
      assert.deepEqual(lateDoc.history.map((m) => (m.data as { text: string }).text), ["hello"]);
    });
  });
}

describe("validateRequest (no server)", () => {
  test("issues of a request's payload, as the server reports them", () => {
    assert.deepEqual(validateRequest("add", { a: 1, b: 2 }), []);
    assert.deepEqual(
      validateRequest("add", { a: 1.5 })
        .map((issue) => issue.path)
        .sort(),
      ["/a", "/b"],
    );
    assert.equal(validateRequest("multiply" as never, {})[0]?.path, "");
  });
});

describe("validatePayload (no server)", () => {
  test("valid payloads have no issues", () => {
    assert.deepEqual(validatePayload("message", { text: "hi", senderId: "a" }), []);
    assert.deepEqual(validatePayload("typing", { isTyping: false }), []);
    assert.deepEqual(validatePayload("order:updated", { orderId: "o", status: "delivered" }), []);
    // As JSON carries it: an undefined member is dropped.
    assert.deepEqual(validatePayload("message", { text: "hi", senderId: "a", extra: undefined }), []);
  });

  test("issues are JSON pointers with messages", () => {
    assert.deepEqual(validatePayload("message", {}), [
      { path: "/text", message: '"text" is a required property' },
      { path: "/senderId", message: '"senderId" is a required property' },
    ]);
    assert.deepEqual(validatePayload("typing", { isTyping: "yes" }), [
      { path: "/isTyping", message: '"yes" is not of type "boolean"' },
    ]);
    assert.deepEqual(validatePayload("message", { text: "", senderId: "a" }), [
      { path: "/text", message: '"" is shorter than 1 character' },
    ]);
    assert.equal(validatePayload("order:updated", { orderId: "o", status: "lost" })[0]?.path, "/status");
    assert.deepEqual(validatePayload("typing", null), [{ path: "", message: 'null is not of type "object"' }]);
    assert.deepEqual(validatePayload("typing", undefined), [{ path: "", message: 'null is not of type "object"' }]);
  });

  test("an undeclared event is an issue", () => {
    const issues = validatePayload("nope" as "typing", {});
    assert.equal(issues.length, 1);
    assert.match(issues[0]?.message ?? "", /no event named "nope"/);
  });
});
