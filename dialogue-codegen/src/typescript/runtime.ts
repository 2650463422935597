// ---- Client runtime (the same for every application) ----
//
// Everything below is hand-written (dialogue-codegen/src/typescript/runtime.ts)
// and refers to the parts above: the protocol's names and payload types
// (WIRE, ErrorCode, RoomInfo, JoinRequest, Joined, ...) and the application's
// EventPayloads, RoomTriggers, RoomReceives, TemplateRoomTriggers,
// TemplateRoomReceives, SCHEMAS, VALIDATED_ROOMS, ROOM_SUBSCRIPTIONS,
// TEMPLATE_ROOMS, PresenceInfo and PRESENCE_SCHEMA. Its only dependency is
// socket.io-client.

/** A JSON Schema (draft 2020-12), as the server validates with. */
export type JsonSchema = boolean | { readonly [keyword: string]: unknown };

/** The events of a room that takes any event: any name, data unchecked. */
export type AnyEvents = Record<string, unknown>;

/** The events of a room that takes none from clients. */
export type NoEvents = Record<never, never>;

/** Every room id a client may join by name: the declared rooms and the instances of templates (`` `doc:${string}` ``, a per-user room's). */
export type RoomId = (keyof RoomTriggers & string) | (keyof TemplateRoomTriggers & string);

/** What a client may trigger in room `R` (an id of [`RoomId`]). */
export type TriggersOf<R extends string> = R extends keyof RoomTriggers
  ? RoomTriggers[R]
  : R extends keyof TemplateRoomTriggers
    ? TemplateRoomTriggers[R]
    : NoEvents;

/** What a client may receive in room `R` (an id of [`RoomId`]). */
export type ReceivesOf<R extends string> = R extends keyof RoomReceives
  ? RoomReceives[R]
  : R extends keyof TemplateRoomReceives
    ? TemplateRoomReceives[R]
    : NoEvents;

/** The room context `client.join(id)` resolves with for room `R`. */
export type JoinedRoom<R extends string> = RoomContext<TriggersOf<R>, ReceivesOf<R>>;

/** A user present in a room with presence: one entry per user, however many connections it holds. */
export interface PresenceMember {
  userId: string;
  /** What the member shows; absent when the application attaches none. */
  info?: PresenceInfo;
}

/** Who arrived, departed or changed their `info` in a room with presence. */
export interface PresenceChange {
  joined: PresenceMember[];
  left: PresenceMember[];
  updated: PresenceMember[];
}

/** How the client stands with the server. */
export type ConnectionState = "disconnected" | "connecting" | "connected" | "reconnecting";

/** A failed request: the protocol's `code`, a readable `message`, and for `VALIDATION_FAILED` each issue. */
export class DialogueError extends Error {
  /** A protocol code, or (from `request`) an application's own UPPER_SNAKE_CASE code. */
  readonly code: ErrorCode | (string & {});
  readonly details?: ValidationIssue[];

