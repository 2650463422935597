// Joining, leaving and listing rooms; ROOM_NOT_FOUND and ROOM_FULL.

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  DECLARED_ROOMS,
  TRANSPORTS,
  assertError,
  assertFailure,
  assertJoined,
  assertNothing,
  closeSocketsAfterEachTest,
  connect,
  connectMany,
  eventually,
  message,
  roomInfo,
  uid,
  waitForRoomSize,
} from "./helpers.mjs";

closeSocketsAfterEachTest();

for (const transport of TRANSPORTS) {
  describe(`join and leave (${transport})`, () => {
    it("event form: join chat answers dialogue:joined, then dialogue:history (newest first)", async () => {
      const [writer, reader] = await connectMany(transport, "writer", "reader");
      await writer.ok("dialogue:join", { roomId: "chat" });
      const texts = [uid("h1"), uid("h2"), uid("h3")];
      for (const text of texts) {
        await writer.ok("dialogue:trigger", { roomId: "chat", event: "message", data: message(text) });
      }

      reader.emit("dialogue:join", { roomId: "chat" });
      const joined = await reader.next("dialogue:joined");
      assertJoined(joined, "chat", "Chat Room");
      const history = await reader.next("dialogue:history");
      assert.equal(history.roomId, "chat");
      assert.ok(Array.isArray(history.events));
      assert.ok(history.events.length >= 3 && history.events.length <= 50, `${history.events.length} events`);
      assert.deepEqual(
        history.events.slice(0, 3).map((e) => e.data.text),
        [...texts].reverse(),
        "the latest messages come first",
      );
      for (const event of history.events.slice(0, 3)) {
        assert.equal(event.from, writer.userId);
        assert.equal(event.roomId, "chat");
        assert.equal(event.event, "message");
      }
      const order = reader.log.map((e) => e.event).filter((e) => e === "dialogue:joined" || e === "dialogue:history");
      assert.deepEqual(order, ["dialogue:joined", "dialogue:history"]);
    });

    it("event form: a room without history sync answers dialogue:joined only", async () => {
      const client = await connect(transport);
      client.emit("dialogue:join", { roomId: "orders" });
      assertJoined(await client.next("dialogue:joined"), "orders", "Orders");
      await assertNothing(client, "dialogue:history", () => true, "for orders (no syncHistoryOnJoin)");
      assert.deepEqual(client.received("dialogue:error"), []);
    });

    it("acknowledgement form: join answers { ok, roomId, roomName, history } and sends no events", async () => {
      const [writer, reader] = await connectMany(transport, "writer", "reader");
      await writer.ok("dialogue:join", { roomId: "chat" });
      const text = uid("inline");
      await writer.ok("dialogue:trigger", { roomId: "chat", event: "message", data: message(text) });

      const answer = await reader.ok("dialogue:join", { roomId: "chat" });
      assert.equal(answer.roomId, "chat");
      assert.equal(answer.roomName, "Chat Room");
      assert.ok(Array.isArray(answer.history), "chat syncs history: it is inlined");
      assert.equal(answer.history[0].data.text, text);
      assert.ok(answer.history.length <= 50);

      const plain = await reader.ok("dialogue:join", { roomId: "orders" });
      assert.equal(plain.roomId, "orders");
      assert.equal(plain.roomName, "Orders");
      assert.ok(plain.history === undefined || (Array.isArray(plain.history) && plain.history.length === 0));

      await assertNothing(reader, "dialogue:joined");
      await assertNothing(reader, "dialogue:history");
    });

    it("joining a room already joined answers joined again and changes nothing", async () => {
      const roomId = uid("rejoin");
      const client = await connect(transport);
      await client.ok("dialogue:createRoom", { id: roomId, name: "Rejoin" });
      await client.ok("dialogue:join", { roomId });
      const again = await client.ok("dialogue:join", { roomId });
      assert.equal(again.roomId, roomId);
      client.emit("dialogue:join", { roomId });
      assert.equal((await client.next("dialogue:joined")).roomId, roomId);
      assert.equal((await roomInfo(client, roomId)).size, 1);
      // Still subscribed once: one trigger, one delivery.
      const { message: sent } = await client.ok("dialogue:trigger", { roomId, event: "ping", data: 1 });
      const first = await client.next("dialogue:event", (e) => e.event === "ping");
      assert.deepEqual(first, sent);
      await assertNothing(client, "dialogue:event", (e) => e !== first, "twice");
    });

    it("event form: leave answers dialogue:left; the room then refuses triggers with NOT_IN_ROOM", async () => {
      const client = await connect(transport);
      await client.ok("dialogue:join", { roomId: "chat" });
      client.emit("dialogue:leave", { roomId: "chat" });
      assert.deepEqual(await client.next("dialogue:left"), { roomId: "chat" });
      client.emit("dialogue:trigger", { roomId: "chat", event: "message", data: message("after leave") });
      assertError(await client.next("dialogue:error"), "NOT_IN_ROOM");
    });

    it("acknowledgement form: leave answers { ok: true } and the member count drops", async () => {
      const roomId = uid("leave");
      const [owner, other] = await connectMany(transport, "owner", "other");
      await owner.ok("dialogue:createRoom", { id: roomId, name: "Leave" });
      await owner.ok("dialogue:join", { roomId });
      await other.ok("dialogue:join", { roomId });
      assert.equal((await roomInfo(owner, roomId)).size, 2);
      assert.deepEqual(await other.ack("dialogue:leave", { roomId }), { ok: true });
      assert.equal((await roomInfo(owner, roomId)).size, 1);
      await other.refused("dialogue:trigger", { roomId, event: "x", data: 1 }, "NOT_IN_ROOM");
      await assertNothing(other, "dialogue:left");
    });

    it("join of an unknown room: dialogue:error ROOM_NOT_FOUND, or the same in the acknowledgement", async () => {
      const client = await connect(transport);
      const roomId = uid("no-such-room");
      client.emit("dialogue:join", { roomId });
      const eventError = await client.next("dialogue:error");
      assertError(eventError, "ROOM_NOT_FOUND");
      assert.deepEqual(client.received("dialogue:joined"), []);

      const error = await client.refused("dialogue:join", { roomId }, "ROOM_NOT_FOUND");
      assert.equal(error.code, "ROOM_NOT_FOUND");
      // A failure in the acknowledgement sends no dialogue:error as well.
      await assertNothing(client, "dialogue:error", (e) => e !== eventError, "after an acknowledged failure");
      assert.equal((await client.ok("dialogue:listRooms")).rooms.some((r) => r.id === roomId), false);
    });

    it("closing a connection removes it from its rooms", async () => {
      const roomId = uid("disconnect");
      const [owner, leaver] = await connectMany(transport, "owner", "leaver");
      await owner.ok("dialogue:createRoom", { id: roomId, name: "Disconnect" });
      await leaver.ok("dialogue:join", { roomId });
      assert.equal((await roomInfo(owner, roomId)).size, 1);
      leaver.close();
      await waitForRoomSize(owner, roomId, 0);
    });
  });

  describe(`listRooms (${transport})`, () => {
    it("event form: dialogue:rooms lists the declared rooms as RoomInfo", async () => {
      const client = await connect(transport);
      client.emit("dialogue:listRooms");
      const rooms = await client.next("dialogue:rooms");
      assert.ok(Array.isArray(rooms));
      for (const id of DECLARED_ROOMS) assert.ok(rooms.some((r) => r.id === id), `${id} is listed`);
      const byId = Object.fromEntries(rooms.map((r) => [r.id, r]));
      assert.equal(byId.chat.name, "Chat Room");
      assert.equal(byId.chat.description, "General chat");
      assert.equal(byId.small.name, "Small Room");
      assert.equal(byId.small.maxSize, 2);
      assert.equal(byId.sandbox.name, "Sandbox");
      assert.equal(byId.readonly.name, "Read-Only");
      assert.equal(byId.orders.name, "Orders");
      assert.equal(byId.lobby.presence, true, "lobby has presence");
      assert.equal(byId.chat.presence, undefined, "presence is absent when off");
      for (const room of rooms) {
        assert.equal(typeof room.id, "string");
        assert.equal(typeof room.name, "string");
        assert.ok(Number.isInteger(room.size) && room.size >= 0, `size of ${room.id}`);
      }
      for (const id of DECLARED_ROOMS) {
        assert.equal(byId[id].createdById, undefined, `${id} is declared, not created by a client`);
      }
    });

    it("acknowledgement form: { ok: true, rooms } with sizes that follow joins", async () => {
      const roomId = uid("sizes");
      const [a, b] = await connectMany(transport, "a", "b");
      await a.ok("dialogue:createRoom", { id: roomId, name: "Sizes", description: "counting", maxSize: 5 });
      let answer = await a.ok("dialogue:listRooms");
      assert.ok(Array.isArray(answer.rooms));
      assert.deepEqual(answer.rooms.find((r) => r.id === roomId), {
        id: roomId,
        name: "Sizes",
        description: "counting",
        size: 0,
        maxSize: 5,
        createdById: a.userId,
        hostId: a.userId,
      });
      await a.ok("dialogue:join", { roomId });
      await b.ok("dialogue:join", { roomId });
      answer = await b.ok("dialogue:listRooms");
      assert.equal(answer.rooms.find((r) => r.id === roomId).size, 2);
      // listRooms answers in the acknowledgement only.
      await assertNothing(b, "dialogue:rooms");
    });
  });

  describe(`ROOM_FULL on small (${transport})`, () => {
    it("three clients joining small at once: two get in, one gets ROOM_FULL with no side effect", async () => {
      const clients = await connectMany(transport, "c1", "c2", "c3");
      await waitForRoomSize(clients[0], "small", 0);
      try {
        const answers = await Promise.all(clients.map((c) => c.ack("dialogue:join", { roomId: "small" })));
        const admitted = clients.filter((_, i) => answers[i].ok === true);
        const refused = clients.filter((_, i) => answers[i].ok !== true);
        assert.equal(admitted.length, 2, JSON.stringify(answers));
        assert.equal(refused.length, 1);
        assertFailure(answers[clients.indexOf(refused[0])], "ROOM_FULL", "the third join");
        assert.equal((await roomInfo(clients[0], "small")).size, 2);

        // The refused client is not a member.
        await refused[0].refused(
          "dialogue:trigger",
          { roomId: "small", event: "message", data: message("let me in") },
          "NOT_IN_ROOM",
        );
        // A member joining again is answered joined, not ROOM_FULL.
        const again = await admitted[0].ok("dialogue:join", { roomId: "small" });
        assert.equal(again.roomName, "Small Room");
        assert.equal((await roomInfo(clients[0], "small")).size, 2);

        // Event form of the refusal.
        refused[0].emit("dialogue:join", { roomId: "small" });
        assertError(await refused[0].next("dialogue:error"), "ROOM_FULL");
        assert.deepEqual(refused[0].received("dialogue:joined"), []);

        // Once a member leaves there is room again.
        await admitted[1].ok("dialogue:leave", { roomId: "small" });
        await refused[0].ok("dialogue:join", { roomId: "small" });
        assert.equal((await roomInfo(clients[0], "small")).size, 2);
      } finally {
        // small is shared by every test: leave it explicitly, not only on close.
        await Promise.all(clients.map((c) => c.ack("dialogue:leave", { roomId: "small" }).catch(() => {})));
      }
    });

    it("a full room's members still talk to each other", async () => {
      const [a, b] = await connectMany(transport, "a", "b");
      await waitForRoomSize(a, "small", 0);
      try {
        await a.ok("dialogue:join", { roomId: "small" });
        await b.ok("dialogue:join", { roomId: "small" });
        const text = uid("small-talk");
        await a.ok("dialogue:trigger", { roomId: "small", event: "message", data: message(text) });
        const got = await b.next("dialogue:event", (e) => e.data?.text === text);
        assert.equal(got.from, a.userId);
        assert.equal(got.roomId, "small");
      } finally {
        await Promise.all([a, b].map((c) => c.ack("dialogue:leave", { roomId: "small" }).catch(() => {})));
      }
      await eventually(async () => (await roomInfo(a, "small")).size === 0, "small is empty again");
    });
  });
}
