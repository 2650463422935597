// Malformed requests: INVALID_REQUEST in both answer forms, and the
// connection stays usable afterwards.

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  TRANSPORTS,
  assertError,
  assertFailure,
  closeSocketsAfterEachTest,
  connect,
  message,
  uid,
} from "./helpers.mjs";

closeSocketsAfterEachTest();

/** [name, event, ...args]: each must be answered INVALID_REQUEST. */
const CASES = [
  ["join without a payload", "dialogue:join"],
  ["join without roomId", "dialogue:join", {}],
  ["join with a numeric roomId", "dialogue:join", { roomId: 5 }],
  ["join with a string instead of an object", "dialogue:join", "chat"],
  ["join with null", "dialogue:join", null],
  ["leave without roomId", "dialogue:leave", { room: "chat" }],
  ["subscribe without eventName", "dialogue:subscribe", { roomId: "chat" }],
  ["subscribe with an array eventName", "dialogue:subscribe", { roomId: "chat", eventName: ["typing"] }],
  ["subscribeAll with an array roomId", "dialogue:subscribeAll", { roomId: ["chat"] }],
  ["unsubscribe without roomId", "dialogue:unsubscribe", { eventName: "message" }],
  ["trigger without event", "dialogue:trigger", { roomId: "sandbox", data: 1 }],
  ["trigger without roomId", "dialogue:trigger", { event: "message", data: message("x") }],
  ["trigger with a numeric event", "dialogue:trigger", { roomId: "sandbox", event: 7, data: 1 }],
  ["trigger with a string meta", "dialogue:trigger", { roomId: "sandbox", event: "e", data: 1, meta: "not an object" }],
  ["getHistory without eventName", "dialogue:getHistory", { roomId: "chat" }],
  ["getHistory with a string start", "dialogue:getHistory", { roomId: "chat", eventName: "message", start: "1" }],
  ["getHistory with a negative start", "dialogue:getHistory", { roomId: "chat", eventName: "message", start: -1 }],
  ["getHistory with a fractional end", "dialogue:getHistory", { roomId: "chat", eventName: "message", end: 2.5 }],
  ["createRoom without name", "dialogue:createRoom", { id: "nameless" }],
  ["createRoom with a numeric id", "dialogue:createRoom", { id: 1, name: "n" }],
  ["createRoom with a string maxSize", "dialogue:createRoom", { id: "str-max", name: "n", maxSize: "2" }],
  ["deleteRoom without roomId", "dialogue:deleteRoom", {}],
  ["an unknown request dialogue:nope", "dialogue:nope", { roomId: "chat" }],
  ["binary data: a Buffer for join", "dialogue:join", Buffer.from('{"roomId":"chat"}')],
  ["binary data: a Uint8Array for trigger", "dialogue:trigger", new Uint8Array([1, 2, 3, 4])],
  ["binary data: a Buffer inside trigger's data", "dialogue:trigger", { roomId: "sandbox", event: "bin", data: { blob: Buffer.from([0xde, 0xad]) } }],
  ["binary data: a Uint8Array for createRoom", "dialogue:createRoom", new Uint8Array([123, 125])],
];

/** The connection still works: connected, same id, requests answered. */
async function assertUsable(client, connectedAs) {
  assert.ok(client.socket.connected, "still connected");
  assert.equal(client.failure, null);
  const again = await client.ok("dialogue:join", { roomId: "sandbox" });
  assert.equal(again.roomName, "Sandbox");
  const { message: sent } = await client.ok("dialogue:trigger", { roomId: "sandbox", event: uid("alive"), data: { ok: 1 } });
  assert.equal(sent.from, connectedAs.userId);
  assert.equal(client.received("dialogue:connected").length, 1, "not reconnected");
}

for (const transport of TRANSPORTS) {
  describe(`malformed requests (${transport})`, () => {
    for (const [name, event, ...args] of CASES) {
      it(`INVALID_REQUEST: ${name}`, async () => {
        const client = await connect(transport);
        // Members of the rooms named, so that only the malformed shape can be wrong.
        await client.ok("dialogue:join", { roomId: "sandbox" });
        await client.ok("dialogue:join", { roomId: "chat" });

        // Acknowledgement form.
        const answer = await client.ack(event, ...args);
        assertFailure(answer, "INVALID_REQUEST", name);

        // Event form.
        client.emit(event, ...args);
        assertError(await client.next("dialogue:error"), "INVALID_REQUEST");

        await assertUsable(client, client.hello);
        assert.equal(client.received("dialogue:error").length, 1, "exactly one error, for the event form");
      });
    }

    it("a burst of malformed requests is answered one by one and the connection keeps working", async () => {
      const client = await connect(transport);
      const answers = await Promise.all(CASES.map(([, event, ...args]) => client.ack(event, ...args)));
      answers.forEach((answer, i) => assertFailure(answer, "INVALID_REQUEST", CASES[i][0]));
      for (const [, event, ...args] of CASES) client.emit(event, ...args);
      for (let i = 0; i < CASES.length; i++) assertError(await client.next("dialogue:error"), "INVALID_REQUEST");
      await assertUsable(client, client.hello);
    });

    it("events outside the protocol are not fatal", async () => {
      // docs/protocol.md does not say how they are answered (this server answers
      // INVALID_REQUEST); only that the connection survives is asserted.
      const client = await connect(transport);
      client.emit("hello", { roomId: "chat" });
      client.emit("message", "raw");
      await assertUsable(client, client.hello);
    });
  });
}
