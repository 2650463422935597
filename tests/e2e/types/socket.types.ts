// Type tests of the plain Socket.IO typings of the conformance app: a team
// that keeps its own socket.io-client types its socket with
// `Socket<ServerToClientEvents, ClientToServerEvents>`. Every right usage
// must compile, and every wrong usage, marked `// @ts-expect-error`, must
// be a compile error (else tsc reports the unused directive). Checked by
// `cargo test --test codegen_ts` (`tsc -p tests/e2e --noEmit`); never run.

import { io, type Socket } from "socket.io-client";
import type {
  ClientToServerEvents,
  HostChanged,
  Message,
  OrderUpdated,
  PresenceDiff,
  RoomInfo,
  ServerToClientEvents,
  Typing,
  WireError,
} from "../generated/dialogue.js";

/** Fails to compile unless `A` and `B` are the same type. */
type Equals<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function assertType<T extends true>(_: T): void {}

export function rightUsages(): void {
  const socket: Socket<ServerToClientEvents, ClientToServerEvents> = io("http://127.0.0.1:3000", {
    auth: { userId: "alice" },
    transports: ["websocket"],
  });

  socket.on("dialogue:connected", (greeting) => {
    const user: string = greeting.userId;
    void user;
  });
  // Events, discriminated by room and event name: the payload is typed.
  socket.on("dialogue:event", (message) => {
    if (message.roomId === "chat" && message.event === "message") {
      assertType<Equals<typeof message.data, Message>>(true);
    }
    if (message.roomId === "chat" && message.event === "typing") {
      assertType<Equals<typeof message.data, Typing>>(true);
    }
    if (message.roomId === "orders") {
      assertType<Equals<typeof message.data, OrderUpdated>>(true);
    }
    const seq: number = message.seq;
    void seq;
  });
  socket.on("dialogue:roomCreated", (room: RoomInfo) => void room.id);
  socket.on("dialogue:rooms", (rooms) => void rooms.length);
  socket.on("dialogue:presenceDiff", (diff: PresenceDiff) => void diff.joined);
  socket.on("dialogue:hostChanged", (change: HostChanged) => void change.hostId);
  socket.on("dialogue:error", (error: WireError) => void error.code);

  // Requests, in the event form and with an acknowledgement.
  socket.emit("dialogue:join", { roomId: "chat" });
  socket.emit("dialogue:join", { roomId: "lobby", since: { epoch: "e", seq: 3 } }, (answer) => {
    if (answer.ok) {
      const name: string = answer.roomName;
      void name;
    } else {
      const code: string = answer.error.code;
      void code;
    }
  });
  socket.emit("dialogue:trigger", { roomId: "chat", event: "message", data: { text: "hi", senderId: "a" } });
  socket.emit("dialogue:trigger", { roomId: "chat", event: "typing", data: { isTyping: true }, id: "t-1" }, (answer) => {
    if (answer.ok) void answer.message.seq;
  });
  socket.emit("dialogue:trigger", { roomId: "orders", event: "order:updated", data: { orderId: "o", status: "shipped" } });
  // A `*` room takes any event; a template instance its template's.
  socket.emit("dialogue:trigger", { roomId: "sandbox", event: "anything", data: { free: true } });
  socket.emit("dialogue:trigger", { roomId: "doc:readme", event: "typing", data: { isTyping: false } });
  socket.emit("dialogue:listRooms");
  socket.emit("dialogue:listRooms", (answer) => {
    if (answer.ok) void answer.rooms.length;
  });
  socket.emit("dialogue:request", { name: "add", data: { a: 1, b: 2 } }, (answer) => void answer);
  socket.emit("dialogue:createRoom", { id: "game", name: "Game", maxSize: 4 });
  socket.emit("dialogue:kick", { roomId: "game", userId: "bob", ban: true });
}

export function wrongUsages(socket: Socket<ServerToClientEvents, ClientToServerEvents>): void {
  // @ts-expect-error: a request the protocol does not have
  socket.emit("dialogue:joinRoom", { roomId: "chat" });
  // @ts-expect-error: join needs a roomId
  socket.emit("dialogue:join", {});
  // @ts-expect-error: an event the room does not carry
  socket.emit("dialogue:trigger", { roomId: "chat", event: "order:updated", data: { orderId: "o", status: "shipped" } });
  // @ts-expect-error: a payload of the wrong shape
  socket.emit("dialogue:trigger", { roomId: "chat", event: "message", data: { text: 1, senderId: "a" } });
  // @ts-expect-error: a value outside the enum
  socket.emit("dialogue:trigger", { roomId: "orders", event: "order:updated", data: { orderId: "o", status: "lost" } });
  // @ts-expect-error: a room that takes no events from clients
  socket.emit("dialogue:trigger", { roomId: "readonly", event: "message", data: { text: "hi", senderId: "a" } });
  // @ts-expect-error: not an instance of a declared template
  socket.emit("dialogue:trigger", { roomId: "docs:readme", event: "typing", data: { isTyping: true } });
  // @ts-expect-error: a request the app does not declare
  socket.emit("dialogue:request", { name: "multiply", data: { a: 1, b: 2 } });
  // @ts-expect-error: the payload of another request
  socket.emit("dialogue:request", { name: "add", data: {} });
  // @ts-expect-error: createRoom needs a name
  socket.emit("dialogue:createRoom", { id: "game" });
  // @ts-expect-error: an event the server never sends
  socket.on("dialogue:welcome", () => {});
  socket.on("dialogue:kicked", (notice) => {
    // @ts-expect-error: the notice has no host
    void notice.hostId;
  });
  socket.emit("dialogue:join", { roomId: "chat" }, (answer) => {
    // @ts-expect-error: an answer is checked for `ok` before its fields
    void answer.roomName;
  });
  socket.on("dialogue:event", (message) => {
    if (message.roomId === "chat" && message.event === "message") {
      // @ts-expect-error: a chat message's text is a string
      const n: number = message.data.text;
      void n;
    }
  });
}
