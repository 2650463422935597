// The client runtime of the npm package: `runtime.ts` with the imports of the
// package's modules. Compiled by `tsc`, see dialogue-codegen/src/package.
import { io } from "socket.io-client";
import { REQUEST_SCHEMAS, SCHEMAS, WIRE } from "./app.js";
import { PRESENCE_SCHEMA, ROOM_SUBSCRIPTIONS, TEMPLATE_ROOMS, VALIDATED_ROOMS } from "./rules.js";
/** A failed request: the protocol's `code`, a readable `message`, and for `VALIDATION_FAILED` each issue. */
export class DialogueError extends Error {
    /** A protocol code, or (from `request`) an application's own UPPER_SNAKE_CASE code. */
    code;
    details;
    constructor(code, message, details) {
        super(message);
        this.name = "DialogueError";
        this.code = code;
        if (details !== undefined)
            this.details = details;
    }
}
/**
 * The issues of `data` as a payload of `event`, checked against the event's
 * JSON Schema exactly as the server will; empty when it is valid. `data` is
 * checked as JSON will carry it (`undefined` fields dropped, `undefined` as
 * a whole is `null`).
 */
export function validatePayload(event, data) {
    return checkAgainst(SCHEMAS, event, "event", data);
}
/**
 * The issues of `data` as the payload of the request `name`, checked against
 * its JSON Schema exactly as the server will; empty when it is valid.
 */
export function validateRequest(name, data) {
    return checkAgainst(REQUEST_SCHEMAS, name, "request", data);
}
/**
 * The issues of `value` against `schema`, checked exactly as the server
 * checks (`$ref`s resolved in `root`); empty when it holds. The generated Zod
 * schemas use it for the few keywords Zod has no word for.
 */
export function schemaIssues(schema, value, root = schema) {
    const issues = [];
    jsonSchemaCheck(schema, value, "", root, issues);
    return issues;
}
/** Whether `value` holds the JSON Schema `format`, as the server checks it (a format it does not check always holds). */
export function checkFormat(format, value) {
    return formatHolds(format, value);
}
/**
 * The issues of `data` against `schemas[name]`, checked as JSON will carry it
 * (`undefined` fields dropped, `undefined` as a whole is `null`); at most 20.
 */
