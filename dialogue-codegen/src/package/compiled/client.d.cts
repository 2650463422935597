import { type CreateRoomRequest, type ErrorCode, type EventPayloads, type Position, type PresenceInfo, type RequestTypes, type RoomInfo, type RoomReceives, type RoomTriggers, type TemplateRoomReceives, type TemplateRoomTriggers, type ValidationIssue } from "./app.cjs";
/** A JSON Schema (draft 2020-12), as the server validates with. */
export type JsonSchema = boolean | {
    readonly [keyword: string]: unknown;
};
/** The events of a room that takes any event: any name, data unchecked. */
export type AnyEvents = Record<string, unknown>;
/** The events of a room that takes none from clients. */
export type NoEvents = Record<never, never>;
/** Every room id a client may join by name: the declared rooms and the instances of templates (`` `doc:${string}` ``, a per-user room's). */
export type RoomId = (keyof RoomTriggers & string) | (keyof TemplateRoomTriggers & string);
/** What a client may trigger in room `R` (an id of [`RoomId`]). */
export type TriggersOf<R extends string> = R extends keyof RoomTriggers ? RoomTriggers[R] : R extends keyof TemplateRoomTriggers ? TemplateRoomTriggers[R] : NoEvents;
/** What a client may receive in room `R` (an id of [`RoomId`]). */
export type ReceivesOf<R extends string> = R extends keyof RoomReceives ? RoomReceives[R] : R extends keyof TemplateRoomReceives ? TemplateRoomReceives[R] : NoEvents;
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
export declare class DialogueError extends Error {
    /** A protocol code, or (from `request`) an application's own UPPER_SNAKE_CASE code. */
    readonly code: ErrorCode | (string & {});
    readonly details?: ValidationIssue[];
    constructor(code: ErrorCode | (string & {}), message: string, details?: ValidationIssue[]);
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
export type RoomMessage<R> = {
    [E in keyof R & string]: EventMessage<R[E], E>;
}[keyof R & string];
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
    onRecovered(handler: (outcome: {
        recovered: boolean;
    }) => void): () => void;
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
    send<E extends keyof T & string>(event: E, data: T[E], meta?: Record<string, unknown>): Promise<EventMessage<T[E], E>>;
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
    presence(): Promise<{
        members: PresenceMember[];
        count: number;
    }>;
    /** Calls `handler` when users arrive, depart or change their `info` (rooms with presence); returns the function that stops it. */
    onPresence(handler: (change: PresenceChange) => void): () => void;
    /** Replaces what this user shows in the room, checked against the info schema first (`VALIDATION_FAILED`); announced as `updated`. */
    setPresence(info: PresenceInfo): Promise<void>;
    /** The host only: removes every connection of `userId` (each gets `onKicked`); with `ban` it cannot join again while the room exists. */
    kick(userId: string, options?: {
        reason?: string;
        ban?: boolean;
    }): Promise<void>;
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
    join(room: {
        readonly id: string;
    }, options?: JoinOptions): Promise<RoomContext<AnyEvents, AnyEvents>>;
    /** A room joined before, if still joined. */
    getRoom<R extends RoomId>(roomId: R): JoinedRoom<R> | undefined;
    getRoom(room: {
        readonly id: string;
    }): RoomContext<AnyEvents, AnyEvents> | undefined;
    /** Every room on the server. */
    listRooms(): Promise<RoomInfo[]>;
    /** Creates a room (any event, unchecked); every client learns of it through `onRoomCreated`. */
    createRoom(options: CreateRoomOptions): Promise<RoomInfo>;
    /** Deletes a room this user created and still hosts. */
    deleteRoom(roomId: string | {
        readonly id: string;
    }): Promise<void>;
    /**
     * Asks the server one of the application's requests and resolves with its
     * handler's response. `data` is checked first, as the server will
     * (`VALIDATION_FAILED`); with `roomId`, the caller must be a member of
     * that room. A handler's refusal rejects with its own code.
     */
    request<N extends keyof RequestTypes & string>(name: N, data: RequestTypes[N]["request"], options?: {
        roomId?: string;
    }): Promise<RequestTypes[N]["response"]>;
    /**
     * Sends a fresh token (from `getToken`, or `token`) for this connection
     * (`dialogue:auth`), so that it outlives the old one; resolves with the new
     * expiry (Unix ms). The client does this by itself before expiry when
     * `getToken` is given.
     */
    refreshToken(token?: string): Promise<{
        expiresAt?: number;
    }>;
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
export declare function validatePayload(event: keyof EventPayloads & string, data: unknown): ValidationIssue[];
/**
 * The issues of `data` as the payload of the request `name`, checked against
 * its JSON Schema exactly as the server will; empty when it is valid.
 */
export declare function validateRequest(name: keyof RequestTypes & string, data: unknown): ValidationIssue[];
/**
 * The issues of `value` against `schema`, checked exactly as the server
 * checks (`$ref`s resolved in `root`); empty when it holds. The generated Zod
 * schemas use it for the few keywords Zod has no word for.
 */
export declare function schemaIssues(schema: JsonSchema, value: unknown, root?: JsonSchema): ValidationIssue[];
/** Whether `value` holds the JSON Schema `format`, as the server checks it (a format it does not check always holds). */
export declare function checkFormat(format: string, value: string): boolean;
/** Connects to a Dialogue server: see `DialogueClientOptions`. */
export declare function createDialogueClient(options: DialogueClientOptions): DialogueClient;
