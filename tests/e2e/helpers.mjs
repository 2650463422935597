// Shared helpers of the end-to-end suite: connect real socket.io-client 4.x
// sockets to the server at DIALOGUE_URL, record everything they receive, and
// wait for it with bounded waits only.

import { afterEach } from "node:test";
import assert from "node:assert/strict";
import { io } from "socket.io-client";

export const URL = process.env.DIALOGUE_URL;
if (!URL) {
  throw new Error(
    "DIALOGUE_URL is not set. Start the conformance server " +
      "(cargo build --example conformance && PORT=0 target/debug/examples/conformance) " +
      "and run `DIALOGUE_URL=http://127.0.0.1:PORT npm test` in tests/e2e, " +
      "or run `cargo test --test e2e_node` from the repository root, which does both.",
  );
}

/**
 * Every test runs once per transport: both by default, only those in
 * DIALOGUE_TRANSPORTS (comma-separated) when set. Two nodes behind a
 * balancer run WebSocket only: polling needs sticky sessions.
 */
export const TRANSPORTS = process.env.DIALOGUE_TRANSPORTS
  ? process.env.DIALOGUE_TRANSPORTS.split(",")
  : ["websocket", "polling"];

/** The longest any single wait may take. */
export const WAIT_MS = 3000;

/** The short quiet period used only to assert that something does NOT arrive. */
export const QUIET_MS = 100;

/** The five rooms docs/conformance.md declares. */
export const DECLARED_ROOMS = ["chat", "small", "sandbox", "readonly", "orders", "lobby"];

/**
 * Options of a test that fails because of a known server bug: skipped with
 * the reason, so the suite stays green, unless DIALOGUE_E2E_KNOWN_BUGS=1
 * (then it runs, to check whether the bug is fixed).
 */
export function knownBug(reason) {
  return process.env.DIALOGUE_E2E_KNOWN_BUGS === "1" ? {} : { skip: `server bug: ${reason}` };
}

let counter = 0;
/** An id unique in this run (rooms, users, message texts). */
export function uid(prefix = "id") {
  counter += 1;
  return `${prefix}-${process.pid}-${Date.now().toString(36)}-${counter}`;
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Sockets opened by the current test; every one is closed after it. */
const open = new Set();

/** Call once at the top of each test file: closes every socket after each test. */
export function closeSocketsAfterEachTest() {
  afterEach(() => {
    for (const client of open) client.close();
    open.clear();
  });
}

/** A socket with a log of every event it received, in order. */
export class Client {
  constructor(socket, name) {
    this.socket = socket;
    this.name = name;
    /** @type {{ event: string, arg: unknown, args: unknown[], taken: boolean }[]} */
    this.log = [];
    this.waiters = new Set();
    this.failure = null;
    socket.onAny((event, ...args) => {
      const entry = { event, arg: args[0], args, taken: false };
      this.log.push(entry);
      for (const waiter of [...this.waiters]) waiter.offer(entry);
    });
    const fail = (why) => {
      this.failure = why;
      for (const waiter of [...this.waiters]) waiter.fail(why);
    };
    socket.on("connect_error", (err) => fail(`connect_error: ${err.message}`));
    socket.on("disconnect", (reason) => {
      if (!this.closing) fail(`disconnected: ${reason}`);
    });
  }

  get userId() {
    return this.hello.userId;
  }

  /**
   * The first not yet taken event named `event` for which `match(arg)` holds,
   * received already or within `ms`; it is then taken, so the next call
   * finds the one after it.
   */
  next(event, match = () => true, ms = WAIT_MS) {
    const found = this.log.find((e) => !e.taken && e.event === event && match(e.arg));
    if (found) {
      found.taken = true;
      return Promise.resolve(found.arg);
    }
    if (this.failure) return Promise.reject(new Error(`${this.name}: waiting for ${event}, but ${this.failure}`));
    return new Promise((resolve, reject) => {
      const waiter = {
        offer: (entry) => {
          if (entry.taken || entry.event !== event || !match(entry.arg)) return;
          entry.taken = true;
          done();
          resolve(entry.arg);
        },
        fail: (why) => {
          done();
          reject(new Error(`${this.name}: waiting for ${event}, but ${why}`));
        },
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`${this.name}: no ${event} within ${ms} ms; received: ${this.summary()}`));
      }, ms);
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(waiter);
      };
      this.waiters.add(waiter);
    });
  }

  /** Every received `event` (taken or not) whose payload satisfies `match`. */
  received(event, match = () => true) {
    return this.log.filter((e) => e.event === event && match(e.arg)).map((e) => e.arg);
  }

  /** The names of the events received so far, for failure messages. */
  summary() {
    return JSON.stringify(this.log.map((e) => e.event));
  }

  /** Event form: emit without an acknowledgement. */
  emit(event, ...args) {
    this.socket.emit(event, ...args);
  }

  /** Acknowledgement form: the server's answer, or an error after `ms`. */
  async ack(event, ...args) {
    try {
      return await this.socket.timeout(WAIT_MS).emitWithAck(event, ...args);
    } catch (err) {
      throw new Error(`${this.name}: no acknowledgement of ${event} within ${WAIT_MS} ms (${err.message})`);
    }
  }

  /** An acknowledged request that must succeed; returns the answer. */
  async ok(event, ...args) {
    const answer = await this.ack(event, ...args);
    assert.equal(answer?.ok, true, `${this.name}: ${event} ${JSON.stringify(args)} failed: ${JSON.stringify(answer)}`);
    return answer;
  }

  /** An acknowledged request that must fail with `code`; returns the error. */
  async refused(event, payload, code) {
    const answer = await this.ack(event, payload);
    assertFailure(answer, code, `${event} ${JSON.stringify(payload)}`);
    return answer.error;
  }

  /**
   * Waits until everything the server sent this socket before now has
   * arrived: an acknowledged round trip comes back after every packet queued
   * before it on the same connection.
   */
  async roundTrip() {
    await this.ok("dialogue:listRooms");
  }

  close() {
    this.closing = true;
    this.socket.close();
  }
}

