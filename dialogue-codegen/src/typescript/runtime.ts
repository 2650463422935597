// ---- Client runtime (the same for every application) ----
//
// Everything below is hand-written (dialogue-codegen/src/typescript/runtime.ts)
// and refers to the parts above: the protocol's names and payload types
// (WIRE, ErrorCode, RoomInfo, JoinRequest, Joined, ...) and the application's
// EventPayloads, RoomTriggers, RoomReceives, UserRoomTriggers,
// UserRoomReceives, SCHEMAS, VALIDATED_ROOMS and USER_ROOMS. Its only
// dependency is socket.io-client.

/** A JSON Schema (draft 2020-12), as the server validates with. */
export type JsonSchema = boolean | { readonly [keyword: string]: unknown };

/** The events of a room that takes any event: any name, data unchecked. */
export type AnyEvents = Record<string, unknown>;

/** The events of a room that takes none from clients. */
export type NoEvents = Record<never, never>;

/** Every room id a client may join by name: the declared rooms and the per-user rooms. */
export type RoomId = (keyof RoomTriggers & string) | (keyof UserRoomTriggers & string);

/** What a client may trigger in room `R` (an id of [`RoomId`]). */
export type TriggersOf<R extends string> = R extends keyof RoomTriggers
  ? RoomTriggers[R]
  : R extends keyof UserRoomTriggers
    ? UserRoomTriggers[R]
    : NoEvents;

/** What a client may receive in room `R` (an id of [`RoomId`]). */
export type ReceivesOf<R extends string> = R extends keyof RoomReceives
  ? RoomReceives[R]
  : R extends keyof UserRoomReceives
    ? UserRoomReceives[R]
    : NoEvents;

/** The room context `client.join(id)` resolves with for room `R`. */
export type JoinedRoom<R extends string> = RoomContext<TriggersOf<R>, ReceivesOf<R>>;

/** How the client stands with the server. */
export type ConnectionState = "disconnected" | "connecting" | "connected" | "reconnecting";

/** A failed request: the protocol's `code`, a readable `message`, and for `VALIDATION_FAILED` each issue. */
export class DialogueError extends Error {
  readonly code: ErrorCode;
  readonly details?: ValidationIssue[];

  constructor(code: ErrorCode, message: string, details?: ValidationIssue[]) {
    super(message);
    this.name = "DialogueError";
    this.code = code;
    if (details !== undefined) this.details = details;
  }
}

/** An event as everyone in the room receives it, stamped by the server. */
export interface EventMessage<T = unknown, E extends string = string> {
  /** The event name, e.g. `"message"`. */
  event: E;
  /** The room it was triggered in. */
  roomId: string;
  /** The validated payload. */
  data: T;
  /** The sender's userId, or `"system"` for the server. */
  from: string;
  /** Unix milliseconds, set by the server. */
  timestamp: number;
  /** Its place in the room's stream (1, 2, 3 … over all its event names), set by the server. */
  seq: number;
  /** Passed through unvalidated. */
  meta?: Record<string, unknown>;
}

/** Any event a room with receivable events `R` may deliver: a union discriminated by `event`. */
export type RoomMessage<R> = { [E in keyof R & string]: EventMessage<R[E], E> }[keyof R & string];

/** What `client.createRoom` asks for. */
export type CreateRoomOptions = CreateRoomRequest;

/** The options of [`createDialogueClient`]. */
export interface DialogueClientOptions {
  /** The server, e.g. `"http://localhost:3000"` or `"ws://localhost:3000"`. */
  url: string;
  /** Sent in the Socket.IO handshake, e.g. `{ userId }` or `{ token }`. */
  auth?: Record<string, unknown>;
  /** Connect at once (default `true`); otherwise on `connect()`. */
  autoConnect?: boolean;
  /** Reconnect after losing the connection (default `true`); joined rooms are joined again. */
  reconnection?: boolean;
  /** How many times to try reconnecting (default 5). */
  reconnectionAttempts?: number;
  /** How long a request waits for the server's answer, in ms (default 10000), before failing with `TIMEOUT`. */
  timeout?: number;
  /** Check payloads against the events' JSON Schemas before sending (default `true`). */
  validate?: boolean;
  /** The Socket.IO transports to use, e.g. `["websocket"]` (default: polling, upgraded to WebSocket). */
  transports?: Array<"polling" | "websocket" | "webtransport">;
}

/**
 * A joined room. `T` is what a client may trigger in it, `R` what it may
 * receive; both map event names to payload types. `JoinedRoom<"chat">` is
 * the context of a declared room; a bare `RoomContext` holds any room,
 * unchecked.
 */
