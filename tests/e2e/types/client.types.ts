// Type tests of the generated client of the conformance app: every right
// usage must compile, and every wrong usage, marked `// @ts-expect-error`,
// must be a compile error (else tsc reports the unused directive).
// Checked by `cargo test --test codegen_ts` (`tsc -p tests/e2e --noEmit`);
// never run.

import {
  createDialogueClient,
  DialogueError,
  validatePayload,
  validateRequest,
  type AddResult,
  type AnyEvents,
  type DialogueClient,
  type ErrorCode,
  type EventMessage,
  type JoinedRoom,
  type LobbyInfo,
  type Message,
  type NoEvents,
  type OrderStatus,
  type OrderUpdated,
  type PresenceChange,
  type PresenceInfo,
  type PresenceMember,
  type RoomContext,
  type RoomId,
  type RoomInfo,
  type Typing,
  type ValidationIssue,
} from "../generated/dialogue.js";

/** Fails to compile unless `A` and `B` are the same type. */
type Equals<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function assertType<T extends true>(_: T): void {}

export async function rightUsages(): Promise<void> {
  const client: DialogueClient = createDialogueClient({
    url: "http://127.0.0.1:3000",
    auth: { userId: "alice", token: "t" },
    autoConnect: false,
    reconnection: true,
    reconnectionAttempts: 3,
    timeout: 2000,
    validate: true,
    transports: ["websocket"],
  });
  await client.connect();
  const state: "disconnected" | "connecting" | "connected" | "reconnecting" = client.state;
  const connected: boolean = client.connected;
  // A string, as dialogue-ts's client has it (empty before the greeting).
  assertType<Equals<typeof client.userId, string>>(true);
  const me: string = client.userId;
  void [state, connected, me];

  assertType<Equals<RoomId, "chat" | "small" | "sandbox" | "readonly" | "orders" | "lobby" | `doc:${string}`>>(true);

  // A room with a list of events.
  const chat = await client.join("chat");
  const name: string = chat.roomName;
  const id: string = chat.roomId;
  void [name, id];
  chat.trigger("message", { text: "hi", senderId: "alice" });
  chat.trigger("message", { text: "hi", senderId: "alice" }, { traceId: "x" });
  chat.trigger("typing", { isTyping: true });
  const sent = await chat.send("message", { text: "hi", senderId: client.userId });
  assertType<Equals<typeof sent, EventMessage<Message, "message">>>(true);
  const text: string = sent.data.text;
  const from: string = sent.from;
  const at: number = sent.timestamp;
  void [text, from, at];
  const stop = chat.on("message", (m) => {
    assertType<Equals<typeof m.data, Message>>(true);
    assertType<Equals<typeof m.event, "message">>(true);
    const t: string = m.data.text;
    void t;
  });
  stop();
  chat.on("typing", (m) => {
    const typing: boolean = m.data.isTyping;
    void typing;
  });
  chat.onAny((event, m) => {
    assertType<Equals<typeof event, "message" | "typing">>(true);
    if (m.event === "typing") {
      const typing: boolean = m.data.isTyping; // narrowed by the event name
      void typing;
    } else {
      const t: string = m.data.text;
      void t;
    }
  });
  await chat.subscribe("typing");
  chat.unsubscribe("typing"); // not awaited: failures reach onError
  void chat.subscribeAll();
  const page = await chat.getHistory("message", 0, 20);
  assertType<Equals<typeof page, Array<EventMessage<Message, "message">>>>(true);
  await chat.getHistory("message");
  for (const past of chat.history) {
    if (past.event === "message") void past.data.senderId;
  }
  await chat.leave();

  // Enums become unions.
  const orders = await client.join("orders");
  const status: OrderStatus = "shipped";
  await orders.send("order:updated", { orderId: "o-1", status });
  orders.on("order:updated", (m) => {
    const s: "pending" | "processing" | "shipped" | "delivered" = m.data.status;
    void s;
  });

  // A `*` room takes any event name with any data.
  const sandbox = await client.join("sandbox");
  assertType<Equals<typeof sandbox, RoomContext<AnyEvents, AnyEvents>>>(true);
  sandbox.trigger("anything", { whatever: [1, 2, 3] });
  sandbox.trigger("else", 42);
  const echo = await sandbox.send("x", null);
  assertType<Equals<typeof echo.data, unknown>>(true);
  sandbox.on("whatever", (m) => void m.data);

  // A room without client events still receives what the server pushes.
  const readonly = await client.join("readonly");
  assertType<Equals<typeof readonly, RoomContext<NoEvents, import("../generated/dialogue.js").EventPayloads>>>(true);
  readonly.on("order:updated", (m) => {
    const order: OrderUpdated = m.data;
    void order;
  });
  readonly.on("typing", (m) => void (m.data satisfies Typing));

  // Room contexts as variables, as in the docs.
  let room: RoomContext | null = null;
  room = sandbox;
  room = chat; // a typed room is a RoomContext too
  room = readonly;
  let joined: JoinedRoom<"chat"> | undefined = client.getRoom("chat");
  joined = chat;
  void [room, joined];

  // Rooms created at runtime are joined through their RoomInfo.
  const info: RoomInfo = await client.createRoom({ id: "tech", name: "Tech", description: "d", maxSize: 10 });
  const dynamic = await client.join(info);
  dynamic.trigger("anything", { at: 1 });
  client.getRoom(info)?.trigger("x", 1);
  await client.deleteRoom(info);
  await client.deleteRoom("tech");
  const rooms: RoomInfo[] = await client.listRooms();
  const size: number = rooms[0]?.size ?? 0;
  void size;

  // Lifecycle handlers, each returning its unsubscribe function.
  const offs: Array<() => void> = [
    client.onConnect(() => {}),
    client.onDisconnect((reason: string) => void reason),
    client.onError((error) => {
      // A protocol code, or an application's own (from `request`).
      const code: ErrorCode | (string & {}) = error.code;
      const issues: ValidationIssue[] | undefined = error.details;
      void [code, issues, error.message];
    }),
    client.onError((error: Error) => void error.message), // as in dialogue-ts's docs
    client.onRoomCreated((r: RoomInfo) => void r.name),
    client.onRoomDeleted((roomId: string) => void roomId),
    client.onHistory((roomId: string, events: EventMessage[]) => void [roomId, events.length]),
  ];
  offs.forEach((off) => off());

  // Errors.
  try {
    await chat.send("message", { text: "", senderId: "a" });
  } catch (error) {
    if (error instanceof DialogueError && error.code === "VALIDATION_FAILED") {
      const first: string | undefined = error.details?.[0]?.path;
      void first;
    }
  }
  const issues: ValidationIssue[] = validatePayload("message", { text: "" });
  void issues;

  // Requests: a typed answer; refusals carry the application's code.
  const added = await client.request("add", { a: 1, b: 2 });
  assertType<Equals<typeof added, AddResult>>(true);
  const sum: number = added.sum;
  void sum;
  await client.request("add", { a: 1, b: 2 }, { roomId: "chat" });
  try {
    await client.request("fail", {});
  } catch (error) {
    if (error instanceof DialogueError && error.code === "TOO_BIG") void error.message;
  }
  const requestIssues: ValidationIssue[] = validateRequest("add", { a: 1 });
  void requestIssues;

  // Presence: typed by the app's info type.
  assertType<Equals<PresenceInfo, LobbyInfo>>(true);
  const lobby = await client.join("lobby");
  const present = await lobby.presence();
  const first: PresenceMember | undefined = present.members[0];
  const shown: string | undefined = first?.info?.name;
  const count: number = present.count;
  void [shown, count];
  const offPresence = lobby.onPresence((change: PresenceChange) => {
    for (const member of change.joined) void member.userId;
    const status: "active" | "idle" | "away" | undefined = change.updated[0]?.info?.status;
    void [status, change.left];
  });
  offPresence();
  await lobby.setPresence({ status: "away" });
  await lobby.setPresence({ name: "Alice", status: "active" });

  // Hosts and secrets.
  const vault = await client.createRoom({ id: "vault", name: "Vault", secret: "s", hostOnly: true, presence: true });
  const hasSecret: boolean | undefined = vault.hasSecret;
  const host: string | undefined = vault.hostId;
  void [hasSecret, host];
  const inVault = await client.join(vault, { secret: "s" });
  await inVault.kick("bob", { reason: "spam", ban: true });
  await inVault.kick("carol");
  await inVault.transferHost("dave");
  inVault.onHostChanged((hostId: string) => void hostId);
  inVault.onKicked((reason: string | undefined) => void reason);
  await client.join("chat", { secret: "ignored where none is set" });

  // Live authentication: a token source, refreshed before expiry.
  const withTokens = createDialogueClient({ url: "http://x", getToken: async () => "a.jwt.token" });
  const refreshed = await withTokens.refreshToken();
  const expiresAt: number | undefined = refreshed.expiresAt;
  void expiresAt;
  await withTokens.refreshToken("another.jwt.token");
  createDialogueClient({ url: "http://x", getToken: () => "sync.jwt.token" });

  // Templates: an instance id is `doc:${string}`, with the template's events.
  const doc = await client.join("doc:readme");
  assertType<Equals<typeof doc, JoinedRoom<`doc:${string}`>>>(true);
  doc.trigger("message", { text: "hi", senderId: "alice" });
  doc.trigger("typing", { isTyping: true });
  doc.on("message", (m) => void (m.data satisfies Message));
  const docId = "notes";
  await client.join(`doc:${docId}`);
  client.disconnect();
}