/** Asserts an acknowledgement is `{ ok: false, error: { code, message } }`. */
export function assertFailure(answer, code, what = "request") {
  assert.equal(answer?.ok, false, `${what} should fail with ${code}, got ${JSON.stringify(answer)}`);
  assert.equal(answer.error?.code, code, `${what}: wrong error ${JSON.stringify(answer.error)}`);
  assert.equal(typeof answer.error.message, "string");
  assert.ok(answer.error.message.length > 0, "the error message is empty");
}

/** Asserts a `dialogue:error` payload has `code` and a message. */
export function assertError(error, code) {
  assert.equal(error?.code, code, `expected ${code}, got ${JSON.stringify(error)}`);
  assert.equal(typeof error.message, "string");
  assert.ok(error.message.length > 0, "the error message is empty");
}

/**
 * Opens a socket on `transport` and waits for `dialogue:connected`.
 * `auth` defaults to `{ userId: <unique> }`; pass `null` for no auth at all.
 */
export async function connect(transport, { auth, name = "client" } = {}) {
  const options = {
    transports: [transport],
    forceNew: true,
    reconnection: false,
    timeout: WAIT_MS,
  };
  if (auth === undefined) options.auth = { userId: uid("user") };
  else if (auth !== null) options.auth = auth;
  const socket = io(URL, options);
  const client = new Client(socket, `${name}(${transport})`);
  open.add(client);
  client.hello = await client.next("dialogue:connected");
  return client;
}

/** Connects several clients at once: `connectMany("websocket", "alice", "bob")`. */
export function connectMany(transport, ...names) {
  return Promise.all(names.map((name) => connect(transport, { name, auth: { userId: uid(name) } })));
}

/**
 * Waits (bounded) until `check()` resolves truthy, asking again every 20 ms:
 * for state the server changes asynchronously, e.g. after a disconnect.
 */
export async function eventually(check, what, ms = WAIT_MS) {
  const deadline = Date.now() + ms;
  let last;
  for (;;) {
    last = await check();
    if (last) return last;
    if (Date.now() > deadline) assert.fail(`not within ${ms} ms: ${what}`);
    await sleep(20);
  }
}

/** The RoomInfo of `roomId` as listRooms reports it, or undefined. */
export async function roomInfo(client, roomId) {
  const { rooms } = await client.ok("dialogue:listRooms");
  return rooms.find((room) => room.id === roomId);
}

/** Waits until `roomId` has `size` members (leftovers of earlier tests leave asynchronously). */
export async function waitForRoomSize(client, roomId, size) {
  await eventually(async () => (await roomInfo(client, roomId))?.size === size, `room ${roomId} has ${size} members`);
}

/**
 * Asserts that `client` receives no `event` matching `match` in response to
 * what happened before the call: a round trip on the client's own connection
 * flushes everything already queued for it, then a short bounded quiet
 * period (QUIET_MS, the only fixed sleep of the suite, used solely to assert
 * an absence) catches a late delivery.
 */
export async function assertNothing(client, event, match = () => true, why = "") {
  await client.roundTrip();
  await sleep(QUIET_MS);
  const got = client.received(event, match);
  assert.deepEqual(got, [], `${client.name} should not have received ${event} ${why}`);
}

/** A valid `message` payload of the conformance server. */
export const message = (text) => ({ text, senderId: "client-says" });

/** Asserts `msg` is an envelope of docs/conformance.md's shape. */
export function assertEnvelope(msg, { event, roomId, data, from }) {
  assert.equal(msg.event, event);
  assert.equal(msg.roomId, roomId);
  assert.deepEqual(msg.data, data);
  assert.equal(msg.from, from);
  assert.equal(typeof msg.timestamp, "number");
  assert.ok(Number.isInteger(msg.timestamp), "timestamp is whole milliseconds");
  // Same machine: the server's clock and ours agree to well within a minute.
  assert.ok(Math.abs(msg.timestamp - Date.now()) < 60_000, `timestamp ${msg.timestamp} is not now`);
}

/** Asserts a `dialogue:joined` payload: exactly `{ roomId, roomName, position }`, the position an epoch and a seq. */
export function assertJoined(joined, roomId, roomName) {
  assert.deepEqual(Object.keys(joined).sort(), ["position", "roomId", "roomName"], JSON.stringify(joined));
  assert.equal(joined.roomId, roomId);
  assert.equal(joined.roomName, roomName);
  assertPosition(joined.position);
}

/** Asserts a position: `{ epoch: non-empty string, seq: integer >= 0 }`. */
export function assertPosition(position) {
  assert.deepEqual(Object.keys(position ?? {}).sort(), ["epoch", "seq"], JSON.stringify(position));
  assert.equal(typeof position.epoch, "string");
  assert.ok(position.epoch.length > 0);
  assert.ok(Number.isInteger(position.seq) && position.seq >= 0, JSON.stringify(position));
}