  constructor(code: ErrorCode | (string & {}), message: string, details?: ValidationIssue[]) {
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
  /**
   * Gives a fresh token (a JWT) whenever one is needed: for each
   * (re)connection's handshake (`auth.token`), and before the connection's
   * token expires, when the client sends it with `dialogue:auth` so that
   * the server does not drop the connection (`TOKEN_EXPIRED`).
   */
  getToken?: () => string | Promise<string>;
  /** Connect at once (default `true`); otherwise on `connect()`. */
  autoConnect?: boolean;
  /**
   * Reconnect after losing the connection (default `true`), resuming the
   * session: joined rooms stay joined with the subscriptions chosen, and
   * the events missed meanwhile reach the `on` handlers, in order, once
   * each (see `RoomContext.onRecovered`).
   */
  reconnection?: boolean;
  /** How many times to try reconnecting (default: no limit). */
  reconnectionAttempts?: number;
  /** The wait before the first try, in ms (default 1000); it doubles with each try, jittered by half. */
  reconnectionDelay?: number;
  /** The longest wait between tries, in ms (default 5000). */
  reconnectionDelayMax?: number;
  /**
   * How many triggers may wait while the client is offline or a room is
   * being joined again (default 100); they are sent, in order, once the room
   * is back. Past it a trigger fails with `UNAVAILABLE`.
   */
  offlineQueue?: number;
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
  /** Where this client is in the room's stream: its epoch, and the seq of the last event received (or of the room when joined). */
  readonly position: Position;
  /**
   * Calls `handler` after each reconnection, once the room is back:
   * `recovered: true` when every event missed meanwhile reached (or is
   * about to reach) the handlers; `false` when some could not, and the app
   * should reload what it shows (e.g. with `getHistory`). Returns the
   * function that stops it.
   */
  onRecovered(handler: (outcome: { recovered: boolean }) => void): () => void;
  /**
   * Triggers an event, fire and forget: a failure (refused by the server or
   * by the local schema check) reaches the client's `onError` handlers.
   * While offline it waits, and is sent once the room is back.
   */
  trigger<E extends keyof T & string>(event: E, data: T[E], meta?: Record<string, unknown>): void;
  /**
   * Triggers an event; resolves with the stamped envelope everyone received,
   * or rejects with a `DialogueError`. It carries an id, so that sending it
   * again after a lost answer (which the client does by itself across a
   * reconnection) never delivers it twice.
   */
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
  /** Who is present, one entry per user, earliest arrival first (rooms with presence; else `INVALID_REQUEST`). */
  presence(): Promise<{ members: PresenceMember[]; count: number }>;
  /** Calls `handler` when users arrive, depart or change their `info` (rooms with presence); returns the function that stops it. */
  onPresence(handler: (change: PresenceChange) => void): () => void;
  /** Replaces what this user shows in the room, checked against the info schema first (`VALIDATION_FAILED`); announced as `updated`. */
  setPresence(info: PresenceInfo): Promise<void>;
  /** The host only: removes every connection of `userId` (each gets `onKicked`); with `ban` it cannot join again while the room exists. */
  kick(userId: string, options?: { reason?: string; ban?: boolean }): Promise<void>;
  /** The host only: hands the room to `userId`, who must be present. */
  transferHost(userId: string): Promise<void>;
  /** Calls `handler` with the new host whenever the room's host changes; returns the function that stops it. */
  onHostChanged(handler: (hostId: string) => void): () => void;
  /** Calls `handler` when the host removed this user from the room (the room is closed here, as after `leave`). */
  onKicked(handler: (reason: string | undefined) => void): () => void;
}

/** What a join may carry besides the room. */
export interface JoinOptions {
  /** The room's secret, for a room created with one (kept for rejoining after a reconnection). */
  secret?: string;
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
  /** Joins a declared room, or an instance of a template (`` `doc:${string}` ``; a per-user room `` `user:${client.userId}` ``). */
  join<R extends RoomId>(roomId: R, options?: JoinOptions): Promise<JoinedRoom<R>>;
  /** Joins a room created at runtime (`createRoom`, `listRooms`, `onRoomCreated`): any event, unchecked. */
  join(room: { readonly id: string }, options?: JoinOptions): Promise<RoomContext<AnyEvents, AnyEvents>>;
  /** A room joined before, if still joined. */
  getRoom<R extends RoomId>(roomId: R): JoinedRoom<R> | undefined;
  getRoom(room: { readonly id: string }): RoomContext<AnyEvents, AnyEvents> | undefined;
  /** Every room on the server. */
  listRooms(): Promise<RoomInfo[]>;
  /** Creates a room (any event, unchecked); every client learns of it through `onRoomCreated`. */
  createRoom(options: CreateRoomOptions): Promise<RoomInfo>;
  /** Deletes a room this user created and still hosts. */
  deleteRoom(roomId: string | { readonly id: string }): Promise<void>;
  /**
   * Asks the server one of the application's requests and resolves with its
   * handler's response. `data` is checked first, as the server will
   * (`VALIDATION_FAILED`); with `roomId`, the caller must be a member of
   * that room. A handler's refusal rejects with its own code.
   */
  request<N extends keyof RequestTypes & string>(
    name: N,
    data: RequestTypes[N]["request"],
    options?: { roomId?: string },
  ): Promise<RequestTypes[N]["response"]>;
  /**
   * Sends a fresh token (from `getToken`, or `token`) for this connection
   * (`dialogue:auth`), so that it outlives the old one; resolves with the new
   * expiry (Unix ms). The client does this by itself before expiry when
   * `getToken` is given.
   */
  refreshToken(token?: string): Promise<{ expiresAt?: number }>;
  /** Calls `handler` on each (re)connection, once the server has greeted it; returns the function that stops it. */
  onConnect(handler: () => void): () => void;
  /** Calls `handler` when the connection is lost or closed, with Socket.IO's reason. */
  onDisconnect(handler: (reason: string) => void): () => void;
  /** Calls `handler` with each change of `state`; returns the function that stops it. */
  onStateChange(handler: (state: ConnectionState) => void): () => void;
  /** Calls `handler` with each failure nobody awaits: `trigger`, unawaited requests, failed reconnections. */
  onError(handler: (error: DialogueError) => void): () => void;
  /** Calls `handler` when a room is created on the server. */
  onRoomCreated(handler: (room: RoomInfo) => void): () => void;
  /** Calls `handler` when a room is deleted on the server (members are removed from it). */
  onRoomDeleted(handler: (roomId: string) => void): () => void;
  /** Calls `handler` when the server announces it shuts down (`dialogue:shutdown`); the client then reconnects by itself. */
  onShutdown(handler: () => void): () => void;
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
  return checkAgainst(SCHEMAS, event, "event", data);
}

/**
 * The issues of `data` as the payload of the request `name`, checked against
 * its JSON Schema exactly as the server will; empty when it is valid.
 */
export function validateRequest(name: keyof RequestTypes & string, data: unknown): ValidationIssue[] {
  return checkAgainst(REQUEST_SCHEMAS, name, "request", data);
}

/**
 * The issues of `value` against `schema`, checked exactly as the server
 * checks (`$ref`s resolved in `root`); empty when it holds. The generated Zod
 * schemas use it for the few keywords Zod has no word for.
 */
export function schemaIssues(schema: JsonSchema, value: unknown, root: JsonSchema = schema): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  jsonSchemaCheck(schema, value, "", root, issues);
  return issues;
}

/** Whether `value` holds the JSON Schema `format`, as the server checks it (a format it does not check always holds). */
export function checkFormat(format: string, value: string): boolean {
  return formatHolds(format, value);
}