export interface RoomContext<T extends object = any, R extends object = any> {
  /** The room id. */
  readonly roomId: string;
  /** Its human-readable name. */
  readonly roomName: string;
  /** The events the server sent on join (newest first), for a room that syncs history on join; else empty. */
  readonly history: ReadonlyArray<RoomMessage<R>>;
  /**
   * Triggers an event, fire and forget: a failure (refused by the server or
   * by the local schema check) reaches the client's `onError` handlers.
   */
  trigger<E extends keyof T & string>(event: E, data: T[E], meta?: Record<string, unknown>): void;
  /** Triggers an event; resolves with the stamped envelope everyone received, or rejects with a `DialogueError`. */
  send<E extends keyof T & string>(
    event: E,
    data: T[E],
    meta?: Record<string, unknown>,
  ): Promise<EventMessage<T[E], E>>;
  /** Calls `handler` for each `event` received in this room; returns the function that stops it. */
  on<E extends keyof R & string>(event: E, handler: (message: EventMessage<R[E], E>) => void): () => void;
  /** Calls `handler` for every event received in this room; returns the function that stops it. */
  onAny(handler: (event: keyof R & string, message: RoomMessage<R>) => void): () => void;
  /** Asks the server for `event` too. Not awaited, a failure reaches `onError`. */
  subscribe(event: keyof R & string): Promise<void>;
  /** Asks the server for every event of the room. Not awaited, a failure reaches `onError`. */
  subscribeAll(): Promise<void>;
  /** Asks the server to stop sending `event`. Not awaited, a failure reaches `onError`. */
  unsubscribe(event: keyof R & string): Promise<void>;
  /** Leaves the room and drops its handlers. Not awaited, a failure reaches `onError`. */
  leave(): Promise<void>;
  /** A page of the room's history of `event`, newest first: indices `start` (default 0) to `end` (exclusive, default 50). */
  getHistory<E extends keyof R & string>(event: E, start?: number, end?: number): Promise<Array<EventMessage<R[E], E>>>;
}

/** The client of a Dialogue server, typed by the application's declarations. */
export interface DialogueClient {
  /** The user the server knows this client as; empty until the server has greeted it. */
  readonly userId: string;
  /** Whether the server has greeted this connection (`dialogue:connected`). */
  readonly connected: boolean;
  /** How the client stands with the server. */
  readonly state: ConnectionState;
  /** Connects; resolves once the server has greeted the client, rejects with `CONNECT_FAILED`. */
  connect(): Promise<void>;
  /** Disconnects and forgets every joined room. */
  disconnect(): void;
  /** Joins a declared room, or a per-user room (`` `user:${client.userId}` ``). */
  join<R extends RoomId>(roomId: R): Promise<JoinedRoom<R>>;
  /** Joins a room created at runtime (`createRoom`, `listRooms`, `onRoomCreated`): any event, unchecked. */
  join(room: { readonly id: string }): Promise<RoomContext<AnyEvents, AnyEvents>>;
  /** A room joined before, if still joined. */
  getRoom<R extends RoomId>(roomId: R): JoinedRoom<R> | undefined;
  getRoom(room: { readonly id: string }): RoomContext<AnyEvents, AnyEvents> | undefined;
  /** Every room on the server. */
  listRooms(): Promise<RoomInfo[]>;
  /** Creates a room (any event, unchecked); every client learns of it through `onRoomCreated`. */
  createRoom(options: CreateRoomOptions): Promise<RoomInfo>;
  /** Deletes a room this user created. */
  deleteRoom(roomId: string | { readonly id: string }): Promise<void>;
  /** Calls `handler` on each (re)connection; returns the function that stops it. */
  onConnect(handler: () => void): () => void;
  /** Calls `handler` when the connection is lost or closed, with Socket.IO's reason. */
  onDisconnect(handler: (reason: string) => void): () => void;
  /** Calls `handler` with each failure nobody awaits: `trigger`, unawaited requests, failed reconnections. */
  onError(handler: (error: DialogueError) => void): () => void;
  /** Calls `handler` when a room is created on the server. */
  onRoomCreated(handler: (room: RoomInfo) => void): () => void;
  /** Calls `handler` when a room is deleted on the server (members are removed from it). */
  onRoomDeleted(handler: (roomId: string) => void): () => void;
  /** Calls `handler` with the events a room sends on join (newest first), before `join` resolves. */
  onHistory(handler: (roomId: string, events: EventMessage[]) => void): () => void;
}

/**
 * The issues of `data` as a payload of `event`, checked against the event's
 * JSON Schema exactly as the server will; empty when it is valid. `data` is
 * checked as JSON will carry it (`undefined` fields dropped, `undefined` as
 * a whole is `null`).
 */
