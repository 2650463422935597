// Subscriptions: default subscriptions, subscribe / unsubscribe /
// subscribeAll, and delivery only to subscribers.

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  TRANSPORTS,
  assertError,
  assertNothing,
  closeSocketsAfterEachTest,
  connectMany,
  message,
  uid,
} from "./helpers.mjs";

closeSocketsAfterEachTest();

const typing = (isTyping) => ({ isTyping });

/** Two members of chat: `talker` triggers, `listener` listens. */
async function chatPair(transport) {
  const [talker, listener] = await connectMany(transport, "talker", "listener");
  await talker.ok("dialogue:join", { roomId: "chat" });
  await listener.ok("dialogue:join", { roomId: "chat" });
  return [talker, listener];
}

/** Triggers `typing` in chat and returns the stamped envelope. */
async function sendTyping(client, isTyping) {
  return (await client.ok("dialogue:trigger", { roomId: "chat", event: "typing", data: typing(isTyping) })).message;
}

const typingFrom = (client) => (e) => e.event === "typing" && e.from === client.userId;

for (const transport of TRANSPORTS) {
  describe(`subscriptions (${transport})`, () => {
    it("chat subscribes joiners to message only: typing needs a subscribe", async () => {
      const [talker, listener] = await chatPair(transport);
      await sendTyping(talker, true);
      await assertNothing(listener, "dialogue:event", typingFrom(talker), "(not subscribed to typing)");
      await assertNothing(talker, "dialogue:event", typingFrom(talker), "(the sender is not subscribed either)");
      // message is delivered by default.
      const text = uid("default");
      await talker.ok("dialogue:trigger", { roomId: "chat", event: "message", data: message(text) });
      await listener.next("dialogue:event", (e) => e.data?.text === text);
    });

    it("acknowledgement form: subscribe then unsubscribe typing", async () => {
      const [talker, listener] = await chatPair(transport);
      assert.deepEqual(await listener.ack("dialogue:subscribe", { roomId: "chat", eventName: "typing" }), { ok: true });
      const sent = await sendTyping(talker, true);
      const got = await listener.next("dialogue:event", typingFrom(talker));
      assert.deepEqual(got, sent);
      assert.deepEqual(got.data, { isTyping: true });
      // Only the subscriber: the sender did not subscribe to typing.
      await assertNothing(talker, "dialogue:event", typingFrom(talker));

      assert.deepEqual(await listener.ack("dialogue:unsubscribe", { roomId: "chat", eventName: "typing" }), { ok: true });
      await sendTyping(talker, false);
      await assertNothing(listener, "dialogue:event", (e) => typingFrom(talker)(e) && e.data.isTyping === false, "after unsubscribe");
    });

    it("event form: subscribe and unsubscribe have no answer and take effect", async () => {
      const [talker, listener] = await chatPair(transport);
      listener.emit("dialogue:subscribe", { roomId: "chat", eventName: "typing" });
      // Requests of one connection are handled in order: this round trip
      // returns after the subscribe took effect.
      await listener.roundTrip();
      await sendTyping(talker, true);
      await listener.next("dialogue:event", typingFrom(talker));

      listener.emit("dialogue:unsubscribe", { roomId: "chat", eventName: "message" });
      await listener.roundTrip();
      const text = uid("unsubscribed");
      await talker.ok("dialogue:trigger", { roomId: "chat", event: "message", data: message(text) });
      await assertNothing(listener, "dialogue:event", (e) => e.data?.text === text, "after unsubscribing from message");
      assert.deepEqual(listener.received("dialogue:error"), []);
    });

    it("subscribeAll delivers every event of the room", async () => {
      const [talker, listener] = await chatPair(transport);
      assert.deepEqual(await listener.ack("dialogue:subscribeAll", { roomId: "chat" }), { ok: true });
      const sent = await sendTyping(talker, true);
      assert.deepEqual(await listener.next("dialogue:event", typingFrom(talker)), sent);
      const text = uid("all");
      await talker.ok("dialogue:trigger", { roomId: "chat", event: "message", data: message(text) });
      // Subscribed to `message` and `*`: delivered once.
      const got = await listener.next("dialogue:event", (e) => e.data?.text === text);
      await assertNothing(listener, "dialogue:event", (e) => e.data?.text === text && e !== got, "twice");

      // Event form.
      const [, other] = await chatPair(transport);
      other.emit("dialogue:subscribeAll", { roomId: "chat" });
      await other.roundTrip();
      await sendTyping(talker, false);
      await other.next("dialogue:event", (e) => typingFrom(talker)(e) && e.data.isTyping === false);
    });

    it("subscriptions are per room: subscribing in one room does not deliver another room's events", async () => {
      const [talker, listener] = await connectMany(transport, "talker", "listener");
      for (const client of [talker, listener]) {
        await client.ok("dialogue:join", { roomId: "chat" });
        await client.ok("dialogue:join", { roomId: "orders" });
      }
      await listener.ok("dialogue:unsubscribe", { roomId: "orders", eventName: "order:updated" });
      await listener.ok("dialogue:subscribe", { roomId: "chat", eventName: "order:updated" });
      const orderId = uid("order");
      await talker.ok("dialogue:trigger", { roomId: "orders", event: "order:updated", data: { orderId, status: "shipped" } });
      // The talker keeps the default subscription of orders.
      await talker.next("dialogue:event", (e) => e.data?.orderId === orderId);
      await assertNothing(listener, "dialogue:event", (e) => e.data?.orderId === orderId, "(unsubscribed in orders)");
    });

    it("NOT_IN_ROOM: subscribe, subscribeAll and unsubscribe in a room not joined", async () => {
      const [outsider] = await connectMany(transport, "outsider");
      await outsider.refused("dialogue:subscribe", { roomId: "chat", eventName: "typing" }, "NOT_IN_ROOM");
      await outsider.refused("dialogue:subscribeAll", { roomId: "chat" }, "NOT_IN_ROOM");
      outsider.emit("dialogue:subscribe", { roomId: "chat", eventName: "typing" });
      assertError(await outsider.next("dialogue:error"), "NOT_IN_ROOM");
      outsider.emit("dialogue:subscribeAll", { roomId: "orders" });
      assertError(await outsider.next("dialogue:error"), "NOT_IN_ROOM");
      // docs/protocol.md names no error for unsubscribe outside a room: only an answer is required.
      const unsub = await outsider.ack("dialogue:unsubscribe", { roomId: "chat", eventName: "message" });
      assert.equal(typeof unsub.ok, "boolean", JSON.stringify(unsub));
      // And an outsider still receives nothing from the room.
      const [talker] = await connectMany(transport, "talker");
      await talker.ok("dialogue:join", { roomId: "chat" });
      const text = uid("outside");
      await talker.ok("dialogue:trigger", { roomId: "chat", event: "message", data: message(text) });
      await assertNothing(outsider, "dialogue:event", (e) => e.data?.text === text);
    });

    it("leaving a room ends its subscriptions", async () => {
      const [talker, listener] = await chatPair(transport);
      await listener.ok("dialogue:subscribeAll", { roomId: "chat" });
      await listener.ok("dialogue:leave", { roomId: "chat" });
      const text = uid("gone");
      await talker.ok("dialogue:trigger", { roomId: "chat", event: "message", data: message(text) });
      await sendTyping(talker, true);
      await assertNothing(listener, "dialogue:event", (e) => e.from === talker.userId, "after leaving");
      // Joining again starts from the default subscriptions (message only).
      await listener.ok("dialogue:join", { roomId: "chat" });
      await sendTyping(talker, false);
      await assertNothing(listener, "dialogue:event", typingFrom(talker), "after re-joining (typing not default)");
    });
  });
}
