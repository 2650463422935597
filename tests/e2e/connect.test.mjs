// Connecting: dialogue:connected and where the userId comes from.

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { TRANSPORTS, closeSocketsAfterEachTest, connect, uid } from "./helpers.mjs";

closeSocketsAfterEachTest();

for (const transport of TRANSPORTS) {
  describe(`connect (${transport})`, () => {
    it("sends dialogue:connected { clientId, userId, protocol: 2, resumeToken } before anything else, userId from auth.userId", async () => {
      const userId = uid("alice");
      const alice = await connect(transport, { auth: { userId } });
      assert.equal(alice.log[0].event, "dialogue:connected", `first event: ${alice.summary()}`);
      assert.deepEqual(Object.keys(alice.hello).sort(), ["clientId", "protocol", "resumeToken", "userId"]);
      assert.equal(alice.hello.protocol, 2);
      assert.equal(typeof alice.hello.resumeToken, "string");
      assert.ok(alice.hello.resumeToken.length >= 22, "at least 128 random bits");
      assert.equal(alice.hello.userId, userId);
      assert.equal(typeof alice.hello.clientId, "string");
      assert.ok(alice.hello.clientId.length > 0);
      assert.ok(alice.socket.connected);
      // The connection serves requests right away.
      await alice.roundTrip();
    });

    it("gives every connection its own clientId; one user may hold several connections", async () => {
      const userId = uid("multi");
      const first = await connect(transport, { auth: { userId } });
      const second = await connect(transport, { auth: { userId } });
      assert.equal(first.hello.userId, userId);
      assert.equal(second.hello.userId, userId);
      assert.notEqual(first.hello.clientId, second.hello.clientId);
    });

    it("generates a userId per connection when auth has no userId", async () => {
      const first = await connect(transport, { auth: null });
      const second = await connect(transport, { auth: {} });
      for (const client of [first, second]) {
        assert.equal(typeof client.userId, "string");
        assert.ok(client.userId.length > 0);
        // "else its socket id": the connection's id (the server uses clientId,
        // not the transport-level Socket.IO sid; either reading is accepted).
        assert.ok(
          client.userId === client.hello.clientId || client.userId === client.socket.id,
          `userId ${client.userId} is neither clientId ${client.hello.clientId} nor socket.id ${client.socket.id}`,
        );
      }
      assert.notEqual(first.userId, second.userId);
    });

    it("never takes the userId from auth.token", async () => {
      const token = uid("secret-token");
      const tokenOnly = await connect(transport, { auth: { token } });
      assert.notEqual(tokenOnly.userId, token);
      assert.ok(!tokenOnly.userId.includes(token));
      assert.ok([tokenOnly.hello.clientId, tokenOnly.socket.id].includes(tokenOnly.userId), "falls back to the connection id");

      const userId = uid("bob");
      const both = await connect(transport, { auth: { userId, token } });
      assert.equal(both.userId, userId);
    });

    it("ignores a userId that is not a string", async () => {
      const client = await connect(transport, { auth: { userId: 42 } });
      assert.equal(typeof client.userId, "string");
      assert.notEqual(client.userId, "42");
    });

    it("stamps the userId as `from` of what the connection triggers", async () => {
      const userId = uid("stamp");
      const client = await connect(transport, { auth: { userId, token: "not-me" } });
      await client.ok("dialogue:join", { roomId: "sandbox" });
      const { message } = await client.ok("dialogue:trigger", { roomId: "sandbox", event: "whoami", data: 1 });
      assert.equal(message.from, userId);
    });
  });
}