export function validatePayload(event: keyof EventPayloads & string, data: unknown): ValidationIssue[] {
  const schema: JsonSchema | undefined = Object.prototype.hasOwnProperty.call(SCHEMAS, event)
    ? SCHEMAS[event]
    : undefined;
  if (schema === undefined) {
    return [{ path: "", message: `no event named ${JSON.stringify(event)} is declared` }];
  }
  let value: unknown;
  try {
    value = data === undefined ? null : JSON.parse(JSON.stringify(data));
  } catch (error) {
    return [{ path: "", message: `not JSON: ${String(error)}` }];
  }
  const issues: ValidationIssue[] = [];
  jsonSchemaCheck(schema, value, "", schema, issues);
  return issues.slice(0, 20);
}

/** Connects to a Dialogue server: see `DialogueClientOptions`. */
export function createDialogueClient(options: DialogueClientOptions): DialogueClient {
  const ackTimeout = options.timeout ?? 10_000;
  const validate = options.validate ?? true;
  const socket: Socket = io(options.url, {
    auth: options.auth ?? {},
    autoConnect: false,
    forceNew: true,
    reconnection: options.reconnection ?? true,
    reconnectionAttempts: options.reconnectionAttempts ?? 5,
    ...(options.transports === undefined ? {} : { transports: options.transports }),
  });

  let state: ConnectionState = "disconnected";
  let userId = "";
  let greetedBefore = false;
  let pending: { promise: Promise<void>; resolve: () => void; reject: (error: DialogueError) => void } | undefined;

  const connectHandlers = new Set<() => void>();
  const disconnectHandlers = new Set<(reason: string) => void>();
  const errorHandlers = new Set<(error: DialogueError) => void>();
  const roomCreatedHandlers = new Set<(room: RoomInfo) => void>();
  const roomDeletedHandlers = new Set<(roomId: string) => void>();
  const historyHandlers = new Set<(roomId: string, events: EventMessage[]) => void>();
  const rooms = new Map<string, ReturnType<typeof openRoom>>();
  /**
   * Events of rooms being joined, held until the caller of `join` has had its
   * turn to add handlers: with HTTP long-polling, one response can carry the
   * join's answer and the room's first events, which would otherwise reach no
   * handler (or no room at all).
   */
  const held = new Map<string, EventMessage[]>();

  const reportError = (error: unknown): void => {
    const failure =
      error instanceof DialogueError ? error : new DialogueError("INTERNAL", error instanceof Error ? error.message : String(error));
    callEach(errorHandlers, failure);
  };
  /** Marks `promise` handled (its failure goes to onError) and returns it for awaiting. */
  const reported = <T>(promise: Promise<T>): Promise<T> => {
    promise.catch(reportError);
    return promise;
  };

  const settle = (outcome: { error?: DialogueError }): void => {
    const waiting = pending;
    pending = undefined;
    if (waiting === undefined) return;
    if (outcome.error === undefined) waiting.resolve();
    else waiting.reject(outcome.error);
  };

  socket.on(WIRE.connected, (hello: Partial<Connected>) => {
    userId = typeof hello?.userId === "string" ? hello.userId : "";
    state = "connected";
    const again = greetedBefore;
    greetedBefore = true;
    settle({});
    if (again) {
      // The server forgot this connection's rooms with the old one: join them again.
      for (const room of rooms.values()) {
        request<Joined>(WIRE.join, { roomId: room.roomId } satisfies JoinRequest).then(
          (answer) => {
            // What was said while away, as on a first join.
            if (Array.isArray(answer.history)) {
              room.setHistory(answer.history);
              callEach(historyHandlers, room.roomId, answer.history);
            }
          },
          (error: unknown) => {
            rooms.delete(room.roomId);
            reportError(error);
          },
        );
      }
    }
    callEach(connectHandlers);
  });
  socket.on("connect_error", (error: Error) => {
    // Socket.IO tries again unless the server refused or reconnection is off;
    // `reconnect_failed` ends the tries.
    if (socket.active && socket.io.reconnection()) return;
    state = "disconnected";
    const failure = new DialogueError("CONNECT_FAILED", `cannot connect to ${options.url}: ${error.message}`);
    if (pending === undefined) reportError(failure);
    settle({ error: failure });
  });
  socket.io.on("reconnect_attempt", () => {
    state = "reconnecting";
  });
  socket.io.on("reconnect_failed", () => {
    state = "disconnected";
    const failure = new DialogueError("CONNECT_FAILED", `cannot reconnect to ${options.url}: gave up`);
    if (pending === undefined) reportError(failure);
    settle({ error: failure });
  });
  socket.on("disconnect", (reason: string) => {
    state = socket.active ? "reconnecting" : "disconnected";
    if (state === "disconnected") {
      // Closed before the greeting, and no more tries: a pending connect() fails.
      settle({ error: new DialogueError("CONNECT_FAILED", `disconnected before the server's greeting: ${reason}`) });
    }
    callEach(disconnectHandlers, reason);
  });
  socket.on(WIRE.event, (message: EventMessage) => {
    const holding = held.get(message?.roomId);
    if (holding !== undefined) holding.push(message);
    else rooms.get(message?.roomId)?.dispatch(message);
  });
  socket.on(WIRE.history, (push: HistoryPush) => {
    if (push && Array.isArray(push.events)) callEach(historyHandlers, push.roomId, push.events);
  });
  socket.on(WIRE.roomCreated, (room: RoomInfo) => callEach(roomCreatedHandlers, room));
  socket.on(WIRE.roomDeleted, (deleted: RoomIdPayload) => {
    rooms.get(deleted?.roomId)?.close();
    callEach(roomDeletedHandlers, deleted?.roomId);
  });
  socket.on(WIRE.error, (error: WireError) => {
    reportError(new DialogueError(error?.code ?? "INTERNAL", error?.message ?? "error", error?.details));
  });

  /** A request in the acknowledgement form; resolves with the answer's fields. */
  async function request<A>(event: (typeof WIRE)[keyof typeof WIRE], payload?: unknown): Promise<A> {
    let answer: unknown;
    try {
      const timed = socket.timeout(ackTimeout);
      answer = await (payload === undefined ? timed.emitWithAck(event) : timed.emitWithAck(event, payload));
    } catch {
      throw new DialogueError("TIMEOUT", `${event}: no answer within ${ackTimeout} ms`);
    }
    const reply = answer as { ok?: unknown; error?: { code?: ErrorCode; message?: string; details?: ValidationIssue[] } };
    if (reply !== null && typeof reply === "object" && reply.ok === true) return reply as A;
    if (reply !== null && typeof reply === "object" && reply.ok === false && reply.error) {
      throw new DialogueError(reply.error.code ?? "INTERNAL", reply.error.message ?? `${event} failed`, reply.error.details);
    }
    throw new DialogueError("INTERNAL", `${event}: unexpected answer ${JSON.stringify(answer)}`);
  }

  /** Whether the server validates the events of `roomId` (declared rooms but `*` ones). */
  function validatedRoom(roomId: string): boolean {
    if (Object.prototype.hasOwnProperty.call(VALIDATED_ROOMS, roomId)) return VALIDATED_ROOMS[roomId] === true;
    return USER_ROOMS.some(
      (room) =>
        room.validated &&
        roomId.length > room.prefix.length + room.suffix.length &&
        roomId.startsWith(room.prefix) &&
        roomId.endsWith(room.suffix),
    );
  }

  function openRoom(roomId: string, roomName: string) {
    const handlers = new Map<string, Set<(message: EventMessage) => void>>();
    const anyHandlers = new Set<(event: string, message: EventMessage) => void>();
    let history: EventMessage[] = [];
    const close = (): void => {
      handlers.clear();
      anyHandlers.clear();
      if (rooms.get(roomId) === context) rooms.delete(roomId);
    };
    const send = async (event: string, data: unknown, meta?: Record<string, unknown>): Promise<EventMessage> => {
      if (validate && validatedRoom(roomId) && Object.prototype.hasOwnProperty.call(SCHEMAS, event)) {
        const issues = validatePayload(event as keyof EventPayloads & string, data);
        if (issues.length > 0) {
          const first = issues[0]!;
          throw new DialogueError(
            "VALIDATION_FAILED",
            `invalid ${JSON.stringify(event)} payload: ${first.path || "(the payload)"} ${first.message}`,
            issues,
          );
        }
      }
      const payload: TriggerRequest = { roomId, event, data: data === undefined ? null : data };
      if (meta !== undefined) payload.meta = meta;
      const answer = await request<TriggerAnswer>(WIRE.trigger, payload);
      return answer.message;
    };
    const context = {
      roomId,
      roomName,
      get history(): EventMessage[] {
        return history;
      },
      setHistory(events: EventMessage[]): void {
        history = events;
      },
      dispatch(message: EventMessage): void {
        const named = handlers.get(message.event);
        if (named) callEach(named, message);
        callEach(anyHandlers, message.event, message);
      },
      close,
      trigger(event: string, data: unknown, meta?: Record<string, unknown>): void {
        send(event, data, meta).catch(reportError);
      },
      send,
      on(event: string, handler: (message: EventMessage) => void): () => void {
        let set = handlers.get(event);
        if (set === undefined) {
          set = new Set();
          handlers.set(event, set);
        }
        const own = set;
        own.add(handler);
        return () => {
          own.delete(handler);
        };
      },
      onAny(handler: (event: string, message: EventMessage) => void): () => void {
        anyHandlers.add(handler);
        return () => {
          anyHandlers.delete(handler);
        };
      },
      subscribe(event: string): Promise<void> {
        const subscription: SubscribeRequest = { roomId, eventName: event };
        return reported(request<Done>(WIRE.subscribe, subscription).then(() => undefined));
      },
      subscribeAll(): Promise<void> {
        return reported(request<Done>(WIRE.subscribeAll, { roomId } satisfies RoomRequest).then(() => undefined));
      },
      unsubscribe(event: string): Promise<void> {
        const subscription: SubscribeRequest = { roomId, eventName: event };
        return reported(request<Done>(WIRE.unsubscribe, subscription).then(() => undefined));
      },
      leave(): Promise<void> {
        close();
        return reported(request<Done>(WIRE.leave, { roomId } satisfies RoomRequest).then(() => undefined));
      },
      async getHistory(event: string, start?: number, end?: number): Promise<EventMessage[]> {
        const query: HistoryRequest = { roomId, eventName: event };
        if (start !== undefined) query.start = start;
        if (end !== undefined) query.end = end;
        const page = await request<HistoryPage>(WIRE.getHistory, query);
        return page.events;
      },
    };
    return context;
  }

  const idOf = (room: string | { readonly id: string }): string => (typeof room === "string" ? room : room.id);

  const client = {
    get userId(): string {
      return userId;
    },
    get connected(): boolean {
      return state === "connected";
    },
    get state(): ConnectionState {
      return state;
    },
    connect(): Promise<void> {
      if (state === "connected") return Promise.resolve();
      if (pending === undefined) {
        let resolve!: () => void;
        let reject!: (error: DialogueError) => void;
        const promise = new Promise<void>((ok, fail) => {
          resolve = ok;
          reject = fail;
        });
        pending = { promise, resolve, reject };
        state = "connecting";
        socket.connect();
      }
      return pending.promise;
    },
    disconnect(): void {
      for (const room of [...rooms.values()]) room.close();
      socket.disconnect();
      state = "disconnected";
      settle({ error: new DialogueError("DISCONNECTED", "disconnect() was called while connecting") });
    },
    async join(target: string | { readonly id: string }) {
      const roomId = idOf(target);
      const first = !rooms.has(roomId) && !held.has(roomId);
      if (first) held.set(roomId, []);
      let answer: Joined;
      try {
        answer = await request<Joined>(WIRE.join, { roomId } satisfies JoinRequest);
      } catch (error) {
        if (first) held.delete(roomId);
        throw error;
      }
      let room = rooms.get(roomId);
      if (room === undefined) {
        room = openRoom(roomId, answer.roomName);
        rooms.set(roomId, room);
      }
      if (Array.isArray(answer.history)) {
        room.setHistory(answer.history);
        callEach(historyHandlers, roomId, answer.history);
      }
      if (first) {
        // The caller adds its handlers when `join` resolves (a microtask);
        // the held events follow, in order, on the next task.
        const joined = room;
        setTimeout(() => {
          const events = held.get(roomId) ?? [];
          held.delete(roomId);
          for (const message of events) joined.dispatch(message);
        }, 0);
      }
      return room;
    },
    getRoom(target: string | { readonly id: string }) {
      return rooms.get(idOf(target));
    },
    async listRooms(): Promise<RoomInfo[]> {
      return (await request<RoomsAnswer>(WIRE.listRooms)).rooms;
    },
    async createRoom(room: CreateRoomOptions): Promise<RoomInfo> {
      return (await request<RoomAnswer>(WIRE.createRoom, room satisfies CreateRoomRequest)).room;
    },
    async deleteRoom(room: string | { readonly id: string }): Promise<void> {
      await request<Done>(WIRE.deleteRoom, { roomId: idOf(room) } satisfies RoomRequest);
    },
    onConnect: (handler: () => void) => listen(connectHandlers, handler),
    onDisconnect: (handler: (reason: string) => void) => listen(disconnectHandlers, handler),
    onError: (handler: (error: DialogueError) => void) => listen(errorHandlers, handler),
    onRoomCreated: (handler: (room: RoomInfo) => void) => listen(roomCreatedHandlers, handler),
    onRoomDeleted: (handler: (roomId: string) => void) => listen(roomDeletedHandlers, handler),
    onHistory: (handler: (roomId: string, events: EventMessage[]) => void) => listen(historyHandlers, handler),
  };
  if (options.autoConnect ?? true) client.connect().catch(reportError); // nobody awaits this one
  // The implementation is untyped by room; the interface types it.
  return client as unknown as DialogueClient;
}

