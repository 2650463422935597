// getHistory: newest first, paging with start / end, per event name, limits.

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  TRANSPORTS,
  assertError,
  assertNothing,
  closeSocketsAfterEachTest,
  connect,
  message,
  uid,
} from "./helpers.mjs";

closeSocketsAfterEachTest();

/** Triggers `count` messages in chat, one after the other; returns their texts. */
async function writeMessages(client, count, tag) {
  const texts = [];
  for (let i = 0; i < count; i++) {
    const text = `${tag}-${i}`;
    await client.ok("dialogue:trigger", { roomId: "chat", event: "message", data: message(text) });
    texts.push(text);
  }
  return texts;
}

const textsOf = (events) => events.map((e) => e.data.text);

for (const transport of TRANSPORTS) {
  describe(`getHistory (${transport})`, () => {
    it("event form: dialogue:historyResponse { roomId, eventName, events, start, end } newest first", async () => {
      const client = await connect(transport);
      await client.ok("dialogue:join", { roomId: "chat" });
      const texts = await writeMessages(client, 3, uid("ev"));
      client.emit("dialogue:getHistory", { roomId: "chat", eventName: "message" });
      const page = await client.next("dialogue:historyResponse");
      assert.equal(page.roomId, "chat");
      assert.equal(page.eventName, "message");
      assert.equal(page.start, 0, "start defaults to 0");
      assert.equal(page.end, 50, "end defaults to 50");
      assert.ok(page.events.length >= 3 && page.events.length <= 50);
      assert.deepEqual(textsOf(page.events.slice(0, 3)), [...texts].reverse());
      for (const event of page.events.slice(0, 3)) {
        assert.equal(event.from, client.userId);
        assert.equal(event.event, "message");
        assert.equal(event.roomId, "chat");
      }
      assert.ok(
        page.events.every((e, i) => i === 0 || page.events[i - 1].timestamp >= e.timestamp),
        "newest first",
      );
    });

    it("acknowledgement form: pages by start / end (end exclusive), echoing them", async () => {
      const client = await connect(transport);
      await client.ok("dialogue:join", { roomId: "chat" });
      const texts = await writeMessages(client, 5, uid("page"));
      const newestFirst = [...texts].reverse();
      const page = async (start, end) => {
        const answer = await client.ok("dialogue:getHistory", { roomId: "chat", eventName: "message", start, end });
        assert.equal(answer.roomId, "chat");
        assert.equal(answer.eventName, "message");
        assert.equal(answer.start, start);
        assert.equal(answer.end, end);
        return textsOf(answer.events);
      };
      assert.deepEqual(await page(0, 2), newestFirst.slice(0, 2));
      assert.deepEqual(await page(2, 4), newestFirst.slice(2, 4));
      assert.deepEqual(await page(4, 5), newestFirst.slice(4, 5));
      assert.deepEqual(await page(1, 4), newestFirst.slice(1, 4));
      // Only end: start defaults to 0.
      const head = await client.ok("dialogue:getHistory", { roomId: "chat", eventName: "message", end: 3 });
      assert.equal(head.start, 0);
      assert.equal(head.end, 3);
      assert.deepEqual(textsOf(head.events), newestFirst.slice(0, 3));
      // The answer came in the acknowledgement only.
      await assertNothing(client, "dialogue:historyResponse");
    });

    it(
      "end defaults to 50 when only start is given",
      async () => {
        const client = await connect(transport);
        await client.ok("dialogue:join", { roomId: "chat" });
        const texts = await writeMessages(client, 5, uid("start-only"));
        const rest = await client.ok("dialogue:getHistory", { roomId: "chat", eventName: "message", start: 3 });
        assert.equal(rest.start, 3);
        assert.equal(rest.end, 50);
        assert.ok(rest.events.length <= 47);
        assert.deepEqual(textsOf(rest.events.slice(0, 2)), [...texts].reverse().slice(3, 5));
      },
    );

    it("keeps the order in which the server accepted a burst of events", async () => {
      const client = await connect(transport);
      await client.ok("dialogue:join", { roomId: "chat" });
      const tag = uid("burst");
      const texts = Array.from({ length: 10 }, (_, i) => `${tag}-${i}`);
      // Fired back to back without waiting: many share a millisecond.
      const answers = await Promise.all(
        texts.map((text) => client.ack("dialogue:trigger", { roomId: "chat", event: "message", data: message(text) })),
      );
      for (const answer of answers) assert.equal(answer.ok, true, JSON.stringify(answer));
      const page = await client.ok("dialogue:getHistory", { roomId: "chat", eventName: "message", start: 0, end: 10 });
      assert.deepEqual(textsOf(page.events), [...texts].reverse());
      // The envelopes delivered live came in the same order.
      const live = client.received("dialogue:event", (e) => e.data?.text?.startsWith(`${tag}-`));
      assert.deepEqual(textsOf(live), texts);
    });

    it("is kept per event name; events without history have none", async () => {
      const client = await connect(transport);
      await client.ok("dialogue:join", { roomId: "chat" });
      await client.ok("dialogue:trigger", { roomId: "chat", event: "typing", data: { isTyping: true } });
      const typing = await client.ok("dialogue:getHistory", { roomId: "chat", eventName: "typing" });
      assert.deepEqual(typing.events, []);
      const text = uid("named");
      await client.ok("dialogue:trigger", { roomId: "chat", event: "message", data: message(text) });
      const messages = await client.ok("dialogue:getHistory", { roomId: "chat", eventName: "message", start: 0, end: 1 });
      assert.deepEqual(textsOf(messages.events), [text]);
    });

    it("order:updated keeps at most 20 per room", async () => {
      const client = await connect(transport);
      await client.ok("dialogue:join", { roomId: "orders" });
      const tag = uid("order");
      const ids = [];
      for (let i = 0; i < 23; i++) {
        ids.push(`${tag}-${i}`);
        await client.ok("dialogue:trigger", {
          roomId: "orders",
          event: "order:updated",
          data: { orderId: ids[i], status: "processing" },
        });
      }
      const page = await client.ok("dialogue:getHistory", { roomId: "orders", eventName: "order:updated" });
      assert.equal(page.events.length, 20);
      assert.deepEqual(
        page.events.map((e) => e.data.orderId),
        ids.slice(-20).reverse(),
      );
    });

    it("answers an empty page past the end", async () => {
      const client = await connect(transport);
      await client.ok("dialogue:join", { roomId: "orders" });
      const answer = await client.ok("dialogue:getHistory", { roomId: "orders", eventName: "order:updated", start: 500, end: 510 });
      assert.deepEqual(answer.events, []);
      assert.equal(answer.start, 500);
      assert.equal(answer.end, 510);
    });

    it("NOT_IN_ROOM: reading the history of a room not joined", async () => {
      const client = await connect(transport);
      await client.refused("dialogue:getHistory", { roomId: "chat", eventName: "message" }, "NOT_IN_ROOM");
      client.emit("dialogue:getHistory", { roomId: "chat", eventName: "message" });
      assertError(await client.next("dialogue:error"), "NOT_IN_ROOM");
      assert.deepEqual(client.received("dialogue:historyResponse"), []);
      await client.refused("dialogue:getHistory", { roomId: uid("ghost"), eventName: "message" }, "ROOM_NOT_FOUND");
    });
  });
}