export async function wrongUsages(client: DialogueClient): Promise<void> {
  // @ts-expect-error: a request the app does not declare
  await client.request("multiply", { a: 1, b: 2 });
  // @ts-expect-error: a field of the wrong type
  await client.request("add", { a: "1", b: 2 });
  // @ts-expect-error: a missing field
  await client.request("add", { a: 1 });
  // @ts-expect-error: the payload of another request
  await client.request("fail", { a: 1, b: 2 });
  // @ts-expect-error: the answer has no such field
  void (await client.request("add", { a: 1, b: 2 })).total;
  // @ts-expect-error: validateRequest knows the declared names
  validateRequest("multiply", {});

  // @ts-expect-error: a room the app does not declare
  await client.join("chta");
  // @ts-expect-error: a per-user room of an app that declares none
  await client.join("user:alice");
  // @ts-expect-error: a room id that is just any string
  await client.join("chat" as string);
  // @ts-expect-error: getRoom is checked too
  client.getRoom("nope");

  const chat = await client.join("chat");
  // @ts-expect-error: an event the room does not carry
  chat.trigger("order:updated", { orderId: "o", status: "shipped" });
  // @ts-expect-error: an event nobody declares
  chat.trigger("mesage", { text: "hi", senderId: "a" });
  // @ts-expect-error: a missing field
  chat.trigger("message", { text: "hi" });
  // @ts-expect-error: a field of the wrong type
  chat.trigger("message", { text: 1, senderId: "a" });
  // @ts-expect-error: an unknown field
  chat.trigger("message", { text: "hi", senderId: "a", extra: true });
  // @ts-expect-error: the payload of another event
  chat.trigger("typing", { text: "hi", senderId: "a" });
  // @ts-expect-error: send is checked like trigger
  await chat.send("typing", { isTyping: "yes" });
  // @ts-expect-error: no payload at all
  chat.trigger("message");
  // @ts-expect-error: meta is an object
  chat.trigger("typing", { isTyping: true }, "meta");
  // @ts-expect-error: listening for an event the room does not deliver
  chat.on("order:updated", () => {});
  chat.on("message", (m) => {
    // @ts-expect-error: the payload's type is known
    const n: number = m.data.text;
    void n;
  });
  // @ts-expect-error: subscribing to an event the room does not deliver
  chat.subscribe("order:updated");
  // @ts-expect-error: history of an event the room does not keep
  chat.getHistory("order:updated");

  const orders = await client.join("orders");
  // @ts-expect-error: a value outside the enum
  orders.trigger("order:updated", { orderId: "o", status: "lost" });

  const readonly = await client.join("readonly");
  // @ts-expect-error: a room that takes no events from clients
  readonly.trigger("message", { text: "hi", senderId: "a" });
  // @ts-expect-error: not even with send
  await readonly.send("typing", { isTyping: true });

  const sandbox = await client.join("sandbox");
  // @ts-expect-error: even a `*` room needs an event name
  sandbox.trigger(42, {});

  // @ts-expect-error: createRoom needs a name
  await client.createRoom({ id: "x" });
  // @ts-expect-error: unknown option
  createDialogueClient({ url: "http://x", autoconnect: false });
  // @ts-expect-error: url is required
  createDialogueClient({ auth: { userId: "a" } });
  // @ts-expect-error: state is one of four
  const state: "open" = client.state;
  // @ts-expect-error: onRoomDeleted's handler gets the id
  client.onRoomDeleted((room: RoomInfo) => void room);
  // @ts-expect-error: validatePayload knows the events
  validatePayload("nope", {});
  void state;

  const lobby = await client.join("lobby");
  // @ts-expect-error: a status outside the info type's enum
  await lobby.setPresence({ status: "asleep" });
  // @ts-expect-error: a field the info type does not have
  await lobby.setPresence({ mood: "happy" });
  // @ts-expect-error: info is an object
  await lobby.setPresence("away");
  lobby.onPresence((change) => {
    // @ts-expect-error: info is the app's type, not a string
    const info: string = change.joined[0]!.info!;
    void info;
  });
  // @ts-expect-error: kick takes a user id
  await lobby.kick({ userId: "bob" });
  // @ts-expect-error: ban is a boolean
  await lobby.kick("bob", { ban: "yes" });
  // @ts-expect-error: the secret is a string
  await client.join("chat", { secret: 1234 });

  // @ts-expect-error: getToken gives a string
  createDialogueClient({ url: "http://x", getToken: () => 42 });
  // @ts-expect-error: a token is a string
  await client.refreshToken(42);

  const doc = await client.join("doc:readme");
  // @ts-expect-error: the template's rooms do not carry order events
  doc.trigger("order:updated", { orderId: "o", status: "shipped" });
  // @ts-expect-error: a payload of the wrong type
  doc.trigger("message", { text: 1, senderId: "a" });
  // @ts-expect-error: not an instance of a declared template
  await client.join("docs:readme");
}