/** Adds `handler` to `set`; returns the function that removes it. */
function listen<H>(set: Set<H>, handler: H): () => void {
  set.add(handler);
  return () => {
    set.delete(handler);
  };
}

/** Calls every handler; one that throws does not stop the others (its error is rethrown afterwards). */
function callEach<A extends unknown[]>(handlers: Iterable<(...args: A) => void>, ...args: A): void {
  for (const handler of [...handlers]) {
    try {
      handler(...args);
    } catch (error) {
      setTimeout(() => {
        throw error;
      }, 0);
    }
  }
}

// ---- JSON Schema (draft 2020-12) check, for the keywords the server's schemas use ----

/** Checks `value` (parsed JSON) against `schema`, adding each failure to `issues`. */
function jsonSchemaCheck(schema: JsonSchema, value: unknown, path: string, root: JsonSchema, issues: ValidationIssue[]): void {
  if (issues.length >= 20) return;
  if (schema === true) return;
  if (schema === false) {
    issues.push({ path, message: `False schema does not allow ${show(value)}` });
    return;
  }
  const s = schema as Record<string, unknown>;
  const fail = (message: string, at: string = path): void => {
    issues.push({ path: at, message });
  };
  const valid = (sub: unknown, v: unknown = value): boolean => {
    const found: ValidationIssue[] = [];
    jsonSchemaCheck(sub as JsonSchema, v, path, root, found);
    return found.length === 0;
  };

  if (typeof s["$ref"] === "string") {
    const target = resolveRef(root, s["$ref"]);
    if (target === undefined) fail(`cannot resolve ${JSON.stringify(s["$ref"])}`);
    else jsonSchemaCheck(target, value, path, root, issues);
  }

  const type = s["type"];
  if (type !== undefined) {
    const types = Array.isArray(type) ? (type as string[]) : [type as string];
    if (!types.some((t) => hasType(value, t))) {
      const names = types.map((t) => JSON.stringify(t)).join(", ");
      fail(`${show(value)} is not of type${types.length > 1 ? "s" : ""} ${names}`);
    }
  }
  if (Array.isArray(s["enum"]) && !(s["enum"] as unknown[]).some((option) => jsonEqual(option, value))) {
    fail(`${show(value)} is not one of ${show(s["enum"])}`);
  }
  if ("const" in s && !jsonEqual(s["const"], value)) {
    fail(`${show(s["const"])} was expected`);
  }

  if (typeof value === "string") {
    const length = [...value].length;
    if (typeof s["minLength"] === "number" && length < s["minLength"]) {
      fail(`${show(value)} is shorter than ${s["minLength"]} character${s["minLength"] === 1 ? "" : "s"}`);
    }
    if (typeof s["maxLength"] === "number" && length > s["maxLength"]) {
      fail(`${show(value)} is longer than ${s["maxLength"]} character${s["maxLength"] === 1 ? "" : "s"}`);
    }
    if (typeof s["pattern"] === "string" && !new RegExp(s["pattern"], "u").test(value)) {
      fail(`${show(value)} does not match ${JSON.stringify(s["pattern"])}`);
    }
    if (typeof s["format"] === "string" && !formatHolds(s["format"], value)) {
      fail(`${show(value)} is not a ${JSON.stringify(s["format"])}`);
    }
  }

  if (typeof value === "number") {
    if (typeof s["minimum"] === "number" && value < s["minimum"]) {
      fail(`${show(value)} is less than the minimum of ${s["minimum"]}`);
    }
    if (typeof s["maximum"] === "number" && value > s["maximum"]) {
      fail(`${show(value)} is greater than the maximum of ${s["maximum"]}`);
    }
    if (typeof s["exclusiveMinimum"] === "number" && value <= s["exclusiveMinimum"]) {
      fail(`${show(value)} is less than or equal to the minimum of ${s["exclusiveMinimum"]}`);
    }
    if (typeof s["exclusiveMaximum"] === "number" && value >= s["exclusiveMaximum"]) {
      fail(`${show(value)} is greater than or equal to the maximum of ${s["exclusiveMaximum"]}`);
    }
    if (typeof s["multipleOf"] === "number" && s["multipleOf"] > 0) {
      const ratio = value / s["multipleOf"];
      if (!Number.isFinite(ratio) || Math.abs(ratio - Math.round(ratio)) > 1e-9) {
        fail(`${show(value)} is not a multiple of ${s["multipleOf"]}`);
      }
    }
  }

  if (Array.isArray(value)) {
    const prefix = Array.isArray(s["prefixItems"]) ? (s["prefixItems"] as JsonSchema[]) : [];
    prefix.forEach((item, i) => {
      if (i < value.length) jsonSchemaCheck(item, value[i], `${path}/${i}`, root, issues);
    });
    if ("items" in s) {
      if (s["items"] === false && value.length > prefix.length) {
        fail(`Additional items are not allowed (${value.slice(prefix.length).map(show).join(", ")} ${value.length - prefix.length === 1 ? "was" : "were"} unexpected)`);
      } else {
        for (let i = prefix.length; i < value.length; i++) {
          jsonSchemaCheck(s["items"] as JsonSchema, value[i], `${path}/${i}`, root, issues);
        }
      }
    }
    if (typeof s["minItems"] === "number" && value.length < s["minItems"]) {
      fail(`${show(value)} has less than ${s["minItems"]} item${s["minItems"] === 1 ? "" : "s"}`);
    }
    if (typeof s["maxItems"] === "number" && value.length > s["maxItems"]) {
      fail(`${show(value)} has more than ${s["maxItems"]} item${s["maxItems"] === 1 ? "" : "s"}`);
    }
    if (s["uniqueItems"] === true && value.some((a, i) => value.some((b, j) => j > i && jsonEqual(a, b)))) {
      fail(`${show(value)} has non-unique elements`);
    }
    if ("contains" in s && !value.some((item) => valid(s["contains"], item))) {
      fail(`None of ${show(value)} are valid under the given schema`);
    }
  }

  if (value !== null && typeof value === "object" && !Array.isArray(value)) {
    const object = value as Record<string, unknown>;
    const keys = Object.keys(object);
    const properties = isObject(s["properties"]) ? (s["properties"] as Record<string, JsonSchema>) : {};
    const patterns = isObject(s["patternProperties"]) ? (s["patternProperties"] as Record<string, JsonSchema>) : {};
    // A missing property is reported at its own pointer (`/senderId`), as the server does.
    const pointer = (name: string): string => `${path}/${name.replace(/~/g, "~0").replace(/\//g, "~1")}`;
    if (Array.isArray(s["required"])) {
      for (const name of s["required"] as string[]) {
        if (!Object.prototype.hasOwnProperty.call(object, name)) fail(`${JSON.stringify(name)} is a required property`, pointer(name));
      }
    }
    const extra: string[] = [];
    for (const key of keys) {
      const at = pointer(key);
      let matched = false;
      if (Object.prototype.hasOwnProperty.call(properties, key)) {
        matched = true;
        jsonSchemaCheck(properties[key]!, object[key], at, root, issues);
      }
      for (const [pattern, sub] of Object.entries(patterns)) {
        if (new RegExp(pattern, "u").test(key)) {
          matched = true;
          jsonSchemaCheck(sub, object[key], at, root, issues);
        }
      }
      if (!matched && "additionalProperties" in s) {
        if (s["additionalProperties"] === false) extra.push(key);
        else jsonSchemaCheck(s["additionalProperties"] as JsonSchema, object[key], at, root, issues);
      }
      if ("propertyNames" in s) jsonSchemaCheck(s["propertyNames"] as JsonSchema, key, at, root, issues);
    }
    if (extra.length > 0) {
      fail(`Additional properties are not allowed (${extra.map((k) => `'${k}'`).join(", ")} ${extra.length === 1 ? "was" : "were"} unexpected)`);
    }
    if (typeof s["minProperties"] === "number" && keys.length < s["minProperties"]) {
      fail(`${show(value)} has less than ${s["minProperties"]} propert${s["minProperties"] === 1 ? "y" : "ies"}`);
    }
    if (typeof s["maxProperties"] === "number" && keys.length > s["maxProperties"]) {
      fail(`${show(value)} has more than ${s["maxProperties"]} propert${s["maxProperties"] === 1 ? "y" : "ies"}`);
    }
    if (isObject(s["dependentRequired"])) {
      for (const [key, needed] of Object.entries(s["dependentRequired"] as Record<string, string[]>)) {
        if (!Object.prototype.hasOwnProperty.call(object, key)) continue;
        for (const name of needed) {
          if (!Object.prototype.hasOwnProperty.call(object, name)) fail(`${JSON.stringify(name)} is a required property`, pointer(name));
        }
      }
    }
  }

  if (Array.isArray(s["allOf"])) {
    for (const sub of s["allOf"] as JsonSchema[]) jsonSchemaCheck(sub, value, path, root, issues);
  }
  if (Array.isArray(s["anyOf"]) && !(s["anyOf"] as JsonSchema[]).some((sub) => valid(sub))) {
    fail(`${show(value)} is not valid under any of the schemas listed in the 'anyOf' keyword`);
  }
  if (Array.isArray(s["oneOf"])) {
    const matching = (s["oneOf"] as JsonSchema[]).filter((sub) => valid(sub)).length;
    if (matching === 0) fail(`${show(value)} is not valid under any of the schemas listed in the 'oneOf' keyword`);
    if (matching > 1) fail(`${show(value)} is valid under more than one of the schemas listed in the 'oneOf' keyword`);
  }
  if ("not" in s && valid(s["not"])) {
    fail(`${show(value)} should not be valid under ${show(s["not"])}`);
  }
  if ("if" in s) {
    const branch = valid(s["if"]) ? s["then"] : s["else"];
    if (branch !== undefined) jsonSchemaCheck(branch as JsonSchema, value, path, root, issues);
  }
}

