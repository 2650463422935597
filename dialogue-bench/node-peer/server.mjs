// The Node.js peer of dialogue-load: what a team would otherwise pick.
// npm socket.io 4.x, speaking just enough of the Dialogue event names:
// `dialogue:join` joins a room (any name, no checks), `dialogue:trigger`
// broadcasts the same envelope Dialogue sends ({event, roomId, data, from,
// timestamp, meta?}) with io.to(room).emit("dialogue:event", ...), the sender
// included when it is in the room. No validation, no history.
//
// Run: npm ci && PORT=3002 node server.mjs   (from dialogue-bench/node-peer)
// Prints `listening on http://127.0.0.1:PORT` once it accepts connections;
// stops on SIGINT/SIGTERM.

import { createServer } from "node:http";
import { Server } from "socket.io";

const port = Number(process.env.PORT ?? 3002);
const httpServer = createServer();
// RECOVERY=1: Socket.IO 4.6+'s connection state recovery (what a team
// would turn on to survive reconnects). BENCH_CUT=1: the reconnect
// benchmark's cut, below.
const recovery = process.env.RECOVERY === "1";
const benchCut = process.env.BENCH_CUT === "1";
const io = new Server(httpServer, {
  // The defaults, written out: no compression, both transports.
  perMessageDeflate: false,
  transports: ["polling", "websocket"],
  ...(recovery ? { connectionStateRecovery: { maxDisconnectionDuration: 2 * 60 * 1000, skipMiddlewares: true } } : {}),
});

io.on("connection", (socket) => {
  const auth = socket.handshake.auth ?? {};
  const userId = typeof auth.userId === "string" ? auth.userId : socket.id;
  socket.data.userId = userId;
  socket.emit("dialogue:connected", { clientId: socket.id, userId, recovered: socket.recovered });

  socket.on("dialogue:join", (request, ack) => {
    const roomId = request?.roomId;
    if (typeof roomId !== "string") return;
    socket.join(roomId);
    if (typeof ack === "function") {
      ack({ ok: true, roomId, roomName: roomId });
    } else {
      socket.emit("dialogue:joined", { roomId, roomName: roomId });
    }
  });

  socket.on("dialogue:leave", (request) => {
    const roomId = request?.roomId;
    if (typeof roomId !== "string") return;
    socket.leave(roomId);
    socket.emit("dialogue:left", { roomId });
  });

  socket.on("dialogue:trigger", (request) => {
    if (typeof request?.roomId !== "string" || typeof request?.event !== "string") return;
    if (benchCut && request.event === "bench:cut") {
      // Every `cut-` user's transport closes; with RECOVERY=1 their
      // sessions are kept and replayed when they come back.
      for (const other of io.sockets.sockets.values()) {
        if (String(other.data.userId).startsWith("cut-")) other.conn.close();
      }
      return;
    }
    const envelope = {
      event: request.event,
      roomId: request.roomId,
      data: request.data,
      from: userId,
      timestamp: Date.now(),
    };
    if (request.meta !== undefined) envelope.meta = request.meta;
    io.to(request.roomId).emit("dialogue:event", envelope);
  });
});

httpServer.listen(port, "127.0.0.1", () => {
  console.log(`listening on http://127.0.0.1:${httpServer.address().port}`);
});

const stop = () => {
  io.close();
  httpServer.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
