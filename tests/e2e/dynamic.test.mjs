// Rooms created by clients: createRoom, ROOM_EXISTS, open events, deleteRoom.

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  DECLARED_ROOMS,
  TRANSPORTS,
  assertError,
  assertNothing,
  closeSocketsAfterEachTest,
  connect,
  connectMany,
  roomInfo,
  uid,
} from "./helpers.mjs";

closeSocketsAfterEachTest();

for (const transport of TRANSPORTS) {
  describe(`createRoom (${transport})`, () => {
    it("acknowledgement form: { ok, room } and dialogue:roomCreated to everyone, with the whole RoomInfo", async () => {
      const [creator, bystander] = await connectMany(transport, "creator", "bystander");
      const id = uid("created");
      const answer = await creator.ok("dialogue:createRoom", { id, name: "Created", description: "by a client", maxSize: 3 });
      const expected = { id, name: "Created", description: "by a client", size: 0, maxSize: 3, createdById: creator.userId, hostId: creator.userId };
      assert.deepEqual(answer.room, expected);
      assert.deepEqual(await bystander.next("dialogue:roomCreated", (r) => r.id === id), expected);
      assert.deepEqual(await roomInfo(bystander, id), expected);
    });

    it("event form: the creator gets dialogue:roomCreated once, others get it too", async () => {
      const [creator, bystander] = await connectMany(transport, "creator", "bystander");
      const id = uid("evented");
      creator.emit("dialogue:createRoom", { id, name: "Evented" });
      const created = await creator.next("dialogue:roomCreated", (r) => r.id === id);
      assert.deepEqual(created, { id, name: "Evented", size: 0, createdById: creator.userId, hostId: creator.userId });
      assert.deepEqual(await bystander.next("dialogue:roomCreated", (r) => r.id === id), created);
      await assertNothing(creator, "dialogue:roomCreated", (r) => r.id === id && r !== created, "twice");
    });

    it("ROOM_EXISTS: an id in use, declared or created", async () => {
      const client = await connect(transport);
      for (const id of DECLARED_ROOMS) {
        await client.refused("dialogue:createRoom", { id, name: "Again" }, "ROOM_EXISTS");
      }
      const id = uid("twice");
      await client.ok("dialogue:createRoom", { id, name: "First" });
      await client.refused("dialogue:createRoom", { id, name: "Second" }, "ROOM_EXISTS");
      client.emit("dialogue:createRoom", { id, name: "Third" });
      assertError(await client.next("dialogue:error"), "ROOM_EXISTS");
      assert.equal((await roomInfo(client, id)).name, "First", "the room is unchanged");
      assert.equal((await roomInfo(client, "chat")).name, "Chat Room");
      // No broadcast for a refused creation.
      assert.equal(client.received("dialogue:roomCreated", (r) => r.id === id).length, 1);
    });

    it("a client-created room accepts any event, unvalidated, and subscribes joiners to *", async () => {
      const [creator, member] = await connectMany(transport, "creator", "member");
      const roomId = uid("open");
      await creator.ok("dialogue:createRoom", { id: roomId, name: "Open" });
      const joined = await member.ok("dialogue:join", { roomId });
      assert.equal(joined.roomName, "Open");
      await creator.ok("dialogue:join", { roomId });
      for (const [event, data] of [
        ["whatever:happened", { any: ["shape"] }],
        ["typing", "not a boolean object"],
        ["message", { text: "" }],
        ["n", 7],
      ]) {
        const { message: sent } = await creator.ok("dialogue:trigger", { roomId, event, data });
        assert.deepEqual(sent.data, data);
        assert.equal(sent.from, creator.userId);
        assert.deepEqual(await member.next("dialogue:event", (e) => e.event === event && e.roomId === roomId), sent);
      }
      // The member's own events come back to it too (subscribed to *).
      const { message: own } = await member.ok("dialogue:trigger", { roomId, event: "echo", data: null });
      assert.deepEqual(await member.next("dialogue:event", (e) => e.event === "echo"), own);
    });

    it("enforces the maxSize given at creation", async () => {
      const [a, b] = await connectMany(transport, "a", "b");
      const roomId = uid("tiny");
      await a.ok("dialogue:createRoom", { id: roomId, name: "Tiny", maxSize: 1 });
      await a.ok("dialogue:join", { roomId });
      await b.refused("dialogue:join", { roomId }, "ROOM_FULL");
      assert.equal((await roomInfo(b, roomId)).size, 1);
    });
  });

  describe(`deleteRoom (${transport})`, () => {
    it("PERMISSION_DENIED for anyone but the creator; the room stays", async () => {
      const [creator, other] = await connectMany(transport, "creator", "other");
      const roomId = uid("mine");
      await creator.ok("dialogue:createRoom", { id: roomId, name: "Mine" });
      await other.ok("dialogue:join", { roomId });
      await other.refused("dialogue:deleteRoom", { roomId }, "PERMISSION_DENIED");
      other.emit("dialogue:deleteRoom", { roomId });
      assertError(await other.next("dialogue:error"), "PERMISSION_DENIED");
      assert.ok(await roomInfo(creator, roomId), "still listed");
      await other.ok("dialogue:trigger", { roomId, event: "still", data: "here" });
      await assertNothing(other, "dialogue:roomDeleted", (r) => r.roomId === roomId);
    });

    it("PERMISSION_DENIED for the declared rooms, whoever asks", async () => {
      const client = await connect(transport);
      for (const roomId of DECLARED_ROOMS) {
        await client.refused("dialogue:deleteRoom", { roomId }, "PERMISSION_DENIED");
      }
      client.emit("dialogue:deleteRoom", { roomId: "chat" });
      assertError(await client.next("dialogue:error"), "PERMISSION_DENIED");
      const { rooms } = await client.ok("dialogue:listRooms");
      for (const id of DECLARED_ROOMS) assert.ok(rooms.some((r) => r.id === id), `${id} survives`);
    });

    it("ROOM_NOT_FOUND for a room that does not exist", async () => {
      const client = await connect(transport);
      await client.refused("dialogue:deleteRoom", { roomId: uid("never") }, "ROOM_NOT_FOUND");
    });

    it("acknowledgement form: the creator deletes; members and everyone else get dialogue:roomDeleted", async () => {
      const [creator, member, bystander] = await connectMany(transport, "creator", "member", "bystander");
      const roomId = uid("doomed");
      await creator.ok("dialogue:createRoom", { id: roomId, name: "Doomed" });
      await member.ok("dialogue:join", { roomId });
      assert.deepEqual(await creator.ack("dialogue:deleteRoom", { roomId }), { ok: true });
      assert.deepEqual(await member.next("dialogue:roomDeleted", (r) => r.roomId === roomId), { roomId });
      assert.deepEqual(await bystander.next("dialogue:roomDeleted", (r) => r.roomId === roomId), { roomId });
      assert.equal(await roomInfo(bystander, roomId), undefined, "no longer listed");
      // The former member is out of a room that is gone.
      await member.refused("dialogue:trigger", { roomId, event: "x", data: 1 }, "ROOM_NOT_FOUND");
      await member.refused("dialogue:join", { roomId }, "ROOM_NOT_FOUND");
      // The id is free again.
      await bystander.ok("dialogue:createRoom", { id: roomId, name: "Reborn" });
      assert.equal((await roomInfo(creator, roomId)).createdById, bystander.userId);
      assert.equal((await roomInfo(creator, roomId)).size, 0, "the old members are not carried over");
    });

    it("event form: the creator gets dialogue:roomDeleted too", async () => {
      const [creator, member] = await connectMany(transport, "creator", "member");
      const roomId = uid("evdel");
      await creator.ok("dialogue:createRoom", { id: roomId, name: "EvDel" });
      await creator.ok("dialogue:join", { roomId });
      await member.ok("dialogue:join", { roomId });
      creator.emit("dialogue:deleteRoom", { roomId });
      assert.deepEqual(await creator.next("dialogue:roomDeleted", (r) => r.roomId === roomId), { roomId });
      assert.deepEqual(await member.next("dialogue:roomDeleted", (r) => r.roomId === roomId), { roomId });
      assert.deepEqual(creator.received("dialogue:error"), []);
      await creator.refused("dialogue:getHistory", { roomId, eventName: "x" }, "ROOM_NOT_FOUND");
    });
  });
}
