// Triggering events: the stamped envelope, meta, membership, allowed events,
// validation, the sandbox.

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  TRANSPORTS,
  assertEnvelope,
  assertError,
  assertNothing,
  closeSocketsAfterEachTest,
  connect,
  connectMany,
  message,
  uid,
} from "./helpers.mjs";

closeSocketsAfterEachTest();

for (const transport of TRANSPORTS) {
  describe(`trigger (${transport})`, () => {
    it("event form: members receive dialogue:event with server-stamped from and timestamp, meta passed through", async () => {
      const [alice, bob] = await connectMany(transport, "alice", "bob");
      await alice.ok("dialogue:join", { roomId: "chat" });
      await bob.ok("dialogue:join", { roomId: "chat" });
      const text = uid("hello");
      const meta = { clientMsgId: uid("m"), nested: { list: [1, "two", null], flag: true } };
      const before = Date.now();
      alice.emit("dialogue:trigger", { roomId: "chat", event: "message", data: message(text), meta });

      const atBob = await bob.next("dialogue:event", (e) => e.data?.text === text);
      assertEnvelope(atBob, { event: "message", roomId: "chat", data: message(text), from: alice.userId });
      assert.deepEqual(atBob.meta, meta);
      assert.ok(atBob.timestamp >= before - 1000, "stamped now, not earlier");
      // The sender is subscribed to `message` too, and gets the same envelope.
      const atAlice = await alice.next("dialogue:event", (e) => e.data?.text === text);
      assert.deepEqual(atAlice, atBob);
      // A successful trigger has no other answer.
      await assertNothing(alice, "dialogue:error");
    });

    it("acknowledgement form: { ok: true, message } is the stamped envelope the others receive", async () => {
      const [alice, bob] = await connectMany(transport, "alice", "bob");
      await alice.ok("dialogue:join", { roomId: "chat" });
      await bob.ok("dialogue:join", { roomId: "chat" });
      const text = uid("acked");
      const answer = await alice.ok("dialogue:trigger", { roomId: "chat", event: "message", data: message(text) });
      assert.deepEqual(Object.keys(answer).sort(), ["message", "ok"]);
      assertEnvelope(answer.message, { event: "message", roomId: "chat", data: message(text), from: alice.userId });
      assert.ok(answer.message.meta === undefined || answer.message.meta === null, "no meta when none was sent");
      const atBob = await bob.next("dialogue:event", (e) => e.data?.text === text);
      assert.deepEqual(atBob, answer.message);
    });

    it("ignores a spoofed from and timestamp", async () => {
      const [mallory, victim] = await connectMany(transport, "mallory", "victim");
      await mallory.ok("dialogue:join", { roomId: "chat" });
      await victim.ok("dialogue:join", { roomId: "chat" });
      const text = uid("spoof");
      const answer = await mallory.ok("dialogue:trigger", {
        roomId: "chat",
        event: "message",
        data: message(text),
        from: victim.userId,
        timestamp: 1,
        meta: { from: "system" },
      });
      assert.equal(answer.message.from, mallory.userId);
      assert.notEqual(answer.message.timestamp, 1);
      assert.ok(Math.abs(answer.message.timestamp - Date.now()) < 60_000);
      const atVictim = await victim.next("dialogue:event", (e) => e.data?.text === text);
      assert.equal(atVictim.from, mallory.userId);
      assert.equal(atVictim.timestamp, answer.message.timestamp);
      assert.deepEqual(atVictim.meta, { from: "system" }, "meta is passed through, it does not set from");
    });

    it("NOT_IN_ROOM: triggering in a room not joined, in both answer forms; nothing is delivered", async () => {
      const [outsider, member] = await connectMany(transport, "outsider", "member");
      await member.ok("dialogue:join", { roomId: "chat" });
      const text = uid("intruder");
      outsider.emit("dialogue:trigger", { roomId: "chat", event: "message", data: message(text) });
      assertError(await outsider.next("dialogue:error"), "NOT_IN_ROOM");
      await outsider.refused("dialogue:trigger", { roomId: "chat", event: "message", data: message(text) }, "NOT_IN_ROOM");
      await assertNothing(member, "dialogue:event", (e) => e.data?.text === text, "from a non-member");
      const history = await member.ok("dialogue:getHistory", { roomId: "chat", eventName: "message" });
      assert.equal(history.events.some((e) => e.data?.text === text), false, "a refused event is not kept");
    });

    it("ROOM_NOT_FOUND: triggering in a room that does not exist", async () => {
      const client = await connect(transport);
      const roomId = uid("ghost");
      await client.refused("dialogue:trigger", { roomId, event: "message", data: message("boo") }, "ROOM_NOT_FOUND");
      client.emit("dialogue:trigger", { roomId, event: "message", data: message("boo") });
      assertError(await client.next("dialogue:error"), "ROOM_NOT_FOUND");
    });

    it("EVENT_NOT_ALLOWED: readonly refuses every client trigger", async () => {
      const client = await connect(transport);
      await client.ok("dialogue:join", { roomId: "readonly" });
      for (const [event, data] of [
        ["message", message("not here")],
        ["typing", { isTyping: true }],
        ["anything", { free: "form" }],
      ]) {
        await client.refused("dialogue:trigger", { roomId: "readonly", event, data }, "EVENT_NOT_ALLOWED");
      }
      client.emit("dialogue:trigger", { roomId: "readonly", event: "message", data: message("nor here") });
      assertError(await client.next("dialogue:error"), "EVENT_NOT_ALLOWED");
    });

    it("EVENT_NOT_ALLOWED: a room refuses events it does not list, declared elsewhere or not at all", async () => {
      const client = await connect(transport);
      await client.ok("dialogue:join", { roomId: "chat" });
      await client.refused(
        "dialogue:trigger",
        { roomId: "chat", event: "order:updated", data: { orderId: "o1", status: "pending" } },
        "EVENT_NOT_ALLOWED",
      );
      await client.refused("dialogue:trigger", { roomId: "chat", event: "nope", data: {} }, "EVENT_NOT_ALLOWED");
      await client.ok("dialogue:join", { roomId: "orders" });
      await client.refused("dialogue:trigger", { roomId: "orders", event: "message", data: message("x") }, "EVENT_NOT_ALLOWED");
      client.emit("dialogue:trigger", { roomId: "orders", event: "typing", data: { isTyping: true } });
      assertError(await client.next("dialogue:error"), "EVENT_NOT_ALLOWED");
    });

    it("VALIDATION_FAILED with details: an empty message text is refused at /text", async () => {
      const [alice, bob] = await connectMany(transport, "alice", "bob");
      await alice.ok("dialogue:join", { roomId: "chat" });
      await bob.ok("dialogue:join", { roomId: "chat" });
      const bad = { text: "", senderId: uid("empty") };

      const error = await alice.refused("dialogue:trigger", { roomId: "chat", event: "message", data: bad }, "VALIDATION_FAILED");
      assert.ok(Array.isArray(error.details), `details: ${JSON.stringify(error)}`);
      assert.ok(error.details.length >= 1);
      assert.ok(error.details.some((d) => d.path === "/text"), JSON.stringify(error.details));
      for (const detail of error.details) {
        assert.equal(typeof detail.path, "string");
        assert.equal(typeof detail.message, "string");
      }

      alice.emit("dialogue:trigger", { roomId: "chat", event: "message", data: bad });
      const event = await alice.next("dialogue:error");
      assertError(event, "VALIDATION_FAILED");
      assert.ok(event.details.some((d) => d.path === "/text"), JSON.stringify(event.details));

      await assertNothing(bob, "dialogue:event", (e) => e.data?.senderId === bad.senderId, "for an invalid payload");
      const history = await bob.ok("dialogue:getHistory", { roomId: "chat", eventName: "message" });
      assert.equal(history.events.some((e) => e.data?.senderId === bad.senderId), false);
    });

    it("VALIDATION_FAILED: too long, wrong types, missing fields, unknown enum value", async () => {
      const client = await connect(transport);
      await client.ok("dialogue:join", { roomId: "chat" });
      await client.ok("dialogue:join", { roomId: "orders" });
      const cases = [
        ["chat", "message", { text: "x".repeat(1001), senderId: "s" }, "/text"],
        ["chat", "message", { text: 5, senderId: "s" }, "/text"],
        ["chat", "typing", { isTyping: "yes" }, "/isTyping"],
        ["orders", "order:updated", { orderId: "o1", status: "lost" }, "/status"],
        ["orders", "order:updated", { status: "shipped" }, null],
        ["chat", "message", "just a string", null],
      ];
      for (const [roomId, event, data, path] of cases) {
        const error = await client.refused("dialogue:trigger", { roomId, event, data }, "VALIDATION_FAILED");
        assert.ok(Array.isArray(error.details) && error.details.length > 0, `${event} ${JSON.stringify(data)}`);
        if (path) assert.ok(error.details.some((d) => d.path === path), `${path} in ${JSON.stringify(error.details)}`);
      }
      // The longest valid text passes.
      await client.ok("dialogue:trigger", { roomId: "chat", event: "message", data: { text: "y".repeat(1000), senderId: "s" } });
      await client.ok("dialogue:trigger", {
        roomId: "orders",
        event: "order:updated",
        data: { orderId: uid("order"), status: "delivered" },
      });
    });

    it(
      "PAYLOAD_TOO_LARGE: data over the default 64 KiB is refused",
      async () => {
        const client = await connect(transport);
        await client.ok("dialogue:join", { roomId: "sandbox" });
        await client.refused("dialogue:trigger", { roomId: "sandbox", event: "big", data: "x".repeat(70_000) }, "PAYLOAD_TOO_LARGE");
        await client.ok("dialogue:trigger", { roomId: "sandbox", event: "big", data: "x".repeat(60_000) });
      },
    );
  });

  describe(`sandbox (${transport})`, () => {
    it("passes any event name and any JSON data, unvalidated, to every member (default subscription *)", async () => {
      const [sender, receiver] = await connectMany(transport, "sender", "receiver");
      await sender.ok("dialogue:join", { roomId: "sandbox" });
      await receiver.ok("dialogue:join", { roomId: "sandbox" });
      const tag = uid("sb");
      const cases = [
        [`${tag}:object`, { deep: { list: [1, 2, { three: 3 }] }, unicode: "héllo ✓ 🎉" }],
        [`${tag}:number`, 42.5],
        [`${tag}:string`, "plain"],
        [`${tag}:array`, [true, null, "x"]],
        [`${tag}:bool`, false],
        [`${tag}:null`, null],
        // A declared event name with a payload its schema would refuse: the sandbox does not validate.
        ["message", { text: "", tag }],
      ];
      for (const [event, data] of cases) {
        const { message: sent } = await sender.ok("dialogue:trigger", { roomId: "sandbox", event, data });
        assert.deepEqual(sent.data, data);
        const got = await receiver.next("dialogue:event", (e) => e.event === event && e.timestamp === sent.timestamp && e.from === sender.userId);
        assert.deepEqual(got, sent);
      }
      sender.emit("dialogue:trigger", { roomId: "sandbox", event: `${tag}:evented`, data: { via: "event form" } });
      const got = await receiver.next("dialogue:event", (e) => e.event === `${tag}:evented`);
      assertEnvelope(got, { event: `${tag}:evented`, roomId: "sandbox", data: { via: "event form" }, from: sender.userId });
      await assertNothing(sender, "dialogue:error");
    });

    it("does not deliver to clients outside the room", async () => {
      const [sender, outsider] = await connectMany(transport, "sender", "outsider");
      await sender.ok("dialogue:join", { roomId: "sandbox" });
      const event = uid("private");
      await sender.ok("dialogue:trigger", { roomId: "sandbox", event, data: 1 });
      await sender.next("dialogue:event", (e) => e.event === event);
      await assertNothing(outsider, "dialogue:event", (e) => e.event === event, "without joining");
    });
  });
}