/** The schema `#/...` points at inside `root`. */
function resolveRef(root: JsonSchema, ref: string): JsonSchema | undefined {
  if (ref === "#") return root;
  if (!ref.startsWith("#/")) return undefined;
  let at: unknown = root;
  for (const raw of ref.slice(2).split("/")) {
    const key = decodeURIComponent(raw).replace(/~1/g, "/").replace(/~0/g, "~");
    if (!isObject(at) && !Array.isArray(at)) return undefined;
    at = (at as Record<string, unknown>)[key];
  }
  return at === true || at === false || isObject(at) ? (at as JsonSchema) : undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function hasType(value: unknown, type: string): boolean {
  switch (type) {
    case "null":
      return value === null;
    case "boolean":
      return typeof value === "boolean";
    case "string":
      return typeof value === "string";
    case "number":
      return typeof value === "number";
    case "integer":
      return typeof value === "number" && Number.isInteger(value);
    case "array":
      return Array.isArray(value);
    case "object":
      return isObject(value);
    default:
      return false;
  }
}

/** JSON equality: numbers by value, objects by members whatever their order. */
function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => jsonEqual(x, b[i]));
  }
  if (isObject(a) && isObject(b)) {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((k) => Object.prototype.hasOwnProperty.call(b, k) && jsonEqual(a[k], b[k]));
  }
  return false;
}