function checkAgainst(schemas, name, kind, data) {
    const schema = Object.prototype.hasOwnProperty.call(schemas, name)
        ? schemas[name]
        : undefined;
    if (schema === undefined) {
        return [{ path: "", message: `no ${kind} named ${JSON.stringify(name)} is declared` }];
    }
    let value;
    try {
        value = data === undefined ? null : JSON.parse(JSON.stringify(data));
    }
    catch (error) {
        return [{ path: "", message: `not JSON: ${String(error)}` }];
    }
    const issues = [];
    jsonSchemaCheck(schema, value, "", schema, issues);
    return issues.slice(0, 20);
}
/** Refuses locally, as the server would (`VALIDATION_FAILED`), when there are `issues`. */
function refuseInvalid(issues, what) {
    const first = issues[0];
    if (first !== undefined) {
        throw new DialogueError("VALIDATION_FAILED", `invalid ${what}: ${first.path || "(the payload)"} ${first.message}`, issues);
    }
}
/** Connects to a Dialogue server: see `DialogueClientOptions`. */
export function createDialogueClient(options) {
    const ackTimeout = options.timeout ?? 10_000;
    const validate = options.validate ?? true;
    const queueLimit = options.offlineQueue ?? 100;
    /** The session's resume token (rotated by each greeting); none before the first one. */
    let token;
    /** The latest token from `getToken` (sent in handshakes and refreshes). */
    let currentToken;
    /** The timer of the next refresh before expiry. */
    let refreshTimer;
    const socket = io(options.url, {
        // Read on every (re)connection: a reconnection resumes the session,
        // with a fresh token when `getToken` gives them.
        auth: (cb) => {
            if (options.getToken === undefined) {
                cb(handshake());
                return;
            }
            Promise.resolve()
                .then(() => options.getToken())
                .then((fresh) => {
                currentToken = fresh;
                cb(handshake());
            }, (error) => {
                reportError(new DialogueError("UNAUTHORIZED", `getToken failed: ${String(error)}`));
                cb(handshake());
            });
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
    let state = "disconnected";
    let userId = "";
    let greetedBefore = false;
    let pending;
    const connectHandlers = new Set();
    const disconnectHandlers = new Set();
    const stateHandlers = new Set();
    const errorHandlers = new Set();
    const roomCreatedHandlers = new Set();
    const roomDeletedHandlers = new Set();
    const historyHandlers = new Set();
    const shutdownHandlers = new Set();
    const rooms = new Map();
    /**
     * Events of rooms being joined, held until the join's answer is handled
     * (and, on a first join, until the caller of `join` has had its turn to
     * add handlers): with HTTP long-polling, one response can carry the
     * answer and the room's next events, and Socket.IO hands them all out
     * before the answer's promise settles.
     */
    const held = new Map();
    /** Triggers waiting for their room to be back, oldest first. */
    const queue = [];
    let triggerCount = 0;
    /** How many times a trigger whose answer timed out is sent again, with its id, before it fails. */
    const TRIGGER_RETRIES = 2;
    /** Rejoin attempts after a transient refusal (TIMEOUT, RATE_LIMITED, UNAVAILABLE, INTERNAL), backing off. */
    const REJOIN_RETRIES = 5;
    /** Refusals that may pass on their own: a rejoin that got one tries again. */
    const TRANSIENT = new Set(["TIMEOUT", "RATE_LIMITED", "UNAVAILABLE", "INTERNAL"]);
    /** Whether Socket.IO will try to connect again after a cut (`socket.active` alone stays true with reconnection off). */
    const willReconnect = () => socket.active && socket.io.reconnection();
    /** The client will not reconnect: whatever waits for a connection fails now. */
    const givenUp = (error) => {
        failQueued(() => true, error);
    };
    const setState = (next) => {
        if (state === next)
            return;
        state = next;
        callEach(stateHandlers, next);
    };
    /** The handshake's auth: the application's, and the session to resume with each room's position. */
    function handshake() {
        const auth = { ...(options.auth ?? {}) };
        if (currentToken !== undefined)
            auth["token"] = currentToken;
        if (token !== undefined) {
            const positions = {};
            for (const room of rooms.values())
                positions[room.roomId] = room.position;
            auth["resume"] = token;
            auth["positions"] = positions;
        }
        return auth;
    }
    const reportError = (error) => {
        const failure = error instanceof DialogueError ? error : new DialogueError("INTERNAL", error instanceof Error ? error.message : String(error));
        callEach(errorHandlers, failure);
    };
    /** Marks `promise` handled (its failure goes to onError) and returns it for awaiting. */
    const reported = (promise) => {
        promise.catch(reportError);
        return promise;
    };
    const settle = (outcome) => {
        const waiting = pending;
        pending = undefined;
        if (waiting === undefined)
            return;
        if (outcome.error === undefined)
            waiting.resolve();
        else
            waiting.reject(outcome.error);
    };
    /** When a JWT expires (Unix ms), read from its payload; `undefined` when it does not say. */
    function tokenExpiry(token) {
        const payload = token?.split(".")[1];
        if (payload === undefined)
            return undefined;
        try {
            const json = atob(payload.replace(/-/g, "+").replace(/_/g, "/"));
            const exp = JSON.parse(json).exp;
            return typeof exp === "number" ? exp * 1000 : undefined;
        }
        catch {
            return undefined;
        }
    }
    /** Plans the next refresh: a little before `expiresAt` (30 s, or a tenth of what is left). */
    function planRefresh(expiresAt) {
        if (refreshTimer !== undefined)
            clearTimeout(refreshTimer);
        refreshTimer = undefined;
        if (options.getToken === undefined || expiresAt === undefined)
            return;
        const left = expiresAt - Date.now();
        const delay = Math.max(0, left - Math.min(30_000, left / 10));
        // Timers take at most 2^31 - 1 ms (about 24.8 days; more fires at
        // once): a longer wait is taken in steps.
        const MAX_TIMER = 2_147_483_647;
        refreshTimer = setTimeout(() => {
            refreshTimer = undefined;
            if (delay > MAX_TIMER)
                planRefresh(expiresAt);
            else if (socket.connected)
                refreshToken().catch(reportError);
        }, Math.min(delay, MAX_TIMER));
    }
    async function refreshToken(token) {
        const fresh = token ?? (options.getToken === undefined ? undefined : await options.getToken());
        if (fresh === undefined)
            throw new DialogueError("INVALID_REQUEST", "refreshToken: no token given and no getToken option");
        const answer = await request(WIRE.auth, { token: fresh });
        currentToken = fresh;
        planRefresh(answer.expiresAt);
        return answer.expiresAt === undefined ? {} : { expiresAt: answer.expiresAt };
    }
    socket.on(WIRE.connected, (hello) => {
        userId = typeof hello?.userId === "string" ? hello.userId : "";
        planRefresh(tokenExpiry(currentToken ?? (typeof options.auth?.["token"] === "string" ? options.auth["token"] : undefined)));
        if (typeof hello?.resumeToken === "string")
            token = hello.resumeToken;
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
                if (kept.has(room.roomId))
                    room.back(recovered.has(room.roomId));
                else if (kicked.has(room.roomId)) {
                    room.kicked(kicked.get(room.roomId) ?? undefined);
                    failQueued((q) => q.payload.roomId === room.roomId, new DialogueError("NOT_IN_ROOM", `removed from room ${room.roomId} by its host`));
                }
                else
                    rejoin(room);
            }
        }
        callEach(connectHandlers);
    });
    socket.on("connect_error", (error) => {
        // Socket.IO tries again unless the server refused or reconnection is off;
        // `reconnect_failed` ends the tries.
        if (willReconnect())
            return;
        setState("disconnected");
        const failure = new DialogueError("CONNECT_FAILED", `cannot connect to ${options.url}: ${error.message}`);
        if (pending === undefined)
            reportError(failure);
        settle({ error: failure });
        givenUp(failure);
    });
    socket.io.on("reconnect_attempt", () => {
        setState("reconnecting");
    });
    socket.io.on("reconnect_failed", () => {
        setState("disconnected");
        const failure = new DialogueError("CONNECT_FAILED", `cannot reconnect to ${options.url}: gave up`);
        if (pending === undefined)
            reportError(failure);
        settle({ error: failure });
        failQueued(() => true, failure);
    });
    socket.on("disconnect", (reason) => {
        for (const room of rooms.values())
            room.away();
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
    const toRoom = (roomId, deliver) => {
        if (typeof roomId !== "string")
            return;
        const holding = held.get(roomId);
        if (holding !== undefined)
            holding.push(deliver);
        else {
            const room = rooms.get(roomId);
            if (room !== undefined)
                deliver(room);
        }
    };
    socket.on(WIRE.event, (message) => {
        toRoom(message?.roomId, (room) => room.dispatch(message));
    });
    socket.on(WIRE.presenceDiff, (diff) => {
        toRoom(diff?.roomId, (room) => room.presenceChanged(diff));
    });
    socket.on(WIRE.hostChanged, (changed) => {
        toRoom(changed?.roomId, (room) => room.hostChanged(changed.hostId));
    });
    socket.on(WIRE.kicked, (kicked) => {
        toRoom(kicked?.roomId, (room) => {
            room.kicked(kicked.reason);
            failQueued((q) => q.payload.roomId === room.roomId, new DialogueError("NOT_IN_ROOM", `removed from room ${room.roomId} by its host`));
        });
    });
    socket.on(WIRE.history, (push) => {
        if (push && Array.isArray(push.events))
            callEach(historyHandlers, push.roomId, push.events);
    });
    socket.on(WIRE.roomCreated, (room) => callEach(roomCreatedHandlers, room));
    socket.on(WIRE.roomDeleted, (deleted) => {
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
    socket.on(WIRE.error, (error) => {
        reportError(new DialogueError(error?.code ?? "INTERNAL", error?.message ?? "error", error?.details));
    });
    /** A request in the acknowledgement form; resolves with the answer's fields. */
    async function request(event, payload) {
        let answer;
        const sentConnected = socket.connected;
        try {
            const timed = socket.timeout(ackTimeout);
            answer = await (payload === undefined ? timed.emitWithAck(event) : timed.emitWithAck(event, payload));
        }
        catch {
            if (sentConnected && !socket.connected) {
                throw new DialogueError("DISCONNECTED", `${event}: the connection was lost before the answer`);
            }
            throw new DialogueError("TIMEOUT", `${event}: no answer within ${ackTimeout} ms`);
        }
        const reply = answer;
        if (reply !== null && typeof reply === "object" && reply.ok === true)
            return reply;
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
    function sendTrigger(item) {
        request(WIRE.trigger, item.payload).then((answer) => item.resolve(answer.message), (error) => {
            const room = rooms.get(item.payload.roomId);
            const code = error instanceof DialogueError ? error.code : undefined;
            if (code === "DISCONNECTED" && room !== undefined && willReconnect()) {
                queue.push(item);
                if (room.ready && socket.connected)
                    flush(room.roomId);
            }
            else if (code === "TIMEOUT" && room !== undefined && item.timeouts < TRIGGER_RETRIES) {
                item.timeouts += 1;
                if (room.ready && socket.connected)
                    sendTrigger(item);
                else
                    queue.push(item);
            }
            else {
                item.reject(error instanceof DialogueError ? error : new DialogueError("INTERNAL", String(error)));
            }
        });
    }
    /** Sends the waiting triggers of `roomId`, in order. */
    function flush(roomId) {
        const ready = queue.filter((q) => q.payload.roomId === roomId);
        if (ready.length === 0)
            return;
        for (let i = queue.length - 1; i >= 0; i--)
            if (queue[i].payload.roomId === roomId)
                queue.splice(i, 1);
        for (const item of ready)
            sendTrigger(item);
    }
    /** Fails the waiting triggers `which` selects. */
    function failQueued(which, error) {
        for (let i = queue.length - 1; i >= 0; i--) {
            const item = queue[i];
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
    function rejoin(room, attempt = 0) {
        const ask = { roomId: room.roomId, since: room.position, subscriptions: room.subscriptions() };
        if (room.secret !== undefined)
            ask.secret = room.secret;
        if (!held.has(room.roomId))
            held.set(room.roomId, []);
        const connection = socket.id;
        request(WIRE.join, ask).then((answer) => {
            const recovered = answer.recovered === true;
            if (recovered && Array.isArray(answer.missed))
                for (const message of answer.missed)
                    room.dispatch(message);
            room.moveTo(answer.position);
            releaseHeld(room);
            room.back(recovered);
        }, (error) => {
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
                    if (socket.connected && socket.id === connection && rooms.get(room.roomId) === room)
                        rejoin(room, attempt + 1);
                }, delay);
                return;
            }
            held.delete(room.roomId);
            room.close();
            failQueued((q) => q.payload.roomId === room.roomId, failure);
            if (failure.code === "ROOM_NOT_FOUND")
                callEach(roomDeletedHandlers, room.roomId);
            else
                reportError(failure);
        });
    }
    /** Hands `room` what was held while it was being joined (events, presence, host changes), in order. */
    function releaseHeld(room) {
        const waiting = held.get(room.roomId) ?? [];
        held.delete(room.roomId);
        for (const deliver of waiting)
            deliver(room);
    }
    /** The template `roomId` is an instance of (per-user rooms included). */
    function templateOf(roomId) {
        return TEMPLATE_ROOMS.find((room) => roomId.length > room.prefix.length + room.suffix.length && roomId.startsWith(room.prefix) && roomId.endsWith(room.suffix));
    }
    /** Whether the server validates the events of `roomId` (declared rooms but `*` ones). */
    function validatedRoom(roomId) {
        if (Object.prototype.hasOwnProperty.call(VALIDATED_ROOMS, roomId))
            return VALIDATED_ROOMS[roomId] === true;
        return templateOf(roomId)?.validated === true;
    }
    /** What the server subscribes a joiner of `roomId` to: the declaration's, or every event for rooms made at run time. */
    function defaultSubscriptions(roomId) {
        if (Object.prototype.hasOwnProperty.call(ROOM_SUBSCRIPTIONS, roomId))
            return ROOM_SUBSCRIPTIONS[roomId];
        return templateOf(roomId)?.subscriptions ?? ["*"];
    }
    /** A trigger id: unique for this user as long as the server remembers it. */
    function triggerId() {
        triggerCount += 1;
        return `${Date.now().toString(36)}-${triggerCount.toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
    }
    function openRoom(roomId, roomName, joinedAt, secret) {
        const handlers = new Map();
        const anyHandlers = new Set();
        const recoveredHandlers = new Set();
        const presenceHandlers = new Set();
        const hostHandlers = new Set();
        const kickedHandlers = new Set();
        let history = [];
        let position = { epoch: joinedAt.epoch, seq: joinedAt.seq };
        /** Whether the room is joined on the current connection (triggers wait otherwise). */
        let ready = true;
        // The subscriptions as the server keeps them: every event, and names.
        const defaults = defaultSubscriptions(roomId);
        let all = defaults.includes("*");
        const named = new Set(defaults.filter((name) => name !== "*"));
        /** A subscription change whose outcome is unknown: the mirror is sent again when the room is back. */
        let unconfirmed = false;
        const close = () => {
            handlers.clear();
            anyHandlers.clear();
            recoveredHandlers.clear();
            presenceHandlers.clear();
            hostHandlers.clear();
            kickedHandlers.clear();
            ready = false;
            if (rooms.get(roomId) === context)
                rooms.delete(roomId);
        };
        const send = async (event, data, meta) => {
            if (validate && validatedRoom(roomId) && Object.prototype.hasOwnProperty.call(SCHEMAS, event)) {
                refuseInvalid(validatePayload(event, data), `${JSON.stringify(event)} payload`);
            }
            if (rooms.get(roomId) !== context)
                throw new DialogueError("NOT_IN_ROOM", `room ${roomId} was left`);
            const payload = { roomId, event, data: data === undefined ? null : data, id: triggerId() };
            if (meta !== undefined)
                payload.meta = meta;
            return new Promise((resolve, reject) => {
                const item = { payload, resolve, reject, timeouts: 0 };
                if (state === "disconnected") {
                    reject(new DialogueError("DISCONNECTED", "not connected, and not reconnecting: connect() first"));
                }
                else if (ready && state === "connected") {
                    sendTrigger(item);
                }
                else if (queue.length >= queueLimit) {
                    reject(new DialogueError("UNAVAILABLE", `offline: ${queueLimit} triggers are already waiting for the connection`));
                }
                else {
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
        const change = (wire, event, on) => {
            const before = { all, named: new Set(named) };
            if (event === undefined || event === "*")
                all = on;
            else if (on)
                named.add(event);
            else
                named.delete(event);
            const body = event === undefined ? { roomId } : { roomId, eventName: event };
            return reported(request(wire, body).then(() => undefined, (error) => {
                const code = error instanceof DialogueError ? error.code : "INTERNAL";
                if (code === "DISCONNECTED" || code === "TIMEOUT")
                    unconfirmed = true;
                else {
                    all = before.all;
                    named.clear();
                    for (const name of before.named)
                        named.add(name);
                }
                throw error;
            }));
        };
        const context = {
            roomId,
            roomName,
            /** The secret the room was joined with, for joining it again. */
            secret,
            get history() {
                return history;
            },
            get position() {
                return { epoch: position.epoch, seq: position.seq };
            },
            get ready() {
                return ready;
            },
            setHistory(events) {
                history = events;
            },
            /** The subscriptions to ask for when joining again. */
            subscriptions() {
                return all ? ["*", ...named] : [...named];
            },
            /** Delivers an event once: one at or before the position was seen already. */
            dispatch(message) {
                if (typeof message?.seq === "number") {
                    if (message.seq <= position.seq)
                        return;
                    position = { epoch: position.epoch, seq: message.seq };
                }
                const own = handlers.get(message.event);
                if (own)
                    callEach(own, message);
                callEach(anyHandlers, message.event, message);
            },
            /** Joined again: the room's position now (a new epoch after a restart). */
            moveTo(now) {
                if (now === undefined || typeof now.seq !== "number")
                    return;
                if (now.epoch !== position.epoch || now.seq > position.seq)
                    position = { epoch: now.epoch, seq: now.seq };
            },
            /** The connection is gone: triggers wait from now on. */
            away() {
                ready = false;
            },
            /** Back on a new connection: waiting triggers go, and the app hears whether anything was lost. */
            back(recovered) {
                if (rooms.get(roomId) !== context)
                    return;
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
            trigger(event, data, meta) {
                send(event, data, meta).catch(reportError);
            },
            send,
            on(event, handler) {
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
            onAny(handler) {
                return listen(anyHandlers, handler);
            },
            onRecovered(handler) {
                return listen(recoveredHandlers, handler);
            },
            subscribe(event) {
                return change(WIRE.subscribe, event, true);
            },
            subscribeAll() {
                return change(WIRE.subscribeAll, undefined, true);
            },
            unsubscribe(event) {
                return change(WIRE.unsubscribe, event, false);
            },
            leave() {
                close();
                failQueued((q) => q.payload.roomId === roomId, new DialogueError("NOT_IN_ROOM", `room ${roomId} was left`));
                return reported(request(WIRE.leave, { roomId }).then(() => undefined));
            },
            async getHistory(event, start, end) {
                const query = { roomId, eventName: event };
                if (start !== undefined)
                    query.start = start;
                if (end !== undefined)
                    query.end = end;
                const page = await request(WIRE.getHistory, query);
                return page.events;
            },
            presenceChanged(diff) {
                const members = (list) => (Array.isArray(list) ? list : []);
                callEach(presenceHandlers, { joined: members(diff.joined), left: members(diff.left), updated: members(diff.updated) });
            },
            hostChanged(hostId) {
                if (typeof hostId === "string")
                    callEach(hostHandlers, hostId);
            },
            /** Removed by the host: handlers hear it, then the room closes. */
            kicked(reason) {
                const listeners = [...kickedHandlers];
                close();
                for (const handler of listeners)
                    handler(typeof reason === "string" ? reason : undefined);
            },
            async presence() {
                const page = await request(WIRE.getPresence, { roomId });
                return { members: page.members, count: page.count };
            },
            onPresence(handler) {
                return listen(presenceHandlers, handler);
            },
            async setPresence(info) {
                if (validate && PRESENCE_SCHEMA !== null) {
                    refuseInvalid(checkAgainst({ info: PRESENCE_SCHEMA }, "info", "presence info", info), "presence info");
                }
                await request(WIRE.setPresence, { roomId, info: info });
            },
            async kick(userId, asked) {
                const kick = { roomId, userId };
                if (asked?.reason !== undefined)
                    kick.reason = asked.reason;
                if (asked?.ban !== undefined)
                    kick.ban = asked.ban;
                await request(WIRE.kick, kick);
            },
            async transferHost(userId) {
                await request(WIRE.transferHost, { roomId, userId });
            },
            onHostChanged(handler) {
                return listen(hostHandlers, handler);
            },
            onKicked(handler) {
                return listen(kickedHandlers, handler);
            },
        };
        return context;
    }
    const idOf = (room) => (typeof room === "string" ? room : room.id);
    const client = {
        get userId() {
            return userId;
        },
        get connected() {
            return state === "connected";
        },
        get state() {
            return state;
        },
        connect() {
            if (state === "connected")
                return Promise.resolve();
            if (pending === undefined) {
                let resolve;
                let reject;
                const promise = new Promise((ok, fail) => {
                    resolve = ok;
                    reject = fail;
                });
                pending = { promise, resolve, reject };
                setState(greetedBefore ? "reconnecting" : "connecting");
                socket.connect();
            }
            return pending.promise;
        },
        disconnect() {
            if (refreshTimer !== undefined)
                clearTimeout(refreshTimer);
            refreshTimer = undefined;
            for (const room of [...rooms.values()])
                room.close();
            // Asked for: the server ends the session at once.
            token = undefined;
            greetedBefore = false;
            socket.disconnect();
            setState("disconnected");
            const closed = new DialogueError("DISCONNECTED", "disconnect() was called");
            failQueued(() => true, closed);
            settle({ error: new DialogueError("DISCONNECTED", "disconnect() was called while connecting") });
        },
        async join(target, joining) {
            const roomId = idOf(target);
            const first = !rooms.has(roomId) && !held.has(roomId);
            if (first)
                held.set(roomId, []);
            const ask = { roomId };
            if (joining?.secret !== undefined)
                ask.secret = joining.secret;
            let answer;
            try {
                answer = await request(WIRE.join, ask);
            }
            catch (error) {
                if (first)
                    held.delete(roomId);
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
        getRoom(target) {
            return rooms.get(idOf(target));
        },
        async listRooms() {
            return (await request(WIRE.listRooms)).rooms;
        },
        async createRoom(room) {
            return (await request(WIRE.createRoom, room)).room;
        },
        async deleteRoom(room) {
            await request(WIRE.deleteRoom, { roomId: idOf(room) });
        },
        async request(name, data, asked) {
            if (validate) {
                refuseInvalid(validateRequest(name, data), `${JSON.stringify(name)} request`);
            }
            const call = { name, data: data === undefined ? null : data };
            if (asked?.roomId !== undefined)
                call.roomId = asked.roomId;
            return (await request(WIRE.request, call)).data;
        },
        refreshToken,
        onConnect: (handler) => listen(connectHandlers, handler),
        onDisconnect: (handler) => listen(disconnectHandlers, handler),
        onStateChange: (handler) => listen(stateHandlers, handler),
        onError: (handler) => listen(errorHandlers, handler),
        onRoomCreated: (handler) => listen(roomCreatedHandlers, handler),
        onRoomDeleted: (handler) => listen(roomDeletedHandlers, handler),
        onHistory: (handler) => listen(historyHandlers, handler),
        onShutdown: (handler) => listen(shutdownHandlers, handler),
    };
    if (options.autoConnect ?? true)
        client.connect().catch(reportError); // nobody awaits this one
    // The implementation is untyped by room; the interface types it.
    return client;
}
/** Adds `handler` to `set`; returns the function that removes it. */
function listen(set, handler) {
    set.add(handler);
    return () => {
        set.delete(handler);
    };
}
/** Calls every handler; one that throws does not stop the others (its error is rethrown afterwards). */
function callEach(handlers, ...args) {
    for (const handler of [...handlers]) {
        try {
            handler(...args);
        }
        catch (error) {
            setTimeout(() => {
                throw error;
            }, 0);
        }
    }
}
// ---- JSON Schema (draft 2020-12) check, for the keywords the server's schemas use ----
/** Checks `value` (parsed JSON) against `schema`, adding each failure to `issues`. */
function jsonSchemaCheck(schema, value, path, root, issues) {
    if (issues.length >= 20)
        return;
    if (schema === true)
        return;
    if (schema === false) {
        issues.push({ path, message: `False schema does not allow ${show(value)}` });
        return;
    }
    const s = schema;
    const fail = (message, at = path) => {
        issues.push({ path: at, message });
    };
    const valid = (sub, v = value) => {
        const found = [];
        jsonSchemaCheck(sub, v, path, root, found);
        return found.length === 0;
    };
    if (typeof s["$ref"] === "string") {
        const target = resolveRef(root, s["$ref"]);
        if (target === undefined)
            fail(`cannot resolve ${JSON.stringify(s["$ref"])}`);
        else
            jsonSchemaCheck(target, value, path, root, issues);
    }
    const type = s["type"];
    if (type !== undefined) {
        const types = Array.isArray(type) ? type : [type];
        if (!types.some((t) => hasType(value, t))) {
            const names = types.map((t) => JSON.stringify(t)).join(", ");
            fail(`${show(value)} is not of type${types.length > 1 ? "s" : ""} ${names}`);
        }
    }
    if (Array.isArray(s["enum"]) && !s["enum"].some((option) => jsonEqual(option, value))) {
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
        const prefix = Array.isArray(s["prefixItems"]) ? s["prefixItems"] : [];
        prefix.forEach((item, i) => {
            if (i < value.length)
                jsonSchemaCheck(item, value[i], `${path}/${i}`, root, issues);
        });
        if ("items" in s) {
            if (s["items"] === false && value.length > prefix.length) {
                fail(`Additional items are not allowed (${value.slice(prefix.length).map(show).join(", ")} ${value.length - prefix.length === 1 ? "was" : "were"} unexpected)`);
            }
            else {
                for (let i = prefix.length; i < value.length; i++) {
                    jsonSchemaCheck(s["items"], value[i], `${path}/${i}`, root, issues);
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
        const object = value;
        const keys = Object.keys(object);
        const properties = isObject(s["properties"]) ? s["properties"] : {};
        const patterns = isObject(s["patternProperties"]) ? s["patternProperties"] : {};
        // A missing property is reported at its own pointer (`/senderId`), as the server does.
        const pointer = (name) => `${path}/${name.replace(/~/g, "~0").replace(/\//g, "~1")}`;
        if (Array.isArray(s["required"])) {
            for (const name of s["required"]) {
                if (!Object.prototype.hasOwnProperty.call(object, name))
                    fail(`${JSON.stringify(name)} is a required property`, pointer(name));
            }
        }
        const extra = [];
        for (const key of keys) {
            const at = pointer(key);
            let matched = false;
            if (Object.prototype.hasOwnProperty.call(properties, key)) {
                matched = true;
                jsonSchemaCheck(properties[key], object[key], at, root, issues);
            }
            for (const [pattern, sub] of Object.entries(patterns)) {
                if (new RegExp(pattern, "u").test(key)) {
                    matched = true;
                    jsonSchemaCheck(sub, object[key], at, root, issues);
                }
            }
            if (!matched && "additionalProperties" in s) {
                if (s["additionalProperties"] === false)
                    extra.push(key);
                else
                    jsonSchemaCheck(s["additionalProperties"], object[key], at, root, issues);
            }
            if ("propertyNames" in s)
                jsonSchemaCheck(s["propertyNames"], key, at, root, issues);
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
            for (const [key, needed] of Object.entries(s["dependentRequired"])) {
                if (!Object.prototype.hasOwnProperty.call(object, key))
                    continue;
                for (const name of needed) {
                    if (!Object.prototype.hasOwnProperty.call(object, name))
                        fail(`${JSON.stringify(name)} is a required property`, pointer(name));
                }
            }
        }
    }
    if (Array.isArray(s["allOf"])) {
        for (const sub of s["allOf"])
            jsonSchemaCheck(sub, value, path, root, issues);
    }
    if (Array.isArray(s["anyOf"]) && !s["anyOf"].some((sub) => valid(sub))) {
        fail(`${show(value)} is not valid under any of the schemas listed in the 'anyOf' keyword`);
    }
    if (Array.isArray(s["oneOf"])) {
        const matching = s["oneOf"].filter((sub) => valid(sub)).length;
        if (matching === 0)
            fail(`${show(value)} is not valid under any of the schemas listed in the 'oneOf' keyword`);
        if (matching > 1)
            fail(`${show(value)} is valid under more than one of the schemas listed in the 'oneOf' keyword`);
    }
    if ("not" in s && valid(s["not"])) {
        fail(`${show(value)} should not be valid under ${show(s["not"])}`);
    }
    if ("if" in s) {
        const branch = valid(s["if"]) ? s["then"] : s["else"];
        if (branch !== undefined)
            jsonSchemaCheck(branch, value, path, root, issues);
    }
}
/** The schema `#/...` points at inside `root`. */
function resolveRef(root, ref) {
    if (ref === "#")
        return root;
    if (!ref.startsWith("#/"))
        return undefined;
    let at = root;
    for (const raw of ref.slice(2).split("/")) {
        const key = decodeURIComponent(raw).replace(/~1/g, "/").replace(/~0/g, "~");
        if (!isObject(at) && !Array.isArray(at))
            return undefined;
        at = at[key];
    }
    return at === true || at === false || isObject(at) ? at : undefined;
}
function isObject(value) {
    return value !== null && typeof value === "object" && !Array.isArray(value);
}
function hasType(value, type) {
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
function jsonEqual(a, b) {
    if (a === b)
        return true;
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
function show(value) {
    const text = JSON.stringify(value) ?? "null";
    return text.length > 80 ? `${text.slice(0, 80)}…` : text;
}
/** The formats the server checks (others are annotations only). */
function formatHolds(format, value) {
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
            if (match === null || !dateHolds(match[1]))
                return false;
            const [h, m, sec] = [Number(match[2]), Number(match[3]), Number(match[4])];
            const offsetOk = match[7] === undefined || (Number(match[7]) < 24 && Number(match[8]) < 60);
            return h < 24 && m < 60 && sec <= 60 && offsetOk;
        }
        default:
            return true;
    }
}
function dateHolds(value) {
    const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
    if (match === null)
        return false;
    const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
    if (month < 1 || month > 12 || day < 1)
        return false;
    const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
    const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1];
    return day <= days;
}
function ipv4Holds(value) {
    const parts = value.split(".");
    return parts.length === 4 && parts.every((part) => /^(0|[1-9]\d{0,2})$/.test(part) && Number(part) <= 255);
}
function hostnameHolds(value) {
    const name = value.endsWith(".") ? value.slice(0, -1) : value;
    if (name.length === 0 || name.length > 253)
        return false;
    return name.split(".").every((label) => /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/.test(label));
}
function emailHolds(value) {
    const at = value.lastIndexOf("@");
    if (at <= 0 || at === value.length - 1)
        return false;
    const local = value.slice(0, at);
    const domain = value.slice(at + 1);
    const atom = "[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+";
    const localOk = local.length <= 64 &&
        (new RegExp(`^${atom}(?:\\.${atom})*$`).test(local) || /^"(?:[\x20\x21\x23-\x5b\x5d-\x7e]|\\[\x20-\x7e])*"$/.test(local));
    if (!localOk)
        return false;
    if (domain.startsWith("[") && domain.endsWith("]"))
        return ipv4Holds(domain.slice(1, -1));
    return hostnameHolds(domain) && !domain.endsWith(".");
}
function uriHolds(value) {
    // RFC 3986: scheme ":" hier-part, only URI characters, well-formed percent-encodings.
    const match = /^([A-Za-z][A-Za-z0-9+.-]*):([^#]*)(?:#(.*))?$/.exec(value);
    if (match === null)
        return false;
    const chars = /^(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/?]|%[0-9A-Fa-f]{2})*$/;
    const rest = match[2];
    if (!chars.test(rest) || !chars.test(match[3] ?? ""))
        return false;
    if (rest.startsWith("//")) {
        const authority = rest.slice(2).split(/[/?]/, 1)[0];
        const host = authority.slice(authority.lastIndexOf("@") + 1).replace(/:\d*$/, "");
        if (host.includes(":") || host.includes("@"))
            return false;
    }
    return true;
}