/**
 * The issues of `data` against `schemas[name]`, checked as JSON will carry it
 * (`undefined` fields dropped, `undefined` as a whole is `null`); at most 20.
 */
function checkAgainst(
  schemas: Readonly<Record<string, JsonSchema>>,
  name: string,
  kind: string,
  data: unknown,
): ValidationIssue[] {
  const schema: JsonSchema | undefined = Object.prototype.hasOwnProperty.call(schemas, name)
    ? schemas[name]
    : undefined;
  if (schema === undefined) {
    return [{ path: "", message: `no ${kind} named ${JSON.stringify(name)} is declared` }];
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

/** Refuses locally, as the server would (`VALIDATION_FAILED`), when there are `issues`. */
function refuseInvalid(issues: ValidationIssue[], what: string): void {
  const first = issues[0];
  if (first !== undefined) {
    throw new DialogueError("VALIDATION_FAILED", `invalid ${what}: ${first.path || "(the payload)"} ${first.message}`, issues);
  }
}

/** Connects to a Dialogue server: see `DialogueClientOptions`. */
export function createDialogueClient(options: DialogueClientOptions): DialogueClient {
  const ackTimeout = options.timeout ?? 10_000;
  const validate = options.validate ?? true;
  const queueLimit = options.offlineQueue ?? 100;
  /** The session's resume token (rotated by each greeting); none before the first one. */
  let token: string | undefined;
  /** The latest token from `getToken` (sent in handshakes and refreshes). */
  let currentToken: string | undefined;
  /** The timer of the next refresh before expiry. */
  let refreshTimer: ReturnType<typeof setTimeout> | undefined;
  const socket: Socket = io(options.url, {
    // Read on every (re)connection: a reconnection resumes the session,
    // with a fresh token when `getToken` gives them.
    auth: (cb: (data: object) => void) => {
      if (options.getToken === undefined) {
        cb(handshake());
        return;
      }
      Promise.resolve()
        .then(() => options.getToken!())
        .then(
          (fresh) => {
            currentToken = fresh;
            cb(handshake());
          },
          (error: unknown) => {
            reportError(new DialogueError("UNAUTHORIZED", `getToken failed: ${String(error)}`));
            cb(handshake());
          },
        );
    },
    autoConnect: false,
    forceNew: true,
    reconnection: options.reconnection ?? true,
    reconnectionAttempts: options.reconnectionAttempts ?? Infinity,
    reconnectionDelay: options.reconnectionDelay ?? 1000,
    reconnectionDelayMax: options.reconnectionDelayMax ?? 5000,
    randomizationFactor: 0.5,
    ...(options.transports === undefined ? {} : { transports: options.transports }),
  });

  let state: ConnectionState = "disconnected";
  let userId = "";
  let greetedBefore = false;
  let pending: { promise: Promise<void>; resolve: () => void; reject: (error: DialogueError) => void } | undefined;

  const connectHandlers = new Set<() => void>();
  const disconnectHandlers = new Set<(reason: string) => void>();
  const stateHandlers = new Set<(state: ConnectionState) => void>();
  const errorHandlers = new Set<(error: DialogueError) => void>();
  const roomCreatedHandlers = new Set<(room: RoomInfo) => void>();
  const roomDeletedHandlers = new Set<(roomId: string) => void>();
  const historyHandlers = new Set<(roomId: string, events: EventMessage[]) => void>();
  const shutdownHandlers = new Set<() => void>();
  const rooms = new Map<string, ReturnType<typeof openRoom>>();
  /**
   * Events of rooms being joined, held until the join's answer is handled
   * (and, on a first join, until the caller of `join` has had its turn to
   * add handlers): with HTTP long-polling, one response can carry the
   * answer and the room's next events, and Socket.IO hands them all out
   * before the answer's promise settles.
   */
  const held = new Map<string, Array<(room: ReturnType<typeof openRoom>) => void>>();
  /** Triggers waiting for their room to be back, oldest first. */
  const queue: Queued[] = [];
  let triggerCount = 0;

  interface Queued {
    payload: TriggerRequest;
    resolve: (message: EventMessage) => void;
    reject: (error: DialogueError) => void;
    /** Sends that went unanswered (TIMEOUT): the same id is sent again, a few times. */
    timeouts: number;
  }

  /** How many times a trigger whose answer timed out is sent again, with its id, before it fails. */
  const TRIGGER_RETRIES = 2;
  /** Rejoin attempts after a transient refusal (TIMEOUT, RATE_LIMITED, UNAVAILABLE, INTERNAL), backing off. */
  const REJOIN_RETRIES = 5;
  /** Refusals that may pass on their own: a rejoin that got one tries again. */
  const TRANSIENT: ReadonlySet<string> = new Set(["TIMEOUT", "RATE_LIMITED", "UNAVAILABLE", "INTERNAL"]);

  /** Whether Socket.IO will try to connect again after a cut (`socket.active` alone stays true with reconnection off). */
  const willReconnect = (): boolean => socket.active && socket.io.reconnection();

  /** The client will not reconnect: whatever waits for a connection fails now. */
  const givenUp = (error: DialogueError): void => {
    failQueued(() => true, error);
  };

  const setState = (next: ConnectionState): void => {
    if (state === next) return;
    state = next;
    callEach(stateHandlers, next);
  };

  /** The handshake's auth: the application's, and the session to resume with each room's position. */
  function handshake(): Record<string, unknown> {
    const auth: Record<string, unknown> = { ...(options.auth ?? {}) };
    if (currentToken !== undefined) auth["token"] = currentToken;
    if (token !== undefined) {
      const positions: Record<string, Position> = {};
      for (const room of rooms.values()) positions[room.roomId] = room.position;
      auth["resume"] = token;
      auth["positions"] = positions;
    }
    return auth;
  }

  const reportError = (error: unknown): void => {
    const failure =
      error instanceof DialogueError ? error : new DialogueError("INTERNAL", error instanceof Error ? error.message : String(error));
    callEach(errorHandlers, failure);
  };
  /** Marks `promise` handled (its failure goes to onError) and returns it for awaiting. */
  const reported = <T,>(promise: Promise<T>): Promise<T> => {
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

  /** When a JWT expires (Unix ms), read from its payload; `undefined` when it does not say. */
  function tokenExpiry(token: string | undefined): number | undefined {
    const payload = token?.split(".")[1];
    if (payload === undefined) return undefined;
    try {
      const json = atob(payload.replace(/-/g, "+").replace(/_/g, "/"));
      const exp = (JSON.parse(json) as { exp?: unknown }).exp;
      return typeof exp === "number" ? exp * 1000 : undefined;
    } catch {
      return undefined;
    }
  }

  /** Plans the next refresh: a little before `expiresAt` (30 s, or a tenth of what is left). */
  function planRefresh(expiresAt: number | undefined): void {
    if (refreshTimer !== undefined) clearTimeout(refreshTimer);
    refreshTimer = undefined;
    if (options.getToken === undefined || expiresAt === undefined) return;
    const left = expiresAt - Date.now();
    const delay = Math.max(0, left - Math.min(30_000, left / 10));
    // Timers take at most 2^31 - 1 ms (about 24.8 days; more fires at
    // once): a longer wait is taken in steps.
    const MAX_TIMER = 2_147_483_647;
    refreshTimer = setTimeout(() => {
      refreshTimer = undefined;
      if (delay > MAX_TIMER) planRefresh(expiresAt);
      else if (socket.connected) refreshToken().catch(reportError);
    }, Math.min(delay, MAX_TIMER));
  }

  async function refreshToken(token?: string): Promise<{ expiresAt?: number }> {
    const fresh = token ?? (options.getToken === undefined ? undefined : await options.getToken());
    if (fresh === undefined) throw new DialogueError("INVALID_REQUEST", "refreshToken: no token given and no getToken option");
    const answer = await request<AuthAnswer>(WIRE.auth, { token: fresh } satisfies AuthRequest);
    currentToken = fresh;
    planRefresh(answer.expiresAt);
    return answer.expiresAt === undefined ? {} : { expiresAt: answer.expiresAt };
  }

  socket.on(WIRE.connected, (hello: Partial<Connected>) => {
    userId = typeof hello?.userId === "string" ? hello.userId : "";
    planRefresh(tokenExpiry(currentToken ?? (typeof options.auth?.["token"] === "string" ? (options.auth["token"] as string) : undefined)));
    if (typeof hello?.resumeToken === "string") token = hello.resumeToken;
    setState("connected");
    const again = greetedBefore;
    greetedBefore = true;
    settle({});
    if (again) {
      // Rooms the session kept are still joined, and their missed events
      // follow when recovered; the others are joined again from their
      // position.
      const kept = new Set(hello?.resumed === true && Array.isArray(hello.rooms) ? hello.rooms : []);
      const recovered = new Set(Array.isArray(hello?.recovered) ? hello.recovered : []);
      // Rooms the host removed this user from while it was away: closed
      // here, never joined again.
      const kicked = new Map((Array.isArray(hello?.kicked) ? hello.kicked : []).map((k) => [k.roomId, k.reason]));
      for (const room of [...rooms.values()]) {
        if (kept.has(room.roomId)) room.back(recovered.has(room.roomId));
        else if (kicked.has(room.roomId)) {
          room.kicked(kicked.get(room.roomId) ?? undefined);
          failQueued((q) => q.payload.roomId === room.roomId, new DialogueError("NOT_IN_ROOM", `removed from room ${room.roomId} by its host`));
        } else rejoin(room);
      }
    }
    callEach(connectHandlers);
  });
  socket.on("connect_error", (error: Error) => {
    // Socket.IO tries again unless the server refused or reconnection is off;
    // `reconnect_failed` ends the tries.
    if (willReconnect()) return;
    setState("disconnected");
    const failure = new DialogueError("CONNECT_FAILED", `cannot connect to ${options.url}: ${error.message}`);
    if (pending === undefined) reportError(failure);
    settle({ error: failure });
    givenUp(failure);
  });
  socket.io.on("reconnect_attempt", () => {
    setState("reconnecting");
  });
  socket.io.on("reconnect_failed", () => {
    setState("disconnected");
    const failure = new DialogueError("CONNECT_FAILED", `cannot reconnect to ${options.url}: gave up`);
    if (pending === undefined) reportError(failure);
    settle({ error: failure });
    failQueued(() => true, failure);
  });
  socket.on("disconnect", (reason: string) => {
    for (const room of rooms.values()) room.away();
    // A server that closes the namespace means it for good (the session was
    // taken over by another connection, or ended): Socket.IO does not
    // reconnect then, and neither does this client; nor with reconnection off.
    setState(willReconnect() ? "reconnecting" : "disconnected");
    if (state === "disconnected") {
      // Closed before the greeting, and no more tries: a pending connect() fails.
      settle({ error: new DialogueError("CONNECT_FAILED", `disconnected before the server's greeting: ${reason}`) });
      givenUp(new DialogueError("DISCONNECTED", `disconnected (${reason}) and not reconnecting`));
    }
    callEach(disconnectHandlers, reason);
  });
  /** Hands `deliver` the room `roomId`, now or, while it is being joined, once its answer is handled. */
  const toRoom = (roomId: string | undefined, deliver: (room: ReturnType<typeof openRoom>) => void): void => {
    if (typeof roomId !== "string") return;
    const holding = held.get(roomId);
    if (holding !== undefined) holding.push(deliver);
    else {
      const room = rooms.get(roomId);
      if (room !== undefined) deliver(room);
    }
  };
  socket.on(WIRE.event, (message: EventMessage) => {
    toRoom(message?.roomId, (room) => room.dispatch(message));
  });
  socket.on(WIRE.presenceDiff, (diff: PresenceDiff) => {
    toRoom(diff?.roomId, (room) => room.presenceChanged(diff));
  });
  socket.on(WIRE.hostChanged, (changed: HostChanged) => {
    toRoom(changed?.roomId, (room) => room.hostChanged(changed.hostId));
  });
  socket.on(WIRE.kicked, (kicked: Kicked) => {
    toRoom(kicked?.roomId, (room) => {
      room.kicked(kicked.reason);
      failQueued((q) => q.payload.roomId === room.roomId, new DialogueError("NOT_IN_ROOM", `removed from room ${room.roomId} by its host`));
    });
  });
  socket.on(WIRE.history, (push: HistoryPush) => {
    if (push && Array.isArray(push.events)) callEach(historyHandlers, push.roomId, push.events);
  });
  socket.on(WIRE.roomCreated, (room: RoomInfo) => callEach(roomCreatedHandlers, room));
  socket.on(WIRE.roomDeleted, (deleted: RoomIdPayload) => {
    const room = rooms.get(deleted?.roomId);
    if (room !== undefined) {
      room.close();
      failQueued((q) => q.payload.roomId === room.roomId, new DialogueError("ROOM_NOT_FOUND", `room ${room.roomId} was deleted`));
    }
    callEach(roomDeletedHandlers, deleted?.roomId);
  });
  socket.on(WIRE.shutdown, () => {
    // The node is going away: the transport closes next, and the client
    // reconnects by itself (to another node) and resumes its session.
    callEach(shutdownHandlers);
  });
  socket.on(WIRE.error, (error: WireError) => {
    reportError(new DialogueError(error?.code ?? "INTERNAL", error?.message ?? "error", error?.details));
  });

  /** A request in the acknowledgement form; resolves with the answer's fields. */
  async function request<A>(event: (typeof WIRE)[keyof typeof WIRE], payload?: unknown): Promise<A> {
    let answer: unknown;
    const sentConnected = socket.connected;
    try {
      const timed = socket.timeout(ackTimeout);
      answer = await (payload === undefined ? timed.emitWithAck(event) : timed.emitWithAck(event, payload));
    } catch {
      if (sentConnected && !socket.connected) {
        throw new DialogueError("DISCONNECTED", `${event}: the connection was lost before the answer`);
      }
      throw new DialogueError("TIMEOUT", `${event}: no answer within ${ackTimeout} ms`);
    }
    const reply = answer as { ok?: unknown; error?: { code?: ErrorCode; message?: string; details?: ValidationIssue[] } };
    if (reply !== null && typeof reply === "object" && reply.ok === true) return reply as A;
    if (reply !== null && typeof reply === "object" && reply.ok === false && reply.error) {
      throw new DialogueError(reply.error.code ?? "INTERNAL", reply.error.message ?? `${event} failed`, reply.error.details);
    }
    throw new DialogueError("INTERNAL", `${event}: unexpected answer ${JSON.stringify(answer)}`);
  }

  /**
   * Sends a trigger now. Its id keeps it from counting twice, so when its
   * outcome is unknown it goes again: one whose answer the connection lost
   * waits for its room to be back; one whose answer timed out (a server
   * busy with a catch-up) is sent again at once, a few times.
   */
  function sendTrigger(item: Queued): void {
    request<TriggerAnswer>(WIRE.trigger, item.payload).then(
      (answer) => item.resolve(answer.message),
      (error: unknown) => {
        const room = rooms.get(item.payload.roomId);
        const code = error instanceof DialogueError ? error.code : undefined;
        if (code === "DISCONNECTED" && room !== undefined && willReconnect()) {
          queue.push(item);
          if (room.ready && socket.connected) flush(room.roomId);
        } else if (code === "TIMEOUT" && room !== undefined && item.timeouts < TRIGGER_RETRIES) {
          item.timeouts += 1;
          if (room.ready && socket.connected) sendTrigger(item);
          else queue.push(item);
        } else {
          item.reject(error instanceof DialogueError ? error : new DialogueError("INTERNAL", String(error)));
        }
      },
    );
  }

  /** Sends the waiting triggers of `roomId`, in order. */
  function flush(roomId: string): void {
    const ready = queue.filter((q) => q.payload.roomId === roomId);
    if (ready.length === 0) return;
    for (let i = queue.length - 1; i >= 0; i--) if (queue[i]!.payload.roomId === roomId) queue.splice(i, 1);
    for (const item of ready) sendTrigger(item);
  }

  /** Fails the waiting triggers `which` selects. */
  function failQueued(which: (item: Queued) => boolean, error: DialogueError): void {
    for (let i = queue.length - 1; i >= 0; i--) {
      const item = queue[i]!;
      if (which(item)) {
        queue.splice(i, 1);
        item.reject(error);
      }
    }
  }

  /**
   * Joins `room` again from its position, with the subscriptions chosen:
   * after its session was lost, or to apply subscription changes whose
   * answer was lost (a member joining again gets its subscriptions set).
   * A transient refusal is tried again, backing off; a definite one (the
   * room is gone, the join is refused) closes the room, and a room found
   * gone counts as deleted (`onRoomDeleted`).
   */
  function rejoin(room: ReturnType<typeof openRoom>, attempt = 0): void {
    const ask: JoinRequest = { roomId: room.roomId, since: room.position, subscriptions: room.subscriptions() };
    if (room.secret !== undefined) ask.secret = room.secret;
    if (!held.has(room.roomId)) held.set(room.roomId, []);
    const connection = socket.id;
    request<Joined>(WIRE.join, ask).then(
      (answer) => {
        const recovered = answer.recovered === true;
        if (recovered && Array.isArray(answer.missed)) for (const message of answer.missed) room.dispatch(message);
        room.moveTo(answer.position);
        releaseHeld(room);
        room.back(recovered);
      },
      (error: unknown) => {
        const failure = error instanceof DialogueError ? error : new DialogueError("INTERNAL", String(error));
        // Lost again on the way: the next greeting tries again.
        if (failure.code === "DISCONNECTED") {
          held.delete(room.roomId);
          return;
        }
        if (rooms.get(room.roomId) !== room) {
          held.delete(room.roomId);
          return;
        }
        if (TRANSIENT.has(failure.code) && attempt < REJOIN_RETRIES) {
          const delay = Math.min(250 * 2 ** attempt, 5000);
          setTimeout(() => {
            // A new connection rejoins by itself from its greeting.
            if (socket.connected && socket.id === connection && rooms.get(room.roomId) === room) rejoin(room, attempt + 1);
          }, delay);
          return;
        }
        held.delete(room.roomId);
        room.close();
        failQueued((q) => q.payload.roomId === room.roomId, failure);
        if (failure.code === "ROOM_NOT_FOUND") callEach(roomDeletedHandlers, room.roomId);
        else reportError(failure);
      },
    );
  }

  /** Hands `room` what was held while it was being joined (events, presence, host changes), in order. */
  function releaseHeld(room: ReturnType<typeof openRoom>): void {
    const waiting = held.get(room.roomId) ?? [];
    held.delete(room.roomId);
    for (const deliver of waiting) deliver(room);
  }

  /** The template `roomId` is an instance of (per-user rooms included). */
  function templateOf(roomId: string) {
    return TEMPLATE_ROOMS.find(
      (room) =>
        roomId.length > room.prefix.length + room.suffix.length && roomId.startsWith(room.prefix) && roomId.endsWith(room.suffix),
    );
  }

  /** Whether the server validates the events of `roomId` (declared rooms but `*` ones). */
  function validatedRoom(roomId: string): boolean {
    if (Object.prototype.hasOwnProperty.call(VALIDATED_ROOMS, roomId)) return VALIDATED_ROOMS[roomId] === true;
    return templateOf(roomId)?.validated === true;
  }

  /** What the server subscribes a joiner of `roomId` to: the declaration's, or every event for rooms made at run time. */
  function defaultSubscriptions(roomId: string): readonly string[] {
    if (Object.prototype.hasOwnProperty.call(ROOM_SUBSCRIPTIONS, roomId)) return ROOM_SUBSCRIPTIONS[roomId]!;
    return templateOf(roomId)?.subscriptions ?? ["*"];
  }

  /** A trigger id: unique for this user as long as the server remembers it. */
  function triggerId(): string {
    triggerCount += 1;
    return `${Date.now().toString(36)}-${triggerCount.toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
  }

  function openRoom(roomId: string, roomName: string, joinedAt: Position, secret: string | undefined) {
    const handlers = new Map<string, Set<(message: EventMessage) => void>>();
    const anyHandlers = new Set<(event: string, message: EventMessage) => void>();
    const recoveredHandlers = new Set<(outcome: { recovered: boolean }) => void>();
    const presenceHandlers = new Set<(change: PresenceChange) => void>();
    const hostHandlers = new Set<(hostId: string) => void>();
    const kickedHandlers = new Set<(reason: string | undefined) => void>();
    let history: EventMessage[] = [];
    let position: Position = { epoch: joinedAt.epoch, seq: joinedAt.seq };
    /** Whether the room is joined on the current connection (triggers wait otherwise). */
    let ready = true;
    // The subscriptions as the server keeps them: every event, and names.
    const defaults = defaultSubscriptions(roomId);
    let all = defaults.includes("*");
    const named = new Set(defaults.filter((name) => name !== "*"));
    /** A subscription change whose outcome is unknown: the mirror is sent again when the room is back. */
    let unconfirmed = false;
    const close = (): void => {
      handlers.clear();
      anyHandlers.clear();
      recoveredHandlers.clear();
      presenceHandlers.clear();
      hostHandlers.clear();
      kickedHandlers.clear();
      ready = false;
      if (rooms.get(roomId) === context) rooms.delete(roomId);
    };
    const send = async (event: string, data: unknown, meta?: Record<string, unknown>): Promise<EventMessage> => {
      if (validate && validatedRoom(roomId) && Object.prototype.hasOwnProperty.call(SCHEMAS, event)) {
        refuseInvalid(validatePayload(event as keyof EventPayloads & string, data), `${JSON.stringify(event)} payload`);
      }
      if (rooms.get(roomId) !== context) throw new DialogueError("NOT_IN_ROOM", `room ${roomId} was left`);
      const payload: TriggerRequest = { roomId, event, data: data === undefined ? null : data, id: triggerId() };
      if (meta !== undefined) payload.meta = meta;
      return new Promise<EventMessage>((resolve, reject) => {
        const item: Queued = { payload, resolve, reject, timeouts: 0 };
        if (state === "disconnected") {
          reject(new DialogueError("DISCONNECTED", "not connected, and not reconnecting: connect() first"));
        } else if (ready && state === "connected") {
          sendTrigger(item);
        } else if (queue.length >= queueLimit) {
          reject(new DialogueError("UNAVAILABLE", `offline: ${queueLimit} triggers are already waiting for the connection`));
        } else {
          queue.push(item);
        }
      });
    };
    /**
     * Changes a subscription here and on the server; mirrors the server's
     * rule (`*` and names are independent). The mirror takes the change at
     * once (what a rejoin asks for); a refusal takes it back; a change whose
     * answer was lost (a cut, a timeout) is sent again with the whole
     * mirror when the room is back.
     */
    const change = (wire: (typeof WIRE)[keyof typeof WIRE], event: string | undefined, on: boolean): Promise<void> => {
      const before = { all, named: new Set(named) };
      if (event === undefined || event === "*") all = on;
      else if (on) named.add(event);
      else named.delete(event);
      const body: unknown = event === undefined ? ({ roomId } satisfies RoomRequest) : ({ roomId, eventName: event } satisfies SubscribeRequest);
      return reported(
        request<Done>(wire, body).then(
          () => undefined,
          (error: unknown) => {
            const code = error instanceof DialogueError ? error.code : "INTERNAL";
            if (code === "DISCONNECTED" || code === "TIMEOUT") unconfirmed = true;
            else {
              all = before.all;
              named.clear();
              for (const name of before.named) named.add(name);
            }
            throw error;
          },
        ),
      );
    };
    const context = {
      roomId,
      roomName,
      /** The secret the room was joined with, for joining it again. */
      secret,
      get history(): EventMessage[] {
        return history;
      },
      get position(): Position {
        return { epoch: position.epoch, seq: position.seq };
      },
      get ready(): boolean {
        return ready;
      },
      setHistory(events: EventMessage[]): void {
        history = events;
      },
      /** The subscriptions to ask for when joining again. */
      subscriptions(): string[] {
        return all ? ["*", ...named] : [...named];
      },
      /** Delivers an event once: one at or before the position was seen already. */
      dispatch(message: EventMessage): void {
        if (typeof message?.seq === "number") {
          if (message.seq <= position.seq) return;
          position = { epoch: position.epoch, seq: message.seq };
        }
        const own = handlers.get(message.event);
        if (own) callEach(own, message);
        callEach(anyHandlers, message.event, message);
      },
      /** Joined again: the room's position now (a new epoch after a restart). */
      moveTo(now: Position | undefined): void {
        if (now === undefined || typeof now.seq !== "number") return;
        if (now.epoch !== position.epoch || now.seq > position.seq) position = { epoch: now.epoch, seq: now.seq };
      },
      /** The connection is gone: triggers wait from now on. */
      away(): void {
        ready = false;
      },
      /** Back on a new connection: waiting triggers go, and the app hears whether anything was lost. */
      back(recovered: boolean): void {
        if (rooms.get(roomId) !== context) return;
        if (unconfirmed && socket.connected) {
          // The server's subscriptions may not be the mirror's: a join from
          // the position sets them (and replays nothing already seen).
          unconfirmed = false;
          rejoin(context);
          return;
        }
        ready = true;
        flush(roomId);
        callEach(recoveredHandlers, { recovered });
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
        return listen(anyHandlers, handler);
      },
      onRecovered(handler: (outcome: { recovered: boolean }) => void): () => void {
        return listen(recoveredHandlers, handler);
      },
      subscribe(event: string): Promise<void> {
        return change(WIRE.subscribe, event, true);
      },
      subscribeAll(): Promise<void> {
        return change(WIRE.subscribeAll, undefined, true);
      },
      unsubscribe(event: string): Promise<void> {
        return change(WIRE.unsubscribe, event, false);
      },
      leave(): Promise<void> {
        close();
        failQueued((q) => q.payload.roomId === roomId, new DialogueError("NOT_IN_ROOM", `room ${roomId} was left`));
        return reported(request<Done>(WIRE.leave, { roomId } satisfies RoomRequest).then(() => undefined));
      },
      async getHistory(event: string, start?: number, end?: number): Promise<EventMessage[]> {
        const query: HistoryRequest = { roomId, eventName: event };
        if (start !== undefined) query.start = start;
        if (end !== undefined) query.end = end;
        const page = await request<HistoryPage>(WIRE.getHistory, query);
        return page.events;
      },
      presenceChanged(diff: PresenceDiff): void {
        const members = (list: unknown): PresenceMember[] => (Array.isArray(list) ? (list as PresenceMember[]) : []);
        callEach(presenceHandlers, { joined: members(diff.joined), left: members(diff.left), updated: members(diff.updated) });
      },
      hostChanged(hostId: string): void {
        if (typeof hostId === "string") callEach(hostHandlers, hostId);
      },
      /** Removed by the host: handlers hear it, then the room closes. */
      kicked(reason: string | undefined): void {
        const listeners = [...kickedHandlers];
        close();
        for (const handler of listeners) handler(typeof reason === "string" ? reason : undefined);
      },
      async presence(): Promise<{ members: PresenceMember[]; count: number }> {
        const page = await request<PresencePage>(WIRE.getPresence, { roomId } satisfies RoomRequest);
        return { members: page.members as PresenceMember[], count: page.count };
      },
      onPresence(handler: (change: PresenceChange) => void): () => void {
        return listen(presenceHandlers, handler);
      },
      async setPresence(info: PresenceInfo): Promise<void> {
        if (validate && PRESENCE_SCHEMA !== null) {
          refuseInvalid(checkAgainst({ info: PRESENCE_SCHEMA }, "info", "presence info", info), "presence info");
        }
        await request<Done>(WIRE.setPresence, { roomId, info: info as Record<string, unknown> } satisfies SetPresenceRequest);
      },
      async kick(userId: string, asked?: { reason?: string; ban?: boolean }): Promise<void> {
        const kick: KickRequest = { roomId, userId };
        if (asked?.reason !== undefined) kick.reason = asked.reason;
        if (asked?.ban !== undefined) kick.ban = asked.ban;
        await request<Done>(WIRE.kick, kick);
      },
      async transferHost(userId: string): Promise<void> {
        await request<Done>(WIRE.transferHost, { roomId, userId } satisfies TransferHostRequest);
      },
      onHostChanged(handler: (hostId: string) => void): () => void {
        return listen(hostHandlers, handler);
      },
      onKicked(handler: (reason: string | undefined) => void): () => void {
        return listen(kickedHandlers, handler);
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
        setState(greetedBefore ? "reconnecting" : "connecting");
        socket.connect();
      }
      return pending.promise;
    },
    disconnect(): void {
      if (refreshTimer !== undefined) clearTimeout(refreshTimer);
      refreshTimer = undefined;
      for (const room of [...rooms.values()]) room.close();
      // Asked for: the server ends the session at once.
      token = undefined;
      greetedBefore = false;
      socket.disconnect();
      setState("disconnected");
      const closed = new DialogueError("DISCONNECTED", "disconnect() was called");
      failQueued(() => true, closed);
      settle({ error: new DialogueError("DISCONNECTED", "disconnect() was called while connecting") });
    },
    async join(target: string | { readonly id: string }, joining?: JoinOptions) {
      const roomId = idOf(target);
      const first = !rooms.has(roomId) && !held.has(roomId);
      if (first) held.set(roomId, []);
      const ask: JoinRequest = { roomId };
      if (joining?.secret !== undefined) ask.secret = joining.secret;
      let answer: Joined;
      try {
        answer = await request<Joined>(WIRE.join, ask);
      } catch (error) {
        if (first) held.delete(roomId);
        throw error;
      }
      let room = rooms.get(roomId);
      if (room === undefined) {
        room = openRoom(roomId, answer.roomName, answer.position ?? { epoch: "", seq: 0 }, joining?.secret);
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
        setTimeout(() => releaseHeld(joined), 0);
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
    async request(name: string, data: unknown, asked?: { roomId?: string }): Promise<unknown> {
      if (validate) {
        refuseInvalid(validateRequest(name as keyof RequestTypes & string, data), `${JSON.stringify(name)} request`);
      }
      const call: RequestCall = { name, data: data === undefined ? null : data };
      if (asked?.roomId !== undefined) call.roomId = asked.roomId;
      return (await request<RequestAnswer>(WIRE.request, call)).data;
    },
    refreshToken,
    onConnect: (handler: () => void) => listen(connectHandlers, handler),
    onDisconnect: (handler: (reason: string) => void) => listen(disconnectHandlers, handler),
    onStateChange: (handler: (state: ConnectionState) => void) => listen(stateHandlers, handler),
    onError: (handler: (error: DialogueError) => void) => listen(errorHandlers, handler),
    onRoomCreated: (handler: (room: RoomInfo) => void) => listen(roomCreatedHandlers, handler),
    onRoomDeleted: (handler: (roomId: string) => void) => listen(roomDeletedHandlers, handler),
    onHistory: (handler: (roomId: string, events: EventMessage[]) => void) => listen(historyHandlers, handler),
    onShutdown: (handler: () => void) => listen(shutdownHandlers, handler),
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