/** A value in a message, as JSON, cut short. */
function show(value: unknown): string {
  const text = JSON.stringify(value) ?? "null";
  return text.length > 80 ? `${text.slice(0, 80)}…` : text;
}

/** The formats the server checks (others are annotations only). */
function formatHolds(format: string, value: string): boolean {
  switch (format) {
    case "email":
      return emailHolds(value);
    case "uri":
      return uriHolds(value);
    case "hostname":
      return hostnameHolds(value);
    case "ipv4":
      return ipv4Holds(value);
    case "uuid":
      return /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/.test(value);
    case "date":
      return dateHolds(value);
    case "date-time": {
      const match = /^(\d{4}-\d{2}-\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-](\d{2}):(\d{2}))$/.exec(value);
      if (match === null || !dateHolds(match[1]!)) return false;
      const [h, m, sec] = [Number(match[2]), Number(match[3]), Number(match[4])];
      const offsetOk = match[7] === undefined || (Number(match[7]) < 24 && Number(match[8]) < 60);
      return h < 24 && m < 60 && sec <= 60 && offsetOk;
    }
    default:
      return true;
  }
}

function dateHolds(value: string): boolean {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (match === null) return false;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  if (month < 1 || month > 12 || day < 1) return false;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]!;
  return day <= days;
}

function ipv4Holds(value: string): boolean {
  const parts = value.split(".");
  return parts.length === 4 && parts.every((part) => /^(0|[1-9]\d{0,2})$/.test(part) && Number(part) <= 255);
}

function hostnameHolds(value: string): boolean {
  const name = value.endsWith(".") ? value.slice(0, -1) : value;
  if (name.length === 0 || name.length > 253) return false;
  return name.split(".").every((label) => /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/.test(label));
}

function emailHolds(value: string): boolean {
  const at = value.lastIndexOf("@");
  if (at <= 0 || at === value.length - 1) return false;
  const local = value.slice(0, at);
  const domain = value.slice(at + 1);
  const atom = "[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+";
  const localOk =
    local.length <= 64 &&
    (new RegExp(`^${atom}(?:\\.${atom})*$`).test(local) || /^"(?:[\x20\x21\x23-\x5b\x5d-\x7e]|\\[\x20-\x7e])*"$/.test(local));
  if (!localOk) return false;
  if (domain.startsWith("[") && domain.endsWith("]")) return ipv4Holds(domain.slice(1, -1));
  return hostnameHolds(domain) && !domain.endsWith(".");
}

function uriHolds(value: string): boolean {
  // RFC 3986: scheme ":" hier-part, only URI characters, well-formed percent-encodings.
  const match = /^([A-Za-z][A-Za-z0-9+.-]*):([^#]*)(?:#(.*))?$/.exec(value);
  if (match === null) return false;
  const chars = /^(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/?]|%[0-9A-Fa-f]{2})*$/;
  const rest = match[2]!;
  if (!chars.test(rest) || !chars.test(match[3] ?? "")) return false;
  if (rest.startsWith("//")) {
    const authority = rest.slice(2).split(/[/?]/, 1)[0]!;
    const host = authority.slice(authority.lastIndexOf("@") + 1).replace(/:\d*$/, "");
    if (host.includes(":") || host.includes("@")) return false;
  }
  return true;
}
