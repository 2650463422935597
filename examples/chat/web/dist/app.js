var __defProp = Object.defineProperty;
var __export = (target, all) => {
  for (var name in all)
    __defProp(target, name, { get: all[name], enumerable: true });
};

// node_modules/engine.io-parser/build/esm/commons.js
var PACKET_TYPES = /* @__PURE__ */ Object.create(null);
PACKET_TYPES["open"] = "0";
PACKET_TYPES["close"] = "1";
PACKET_TYPES["ping"] = "2";
PACKET_TYPES["pong"] = "3";
PACKET_TYPES["message"] = "4";
PACKET_TYPES["upgrade"] = "5";
PACKET_TYPES["noop"] = "6";
var PACKET_TYPES_REVERSE = /* @__PURE__ */ Object.create(null);
Object.keys(PACKET_TYPES).forEach((key) => {
  PACKET_TYPES_REVERSE[PACKET_TYPES[key]] = key;
});
var ERROR_PACKET = { type: "error", data: "parser error" };

// node_modules/engine.io-parser/build/esm/encodePacket.browser.js
var withNativeBlob = typeof Blob === "function" || typeof Blob !== "undefined" && Object.prototype.toString.call(Blob) === "[object BlobConstructor]";
var withNativeArrayBuffer = typeof ArrayBuffer === "function";
var isView = (obj) => {
  return typeof ArrayBuffer.isView === "function" ? ArrayBuffer.isView(obj) : obj && obj.buffer instanceof ArrayBuffer;
};
var encodePacket = ({ type, data }, supportsBinary, callback) => {
  if (withNativeBlob && data instanceof Blob) {
    if (supportsBinary) {
      return callback(data);
    } else {
      return encodeBlobAsBase64(data, callback);
    }
  } else if (withNativeArrayBuffer && (data instanceof ArrayBuffer || isView(data))) {
    if (supportsBinary) {
      return callback(data);
    } else {
      return encodeBlobAsBase64(new Blob([data]), callback);
    }
  }
  return callback(PACKET_TYPES[type] + (data || ""));
};
var encodeBlobAsBase64 = (data, callback) => {
  const fileReader = new FileReader();
  fileReader.onload = function() {
    const content = fileReader.result.split(",")[1];
    callback("b" + (content || ""));
  };
  return fileReader.readAsDataURL(data);
};
function toArray(data) {
  if (data instanceof Uint8Array) {
    return data;
  } else if (data instanceof ArrayBuffer) {
    return new Uint8Array(data);
  } else {
    return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  }
}
var TEXT_ENCODER;
function encodePacketToBinary(packet, callback) {
  if (withNativeBlob && packet.data instanceof Blob) {
    return packet.data.arrayBuffer().then(toArray).then(callback);
  } else if (withNativeArrayBuffer && (packet.data instanceof ArrayBuffer || isView(packet.data))) {
    return callback(toArray(packet.data));
  }
  encodePacket(packet, false, (encoded) => {
    if (!TEXT_ENCODER) {
      TEXT_ENCODER = new TextEncoder();
    }
    callback(TEXT_ENCODER.encode(encoded));
  });
}

// node_modules/engine.io-parser/build/esm/contrib/base64-arraybuffer.js
var chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
var lookup = typeof Uint8Array === "undefined" ? [] : new Uint8Array(256);
for (let i = 0; i < chars.length; i++) {
  lookup[chars.charCodeAt(i)] = i;
}
var decode = (base64) => {
  let bufferLength = base64.length * 0.75, len = base64.length, i, p = 0, encoded1, encoded2, encoded3, encoded4;
  if (base64[base64.length - 1] === "=") {
    bufferLength--;
    if (base64[base64.length - 2] === "=") {
      bufferLength--;
    }
  }
  const arraybuffer = new ArrayBuffer(bufferLength), bytes = new Uint8Array(arraybuffer);
  for (i = 0; i < len; i += 4) {
    encoded1 = lookup[base64.charCodeAt(i)];
    encoded2 = lookup[base64.charCodeAt(i + 1)];
    encoded3 = lookup[base64.charCodeAt(i + 2)];
    encoded4 = lookup[base64.charCodeAt(i + 3)];
    bytes[p++] = encoded1 << 2 | encoded2 >> 4;
    bytes[p++] = (encoded2 & 15) << 4 | encoded3 >> 2;
    bytes[p++] = (encoded3 & 3) << 6 | encoded4 & 63;
  }
  return arraybuffer;
};

// node_modules/engine.io-parser/build/esm/decodePacket.browser.js
var withNativeArrayBuffer2 = typeof ArrayBuffer === "function";
var decodePacket = (encodedPacket, binaryType) => {
  if (typeof encodedPacket !== "string") {
    return {
      type: "message",
      data: mapBinary(encodedPacket, binaryType)
    };
  }
  const type = encodedPacket.charAt(0);
  if (type === "b") {
    return {
      type: "message",
      data: decodeBase64Packet(encodedPacket.substring(1), binaryType)
    };
  }
  const packetType = PACKET_TYPES_REVERSE[type];
  if (!packetType) {
    return ERROR_PACKET;
  }
  return encodedPacket.length > 1 ? {
    type: PACKET_TYPES_REVERSE[type],
    data: encodedPacket.substring(1)
  } : {
    type: PACKET_TYPES_REVERSE[type]
  };
};
var decodeBase64Packet = (data, binaryType) => {
  if (withNativeArrayBuffer2) {
    const decoded = decode(data);
    return mapBinary(decoded, binaryType);
  } else {
    return { base64: true, data };
  }
};
var mapBinary = (data, binaryType) => {
  switch (binaryType) {
    case "blob":
      if (data instanceof Blob) {
        return data;
      } else {
        return new Blob([data]);
      }
    case "arraybuffer":
    default:
      if (data instanceof ArrayBuffer) {
        return data;
      } else {
        return data.buffer;
      }
  }
};

// node_modules/engine.io-parser/build/esm/index.js
var SEPARATOR = String.fromCharCode(30);
var encodePayload = (packets, callback) => {
  const length = packets.length;
  const encodedPackets = new Array(length);
  let count = 0;
  packets.forEach((packet, i) => {
    encodePacket(packet, false, (encodedPacket) => {
      encodedPackets[i] = encodedPacket;
      if (++count === length) {
        callback(encodedPackets.join(SEPARATOR));
      }
    });
  });
};
var decodePayload = (encodedPayload, binaryType) => {
  const encodedPackets = encodedPayload.split(SEPARATOR);
  const packets = [];
  for (let i = 0; i < encodedPackets.length; i++) {
    const decodedPacket = decodePacket(encodedPackets[i], binaryType);
    packets.push(decodedPacket);
    if (decodedPacket.type === "error") {
      break;
    }
  }
  return packets;
};
function createPacketEncoderStream() {
  return new TransformStream({
    transform(packet, controller) {
      encodePacketToBinary(packet, (encodedPacket) => {
        const payloadLength = encodedPacket.length;
        let header;
        if (payloadLength < 126) {
          header = new Uint8Array(1);
          new DataView(header.buffer).setUint8(0, payloadLength);
        } else if (payloadLength < 65536) {
          header = new Uint8Array(3);
          const view2 = new DataView(header.buffer);
          view2.setUint8(0, 126);
          view2.setUint16(1, payloadLength);
        } else {
          header = new Uint8Array(9);
          const view2 = new DataView(header.buffer);
          view2.setUint8(0, 127);
          view2.setBigUint64(1, BigInt(payloadLength));
        }
        if (packet.data && typeof packet.data !== "string") {
          header[0] |= 128;
        }
        controller.enqueue(header);
        controller.enqueue(encodedPacket);
      });
    }
  });
}
var TEXT_DECODER;
function totalLength(chunks) {
  return chunks.reduce((acc, chunk) => acc + chunk.length, 0);
}
function concatChunks(chunks, size) {
  if (chunks[0].length === size) {
    return chunks.shift();
  }
  const buffer = new Uint8Array(size);
  let j = 0;
  for (let i = 0; i < size; i++) {
    buffer[i] = chunks[0][j++];
    if (j === chunks[0].length) {
      chunks.shift();
      j = 0;
    }
  }
  if (chunks.length && j < chunks[0].length) {
    chunks[0] = chunks[0].slice(j);
  }
  return buffer;
}
function createPacketDecoderStream(maxPayload, binaryType) {
  if (!TEXT_DECODER) {
    TEXT_DECODER = new TextDecoder();
  }
  const chunks = [];
  let state = 0;
  let expectedLength = -1;
  let isBinary2 = false;
  return new TransformStream({
    transform(chunk, controller) {
      chunks.push(chunk);
      while (true) {
        if (state === 0) {
          if (totalLength(chunks) < 1) {
            break;
          }
          const header = concatChunks(chunks, 1);
          isBinary2 = (header[0] & 128) === 128;
          expectedLength = header[0] & 127;
          if (expectedLength < 126) {
            state = 3;
          } else if (expectedLength === 126) {
            state = 1;
          } else {
            state = 2;
          }
        } else if (state === 1) {
          if (totalLength(chunks) < 2) {
            break;
          }
          const headerArray = concatChunks(chunks, 2);
          expectedLength = new DataView(headerArray.buffer, headerArray.byteOffset, headerArray.length).getUint16(0);
          state = 3;
        } else if (state === 2) {
          if (totalLength(chunks) < 8) {
            break;
          }
          const headerArray = concatChunks(chunks, 8);
          const view2 = new DataView(headerArray.buffer, headerArray.byteOffset, headerArray.length);
          const n = view2.getUint32(0);
          if (n > Math.pow(2, 53 - 32) - 1) {
            controller.enqueue(ERROR_PACKET);
            break;
          }
          expectedLength = n * Math.pow(2, 32) + view2.getUint32(4);
          state = 3;
        } else {
          if (totalLength(chunks) < expectedLength) {
            break;
          }
          const data = concatChunks(chunks, expectedLength);
          controller.enqueue(decodePacket(isBinary2 ? data : TEXT_DECODER.decode(data), binaryType));
          state = 0;
        }
        if (expectedLength === 0 || expectedLength > maxPayload) {
          controller.enqueue(ERROR_PACKET);
          break;
        }
      }
    }
  });
}
var protocol = 4;

// node_modules/@socket.io/component-emitter/lib/esm/index.js
function Emitter(obj) {
  if (obj) return mixin(obj);
}
function mixin(obj) {
  for (var key in Emitter.prototype) {
    obj[key] = Emitter.prototype[key];
  }
  return obj;
}
Emitter.prototype.on = Emitter.prototype.addEventListener = function(event, fn) {
  this._callbacks = this._callbacks || {};
  (this._callbacks["$" + event] = this._callbacks["$" + event] || []).push(fn);
  return this;
};
Emitter.prototype.once = function(event, fn) {
  function on2() {
    this.off(event, on2);
    fn.apply(this, arguments);
  }
  on2.fn = fn;
  this.on(event, on2);
  return this;
};
Emitter.prototype.off = Emitter.prototype.removeListener = Emitter.prototype.removeAllListeners = Emitter.prototype.removeEventListener = function(event, fn) {
  this._callbacks = this._callbacks || {};
  if (0 == arguments.length) {
    this._callbacks = {};
    return this;
  }
  var callbacks = this._callbacks["$" + event];
  if (!callbacks) return this;
  if (1 == arguments.length) {
    delete this._callbacks["$" + event];
    return this;
  }
  var cb;
  for (var i = 0; i < callbacks.length; i++) {
    cb = callbacks[i];
    if (cb === fn || cb.fn === fn) {
      callbacks.splice(i, 1);
      break;
    }
  }
  if (callbacks.length === 0) {
    delete this._callbacks["$" + event];
  }
  return this;
};
Emitter.prototype.emit = function(event) {
  this._callbacks = this._callbacks || {};
  var args = new Array(arguments.length - 1), callbacks = this._callbacks["$" + event];
  for (var i = 1; i < arguments.length; i++) {
    args[i - 1] = arguments[i];
  }
  if (callbacks) {
    callbacks = callbacks.slice(0);
    for (var i = 0, len = callbacks.length; i < len; ++i) {
      callbacks[i].apply(this, args);
    }
  }
  return this;
};
Emitter.prototype.emitReserved = Emitter.prototype.emit;
Emitter.prototype.listeners = function(event) {
  this._callbacks = this._callbacks || {};
  return this._callbacks["$" + event] || [];
};
Emitter.prototype.hasListeners = function(event) {
  return !!this.listeners(event).length;
};

// node_modules/engine.io-client/build/esm/globals.js
var nextTick = (() => {
  const isPromiseAvailable = typeof Promise === "function" && typeof Promise.resolve === "function";
  if (isPromiseAvailable) {
    return (cb) => Promise.resolve().then(cb);
  } else {
    return (cb, setTimeoutFn) => setTimeoutFn(cb, 0);
  }
})();
var globalThisShim = (() => {
  if (typeof self !== "undefined") {
    return self;
  } else if (typeof window !== "undefined") {
    return window;
  } else {
    return Function("return this")();
  }
})();
var defaultBinaryType = "arraybuffer";
function createCookieJar() {
}

// node_modules/engine.io-client/build/esm/util.js
function pick(obj, ...attr) {
  return attr.reduce((acc, k) => {
    if (obj.hasOwnProperty(k)) {
      acc[k] = obj[k];
    }
    return acc;
  }, {});
}
var NATIVE_SET_TIMEOUT = globalThisShim.setTimeout;
var NATIVE_CLEAR_TIMEOUT = globalThisShim.clearTimeout;
function installTimerFunctions(obj, opts) {
  if (opts.useNativeTimers) {
    obj.setTimeoutFn = NATIVE_SET_TIMEOUT.bind(globalThisShim);
    obj.clearTimeoutFn = NATIVE_CLEAR_TIMEOUT.bind(globalThisShim);
  } else {
    obj.setTimeoutFn = globalThisShim.setTimeout.bind(globalThisShim);
    obj.clearTimeoutFn = globalThisShim.clearTimeout.bind(globalThisShim);
  }
}
var BASE64_OVERHEAD = 1.33;
function byteLength(obj) {
  if (typeof obj === "string") {
    return utf8Length(obj);
  }
  return Math.ceil((obj.byteLength || obj.size) * BASE64_OVERHEAD);
}
function utf8Length(str) {
  let c = 0, length = 0;
  for (let i = 0, l = str.length; i < l; i++) {
    c = str.charCodeAt(i);
    if (c < 128) {
      length += 1;
    } else if (c < 2048) {
      length += 2;
    } else if (c < 55296 || c >= 57344) {
      length += 3;
    } else {
      i++;
      length += 4;
    }
  }
  return length;
}
function randomString() {
  return Date.now().toString(36).substring(3) + Math.random().toString(36).substring(2, 5);
}

// node_modules/engine.io-client/build/esm/contrib/parseqs.js
function encode(obj) {
  let str = "";
  for (let i in obj) {
    if (obj.hasOwnProperty(i)) {
      if (str.length)
        str += "&";
      str += encodeURIComponent(i) + "=" + encodeURIComponent(obj[i]);
    }
  }
  return str;
}
function decode2(qs) {
  let qry = {};
  let pairs = qs.split("&");
  for (let i = 0, l = pairs.length; i < l; i++) {
    let pair = pairs[i].split("=");
    qry[decodeURIComponent(pair[0])] = decodeURIComponent(pair.slice(1).join("="));
  }
  return qry;
}

// node_modules/engine.io-client/build/esm/transport.js
var TransportError = class extends Error {
  constructor(reason, description, context) {
    super(reason);
    this.description = description;
    this.context = context;
    this.type = "TransportError";
  }
};
var Transport = class extends Emitter {
  /**
   * Transport abstract constructor.
   *
   * @param {Object} opts - options
   * @protected
   */
  constructor(opts) {
    super();
    this.writable = false;
    installTimerFunctions(this, opts);
    this.opts = opts;
    this.query = opts.query;
    this.socket = opts.socket;
    this.supportsBinary = !opts.forceBase64;
  }
  /**
   * Emits an error.
   *
   * @param {String} reason
   * @param description
   * @param context - the error context
   * @return {Transport} for chaining
   * @protected
   */
  onError(reason, description, context) {
    super.emitReserved("error", new TransportError(reason, description, context));
    return this;
  }
  /**
   * Opens the transport.
   */
  open() {
    this.readyState = "opening";
    this.doOpen();
    return this;
  }
  /**
   * Closes the transport.
   */
  close() {
    if (this.readyState === "opening" || this.readyState === "open") {
      this.doClose();
      this.onClose();
    }
    return this;
  }
  /**
   * Sends multiple packets.
   *
   * @param {Array} packets
   */
  send(packets) {
    if (this.readyState === "open") {
      this.write(packets);
    } else {
    }
  }
  /**
   * Called upon open
   *
   * @protected
   */
  onOpen() {
    this.readyState = "open";
    this.writable = true;
    super.emitReserved("open");
  }
  /**
   * Called with data.
   *
   * @param {String} data
   * @protected
   */
  onData(data) {
    const packet = decodePacket(data, this.socket.binaryType);
    this.onPacket(packet);
  }
  /**
   * Called with a decoded packet.
   *
   * @protected
   */
  onPacket(packet) {
    super.emitReserved("packet", packet);
  }
  /**
   * Called upon close.
   *
   * @protected
   */
  onClose(details) {
    this.readyState = "closed";
    super.emitReserved("close", details);
  }
  /**
   * Pauses the transport, in order not to lose packets during an upgrade.
   *
   * @param onPause
   */
  pause(onPause) {
  }
  createUri(schema, query = {}) {
    return schema + "://" + this._hostname() + this._port() + this.opts.path + this._query(query);
  }
  _hostname() {
    const hostname = this.opts.hostname;
    return hostname.indexOf(":") === -1 ? hostname : "[" + hostname + "]";
  }
  _port() {
    if (this.opts.port && (this.opts.secure && Number(this.opts.port) !== 443 || !this.opts.secure && Number(this.opts.port) !== 80)) {
      return ":" + this.opts.port;
    } else {
      return "";
    }
  }
  _query(query) {
    const encodedQuery = encode(query);
    return encodedQuery.length ? "?" + encodedQuery : "";
  }
};

// node_modules/engine.io-client/build/esm/transports/polling.js
var Polling = class extends Transport {
  constructor() {
    super(...arguments);
    this._polling = false;
  }
  get name() {
    return "polling";
  }
  /**
   * Opens the socket (triggers polling). We write a PING message to determine
   * when the transport is open.
   *
   * @protected
   */
  doOpen() {
    this._poll();
  }
  /**
   * Pauses polling.
   *
   * @param {Function} onPause - callback upon buffers are flushed and transport is paused
   * @package
   */
  pause(onPause) {
    this.readyState = "pausing";
    const pause = () => {
      this.readyState = "paused";
      onPause();
    };
    if (this._polling || !this.writable) {
      let total = 0;
      if (this._polling) {
        total++;
        this.once("pollComplete", function() {
          --total || pause();
        });
      }
      if (!this.writable) {
        total++;
        this.once("drain", function() {
          --total || pause();
        });
      }
    } else {
      pause();
    }
  }
  /**
   * Starts polling cycle.
   *
   * @private
   */
  _poll() {
    this._polling = true;
    this.doPoll();
    this.emitReserved("poll");
  }
  /**
   * Overloads onData to detect payloads.
   *
   * @protected
   */
  onData(data) {
    const callback = (packet) => {
      if ("opening" === this.readyState && packet.type === "open") {
        this.onOpen();
      }
      if ("close" === packet.type) {
        this.onClose({ description: "transport closed by the server" });
        return false;
      }
      this.onPacket(packet);
    };
    decodePayload(data, this.socket.binaryType).forEach(callback);
    if ("closed" !== this.readyState) {
      this._polling = false;
      this.emitReserved("pollComplete");
      if ("open" === this.readyState) {
        this._poll();
      } else {
      }
    }
  }
  /**
   * For polling, send a close packet.
   *
   * @protected
   */
  doClose() {
    const close = () => {
      this.write([{ type: "close" }]);
    };
    if ("open" === this.readyState) {
      close();
    } else {
      this.once("open", close);
    }
  }
  /**
   * Writes a packets payload.
   *
   * @param {Array} packets - data packets
   * @protected
   */
  write(packets) {
    this.writable = false;
    encodePayload(packets, (data) => {
      this.doWrite(data, () => {
        this.writable = true;
        this.emitReserved("drain");
      });
    });
  }
  /**
   * Generates uri for connection.
   *
   * @private
   */
  uri() {
    const schema = this.opts.secure ? "https" : "http";
    const query = this.query || {};
    if (false !== this.opts.timestampRequests) {
      query[this.opts.timestampParam] = randomString();
    }
    if (!this.supportsBinary && !query.sid) {
      query.b64 = 1;
    }
    return this.createUri(schema, query);
  }
};

// node_modules/engine.io-client/build/esm/contrib/has-cors.js
var value = false;
try {
  value = typeof XMLHttpRequest !== "undefined" && "withCredentials" in new XMLHttpRequest();
} catch (err) {
}
var hasCORS = value;

// node_modules/engine.io-client/build/esm/transports/polling-xhr.js
function empty() {
}
var BaseXHR = class extends Polling {
  /**
   * XHR Polling constructor.
   *
   * @param {Object} opts
   * @package
   */
  constructor(opts) {
    super(opts);
    if (typeof location !== "undefined") {
      const isSSL = "https:" === location.protocol;
      let port = location.port;
      if (!port) {
        port = isSSL ? "443" : "80";
      }
      this.xd = typeof location !== "undefined" && opts.hostname !== location.hostname || port !== opts.port;
    }
  }
  /**
   * Sends data.
   *
   * @param {String} data - data to send.
   * @param {Function} fn - called upon flush.
   * @private
   */
  doWrite(data, fn) {
    const req = this.request({
      method: "POST",
      data
    });
    req.on("success", fn);
    req.on("error", (xhrStatus, context) => {
      this.onError("xhr post error", xhrStatus, context);
    });
  }
  /**
   * Starts a poll cycle.
   *
   * @private
   */
  doPoll() {
    const req = this.request();
    req.on("data", this.onData.bind(this));
    req.on("error", (xhrStatus, context) => {
      this.onError("xhr poll error", xhrStatus, context);
    });
    this.pollXhr = req;
  }
};
var Request = class _Request extends Emitter {
  /**
   * Request constructor
   *
   * @param {Object} options
   * @package
   */
  constructor(createRequest, uri, opts) {
    super();
    this.createRequest = createRequest;
    installTimerFunctions(this, opts);
    this._opts = opts;
    this._method = opts.method || "GET";
    this._uri = uri;
    this._data = void 0 !== opts.data ? opts.data : null;
    this._create();
  }
  /**
   * Creates the XHR object and sends the request.
   *
   * @private
   */
  _create() {
    var _a;
    const opts = pick(this._opts, "agent", "pfx", "key", "passphrase", "cert", "ca", "ciphers", "rejectUnauthorized", "autoUnref");
    opts.xdomain = !!this._opts.xd;
    const xhr = this._xhr = this.createRequest(opts);
    try {
      xhr.open(this._method, this._uri, true);
      try {
        if (this._opts.extraHeaders) {
          xhr.setDisableHeaderCheck && xhr.setDisableHeaderCheck(true);
          for (let i in this._opts.extraHeaders) {
            if (this._opts.extraHeaders.hasOwnProperty(i)) {
              xhr.setRequestHeader(i, this._opts.extraHeaders[i]);
            }
          }
        }
      } catch (e) {
      }
      if ("POST" === this._method) {
        try {
          xhr.setRequestHeader("Content-type", "text/plain;charset=UTF-8");
        } catch (e) {
        }
      }
      try {
        xhr.setRequestHeader("Accept", "*/*");
      } catch (e) {
      }
      (_a = this._opts.cookieJar) === null || _a === void 0 ? void 0 : _a.addCookies(xhr);
      if ("withCredentials" in xhr) {
        xhr.withCredentials = this._opts.withCredentials;
      }
      if (this._opts.requestTimeout) {
        xhr.timeout = this._opts.requestTimeout;
      }
      xhr.onreadystatechange = () => {
        var _a2;
        if (xhr.readyState === 3) {
          (_a2 = this._opts.cookieJar) === null || _a2 === void 0 ? void 0 : _a2.parseCookies(
            // @ts-ignore
            xhr.getResponseHeader("set-cookie")
          );
        }
        if (4 !== xhr.readyState)
          return;
        if (200 === xhr.status || 1223 === xhr.status) {
          this._onLoad();
        } else {
          this.setTimeoutFn(() => {
            this._onError(typeof xhr.status === "number" ? xhr.status : 0);
          }, 0);
        }
      };
      xhr.send(this._data);
    } catch (e) {
      this.setTimeoutFn(() => {
        this._onError(e);
      }, 0);
      return;
    }
    if (typeof document !== "undefined") {
      this._index = _Request.requestsCount++;
      _Request.requests[this._index] = this;
    }
  }
  /**
   * Called upon error.
   *
   * @private
   */
  _onError(err) {
    this.emitReserved("error", err, this._xhr);
    this._cleanup(true);
  }
  /**
   * Cleans up house.
   *
   * @private
   */
  _cleanup(fromError) {
    if ("undefined" === typeof this._xhr || null === this._xhr) {
      return;
    }
    this._xhr.onreadystatechange = empty;
    if (fromError) {
      try {
        this._xhr.abort();
      } catch (e) {
      }
    }
    if (typeof document !== "undefined") {
      delete _Request.requests[this._index];
    }
    this._xhr = null;
  }
  /**
   * Called upon load.
   *
   * @private
   */
  _onLoad() {
    const data = this._xhr.responseText;
    if (data !== null) {
      this.emitReserved("data", data);
      this.emitReserved("success");
      this._cleanup();
    }
  }
  /**
   * Aborts the request.
   *
   * @package
   */
  abort() {
    this._cleanup();
  }
};
Request.requestsCount = 0;
Request.requests = {};
if (typeof document !== "undefined") {
  if (typeof attachEvent === "function") {
    attachEvent("onunload", unloadHandler);
  } else if (typeof addEventListener === "function") {
    const terminationEvent = "onpagehide" in globalThisShim ? "pagehide" : "unload";
    addEventListener(terminationEvent, unloadHandler, false);
  }
}
function unloadHandler() {
  for (let i in Request.requests) {
    if (Request.requests.hasOwnProperty(i)) {
      Request.requests[i].abort();
    }
  }
}
var hasXHR2 = (function() {
  const xhr = newRequest({
    xdomain: false
  });
  return xhr && xhr.responseType !== null;
})();
var XHR = class extends BaseXHR {
  constructor(opts) {
    super(opts);
    const forceBase64 = opts && opts.forceBase64;
    this.supportsBinary = hasXHR2 && !forceBase64;
  }
  request(opts = {}) {
    Object.assign(opts, { xd: this.xd }, this.opts);
    return new Request(newRequest, this.uri(), opts);
  }
};
function newRequest(opts) {
  const xdomain = opts.xdomain;
  try {
    if ("undefined" !== typeof XMLHttpRequest && (!xdomain || hasCORS)) {
      return new XMLHttpRequest();
    }
  } catch (e) {
  }
  if (!xdomain) {
    try {
      return new globalThisShim[["Active"].concat("Object").join("X")]("Microsoft.XMLHTTP");
    } catch (e) {
    }
  }
}

// node_modules/engine.io-client/build/esm/transports/websocket.js
var isReactNative = typeof navigator !== "undefined" && typeof navigator.product === "string" && navigator.product.toLowerCase() === "reactnative";
var BaseWS = class extends Transport {
  get name() {
    return "websocket";
  }
  doOpen() {
    const uri = this.uri();
    const protocols = this.opts.protocols;
    const opts = isReactNative ? {} : pick(this.opts, "agent", "perMessageDeflate", "pfx", "key", "passphrase", "cert", "ca", "ciphers", "rejectUnauthorized", "localAddress", "protocolVersion", "origin", "maxPayload", "family", "checkServerIdentity");
    if (this.opts.extraHeaders) {
      opts.headers = this.opts.extraHeaders;
    }
    try {
      this.ws = this.createSocket(uri, protocols, opts);
    } catch (err) {
      return this.emitReserved("error", err);
    }
    this.ws.binaryType = this.socket.binaryType;
    this.addEventListeners();
  }
  /**
   * Adds event listeners to the socket
   *
   * @private
   */
  addEventListeners() {
    this.ws.onopen = () => {
      if (this.opts.autoUnref) {
        this.ws._socket.unref();
      }
      this.onOpen();
    };
    this.ws.onclose = (closeEvent) => this.onClose({
      description: "websocket connection closed",
      context: closeEvent
    });
    this.ws.onmessage = (ev) => this.onData(ev.data);
    this.ws.onerror = (e) => this.onError("websocket error", e);
  }
  write(packets) {
    this.writable = false;
    for (let i = 0; i < packets.length; i++) {
      const packet = packets[i];
      const lastPacket = i === packets.length - 1;
      encodePacket(packet, this.supportsBinary, (data) => {
        try {
          this.doWrite(packet, data);
        } catch (e) {
        }
        if (lastPacket) {
          nextTick(() => {
            this.writable = true;
            this.emitReserved("drain");
          }, this.setTimeoutFn);
        }
      });
    }
  }
  doClose() {
    if (typeof this.ws !== "undefined") {
      this.ws.onerror = () => {
      };
      this.ws.close();
      this.ws = null;
    }
  }
  /**
   * Generates uri for connection.
   *
   * @private
   */
  uri() {
    const schema = this.opts.secure ? "wss" : "ws";
    const query = this.query || {};
    if (this.opts.timestampRequests) {
      query[this.opts.timestampParam] = randomString();
    }
    if (!this.supportsBinary) {
      query.b64 = 1;
    }
    return this.createUri(schema, query);
  }
};
var WebSocketCtor = globalThisShim.WebSocket || globalThisShim.MozWebSocket;
var WS = class extends BaseWS {
  createSocket(uri, protocols, opts) {
    return !isReactNative ? protocols ? new WebSocketCtor(uri, protocols) : new WebSocketCtor(uri) : new WebSocketCtor(uri, protocols, opts);
  }
  doWrite(_packet, data) {
    this.ws.send(data);
  }
};

// node_modules/engine.io-client/build/esm/transports/webtransport.js
var WT = class extends Transport {
  get name() {
    return "webtransport";
  }
  doOpen() {
    try {
      this._transport = new WebTransport(this.createUri("https"), this.opts.transportOptions[this.name]);
    } catch (err) {
      return this.emitReserved("error", err);
    }
    this._transport.closed.then(() => {
      this.onClose();
    }).catch((err) => {
      this.onError("webtransport error", err);
    });
    this._transport.ready.then(() => {
      this._transport.createBidirectionalStream().then((stream) => {
        const decoderStream = createPacketDecoderStream(Number.MAX_SAFE_INTEGER, this.socket.binaryType);
        const reader = stream.readable.pipeThrough(decoderStream).getReader();
        const encoderStream = createPacketEncoderStream();
        encoderStream.readable.pipeTo(stream.writable);
        this._writer = encoderStream.writable.getWriter();
        const read = () => {
          reader.read().then(({ done, value: value2 }) => {
            if (done) {
              return;
            }
            this.onPacket(value2);
            read();
          }).catch((err) => {
          });
        };
        read();
        const packet = { type: "open" };
        if (this.query.sid) {
          packet.data = `{"sid":"${this.query.sid}"}`;
        }
        this._writer.write(packet).then(() => this.onOpen());
      });
    });
  }
  write(packets) {
    this.writable = false;
    for (let i = 0; i < packets.length; i++) {
      const packet = packets[i];
      const lastPacket = i === packets.length - 1;
      this._writer.write(packet).then(() => {
        if (lastPacket) {
          nextTick(() => {
            this.writable = true;
            this.emitReserved("drain");
          }, this.setTimeoutFn);
        }
      });
    }
  }
  doClose() {
    var _a;
    (_a = this._transport) === null || _a === void 0 ? void 0 : _a.close();
  }
};

// node_modules/engine.io-client/build/esm/transports/index.js
var transports = {
  websocket: WS,
  webtransport: WT,
  polling: XHR
};

// node_modules/engine.io-client/build/esm/contrib/parseuri.js
var re = /^(?:(?![^:@\/?#]+:[^:@\/]*@)(http|https|ws|wss):\/\/)?((?:(([^:@\/?#]*)(?::([^:@\/?#]*))?)?@)?((?:[a-f0-9]{0,4}:){2,7}[a-f0-9]{0,4}|[^:\/?#]*)(?::(\d*))?)(((\/(?:[^?#](?![^?#\/]*\.[^?#\/.]+(?:[?#]|$)))*\/?)?([^?#\/]*))(?:\?([^#]*))?(?:#(.*))?)/;
var parts = [
  "source",
  "protocol",
  "authority",
  "userInfo",
  "user",
  "password",
  "host",
  "port",
  "relative",
  "path",
  "directory",
  "file",
  "query",
  "anchor"
];
function parse(str) {
  if (str.length > 8e3) {
    throw "URI too long";
  }
  const src = str, b = str.indexOf("["), e = str.indexOf("]");
  if (b != -1 && e != -1) {
    str = str.substring(0, b) + str.substring(b, e).replace(/:/g, ";") + str.substring(e, str.length);
  }
  let m = re.exec(str || ""), uri = {}, i = 14;
  while (i--) {
    uri[parts[i]] = m[i] || "";
  }
  if (b != -1 && e != -1) {
    uri.source = src;
    uri.host = uri.host.substring(1, uri.host.length - 1).replace(/;/g, ":");
    uri.authority = uri.authority.replace("[", "").replace("]", "").replace(/;/g, ":");
    uri.ipv6uri = true;
  }
  uri.pathNames = pathNames(uri, uri["path"]);
  uri.queryKey = queryKey(uri, uri["query"]);
  return uri;
}
function pathNames(obj, path) {
  const regx = /\/{2,9}/g, names = path.replace(regx, "/").split("/");
  if (path.slice(0, 1) == "/" || path.length === 0) {
    names.splice(0, 1);
  }
  if (path.slice(-1) == "/") {
    names.splice(names.length - 1, 1);
  }
  return names;
}
function queryKey(uri, query) {
  const data = {};
  query.replace(/(?:^|&)([^&=]*)=?([^&]*)/g, function($0, $1, $2) {
    if ($1) {
      data[$1] = $2;
    }
  });
  return data;
}

// node_modules/engine.io-client/build/esm/socket.js
var withEventListeners = typeof addEventListener === "function" && typeof removeEventListener === "function";
var OFFLINE_EVENT_LISTENERS = [];
if (withEventListeners) {
  addEventListener("offline", () => {
    OFFLINE_EVENT_LISTENERS.forEach((listener) => listener());
  }, false);
}
var Socket = class _Socket extends Emitter {
  constructor(uri, opts = {}) {
    var _a, _b;
    super();
    this.binaryType = defaultBinaryType;
    this.writeBuffer = [];
    this._prevBufferLen = 0;
    this._upgrades = [];
    this._pingInterval = -1;
    this._pingTimeout = -1;
    this._maxPayload = -1;
    this._pingTimeoutTime = Infinity;
    if (uri && "object" === typeof uri) {
      opts = uri;
      uri = null;
    }
    if (uri) {
      const parsedUri = parse(uri);
      opts.hostname = parsedUri.host;
      opts.secure = parsedUri.protocol === "https" || parsedUri.protocol === "wss";
      opts.port = parsedUri.port;
      if (parsedUri.query)
        opts.query = parsedUri.query;
    } else if (opts.host) {
      opts.hostname = parse(opts.host).host;
    }
    installTimerFunctions(this, opts);
    this.secure = null != opts.secure ? opts.secure : typeof location !== "undefined" && "https:" === location.protocol;
    if (opts.hostname && !opts.port) {
      opts.port = this.secure ? "443" : "80";
    }
    this.hostname = opts.hostname || (typeof location !== "undefined" ? location.hostname : "localhost");
    this.port = opts.port || (typeof location !== "undefined" && location.port ? location.port : this.secure ? "443" : "80");
    if (opts.transportImplementations && opts.transports) {
      throw new Error("specifying both 'transportImplementations' and 'transports' options is not supported");
    }
    if (opts.transportImplementations || ((_a = opts.transports) === null || _a === void 0 ? void 0 : _a.length) && typeof opts.transports[0] === "function") {
      this.transports = [];
      this._transportsByName = /* @__PURE__ */ Object.create(null);
      ((_b = opts.transportImplementations) !== null && _b !== void 0 ? _b : opts.transports).forEach((t) => {
        const transportName = t.prototype.name;
        this.transports.push(transportName);
        this._transportsByName[transportName] = t;
      });
    } else {
      this.transports = opts.transports ? [...opts.transports] : ["polling", "websocket", "webtransport"];
      this._transportsByName = transports;
    }
    this.opts = Object.assign({
      path: "/engine.io",
      agent: false,
      withCredentials: false,
      upgrade: true,
      timestampParam: "t",
      rememberUpgrade: false,
      addTrailingSlash: true,
      rejectUnauthorized: true,
      perMessageDeflate: {
        threshold: 1024
      },
      transportOptions: {},
      closeOnBeforeunload: false
    }, opts);
    this.opts.path = this.opts.path.replace(/\/$/, "") + (this.opts.addTrailingSlash ? "/" : "");
    if (typeof this.opts.query === "string") {
      this.opts.query = decode2(this.opts.query);
    }
    if (withEventListeners) {
      if (this.opts.closeOnBeforeunload) {
        this._beforeunloadEventListener = () => {
          if (this.transport) {
            this.transport.removeAllListeners();
            this.transport.close();
          }
        };
        addEventListener("beforeunload", this._beforeunloadEventListener, false);
      }
      if (this.hostname !== "localhost") {
        this._offlineEventListener = () => {
          this._onClose("transport close", {
            description: "network connection lost"
          });
        };
        OFFLINE_EVENT_LISTENERS.push(this._offlineEventListener);
      }
    }
    if (this.opts.withCredentials) {
      this._cookieJar = createCookieJar();
    }
    this._open();
  }
  /**
   * Creates transport of the given type.
   *
   * @param {String} name - transport name
   * @return {Transport}
   * @private
   */
  createTransport(name) {
    const query = Object.assign({}, this.opts.query);
    query.EIO = protocol;
    query.transport = name;
    if (this.id)
      query.sid = this.id;
    const opts = Object.assign({}, this.opts, {
      query,
      socket: this,
      hostname: this.hostname,
      secure: this.secure,
      port: this.port
    }, this.opts.transportOptions[name]);
    return new this._transportsByName[name](opts);
  }
  /**
   * Initializes transport to use and starts probe.
   *
   * @private
   */
  _open() {
    if (this.transports.length === 0) {
      this.setTimeoutFn(() => {
        this.emitReserved("error", "No transports available");
      }, 0);
      return;
    }
    const transportName = this.opts.rememberUpgrade && _Socket.priorWebsocketSuccess && this.transports.indexOf("websocket") !== -1 ? "websocket" : this.transports[0];
    this.readyState = "opening";
    const transport = this.createTransport(transportName);
    transport.open();
    this.setTransport(transport);
  }
  /**
   * Sets the current transport. Disables the existing one (if any).
   *
   * @private
   */
  setTransport(transport) {
    if (this.transport) {
      this.transport.removeAllListeners();
    }
    this.transport = transport;
    transport.on("drain", this._onDrain.bind(this)).on("packet", this._onPacket.bind(this)).on("error", this._onError.bind(this)).on("close", (reason) => this._onClose("transport close", reason));
  }
  /**
   * Probes a transport.
   *
   * @param {String} name - transport name
   * @private
   */
  _probe(name) {
    let transport = this.createTransport(name);
    let failed = false;
    _Socket.priorWebsocketSuccess = false;
    const onTransportOpen = () => {
      if (failed)
        return;
      transport.send([{ type: "ping", data: "probe" }]);
      transport.once("packet", (msg) => {
        if (failed)
          return;
        if ("pong" === msg.type && "probe" === msg.data) {
          this.upgrading = true;
          this.emitReserved("upgrading", transport);
          if (!transport)
            return;
          _Socket.priorWebsocketSuccess = "websocket" === transport.name;
          this.transport.pause(() => {
            if (failed)
              return;
            if ("closed" === this.readyState)
              return;
            cleanup();
            this.setTransport(transport);
            transport.send([{ type: "upgrade" }]);
            this.emitReserved("upgrade", transport);
            transport = null;
            this.upgrading = false;
            this.flush();
          });
        } else {
          const err = new Error("probe error");
          err.transport = transport.name;
          this.emitReserved("upgradeError", err);
        }
      });
    };
    function freezeTransport() {
      if (failed)
        return;
      failed = true;
      cleanup();
      transport.close();
      transport = null;
    }
    const onerror = (err) => {
      const error = new Error("probe error: " + err);
      error.transport = transport.name;
      freezeTransport();
      this.emitReserved("upgradeError", error);
    };
    function onTransportClose() {
      onerror("transport closed");
    }
    function onclose() {
      onerror("socket closed");
    }
    function onupgrade(to) {
      if (transport && to.name !== transport.name) {
        freezeTransport();
      }
    }
    const cleanup = () => {
      transport.removeListener("open", onTransportOpen);
      transport.removeListener("error", onerror);
      transport.removeListener("close", onTransportClose);
      this.off("close", onclose);
      this.off("upgrading", onupgrade);
    };
    transport.once("open", onTransportOpen);
    transport.once("error", onerror);
    transport.once("close", onTransportClose);
    this.once("close", onclose);
    this.once("upgrading", onupgrade);
    if (this._upgrades.indexOf("webtransport") !== -1 && name !== "webtransport") {
      this.setTimeoutFn(() => {
        if (!failed) {
          transport.open();
        }
      }, 200);
    } else {
      transport.open();
    }
  }
  /**
   * Called when connection is deemed open.
   *
   * @private
   */
  onOpen() {
    this.readyState = "open";
    _Socket.priorWebsocketSuccess = "websocket" === this.transport.name;
    this.emitReserved("open");
    this.flush();
    if ("open" === this.readyState && this.opts.upgrade) {
      for (let i = 0; i < this._upgrades.length; i++) {
        this._probe(this._upgrades[i]);
      }
    }
  }
  /**
   * Handles a packet.
   *
   * @private
   */
  _onPacket(packet) {
    if ("opening" === this.readyState || "open" === this.readyState || "closing" === this.readyState) {
      this.emitReserved("packet", packet);
      this.emitReserved("heartbeat");
      switch (packet.type) {
        case "open":
          this.onHandshake(JSON.parse(packet.data));
          break;
        case "ping":
          this._sendPacket("pong");
          this.emitReserved("ping");
          this.emitReserved("pong");
          this._resetPingTimeout();
          break;
        case "error":
          const err = new Error("server error");
          err.code = packet.data;
          this._onError(err);
          break;
        case "message":
          this.emitReserved("data", packet.data);
          this.emitReserved("message", packet.data);
          break;
      }
    } else {
    }
  }
  /**
   * Called upon handshake completion.
   *
   * @param {Object} data - handshake obj
   * @private
   */
  onHandshake(data) {
    this.emitReserved("handshake", data);
    this.id = data.sid;
    this.transport.query.sid = data.sid;
    this._upgrades = this._filterUpgrades(data.upgrades);
    this._pingInterval = data.pingInterval;
    this._pingTimeout = data.pingTimeout;
    this._maxPayload = data.maxPayload;
    this.onOpen();
    if ("closed" === this.readyState)
      return;
    this._resetPingTimeout();
  }
  /**
   * Sets and resets ping timeout timer based on server pings.
   *
   * @private
   */
  _resetPingTimeout() {
    this.clearTimeoutFn(this._pingTimeoutTimer);
    const delay = this._pingInterval + this._pingTimeout;
    this._pingTimeoutTime = Date.now() + delay;
    this._pingTimeoutTimer = this.setTimeoutFn(() => {
      this._onClose("ping timeout");
    }, delay);
    if (this.opts.autoUnref) {
      this._pingTimeoutTimer.unref();
    }
  }
  /**
   * Called on `drain` event
   *
   * @private
   */
  _onDrain() {
    this.writeBuffer.splice(0, this._prevBufferLen);
    this._prevBufferLen = 0;
    if (0 === this.writeBuffer.length) {
      this.emitReserved("drain");
    } else {
      this.flush();
    }
  }
  /**
   * Flush write buffers.
   *
   * @private
   */
  flush() {
    if ("closed" !== this.readyState && this.transport.writable && !this.upgrading && this.writeBuffer.length) {
      const packets = this._getWritablePackets();
      this.transport.send(packets);
      this._prevBufferLen = packets.length;
      this.emitReserved("flush");
    }
  }
  /**
   * Ensure the encoded size of the writeBuffer is below the maxPayload value sent by the server (only for HTTP
   * long-polling)
   *
   * @private
   */
  _getWritablePackets() {
    const shouldCheckPayloadSize = this._maxPayload && this.transport.name === "polling" && this.writeBuffer.length > 1;
    if (!shouldCheckPayloadSize) {
      return this.writeBuffer;
    }
    let payloadSize = 1;
    for (let i = 0; i < this.writeBuffer.length; i++) {
      const data = this.writeBuffer[i].data;
      if (data) {
        payloadSize += byteLength(data);
      }
      if (i > 0 && payloadSize > this._maxPayload) {
        return this.writeBuffer.slice(0, i);
      }
      payloadSize += 2;
    }
    return this.writeBuffer;
  }
  /**
   * Checks whether the heartbeat timer has expired but the socket has not yet been notified.
   *
   * Note: this method is private for now because it does not really fit the WebSocket API, but if we put it in the
   * `write()` method then the message would not be buffered by the Socket.IO client.
   *
   * @return {boolean}
   * @private
   */
  /* private */
  _hasPingExpired() {
    if (!this._pingTimeoutTime)
      return true;
    const hasExpired = Date.now() > this._pingTimeoutTime;
    if (hasExpired) {
      this._pingTimeoutTime = 0;
      nextTick(() => {
        this._onClose("ping timeout");
      }, this.setTimeoutFn);
    }
    return hasExpired;
  }
  /**
   * Sends a message.
   *
   * @param {String} msg - message.
   * @param {Object} options.
   * @param {Function} fn - callback function.
   * @return {Socket} for chaining.
   */
  write(msg, options, fn) {
    this._sendPacket("message", msg, options, fn);
    return this;
  }
  /**
   * Sends a message. Alias of {@link Socket#write}.
   *
   * @param {String} msg - message.
   * @param {Object} options.
   * @param {Function} fn - callback function.
   * @return {Socket} for chaining.
   */
  send(msg, options, fn) {
    this._sendPacket("message", msg, options, fn);
    return this;
  }
  /**
   * Sends a packet.
   *
   * @param {String} type - packet type.
   * @param {String} data.
   * @param {Object} options.
   * @param {Function} fn - callback function.
   * @private
   */
  _sendPacket(type, data, options, fn) {
    if ("function" === typeof data) {
      fn = data;
      data = void 0;
    }
    if ("function" === typeof options) {
      fn = options;
      options = null;
    }
    if ("closing" === this.readyState || "closed" === this.readyState) {
      return;
    }
    options = options || {};
    options.compress = false !== options.compress;
    const packet = {
      type,
      data,
      options
    };
    this.emitReserved("packetCreate", packet);
    this.writeBuffer.push(packet);
    if (fn)
      this.once("flush", fn);
    this.flush();
  }
  /**
   * Closes the connection.
   */
  close() {
    const close = () => {
      this._onClose("forced close");
      this.transport.close();
    };
    const cleanupAndClose = () => {
      this.off("upgrade", cleanupAndClose);
      this.off("upgradeError", cleanupAndClose);
      close();
    };
    const waitForUpgrade = () => {
      this.once("upgrade", cleanupAndClose);
      this.once("upgradeError", cleanupAndClose);
    };
    if ("opening" === this.readyState || "open" === this.readyState) {
      this.readyState = "closing";
      if (this.writeBuffer.length) {
        this.once("drain", () => {
          if (this.upgrading) {
            waitForUpgrade();
          } else {
            close();
          }
        });
      } else if (this.upgrading) {
        waitForUpgrade();
      } else {
        close();
      }
    }
    return this;
  }
  /**
   * Called upon transport error
   *
   * @private
   */
  _onError(err) {
    _Socket.priorWebsocketSuccess = false;
    if (this.opts.tryAllTransports && this.transports.length > 1 && this.readyState === "opening") {
      this.transports.shift();
      return this._open();
    }
    this.emitReserved("error", err);
    this._onClose("transport error", err);
  }
  /**
   * Called upon transport close.
   *
   * @private
   */
  _onClose(reason, description) {
    if ("opening" === this.readyState || "open" === this.readyState || "closing" === this.readyState) {
      this.clearTimeoutFn(this._pingTimeoutTimer);
      this.transport.removeAllListeners("close");
      this.transport.close();
      this.transport.removeAllListeners();
      if (withEventListeners) {
        if (this._beforeunloadEventListener) {
          removeEventListener("beforeunload", this._beforeunloadEventListener, false);
        }
        if (this._offlineEventListener) {
          const i = OFFLINE_EVENT_LISTENERS.indexOf(this._offlineEventListener);
          if (i !== -1) {
            OFFLINE_EVENT_LISTENERS.splice(i, 1);
          }
        }
      }
      this.readyState = "closed";
      this.id = null;
      this.emitReserved("close", reason, description);
      this.writeBuffer = [];
      this._prevBufferLen = 0;
    }
  }
  /**
   * Filters upgrades, returning only those matching client transports.
   *
   * @param {Array} upgrades - server upgrades
   * @private
   */
  _filterUpgrades(upgrades) {
    const filteredUpgrades = [];
    for (let i = 0; i < upgrades.length; i++) {
      if (~this.transports.indexOf(upgrades[i]))
        filteredUpgrades.push(upgrades[i]);
    }
    return filteredUpgrades;
  }
};
Socket.protocol = protocol;

// node_modules/engine.io-client/build/esm/index.js
var protocol2 = Socket.protocol;

// node_modules/socket.io-client/build/esm/url.js
function url(uri, path = "", loc) {
  let obj = uri;
  loc = loc || typeof location !== "undefined" && location;
  if (null == uri)
    uri = loc.protocol + "//" + loc.host;
  if (typeof uri === "string") {
    if ("/" === uri.charAt(0)) {
      if ("/" === uri.charAt(1)) {
        uri = loc.protocol + uri;
      } else {
        uri = loc.host + uri;
      }
    }
    if (!/^(https?|wss?):\/\//.test(uri)) {
      if ("undefined" !== typeof loc) {
        uri = loc.protocol + "//" + uri;
      } else {
        uri = "https://" + uri;
      }
    }
    obj = parse(uri);
  }
  if (!obj.port) {
    if (/^(http|ws)$/.test(obj.protocol)) {
      obj.port = "80";
    } else if (/^(http|ws)s$/.test(obj.protocol)) {
      obj.port = "443";
    }
  }
  obj.path = obj.path || "/";
  const ipv6 = obj.host.indexOf(":") !== -1;
  const host = ipv6 ? "[" + obj.host + "]" : obj.host;
  obj.id = obj.protocol + "://" + host + ":" + obj.port + path;
  obj.href = obj.protocol + "://" + host + (loc && loc.port === obj.port ? "" : ":" + obj.port);
  return obj;
}

// node_modules/socket.io-parser/build/esm/index.js
var esm_exports = {};
__export(esm_exports, {
  Decoder: () => Decoder,
  Encoder: () => Encoder,
  PacketType: () => PacketType,
  isPacketValid: () => isPacketValid,
  protocol: () => protocol3
});

// node_modules/socket.io-parser/build/esm/is-binary.js
var withNativeArrayBuffer3 = typeof ArrayBuffer === "function";
var isView2 = (obj) => {
  return typeof ArrayBuffer.isView === "function" ? ArrayBuffer.isView(obj) : obj.buffer instanceof ArrayBuffer;
};
var toString = Object.prototype.toString;
var withNativeBlob2 = typeof Blob === "function" || typeof Blob !== "undefined" && toString.call(Blob) === "[object BlobConstructor]";
var withNativeFile = typeof File === "function" || typeof File !== "undefined" && toString.call(File) === "[object FileConstructor]";
function isBinary(obj) {
  return withNativeArrayBuffer3 && (obj instanceof ArrayBuffer || isView2(obj)) || withNativeBlob2 && obj instanceof Blob || withNativeFile && obj instanceof File;
}
function hasBinary(obj, toJSON) {
  if (!obj || typeof obj !== "object") {
    return false;
  }
  if (Array.isArray(obj)) {
    for (let i = 0, l = obj.length; i < l; i++) {
      if (hasBinary(obj[i])) {
        return true;
      }
    }
    return false;
  }
  if (isBinary(obj)) {
    return true;
  }
  if (obj.toJSON && typeof obj.toJSON === "function" && arguments.length === 1) {
    return hasBinary(obj.toJSON(), true);
  }
  for (const key in obj) {
    if (Object.prototype.hasOwnProperty.call(obj, key) && hasBinary(obj[key])) {
      return true;
    }
  }
  return false;
}

// node_modules/socket.io-parser/build/esm/binary.js
function deconstructPacket(packet) {
  const buffers = [];
  const packetData = packet.data;
  const pack = packet;
  pack.data = _deconstructPacket(packetData, buffers);
  pack.attachments = buffers.length;
  return { packet: pack, buffers };
}
function _deconstructPacket(data, buffers, toJSON) {
  if (!data)
    return data;
  if (isBinary(data)) {
    const placeholder = { _placeholder: true, num: buffers.length };
    buffers.push(data);
    return placeholder;
  } else if (Array.isArray(data)) {
    const newData = new Array(data.length);
    for (let i = 0; i < data.length; i++) {
      newData[i] = _deconstructPacket(data[i], buffers);
    }
    return newData;
  } else if (typeof data === "object" && !(data instanceof Date)) {
    if (data.toJSON && typeof data.toJSON === "function" && !toJSON) {
      return _deconstructPacket(data.toJSON(), buffers, true);
    }
    const newData = {};
    for (const key in data) {
      if (Object.prototype.hasOwnProperty.call(data, key)) {
        newData[key] = _deconstructPacket(data[key], buffers);
      }
    }
    return newData;
  }
  return data;
}
function reconstructPacket(packet, buffers) {
  packet.data = _reconstructPacket(packet.data, buffers);
  delete packet.attachments;
  return packet;
}
function _reconstructPacket(data, buffers) {
  if (!data)
    return data;
  if (data && data._placeholder === true) {
    const isIndexValid = typeof data.num === "number" && data.num >= 0 && data.num < buffers.length;
    if (isIndexValid) {
      return buffers[data.num];
    } else {
      throw new Error("illegal attachments");
    }
  } else if (Array.isArray(data)) {
    for (let i = 0; i < data.length; i++) {
      data[i] = _reconstructPacket(data[i], buffers);
    }
  } else if (typeof data === "object") {
    for (const key in data) {
      if (Object.prototype.hasOwnProperty.call(data, key)) {
        data[key] = _reconstructPacket(data[key], buffers);
      }
    }
  }
  return data;
}

// node_modules/socket.io-parser/build/esm/index.js
var RESERVED_EVENTS = [
  "connect",
  // used on the client side
  "connect_error",
  // used on the client side
  "disconnect",
  // used on both sides
  "disconnecting",
  // used on the server side
  "newListener",
  // used by the Node.js EventEmitter
  "removeListener"
  // used by the Node.js EventEmitter
];
var protocol3 = 5;
var PacketType;
(function(PacketType2) {
  PacketType2[PacketType2["CONNECT"] = 0] = "CONNECT";
  PacketType2[PacketType2["DISCONNECT"] = 1] = "DISCONNECT";
  PacketType2[PacketType2["EVENT"] = 2] = "EVENT";
  PacketType2[PacketType2["ACK"] = 3] = "ACK";
  PacketType2[PacketType2["CONNECT_ERROR"] = 4] = "CONNECT_ERROR";
  PacketType2[PacketType2["BINARY_EVENT"] = 5] = "BINARY_EVENT";
  PacketType2[PacketType2["BINARY_ACK"] = 6] = "BINARY_ACK";
})(PacketType || (PacketType = {}));
var Encoder = class {
  /**
   * Encoder constructor
   *
   * @param {function} replacer - custom replacer to pass down to JSON.parse
   */
  constructor(replacer) {
    this.replacer = replacer;
  }
  /**
   * Encode a packet as a single string if non-binary, or as a
   * buffer sequence, depending on packet type.
   *
   * @param {Object} obj - packet object
   */
  encode(obj) {
    if (obj.type === PacketType.EVENT || obj.type === PacketType.ACK) {
      if (hasBinary(obj)) {
        return this.encodeAsBinary({
          type: obj.type === PacketType.EVENT ? PacketType.BINARY_EVENT : PacketType.BINARY_ACK,
          nsp: obj.nsp,
          data: obj.data,
          id: obj.id
        });
      }
    }
    return [this.encodeAsString(obj)];
  }
  /**
   * Encode packet as string.
   */
  encodeAsString(obj) {
    let str = "" + obj.type;
    if (obj.type === PacketType.BINARY_EVENT || obj.type === PacketType.BINARY_ACK) {
      str += obj.attachments + "-";
    }
    if (obj.nsp && "/" !== obj.nsp) {
      str += obj.nsp + ",";
    }
    if (null != obj.id) {
      str += obj.id;
    }
    if (null != obj.data) {
      str += JSON.stringify(obj.data, this.replacer);
    }
    return str;
  }
  /**
   * Encode packet as 'buffer sequence' by removing blobs, and
   * deconstructing packet into object with placeholders and
   * a list of buffers.
   */
  encodeAsBinary(obj) {
    const deconstruction = deconstructPacket(obj);
    const pack = this.encodeAsString(deconstruction.packet);
    const buffers = deconstruction.buffers;
    buffers.unshift(pack);
    return buffers;
  }
};
var Decoder = class _Decoder extends Emitter {
  /**
   * Decoder constructor
   */
  constructor(opts) {
    super();
    this.opts = Object.assign({
      reviver: void 0,
      maxAttachments: 10
    }, typeof opts === "function" ? { reviver: opts } : opts);
  }
  /**
   * Decodes an encoded packet string into packet JSON.
   *
   * @param {String} obj - encoded packet
   */
  add(obj) {
    let packet;
    if (typeof obj === "string") {
      if (this.reconstructor) {
        throw new Error("got plaintext data when reconstructing a packet");
      }
      packet = this.decodeString(obj);
      const isBinaryEvent = packet.type === PacketType.BINARY_EVENT;
      if (isBinaryEvent || packet.type === PacketType.BINARY_ACK) {
        packet.type = isBinaryEvent ? PacketType.EVENT : PacketType.ACK;
        this.reconstructor = new BinaryReconstructor(packet);
      } else {
        super.emitReserved("decoded", packet);
      }
    } else if (isBinary(obj) || obj.base64) {
      if (!this.reconstructor) {
        throw new Error("got binary data when not reconstructing a packet");
      } else {
        packet = this.reconstructor.takeBinaryData(obj);
        if (packet) {
          this.reconstructor = null;
          super.emitReserved("decoded", packet);
        }
      }
    } else {
      throw new Error("Unknown type: " + obj);
    }
  }
  /**
   * Decode a packet String (JSON data)
   *
   * @param {String} str
   * @return {Object} packet
   */
  decodeString(str) {
    let i = 0;
    const p = {
      type: Number(str.charAt(0))
    };
    if (PacketType[p.type] === void 0) {
      throw new Error("unknown packet type " + p.type);
    }
    if (p.type === PacketType.BINARY_EVENT || p.type === PacketType.BINARY_ACK) {
      const start = i + 1;
      while (str.charAt(++i) !== "-" && i != str.length) {
      }
      const buf = str.substring(start, i);
      if (buf != Number(buf) || str.charAt(i) !== "-") {
        throw new Error("Illegal attachments");
      }
      const n = Number(buf);
      if (!isInteger(n) || n < 1) {
        throw new Error("Illegal attachments");
      } else if (n > this.opts.maxAttachments) {
        throw new Error("too many attachments");
      }
      p.attachments = n;
    }
    if ("/" === str.charAt(i + 1)) {
      const start = i + 1;
      while (++i) {
        const c = str.charAt(i);
        if ("," === c)
          break;
        if (i === str.length)
          break;
      }
      p.nsp = str.substring(start, i);
    } else {
      p.nsp = "/";
    }
    const next = str.charAt(i + 1);
    if ("" !== next && Number(next) == next) {
      const start = i + 1;
      while (++i) {
        const c = str.charAt(i);
        if (null == c || Number(c) != c) {
          --i;
          break;
        }
        if (i === str.length)
          break;
      }
      p.id = Number(str.substring(start, i + 1));
    }
    if (str.charAt(++i)) {
      const payload = this.tryParse(str.substr(i));
      if (_Decoder.isPayloadValid(p.type, payload)) {
        p.data = payload;
      } else {
        throw new Error("invalid payload");
      }
    }
    return p;
  }
  tryParse(str) {
    try {
      return JSON.parse(str, this.opts.reviver);
    } catch (e) {
      return false;
    }
  }
  static isPayloadValid(type, payload) {
    switch (type) {
      case PacketType.CONNECT:
        return isObject(payload);
      case PacketType.DISCONNECT:
        return payload === void 0;
      case PacketType.CONNECT_ERROR:
        return typeof payload === "string" || isObject(payload);
      case PacketType.EVENT:
      case PacketType.BINARY_EVENT:
        return Array.isArray(payload) && (typeof payload[0] === "number" || typeof payload[0] === "string" && RESERVED_EVENTS.indexOf(payload[0]) === -1);
      case PacketType.ACK:
      case PacketType.BINARY_ACK:
        return Array.isArray(payload);
    }
  }
  /**
   * Deallocates a parser's resources
   */
  destroy() {
    if (this.reconstructor) {
      this.reconstructor.finishedReconstruction();
      this.reconstructor = null;
    }
  }
};
var BinaryReconstructor = class {
  constructor(packet) {
    this.packet = packet;
    this.buffers = [];
    this.reconPack = packet;
  }
  /**
   * Method to be called when binary data received from connection
   * after a BINARY_EVENT packet.
   *
   * @param {Buffer | ArrayBuffer} binData - the raw binary data received
   * @return {null | Object} returns null if more binary data is expected or
   *   a reconstructed packet object if all buffers have been received.
   */
  takeBinaryData(binData) {
    this.buffers.push(binData);
    if (this.buffers.length === this.reconPack.attachments) {
      const packet = reconstructPacket(this.reconPack, this.buffers);
      this.finishedReconstruction();
      return packet;
    }
    return null;
  }
  /**
   * Cleans up binary packet reconstruction variables.
   */
  finishedReconstruction() {
    this.reconPack = null;
    this.buffers = [];
  }
};
function isNamespaceValid(nsp) {
  return typeof nsp === "string";
}
var isInteger = Number.isInteger || function(value2) {
  return typeof value2 === "number" && isFinite(value2) && Math.floor(value2) === value2;
};
function isAckIdValid(id) {
  return id === void 0 || isInteger(id);
}
function isObject(value2) {
  return Object.prototype.toString.call(value2) === "[object Object]";
}
function isDataValid(type, payload) {
  switch (type) {
    case PacketType.CONNECT:
      return payload === void 0 || isObject(payload);
    case PacketType.DISCONNECT:
      return payload === void 0;
    case PacketType.EVENT:
      return Array.isArray(payload) && (typeof payload[0] === "number" || typeof payload[0] === "string" && RESERVED_EVENTS.indexOf(payload[0]) === -1);
    case PacketType.ACK:
      return Array.isArray(payload);
    case PacketType.CONNECT_ERROR:
      return typeof payload === "string" || isObject(payload);
    default:
      return false;
  }
}
function isPacketValid(packet) {
  return isNamespaceValid(packet.nsp) && isAckIdValid(packet.id) && isDataValid(packet.type, packet.data);
}

// node_modules/socket.io-client/build/esm/on.js
function on(obj, ev, fn) {
  obj.on(ev, fn);
  return function subDestroy() {
    obj.off(ev, fn);
  };
}

// node_modules/socket.io-client/build/esm/socket.js
var RESERVED_EVENTS2 = Object.freeze({
  connect: 1,
  connect_error: 1,
  disconnect: 1,
  disconnecting: 1,
  // EventEmitter reserved events: https://nodejs.org/api/events.html#events_event_newlistener
  newListener: 1,
  removeListener: 1
});
var Socket2 = class extends Emitter {
  /**
   * `Socket` constructor.
   */
  constructor(io, nsp, opts) {
    super();
    this.connected = false;
    this.recovered = false;
    this.receiveBuffer = [];
    this.sendBuffer = [];
    this._queue = [];
    this._queueSeq = 0;
    this.ids = 0;
    this.acks = {};
    this.flags = {};
    this.io = io;
    this.nsp = nsp;
    if (opts && opts.auth) {
      this.auth = opts.auth;
    }
    this._opts = Object.assign({}, opts);
    if (this.io._autoConnect)
      this.open();
  }
  /**
   * Whether the socket is currently disconnected
   *
   * @example
   * const socket = io();
   *
   * socket.on("connect", () => {
   *   console.log(socket.disconnected); // false
   * });
   *
   * socket.on("disconnect", () => {
   *   console.log(socket.disconnected); // true
   * });
   */
  get disconnected() {
    return !this.connected;
  }
  /**
   * Subscribe to open, close and packet events
   *
   * @private
   */
  subEvents() {
    if (this.subs)
      return;
    const io = this.io;
    this.subs = [
      on(io, "open", this.onopen.bind(this)),
      on(io, "packet", this.onpacket.bind(this)),
      on(io, "error", this.onerror.bind(this)),
      on(io, "close", this.onclose.bind(this))
    ];
  }
  /**
   * Whether the Socket will try to reconnect when its Manager connects or reconnects.
   *
   * @example
   * const socket = io();
   *
   * console.log(socket.active); // true
   *
   * socket.on("disconnect", (reason) => {
   *   if (reason === "io server disconnect") {
   *     // the disconnection was initiated by the server, you need to manually reconnect
   *     console.log(socket.active); // false
   *   }
   *   // else the socket will automatically try to reconnect
   *   console.log(socket.active); // true
   * });
   */
  get active() {
    return !!this.subs;
  }
  /**
   * "Opens" the socket.
   *
   * @example
   * const socket = io({
   *   autoConnect: false
   * });
   *
   * socket.connect();
   */
  connect() {
    if (this.connected)
      return this;
    this.subEvents();
    if (!this.io["_reconnecting"])
      this.io.open();
    if ("open" === this.io._readyState)
      this.onopen();
    return this;
  }
  /**
   * Alias for {@link connect()}.
   */
  open() {
    return this.connect();
  }
  /**
   * Sends a `message` event.
   *
   * This method mimics the WebSocket.send() method.
   *
   * @see https://developer.mozilla.org/en-US/docs/Web/API/WebSocket/send
   *
   * @example
   * socket.send("hello");
   *
   * // this is equivalent to
   * socket.emit("message", "hello");
   *
   * @return self
   */
  send(...args) {
    args.unshift("message");
    this.emit.apply(this, args);
    return this;
  }
  /**
   * Override `emit`.
   * If the event is in `events`, it's emitted normally.
   *
   * @example
   * socket.emit("hello", "world");
   *
   * // all serializable datastructures are supported (no need to call JSON.stringify)
   * socket.emit("hello", 1, "2", { 3: ["4"], 5: Uint8Array.from([6]) });
   *
   * // with an acknowledgement from the server
   * socket.emit("hello", "world", (val) => {
   *   // ...
   * });
   *
   * @return self
   */
  emit(ev, ...args) {
    var _a, _b, _c;
    if (RESERVED_EVENTS2.hasOwnProperty(ev)) {
      throw new Error('"' + ev.toString() + '" is a reserved event name');
    }
    args.unshift(ev);
    if (this._opts.retries && !this.flags.fromQueue && !this.flags.volatile) {
      this._addToQueue(args);
      return this;
    }
    const packet = {
      type: PacketType.EVENT,
      data: args
    };
    packet.options = {};
    packet.options.compress = this.flags.compress !== false;
    if ("function" === typeof args[args.length - 1]) {
      const id = this.ids++;
      const ack = args.pop();
      this._registerAckCallback(id, ack);
      packet.id = id;
    }
    const isTransportWritable = (_b = (_a = this.io.engine) === null || _a === void 0 ? void 0 : _a.transport) === null || _b === void 0 ? void 0 : _b.writable;
    const isConnected = this.connected && !((_c = this.io.engine) === null || _c === void 0 ? void 0 : _c._hasPingExpired());
    const discardPacket = this.flags.volatile && !isTransportWritable;
    if (discardPacket) {
    } else if (isConnected) {
      this.notifyOutgoingListeners(packet);
      this.packet(packet);
    } else {
      this.sendBuffer.push(packet);
    }
    this.flags = {};
    return this;
  }
  /**
   * @private
   */
  _registerAckCallback(id, ack) {
    var _a;
    const timeout = (_a = this.flags.timeout) !== null && _a !== void 0 ? _a : this._opts.ackTimeout;
    if (timeout === void 0) {
      this.acks[id] = ack;
      return;
    }
    const timer = this.io.setTimeoutFn(() => {
      delete this.acks[id];
      for (let i = 0; i < this.sendBuffer.length; i++) {
        if (this.sendBuffer[i].id === id) {
          this.sendBuffer.splice(i, 1);
        }
      }
      ack.call(this, new Error("operation has timed out"));
    }, timeout);
    const fn = (...args) => {
      this.io.clearTimeoutFn(timer);
      ack.apply(this, args);
    };
    fn.withError = true;
    this.acks[id] = fn;
  }
  /**
   * Emits an event and waits for an acknowledgement
   *
   * @example
   * // without timeout
   * const response = await socket.emitWithAck("hello", "world");
   *
   * // with a specific timeout
   * try {
   *   const response = await socket.timeout(1000).emitWithAck("hello", "world");
   * } catch (err) {
   *   // the server did not acknowledge the event in the given delay
   * }
   *
   * @return a Promise that will be fulfilled when the server acknowledges the event
   */
  emitWithAck(ev, ...args) {
    return new Promise((resolve, reject) => {
      const fn = (arg1, arg2) => {
        return arg1 ? reject(arg1) : resolve(arg2);
      };
      fn.withError = true;
      args.push(fn);
      this.emit(ev, ...args);
    });
  }
  /**
   * Add the packet to the queue.
   * @param args
   * @private
   */
  _addToQueue(args) {
    let ack;
    if (typeof args[args.length - 1] === "function") {
      ack = args.pop();
    }
    const packet = {
      id: this._queueSeq++,
      tryCount: 0,
      pending: false,
      args,
      flags: Object.assign({ fromQueue: true }, this.flags)
    };
    args.push((err, ...responseArgs) => {
      if (packet !== this._queue[0]) {
        return;
      }
      const hasError = err !== null;
      if (hasError) {
        if (packet.tryCount > this._opts.retries) {
          this._queue.shift();
          if (ack) {
            ack(err);
          }
        }
      } else {
        this._queue.shift();
        if (ack) {
          ack(null, ...responseArgs);
        }
      }
      packet.pending = false;
      return this._drainQueue();
    });
    this._queue.push(packet);
    this._drainQueue();
  }
  /**
   * Send the first packet of the queue, and wait for an acknowledgement from the server.
   * @param force - whether to resend a packet that has not been acknowledged yet
   *
   * @private
   */
  _drainQueue(force = false) {
    if (!this.connected || this._queue.length === 0) {
      return;
    }
    const packet = this._queue[0];
    if (packet.pending && !force) {
      return;
    }
    packet.pending = true;
    packet.tryCount++;
    this.flags = packet.flags;
    this.emit.apply(this, packet.args);
  }
  /**
   * Sends a packet.
   *
   * @param packet
   * @private
   */
  packet(packet) {
    packet.nsp = this.nsp;
    this.io._packet(packet);
  }
  /**
   * Called upon engine `open`.
   *
   * @private
   */
  onopen() {
    if (typeof this.auth == "function") {
      this.auth((data) => {
        this._sendConnectPacket(data);
      });
    } else {
      this._sendConnectPacket(this.auth);
    }
  }
  /**
   * Sends a CONNECT packet to initiate the Socket.IO session.
   *
   * @param data
   * @private
   */
  _sendConnectPacket(data) {
    this.packet({
      type: PacketType.CONNECT,
      data: this._pid ? Object.assign({ pid: this._pid, offset: this._lastOffset }, data) : data
    });
  }
  /**
   * Called upon engine or manager `error`.
   *
   * @param err
   * @private
   */
  onerror(err) {
    if (!this.connected) {
      this.emitReserved("connect_error", err);
    }
  }
  /**
   * Called upon engine `close`.
   *
   * @param reason
   * @param description
   * @private
   */
  onclose(reason, description) {
    this.connected = false;
    delete this.id;
    this.emitReserved("disconnect", reason, description);
    this._clearAcks();
  }
  /**
   * Clears the acknowledgement handlers upon disconnection, since the client will never receive an acknowledgement from
   * the server.
   *
   * @private
   */
  _clearAcks() {
    Object.keys(this.acks).forEach((id) => {
      const isBuffered = this.sendBuffer.some((packet) => String(packet.id) === id);
      if (!isBuffered) {
        const ack = this.acks[id];
        delete this.acks[id];
        if (ack.withError) {
          ack.call(this, new Error("socket has been disconnected"));
        }
      }
    });
  }
  /**
   * Called with socket packet.
   *
   * @param packet
   * @private
   */
  onpacket(packet) {
    const sameNamespace = packet.nsp === this.nsp;
    if (!sameNamespace)
      return;
    switch (packet.type) {
      case PacketType.CONNECT:
        if (packet.data && packet.data.sid) {
          this.onconnect(packet.data.sid, packet.data.pid);
        } else {
          this.emitReserved("connect_error", new Error("It seems you are trying to reach a Socket.IO server in v2.x with a v3.x client, but they are not compatible (more information here: https://socket.io/docs/v3/migrating-from-2-x-to-3-0/)"));
        }
        break;
      case PacketType.EVENT:
      case PacketType.BINARY_EVENT:
        this.onevent(packet);
        break;
      case PacketType.ACK:
      case PacketType.BINARY_ACK:
        this.onack(packet);
        break;
      case PacketType.DISCONNECT:
        this.ondisconnect();
        break;
      case PacketType.CONNECT_ERROR:
        this.destroy();
        const err = new Error(packet.data.message);
        err.data = packet.data.data;
        this.emitReserved("connect_error", err);
        break;
    }
  }
  /**
   * Called upon a server event.
   *
   * @param packet
   * @private
   */
  onevent(packet) {
    const args = packet.data || [];
    if (null != packet.id) {
      args.push(this.ack(packet.id));
    }
    if (this.connected) {
      this.emitEvent(args);
    } else {
      this.receiveBuffer.push(Object.freeze(args));
    }
  }
  emitEvent(args) {
    if (this._anyListeners && this._anyListeners.length) {
      const listeners = this._anyListeners.slice();
      for (const listener of listeners) {
        listener.apply(this, args);
      }
    }
    super.emit.apply(this, args);
    if (this._pid && args.length && typeof args[args.length - 1] === "string") {
      this._lastOffset = args[args.length - 1];
    }
  }
  /**
   * Produces an ack callback to emit with an event.
   *
   * @private
   */
  ack(id) {
    const self2 = this;
    let sent = false;
    return function(...args) {
      if (sent)
        return;
      sent = true;
      self2.packet({
        type: PacketType.ACK,
        id,
        data: args
      });
    };
  }
  /**
   * Called upon a server acknowledgement.
   *
   * @param packet
   * @private
   */
  onack(packet) {
    const ack = this.acks[packet.id];
    if (typeof ack !== "function") {
      return;
    }
    delete this.acks[packet.id];
    if (ack.withError) {
      packet.data.unshift(null);
    }
    ack.apply(this, packet.data);
  }
  /**
   * Called upon server connect.
   *
   * @private
   */
  onconnect(id, pid) {
    this.id = id;
    this.recovered = pid && this._pid === pid;
    this._pid = pid;
    this.connected = true;
    this.emitBuffered();
    this.emitReserved("connect");
    this._drainQueue(true);
  }
  /**
   * Emit buffered events (received and emitted).
   *
   * @private
   */
  emitBuffered() {
    this.receiveBuffer.forEach((args) => this.emitEvent(args));
    this.receiveBuffer = [];
    this.sendBuffer.forEach((packet) => {
      this.notifyOutgoingListeners(packet);
      this.packet(packet);
    });
    this.sendBuffer = [];
  }
  /**
   * Called upon server disconnect.
   *
   * @private
   */
  ondisconnect() {
    this.destroy();
    this.onclose("io server disconnect");
  }
  /**
   * Called upon forced client/server side disconnections,
   * this method ensures the manager stops tracking us and
   * that reconnections don't get triggered for this.
   *
   * @private
   */
  destroy() {
    if (this.subs) {
      this.subs.forEach((subDestroy) => subDestroy());
      this.subs = void 0;
    }
    this.io["_destroy"](this);
  }
  /**
   * Disconnects the socket manually. In that case, the socket will not try to reconnect.
   *
   * If this is the last active Socket instance of the {@link Manager}, the low-level connection will be closed.
   *
   * @example
   * const socket = io();
   *
   * socket.on("disconnect", (reason) => {
   *   // console.log(reason); prints "io client disconnect"
   * });
   *
   * socket.disconnect();
   *
   * @return self
   */
  disconnect() {
    if (this.connected) {
      this.packet({ type: PacketType.DISCONNECT });
    }
    this.destroy();
    if (this.connected) {
      this.onclose("io client disconnect");
    }
    return this;
  }
  /**
   * Alias for {@link disconnect()}.
   *
   * @return self
   */
  close() {
    return this.disconnect();
  }
  /**
   * Sets the compress flag.
   *
   * @example
   * socket.compress(false).emit("hello");
   *
   * @param compress - if `true`, compresses the sending data
   * @return self
   */
  compress(compress) {
    this.flags.compress = compress;
    return this;
  }
  /**
   * Sets a modifier for a subsequent event emission that the event message will be dropped when this socket is not
   * ready to send messages.
   *
   * @example
   * socket.volatile.emit("hello"); // the server may or may not receive it
   *
   * @returns self
   */
  get volatile() {
    this.flags.volatile = true;
    return this;
  }
  /**
   * Sets a modifier for a subsequent event emission that the callback will be called with an error when the
   * given number of milliseconds have elapsed without an acknowledgement from the server:
   *
   * @example
   * socket.timeout(5000).emit("my-event", (err) => {
   *   if (err) {
   *     // the server did not acknowledge the event in the given delay
   *   }
   * });
   *
   * @returns self
   */
  timeout(timeout) {
    this.flags.timeout = timeout;
    return this;
  }
  /**
   * Adds a listener that will be fired when any event is emitted. The event name is passed as the first argument to the
   * callback.
   *
   * @example
   * socket.onAny((event, ...args) => {
   *   console.log(`got ${event}`);
   * });
   *
   * @param listener
   */
  onAny(listener) {
    this._anyListeners = this._anyListeners || [];
    this._anyListeners.push(listener);
    return this;
  }
  /**
   * Adds a listener that will be fired when any event is emitted. The event name is passed as the first argument to the
   * callback. The listener is added to the beginning of the listeners array.
   *
   * @example
   * socket.prependAny((event, ...args) => {
   *   console.log(`got event ${event}`);
   * });
   *
   * @param listener
   */
  prependAny(listener) {
    this._anyListeners = this._anyListeners || [];
    this._anyListeners.unshift(listener);
    return this;
  }
  /**
   * Removes the listener that will be fired when any event is emitted.
   *
   * @example
   * const catchAllListener = (event, ...args) => {
   *   console.log(`got event ${event}`);
   * }
   *
   * socket.onAny(catchAllListener);
   *
   * // remove a specific listener
   * socket.offAny(catchAllListener);
   *
   * // or remove all listeners
   * socket.offAny();
   *
   * @param listener
   */
  offAny(listener) {
    if (!this._anyListeners) {
      return this;
    }
    if (listener) {
      const listeners = this._anyListeners;
      for (let i = 0; i < listeners.length; i++) {
        if (listener === listeners[i]) {
          listeners.splice(i, 1);
          return this;
        }
      }
    } else {
      this._anyListeners = [];
    }
    return this;
  }
  /**
   * Returns an array of listeners that are listening for any event that is specified. This array can be manipulated,
   * e.g. to remove listeners.
   */
  listenersAny() {
    return this._anyListeners || [];
  }
  /**
   * Adds a listener that will be fired when any event is emitted. The event name is passed as the first argument to the
   * callback.
   *
   * Note: acknowledgements sent to the server are not included.
   *
   * @example
   * socket.onAnyOutgoing((event, ...args) => {
   *   console.log(`sent event ${event}`);
   * });
   *
   * @param listener
   */
  onAnyOutgoing(listener) {
    this._anyOutgoingListeners = this._anyOutgoingListeners || [];
    this._anyOutgoingListeners.push(listener);
    return this;
  }
  /**
   * Adds a listener that will be fired when any event is emitted. The event name is passed as the first argument to the
   * callback. The listener is added to the beginning of the listeners array.
   *
   * Note: acknowledgements sent to the server are not included.
   *
   * @example
   * socket.prependAnyOutgoing((event, ...args) => {
   *   console.log(`sent event ${event}`);
   * });
   *
   * @param listener
   */
  prependAnyOutgoing(listener) {
    this._anyOutgoingListeners = this._anyOutgoingListeners || [];
    this._anyOutgoingListeners.unshift(listener);
    return this;
  }
  /**
   * Removes the listener that will be fired when any event is emitted.
   *
   * @example
   * const catchAllListener = (event, ...args) => {
   *   console.log(`sent event ${event}`);
   * }
   *
   * socket.onAnyOutgoing(catchAllListener);
   *
   * // remove a specific listener
   * socket.offAnyOutgoing(catchAllListener);
   *
   * // or remove all listeners
   * socket.offAnyOutgoing();
   *
   * @param [listener] - the catch-all listener (optional)
   */
  offAnyOutgoing(listener) {
    if (!this._anyOutgoingListeners) {
      return this;
    }
    if (listener) {
      const listeners = this._anyOutgoingListeners;
      for (let i = 0; i < listeners.length; i++) {
        if (listener === listeners[i]) {
          listeners.splice(i, 1);
          return this;
        }
      }
    } else {
      this._anyOutgoingListeners = [];
    }
    return this;
  }
  /**
   * Returns an array of listeners that are listening for any event that is specified. This array can be manipulated,
   * e.g. to remove listeners.
   */
  listenersAnyOutgoing() {
    return this._anyOutgoingListeners || [];
  }
  /**
   * Notify the listeners for each packet sent
   *
   * @param packet
   *
   * @private
   */
  notifyOutgoingListeners(packet) {
    if (this._anyOutgoingListeners && this._anyOutgoingListeners.length) {
      const listeners = this._anyOutgoingListeners.slice();
      for (const listener of listeners) {
        listener.apply(this, packet.data);
      }
    }
  }
};

// node_modules/socket.io-client/build/esm/contrib/backo2.js
function Backoff(opts) {
  opts = opts || {};
  this.ms = opts.min || 100;
  this.max = opts.max || 1e4;
  this.factor = opts.factor || 2;
  this.jitter = opts.jitter > 0 && opts.jitter <= 1 ? opts.jitter : 0;
  this.attempts = 0;
}
Backoff.prototype.duration = function() {
  var ms = this.ms * Math.pow(this.factor, this.attempts++);
  if (this.jitter) {
    var rand = Math.random();
    var deviation = Math.floor(rand * this.jitter * ms);
    ms = (Math.floor(rand * 10) & 1) == 0 ? ms - deviation : ms + deviation;
  }
  return Math.min(ms, this.max) | 0;
};
Backoff.prototype.reset = function() {
  this.attempts = 0;
};
Backoff.prototype.setMin = function(min) {
  this.ms = min;
};
Backoff.prototype.setMax = function(max) {
  this.max = max;
};
Backoff.prototype.setJitter = function(jitter) {
  this.jitter = jitter;
};

// node_modules/socket.io-client/build/esm/manager.js
var Manager = class extends Emitter {
  constructor(uri, opts) {
    var _a;
    super();
    this.nsps = {};
    this.subs = [];
    if (uri && "object" === typeof uri) {
      opts = uri;
      uri = void 0;
    }
    opts = opts || {};
    opts.path = opts.path || "/socket.io";
    this.opts = opts;
    installTimerFunctions(this, opts);
    this.reconnection(opts.reconnection !== false);
    this.reconnectionAttempts(opts.reconnectionAttempts || Infinity);
    this.reconnectionDelay(opts.reconnectionDelay || 1e3);
    this.reconnectionDelayMax(opts.reconnectionDelayMax || 5e3);
    this.randomizationFactor((_a = opts.randomizationFactor) !== null && _a !== void 0 ? _a : 0.5);
    this.backoff = new Backoff({
      min: this.reconnectionDelay(),
      max: this.reconnectionDelayMax(),
      jitter: this.randomizationFactor()
    });
    this.timeout(null == opts.timeout ? 2e4 : opts.timeout);
    this._readyState = "closed";
    this.uri = uri;
    const _parser = opts.parser || esm_exports;
    this.encoder = new _parser.Encoder();
    this.decoder = new _parser.Decoder();
    this._autoConnect = opts.autoConnect !== false;
    if (this._autoConnect)
      this.open();
  }
  reconnection(v) {
    if (!arguments.length)
      return this._reconnection;
    this._reconnection = !!v;
    if (!v) {
      this.skipReconnect = true;
    }
    return this;
  }
  reconnectionAttempts(v) {
    if (v === void 0)
      return this._reconnectionAttempts;
    this._reconnectionAttempts = v;
    return this;
  }
  reconnectionDelay(v) {
    var _a;
    if (v === void 0)
      return this._reconnectionDelay;
    this._reconnectionDelay = v;
    (_a = this.backoff) === null || _a === void 0 ? void 0 : _a.setMin(v);
    return this;
  }
  randomizationFactor(v) {
    var _a;
    if (v === void 0)
      return this._randomizationFactor;
    this._randomizationFactor = v;
    (_a = this.backoff) === null || _a === void 0 ? void 0 : _a.setJitter(v);
    return this;
  }
  reconnectionDelayMax(v) {
    var _a;
    if (v === void 0)
      return this._reconnectionDelayMax;
    this._reconnectionDelayMax = v;
    (_a = this.backoff) === null || _a === void 0 ? void 0 : _a.setMax(v);
    return this;
  }
  timeout(v) {
    if (!arguments.length)
      return this._timeout;
    this._timeout = v;
    return this;
  }
  /**
   * Starts trying to reconnect if reconnection is enabled and we have not
   * started reconnecting yet
   *
   * @private
   */
  maybeReconnectOnOpen() {
    if (!this._reconnecting && this._reconnection && this.backoff.attempts === 0) {
      this.reconnect();
    }
  }
  /**
   * Sets the current transport `socket`.
   *
   * @param {Function} fn - optional, callback
   * @return self
   * @public
   */
  open(fn) {
    if (~this._readyState.indexOf("open"))
      return this;
    this.engine = new Socket(this.uri, this.opts);
    const socket = this.engine;
    const self2 = this;
    this._readyState = "opening";
    this.skipReconnect = false;
    const openSubDestroy = on(socket, "open", function() {
      self2.onopen();
      fn && fn();
    });
    const onError = (err) => {
      this.cleanup();
      this._readyState = "closed";
      this.emitReserved("error", err);
      if (fn) {
        fn(err);
      } else {
        this.maybeReconnectOnOpen();
      }
    };
    const errorSub = on(socket, "error", onError);
    if (false !== this._timeout) {
      const timeout = this._timeout;
      const timer = this.setTimeoutFn(() => {
        openSubDestroy();
        onError(new Error("timeout"));
        socket.close();
      }, timeout);
      if (this.opts.autoUnref) {
        timer.unref();
      }
      this.subs.push(() => {
        this.clearTimeoutFn(timer);
      });
    }
    this.subs.push(openSubDestroy);
    this.subs.push(errorSub);
    return this;
  }
  /**
   * Alias for open()
   *
   * @return self
   * @public
   */
  connect(fn) {
    return this.open(fn);
  }
  /**
   * Called upon transport open.
   *
   * @private
   */
  onopen() {
    this.cleanup();
    this._readyState = "open";
    this.emitReserved("open");
    const socket = this.engine;
    this.subs.push(
      on(socket, "ping", this.onping.bind(this)),
      on(socket, "data", this.ondata.bind(this)),
      on(socket, "error", this.onerror.bind(this)),
      on(socket, "close", this.onclose.bind(this)),
      // @ts-ignore
      on(this.decoder, "decoded", this.ondecoded.bind(this))
    );
  }
  /**
   * Called upon a ping.
   *
   * @private
   */
  onping() {
    this.emitReserved("ping");
  }
  /**
   * Called with data.
   *
   * @private
   */
  ondata(data) {
    try {
      this.decoder.add(data);
    } catch (e) {
      this.onclose("parse error", e);
    }
  }
  /**
   * Called when parser fully decodes a packet.
   *
   * @private
   */
  ondecoded(packet) {
    nextTick(() => {
      this.emitReserved("packet", packet);
    }, this.setTimeoutFn);
  }
  /**
   * Called upon socket error.
   *
   * @private
   */
  onerror(err) {
    this.emitReserved("error", err);
  }
  /**
   * Creates a new socket for the given `nsp`.
   *
   * @return {Socket}
   * @public
   */
  socket(nsp, opts) {
    let socket = this.nsps[nsp];
    if (!socket) {
      socket = new Socket2(this, nsp, opts);
      this.nsps[nsp] = socket;
    } else if (this._autoConnect && !socket.active) {
      socket.connect();
    }
    return socket;
  }
  /**
   * Called upon a socket close.
   *
   * @param socket
   * @private
   */
  _destroy(socket) {
    const nsps = Object.keys(this.nsps);
    for (const nsp of nsps) {
      const socket2 = this.nsps[nsp];
      if (socket2.active) {
        return;
      }
    }
    this._close();
  }
  /**
   * Writes a packet.
   *
   * @param packet
   * @private
   */
  _packet(packet) {
    const encodedPackets = this.encoder.encode(packet);
    for (let i = 0; i < encodedPackets.length; i++) {
      this.engine.write(encodedPackets[i], packet.options);
    }
  }
  /**
   * Clean up transport subscriptions and packet buffer.
   *
   * @private
   */
  cleanup() {
    this.subs.forEach((subDestroy) => subDestroy());
    this.subs.length = 0;
    this.decoder.destroy();
  }
  /**
   * Close the current socket.
   *
   * @private
   */
  _close() {
    this.skipReconnect = true;
    this._reconnecting = false;
    this.onclose("forced close");
  }
  /**
   * Alias for close()
   *
   * @private
   */
  disconnect() {
    return this._close();
  }
  /**
   * Called when:
   *
   * - the low-level engine is closed
   * - the parser encountered a badly formatted packet
   * - all sockets are disconnected
   *
   * @private
   */
  onclose(reason, description) {
    var _a;
    this.cleanup();
    (_a = this.engine) === null || _a === void 0 ? void 0 : _a.close();
    this.backoff.reset();
    this._readyState = "closed";
    this.emitReserved("close", reason, description);
    if (this._reconnection && !this.skipReconnect) {
      this.reconnect();
    }
  }
  /**
   * Attempt a reconnection.
   *
   * @private
   */
  reconnect() {
    if (this._reconnecting || this.skipReconnect)
      return this;
    const self2 = this;
    if (this.backoff.attempts >= this._reconnectionAttempts) {
      this.backoff.reset();
      this.emitReserved("reconnect_failed");
      this._reconnecting = false;
    } else {
      const delay = this.backoff.duration();
      this._reconnecting = true;
      const timer = this.setTimeoutFn(() => {
        if (self2.skipReconnect)
          return;
        this.emitReserved("reconnect_attempt", self2.backoff.attempts);
        if (self2.skipReconnect)
          return;
        self2.open((err) => {
          if (err) {
            self2._reconnecting = false;
            self2.reconnect();
            this.emitReserved("reconnect_error", err);
          } else {
            self2.onreconnect();
          }
        });
      }, delay);
      if (this.opts.autoUnref) {
        timer.unref();
      }
      this.subs.push(() => {
        this.clearTimeoutFn(timer);
      });
    }
  }
  /**
   * Called upon successful reconnect.
   *
   * @private
   */
  onreconnect() {
    const attempt = this.backoff.attempts;
    this._reconnecting = false;
    this.backoff.reset();
    this.emitReserved("reconnect", attempt);
  }
};

// node_modules/socket.io-client/build/esm/index.js
var cache = {};
function lookup2(uri, opts) {
  if (typeof uri === "object") {
    opts = uri;
    uri = void 0;
  }
  opts = opts || {};
  const parsed = url(uri, opts.path || "/socket.io");
  const source = parsed.source;
  const id = parsed.id;
  const path = parsed.path;
  const sameNamespace = cache[id] && path in cache[id]["nsps"];
  const newConnection = opts.forceNew || opts["force new connection"] || false === opts.multiplex || sameNamespace;
  let io;
  if (newConnection) {
    io = new Manager(source, opts);
  } else {
    if (!cache[id]) {
      cache[id] = new Manager(source, opts);
    }
    io = cache[id];
  }
  if (parsed.query && !opts.query) {
    opts.query = parsed.queryKey;
  }
  return io.socket(parsed.path, opts);
}
Object.assign(lookup2, {
  Manager,
  Socket: Socket2,
  io: lookup2,
  connect: lookup2
});

// src/generated/dialogue.ts
var WIRE = {
  /** Join a room (or replay what was missed since a position); its default subscriptions apply unless the join names others. */
  join: "dialogue:join",
  /** Leave a room. */
  leave: "dialogue:leave",
  /** Subscribe to an event (or `*`) in a joined room. */
  subscribe: "dialogue:subscribe",
  /** Subscribe to every event of a joined room. */
  subscribeAll: "dialogue:subscribeAll",
  /** Unsubscribe from an event (or `*`) in a joined room. */
  unsubscribe: "dialogue:unsubscribe",
  /** Trigger an event in a joined room. */
  trigger: "dialogue:trigger",
  /** Read a page of a joined room's history of one event, newest first. */
  getHistory: "dialogue:getHistory",
  /** List the rooms. */
  listRooms: "dialogue:listRooms",
  /** Create a room; everyone is told with `dialogue:roomCreated`. */
  createRoom: "dialogue:createRoom",
  /** Delete a room one may delete; everyone is told with `dialogue:roomDeleted`. */
  deleteRoom: "dialogue:deleteRoom",
  /** Ask one of the application's requests; the answer carries what its handler returned. */
  request: "dialogue:request",
  /** Read who is present in a joined room with presence, one entry per user. */
  getPresence: "dialogue:getPresence",
  /** Replace one's own presence `info` in a joined room with presence; announced as `updated`. */
  setPresence: "dialogue:setPresence",
  /** The host removes every connection of a user from the room, and may ban the user from joining again. */
  kick: "dialogue:kick",
  /** The host hands the room to another member. */
  transferHost: "dialogue:transferHost",
  /** Replace the connection's token with a fresh one of the same user, before it expires. */
  auth: "dialogue:auth",
  /** The greeting, before anything else: `{ clientId, userId, protocol }`. */
  connected: "dialogue:connected",
  /** A join succeeded: `{ roomId, roomName }`. */
  joined: "dialogue:joined",
  /** A leave succeeded: `{ roomId }`. */
  left: "dialogue:left",
  /** An event of a room the client subscribes to: an `EventMessage`. */
  event: "dialogue:event",
  /** After a join, the room's latest events, newest first. */
  history: "dialogue:history",
  /** A page of history, answering `dialogue:getHistory`. */
  historyResponse: "dialogue:historyResponse",
  /** The rooms, answering `dialogue:listRooms`. */
  rooms: "dialogue:rooms",
  /** A room was created. */
  roomCreated: "dialogue:roomCreated",
  /** A room was deleted (its members were removed). */
  roomDeleted: "dialogue:roomDeleted",
  /** A request failed (in the event form): `{ code, message, details? }`. */
  error: "dialogue:error",
  /** Who is present, answering `dialogue:getPresence`. */
  presenceResponse: "dialogue:presenceResponse",
  /** Users arrived, departed or changed their `info` in a room with presence. */
  presenceDiff: "dialogue:presenceDiff",
  /** The room has a new host. */
  hostChanged: "dialogue:hostChanged",
  /** The host removed this user from the room (no `dialogue:left` follows). */
  kicked: "dialogue:kicked",
  /** The server is shutting down: the transport closes next, and the client reconnects (to another node) and resumes its session. */
  shutdown: "dialogue:shutdown"
};
var SCHEMAS = {
  "message": {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "description": "A chat message. Who sent it is the envelope's `from`, stamped by the server.",
    "properties": {
      "text": {
        "description": "1 to 500 characters.",
        "maxLength": 500,
        "minLength": 1,
        "type": "string"
      }
    },
    "required": [
      "text"
    ],
    "title": "Message",
    "type": "object"
  },
  "typing": {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "description": "Someone started or stopped typing.",
    "properties": {
      "isTyping": {
        "description": "`true` while typing.",
        "type": "boolean"
      }
    },
    "required": [
      "isTyping"
    ],
    "title": "Typing",
    "type": "object"
  }
};
var REQUEST_SCHEMAS = {};
var VALIDATED_ROOMS = {
  "general": true
};
var ROOM_SUBSCRIPTIONS = {
  "general": [
    "message",
    "typing"
  ]
};
var TEMPLATE_ROOMS = [];
var PRESENCE_SCHEMA = null;
var DialogueError = class extends Error {
  constructor(code, message, details) {
    super(message);
    this.name = "DialogueError";
    this.code = code;
    if (details !== void 0) this.details = details;
  }
};
function validatePayload(event, data) {
  return checkAgainst(SCHEMAS, event, "event", data);
}
function validateRequest(name, data) {
  return checkAgainst(REQUEST_SCHEMAS, name, "request", data);
}
function checkAgainst(schemas, name, kind, data) {
  const schema = Object.prototype.hasOwnProperty.call(schemas, name) ? schemas[name] : void 0;
  if (schema === void 0) {
    return [{ path: "", message: `no ${kind} named ${JSON.stringify(name)} is declared` }];
  }
  let value2;
  try {
    value2 = data === void 0 ? null : JSON.parse(JSON.stringify(data));
  } catch (error) {
    return [{ path: "", message: `not JSON: ${String(error)}` }];
  }
  const issues = [];
  jsonSchemaCheck(schema, value2, "", schema, issues);
  return issues.slice(0, 20);
}
function refuseInvalid(issues, what) {
  const first = issues[0];
  if (first !== void 0) {
    throw new DialogueError("VALIDATION_FAILED", `invalid ${what}: ${first.path || "(the payload)"} ${first.message}`, issues);
  }
}
function createDialogueClient(options) {
  const ackTimeout = options.timeout ?? 1e4;
  const validate = options.validate ?? true;
  const queueLimit = options.offlineQueue ?? 100;
  let token;
  let currentToken;
  let refreshTimer;
  const socket = lookup2(options.url, {
    // Read on every (re)connection: a reconnection resumes the session,
    // with a fresh token when `getToken` gives them.
    auth: (cb) => {
      if (options.getToken === void 0) {
        cb(handshake());
        return;
      }
      Promise.resolve().then(() => options.getToken()).then(
        (fresh) => {
          currentToken = fresh;
          cb(handshake());
        },
        (error) => {
          reportError(new DialogueError("UNAUTHORIZED", `getToken failed: ${String(error)}`));
          cb(handshake());
        }
      );
    },
    autoConnect: false,
    forceNew: true,
    reconnection: options.reconnection ?? true,
    reconnectionAttempts: options.reconnectionAttempts ?? Infinity,
    reconnectionDelay: options.reconnectionDelay ?? 1e3,
    reconnectionDelayMax: options.reconnectionDelayMax ?? 5e3,
    randomizationFactor: 0.5,
    ...options.transports === void 0 ? {} : { transports: options.transports }
  });
  let state = "disconnected";
  let userId = "";
  let greetedBefore = false;
  let pending;
  const connectHandlers = /* @__PURE__ */ new Set();
  const disconnectHandlers = /* @__PURE__ */ new Set();
  const stateHandlers = /* @__PURE__ */ new Set();
  const errorHandlers = /* @__PURE__ */ new Set();
  const roomCreatedHandlers = /* @__PURE__ */ new Set();
  const roomDeletedHandlers = /* @__PURE__ */ new Set();
  const historyHandlers = /* @__PURE__ */ new Set();
  const shutdownHandlers = /* @__PURE__ */ new Set();
  const rooms = /* @__PURE__ */ new Map();
  const held = /* @__PURE__ */ new Map();
  const queue = [];
  let triggerCount = 0;
  const TRIGGER_RETRIES = 2;
  const REJOIN_RETRIES = 5;
  const TRANSIENT = /* @__PURE__ */ new Set(["TIMEOUT", "RATE_LIMITED", "UNAVAILABLE", "INTERNAL"]);
  const willReconnect = () => socket.active && socket.io.reconnection();
  const givenUp = (error) => {
    failQueued(() => true, error);
  };
  const setState = (next) => {
    if (state === next) return;
    state = next;
    callEach(stateHandlers, next);
  };
  function handshake() {
    const auth = { ...options.auth ?? {} };
    if (currentToken !== void 0) auth["token"] = currentToken;
    if (token !== void 0) {
      const positions = {};
      for (const room of rooms.values()) positions[room.roomId] = room.position;
      auth["resume"] = token;
      auth["positions"] = positions;
    }
    return auth;
  }
  const reportError = (error) => {
    const failure = error instanceof DialogueError ? error : new DialogueError("INTERNAL", error instanceof Error ? error.message : String(error));
    callEach(errorHandlers, failure);
  };
  const reported = (promise) => {
    promise.catch(reportError);
    return promise;
  };
  const settle = (outcome) => {
    const waiting = pending;
    pending = void 0;
    if (waiting === void 0) return;
    if (outcome.error === void 0) waiting.resolve();
    else waiting.reject(outcome.error);
  };
  function tokenExpiry(token2) {
    const payload = token2?.split(".")[1];
    if (payload === void 0) return void 0;
    try {
      const json = atob(payload.replace(/-/g, "+").replace(/_/g, "/"));
      const exp = JSON.parse(json).exp;
      return typeof exp === "number" ? exp * 1e3 : void 0;
    } catch {
      return void 0;
    }
  }
  function planRefresh(expiresAt) {
    if (refreshTimer !== void 0) clearTimeout(refreshTimer);
    refreshTimer = void 0;
    if (options.getToken === void 0 || expiresAt === void 0) return;
    const left = expiresAt - Date.now();
    const delay = Math.max(0, left - Math.min(3e4, left / 10));
    const MAX_TIMER = 2147483647;
    refreshTimer = setTimeout(() => {
      refreshTimer = void 0;
      if (delay > MAX_TIMER) planRefresh(expiresAt);
      else if (socket.connected) refreshToken().catch(reportError);
    }, Math.min(delay, MAX_TIMER));
  }
  async function refreshToken(token2) {
    const fresh = token2 ?? (options.getToken === void 0 ? void 0 : await options.getToken());
    if (fresh === void 0) throw new DialogueError("INVALID_REQUEST", "refreshToken: no token given and no getToken option");
    const answer = await request(WIRE.auth, { token: fresh });
    currentToken = fresh;
    planRefresh(answer.expiresAt);
    return answer.expiresAt === void 0 ? {} : { expiresAt: answer.expiresAt };
  }
  socket.on(WIRE.connected, (hello) => {
    userId = typeof hello?.userId === "string" ? hello.userId : "";
    planRefresh(tokenExpiry(currentToken ?? (typeof options.auth?.["token"] === "string" ? options.auth["token"] : void 0)));
    if (typeof hello?.resumeToken === "string") token = hello.resumeToken;
    setState("connected");
    const again = greetedBefore;
    greetedBefore = true;
    settle({});
    if (again) {
      const kept = new Set(hello?.resumed === true && Array.isArray(hello.rooms) ? hello.rooms : []);
      const recovered = new Set(Array.isArray(hello?.recovered) ? hello.recovered : []);
      const kicked = new Map((Array.isArray(hello?.kicked) ? hello.kicked : []).map((k) => [k.roomId, k.reason]));
      for (const room of [...rooms.values()]) {
        if (kept.has(room.roomId)) room.back(recovered.has(room.roomId));
        else if (kicked.has(room.roomId)) {
          room.kicked(kicked.get(room.roomId) ?? void 0);
          failQueued((q) => q.payload.roomId === room.roomId, new DialogueError("NOT_IN_ROOM", `removed from room ${room.roomId} by its host`));
        } else rejoin(room);
      }
    }
    callEach(connectHandlers);
  });
  socket.on("connect_error", (error) => {
    if (willReconnect()) return;
    setState("disconnected");
    const failure = new DialogueError("CONNECT_FAILED", `cannot connect to ${options.url}: ${error.message}`);
    if (pending === void 0) reportError(failure);
    settle({ error: failure });
    givenUp(failure);
  });
  socket.io.on("reconnect_attempt", () => {
    setState("reconnecting");
  });
  socket.io.on("reconnect_failed", () => {
    setState("disconnected");
    const failure = new DialogueError("CONNECT_FAILED", `cannot reconnect to ${options.url}: gave up`);
    if (pending === void 0) reportError(failure);
    settle({ error: failure });
    failQueued(() => true, failure);
  });
  socket.on("disconnect", (reason) => {
    for (const room of rooms.values()) room.away();
    setState(willReconnect() ? "reconnecting" : "disconnected");
    if (state === "disconnected") {
      settle({ error: new DialogueError("CONNECT_FAILED", `disconnected before the server's greeting: ${reason}`) });
      givenUp(new DialogueError("DISCONNECTED", `disconnected (${reason}) and not reconnecting`));
    }
    callEach(disconnectHandlers, reason);
  });
  const toRoom = (roomId, deliver) => {
    if (typeof roomId !== "string") return;
    const holding = held.get(roomId);
    if (holding !== void 0) holding.push(deliver);
    else {
      const room = rooms.get(roomId);
      if (room !== void 0) deliver(room);
    }
  };
  socket.on(WIRE.event, (message) => {
    toRoom(message?.roomId, (room) => room.dispatch(message));
  });
  socket.on(WIRE.presenceDiff, (diff) => {
    toRoom(diff?.roomId, (room) => room.presenceChanged(diff));
  });
  socket.on(WIRE.hostChanged, (changed) => {
    toRoom(changed?.roomId, (room) => room.hostChanged(changed.hostId));
  });
  socket.on(WIRE.kicked, (kicked) => {
    toRoom(kicked?.roomId, (room) => {
      room.kicked(kicked.reason);
      failQueued((q) => q.payload.roomId === room.roomId, new DialogueError("NOT_IN_ROOM", `removed from room ${room.roomId} by its host`));
    });
  });
  socket.on(WIRE.history, (push) => {
    if (push && Array.isArray(push.events)) callEach(historyHandlers, push.roomId, push.events);
  });
  socket.on(WIRE.roomCreated, (room) => callEach(roomCreatedHandlers, room));
  socket.on(WIRE.roomDeleted, (deleted) => {
    const room = rooms.get(deleted?.roomId);
    if (room !== void 0) {
      room.close();
      failQueued((q) => q.payload.roomId === room.roomId, new DialogueError("ROOM_NOT_FOUND", `room ${room.roomId} was deleted`));
    }
    callEach(roomDeletedHandlers, deleted?.roomId);
  });
  socket.on(WIRE.shutdown, () => {
    callEach(shutdownHandlers);
  });
  socket.on(WIRE.error, (error) => {
    reportError(new DialogueError(error?.code ?? "INTERNAL", error?.message ?? "error", error?.details));
  });
  async function request(event, payload) {
    let answer;
    const sentConnected = socket.connected;
    try {
      const timed = socket.timeout(ackTimeout);
      answer = await (payload === void 0 ? timed.emitWithAck(event) : timed.emitWithAck(event, payload));
    } catch {
      if (sentConnected && !socket.connected) {
        throw new DialogueError("DISCONNECTED", `${event}: the connection was lost before the answer`);
      }
      throw new DialogueError("TIMEOUT", `${event}: no answer within ${ackTimeout} ms`);
    }
    const reply = answer;
    if (reply !== null && typeof reply === "object" && reply.ok === true) return reply;
    if (reply !== null && typeof reply === "object" && reply.ok === false && reply.error) {
      throw new DialogueError(reply.error.code ?? "INTERNAL", reply.error.message ?? `${event} failed`, reply.error.details);
    }
    throw new DialogueError("INTERNAL", `${event}: unexpected answer ${JSON.stringify(answer)}`);
  }
  function sendTrigger(item) {
    request(WIRE.trigger, item.payload).then(
      (answer) => item.resolve(answer.message),
      (error) => {
        const room = rooms.get(item.payload.roomId);
        const code = error instanceof DialogueError ? error.code : void 0;
        if (code === "DISCONNECTED" && room !== void 0 && willReconnect()) {
          queue.push(item);
          if (room.ready && socket.connected) flush(room.roomId);
        } else if (code === "TIMEOUT" && room !== void 0 && item.timeouts < TRIGGER_RETRIES) {
          item.timeouts += 1;
          if (room.ready && socket.connected) sendTrigger(item);
          else queue.push(item);
        } else {
          item.reject(error instanceof DialogueError ? error : new DialogueError("INTERNAL", String(error)));
        }
      }
    );
  }
  function flush(roomId) {
    const ready = queue.filter((q) => q.payload.roomId === roomId);
    if (ready.length === 0) return;
    for (let i = queue.length - 1; i >= 0; i--) if (queue[i].payload.roomId === roomId) queue.splice(i, 1);
    for (const item of ready) sendTrigger(item);
  }
  function failQueued(which, error) {
    for (let i = queue.length - 1; i >= 0; i--) {
      const item = queue[i];
      if (which(item)) {
        queue.splice(i, 1);
        item.reject(error);
      }
    }
  }
  function rejoin(room, attempt = 0) {
    const ask = { roomId: room.roomId, since: room.position, subscriptions: room.subscriptions() };
    if (room.secret !== void 0) ask.secret = room.secret;
    if (!held.has(room.roomId)) held.set(room.roomId, []);
    const connection = socket.id;
    request(WIRE.join, ask).then(
      (answer) => {
        const recovered = answer.recovered === true;
        if (recovered && Array.isArray(answer.missed)) for (const message of answer.missed) room.dispatch(message);
        room.moveTo(answer.position);
        releaseHeld(room);
        room.back(recovered);
      },
      (error) => {
        const failure = error instanceof DialogueError ? error : new DialogueError("INTERNAL", String(error));
        if (failure.code === "DISCONNECTED") {
          held.delete(room.roomId);
          return;
        }
        if (rooms.get(room.roomId) !== room) {
          held.delete(room.roomId);
          return;
        }
        if (TRANSIENT.has(failure.code) && attempt < REJOIN_RETRIES) {
          const delay = Math.min(250 * 2 ** attempt, 5e3);
          setTimeout(() => {
            if (socket.connected && socket.id === connection && rooms.get(room.roomId) === room) rejoin(room, attempt + 1);
          }, delay);
          return;
        }
        held.delete(room.roomId);
        room.close();
        failQueued((q) => q.payload.roomId === room.roomId, failure);
        if (failure.code === "ROOM_NOT_FOUND") callEach(roomDeletedHandlers, room.roomId);
        else reportError(failure);
      }
    );
  }
  function releaseHeld(room) {
    const waiting = held.get(room.roomId) ?? [];
    held.delete(room.roomId);
    for (const deliver of waiting) deliver(room);
  }
  function templateOf(roomId) {
    return TEMPLATE_ROOMS.find(
      (room) => roomId.length > room.prefix.length + room.suffix.length && roomId.startsWith(room.prefix) && roomId.endsWith(room.suffix)
    );
  }
  function validatedRoom(roomId) {
    if (Object.prototype.hasOwnProperty.call(VALIDATED_ROOMS, roomId)) return VALIDATED_ROOMS[roomId] === true;
    return templateOf(roomId)?.validated === true;
  }
  function defaultSubscriptions(roomId) {
    if (Object.prototype.hasOwnProperty.call(ROOM_SUBSCRIPTIONS, roomId)) return ROOM_SUBSCRIPTIONS[roomId];
    return templateOf(roomId)?.subscriptions ?? ["*"];
  }
  function triggerId() {
    triggerCount += 1;
    return `${Date.now().toString(36)}-${triggerCount.toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
  }
  function openRoom(roomId, roomName, joinedAt, secret) {
    const handlers = /* @__PURE__ */ new Map();
    const anyHandlers = /* @__PURE__ */ new Set();
    const recoveredHandlers = /* @__PURE__ */ new Set();
    const presenceHandlers = /* @__PURE__ */ new Set();
    const hostHandlers = /* @__PURE__ */ new Set();
    const kickedHandlers = /* @__PURE__ */ new Set();
    let history = [];
    let position = { epoch: joinedAt.epoch, seq: joinedAt.seq };
    let ready = true;
    const defaults = defaultSubscriptions(roomId);
    let all = defaults.includes("*");
    const named = new Set(defaults.filter((name) => name !== "*"));
    let unconfirmed = false;
    const close = () => {
      handlers.clear();
      anyHandlers.clear();
      recoveredHandlers.clear();
      presenceHandlers.clear();
      hostHandlers.clear();
      kickedHandlers.clear();
      ready = false;
      if (rooms.get(roomId) === context) rooms.delete(roomId);
    };
    const send = async (event, data, meta) => {
      if (validate && validatedRoom(roomId) && Object.prototype.hasOwnProperty.call(SCHEMAS, event)) {
        refuseInvalid(validatePayload(event, data), `${JSON.stringify(event)} payload`);
      }
      if (rooms.get(roomId) !== context) throw new DialogueError("NOT_IN_ROOM", `room ${roomId} was left`);
      const payload = { roomId, event, data: data === void 0 ? null : data, id: triggerId() };
      if (meta !== void 0) payload.meta = meta;
      return new Promise((resolve, reject) => {
        const item = { payload, resolve, reject, timeouts: 0 };
        if (state === "disconnected") {
          reject(new DialogueError("DISCONNECTED", "not connected, and not reconnecting: connect() first"));
        } else if (ready && state === "connected") {
          sendTrigger(item);
        } else if (queue.length >= queueLimit) {
          reject(new DialogueError("UNAVAILABLE", `offline: ${queueLimit} triggers are already waiting for the connection`));
        } else {
          queue.push(item);
        }
      });
    };
    const change = (wire2, event, on2) => {
      const before = { all, named: new Set(named) };
      if (event === void 0 || event === "*") all = on2;
      else if (on2) named.add(event);
      else named.delete(event);
      const body = event === void 0 ? { roomId } : { roomId, eventName: event };
      return reported(
        request(wire2, body).then(
          () => void 0,
          (error) => {
            const code = error instanceof DialogueError ? error.code : "INTERNAL";
            if (code === "DISCONNECTED" || code === "TIMEOUT") unconfirmed = true;
            else {
              all = before.all;
              named.clear();
              for (const name of before.named) named.add(name);
            }
            throw error;
          }
        )
      );
    };
    const context = {
      roomId,
      roomName,
      /** The secret the room was joined with, for joining it again. */
      secret,
      get history() {
        return history;
      },
      get position() {
        return { epoch: position.epoch, seq: position.seq };
      },
      get ready() {
        return ready;
      },
      setHistory(events) {
        history = events;
      },
      /** The subscriptions to ask for when joining again. */
      subscriptions() {
        return all ? ["*", ...named] : [...named];
      },
      /** Delivers an event once: one at or before the position was seen already. */
      dispatch(message) {
        if (typeof message?.seq === "number") {
          if (message.seq <= position.seq) return;
          position = { epoch: position.epoch, seq: message.seq };
        }
        const own = handlers.get(message.event);
        if (own) callEach(own, message);
        callEach(anyHandlers, message.event, message);
      },
      /** Joined again: the room's position now (a new epoch after a restart). */
      moveTo(now) {
        if (now === void 0 || typeof now.seq !== "number") return;
        if (now.epoch !== position.epoch || now.seq > position.seq) position = { epoch: now.epoch, seq: now.seq };
      },
      /** The connection is gone: triggers wait from now on. */
      away() {
        ready = false;
      },
      /** Back on a new connection: waiting triggers go, and the app hears whether anything was lost. */
      back(recovered) {
        if (rooms.get(roomId) !== context) return;
        if (unconfirmed && socket.connected) {
          unconfirmed = false;
          rejoin(context);
          return;
        }
        ready = true;
        flush(roomId);
        callEach(recoveredHandlers, { recovered });
      },
      close,
      trigger(event, data, meta) {
        send(event, data, meta).catch(reportError);
      },
      send,
      on(event, handler) {
        let set = handlers.get(event);
        if (set === void 0) {
          set = /* @__PURE__ */ new Set();
          handlers.set(event, set);
        }
        const own = set;
        own.add(handler);
        return () => {
          own.delete(handler);
        };
      },
      onAny(handler) {
        return listen(anyHandlers, handler);
      },
      onRecovered(handler) {
        return listen(recoveredHandlers, handler);
      },
      subscribe(event) {
        return change(WIRE.subscribe, event, true);
      },
      subscribeAll() {
        return change(WIRE.subscribeAll, void 0, true);
      },
      unsubscribe(event) {
        return change(WIRE.unsubscribe, event, false);
      },
      leave() {
        close();
        failQueued((q) => q.payload.roomId === roomId, new DialogueError("NOT_IN_ROOM", `room ${roomId} was left`));
        return reported(request(WIRE.leave, { roomId }).then(() => void 0));
      },
      async getHistory(event, start, end) {
        const query = { roomId, eventName: event };
        if (start !== void 0) query.start = start;
        if (end !== void 0) query.end = end;
        const page = await request(WIRE.getHistory, query);
        return page.events;
      },
      presenceChanged(diff) {
        const members = (list) => Array.isArray(list) ? list : [];
        callEach(presenceHandlers, { joined: members(diff.joined), left: members(diff.left), updated: members(diff.updated) });
      },
      hostChanged(hostId) {
        if (typeof hostId === "string") callEach(hostHandlers, hostId);
      },
      /** Removed by the host: handlers hear it, then the room closes. */
      kicked(reason) {
        const listeners = [...kickedHandlers];
        close();
        for (const handler of listeners) handler(typeof reason === "string" ? reason : void 0);
      },
      async presence() {
        const page = await request(WIRE.getPresence, { roomId });
        return { members: page.members, count: page.count };
      },
      onPresence(handler) {
        return listen(presenceHandlers, handler);
      },
      async setPresence(info) {
        if (validate && PRESENCE_SCHEMA !== null) {
          refuseInvalid(checkAgainst({ info: PRESENCE_SCHEMA }, "info", "presence info", info), "presence info");
        }
        await request(WIRE.setPresence, { roomId, info });
      },
      async kick(userId2, asked) {
        const kick = { roomId, userId: userId2 };
        if (asked?.reason !== void 0) kick.reason = asked.reason;
        if (asked?.ban !== void 0) kick.ban = asked.ban;
        await request(WIRE.kick, kick);
      },
      async transferHost(userId2) {
        await request(WIRE.transferHost, { roomId, userId: userId2 });
      },
      onHostChanged(handler) {
        return listen(hostHandlers, handler);
      },
      onKicked(handler) {
        return listen(kickedHandlers, handler);
      }
    };
    return context;
  }
  const idOf = (room) => typeof room === "string" ? room : room.id;
  const client = {
    get userId() {
      return userId;
    },
    get connected() {
      return state === "connected";
    },
    get state() {
      return state;
    },
    connect() {
      if (state === "connected") return Promise.resolve();
      if (pending === void 0) {
        let resolve;
        let reject;
        const promise = new Promise((ok, fail) => {
          resolve = ok;
          reject = fail;
        });
        pending = { promise, resolve, reject };
        setState(greetedBefore ? "reconnecting" : "connecting");
        socket.connect();
      }
      return pending.promise;
    },
    disconnect() {
      if (refreshTimer !== void 0) clearTimeout(refreshTimer);
      refreshTimer = void 0;
      for (const room of [...rooms.values()]) room.close();
      token = void 0;
      greetedBefore = false;
      socket.disconnect();
      setState("disconnected");
      const closed = new DialogueError("DISCONNECTED", "disconnect() was called");
      failQueued(() => true, closed);
      settle({ error: new DialogueError("DISCONNECTED", "disconnect() was called while connecting") });
    },
    async join(target, joining) {
      const roomId = idOf(target);
      const first = !rooms.has(roomId) && !held.has(roomId);
      if (first) held.set(roomId, []);
      const ask = { roomId };
      if (joining?.secret !== void 0) ask.secret = joining.secret;
      let answer;
      try {
        answer = await request(WIRE.join, ask);
      } catch (error) {
        if (first) held.delete(roomId);
        throw error;
      }
      let room = rooms.get(roomId);
      if (room === void 0) {
        room = openRoom(roomId, answer.roomName, answer.position ?? { epoch: "", seq: 0 }, joining?.secret);
        rooms.set(roomId, room);
      }
      if (Array.isArray(answer.history)) {
        room.setHistory(answer.history);
        callEach(historyHandlers, roomId, answer.history);
      }
      if (first) {
        const joined = room;
        setTimeout(() => releaseHeld(joined), 0);
      }
      return room;
    },
    getRoom(target) {
      return rooms.get(idOf(target));
    },
    async listRooms() {
      return (await request(WIRE.listRooms)).rooms;
    },
    async createRoom(room) {
      return (await request(WIRE.createRoom, room)).room;
    },
    async deleteRoom(room) {
      await request(WIRE.deleteRoom, { roomId: idOf(room) });
    },
    async request(name, data, asked) {
      if (validate) {
        refuseInvalid(validateRequest(name, data), `${JSON.stringify(name)} request`);
      }
      const call = { name, data: data === void 0 ? null : data };
      if (asked?.roomId !== void 0) call.roomId = asked.roomId;
      return (await request(WIRE.request, call)).data;
    },
    refreshToken,
    onConnect: (handler) => listen(connectHandlers, handler),
    onDisconnect: (handler) => listen(disconnectHandlers, handler),
    onStateChange: (handler) => listen(stateHandlers, handler),
    onError: (handler) => listen(errorHandlers, handler),
    onRoomCreated: (handler) => listen(roomCreatedHandlers, handler),
    onRoomDeleted: (handler) => listen(roomDeletedHandlers, handler),
    onHistory: (handler) => listen(historyHandlers, handler),
    onShutdown: (handler) => listen(shutdownHandlers, handler)
  };
  if (options.autoConnect ?? true) client.connect().catch(reportError);
  return client;
}
function listen(set, handler) {
  set.add(handler);
  return () => {
    set.delete(handler);
  };
}
function callEach(handlers, ...args) {
  for (const handler of [...handlers]) {
    try {
      handler(...args);
    } catch (error) {
      setTimeout(() => {
        throw error;
      }, 0);
    }
  }
}
function jsonSchemaCheck(schema, value2, path, root, issues) {
  if (issues.length >= 20) return;
  if (schema === true) return;
  if (schema === false) {
    issues.push({ path, message: `False schema does not allow ${show(value2)}` });
    return;
  }
  const s = schema;
  const fail = (message, at = path) => {
    issues.push({ path: at, message });
  };
  const valid = (sub, v = value2) => {
    const found = [];
    jsonSchemaCheck(sub, v, path, root, found);
    return found.length === 0;
  };
  if (typeof s["$ref"] === "string") {
    const target = resolveRef(root, s["$ref"]);
    if (target === void 0) fail(`cannot resolve ${JSON.stringify(s["$ref"])}`);
    else jsonSchemaCheck(target, value2, path, root, issues);
  }
  const type = s["type"];
  if (type !== void 0) {
    const types = Array.isArray(type) ? type : [type];
    if (!types.some((t) => hasType(value2, t))) {
      const names = types.map((t) => JSON.stringify(t)).join(", ");
      fail(`${show(value2)} is not of type${types.length > 1 ? "s" : ""} ${names}`);
    }
  }
  if (Array.isArray(s["enum"]) && !s["enum"].some((option) => jsonEqual(option, value2))) {
    fail(`${show(value2)} is not one of ${show(s["enum"])}`);
  }
  if ("const" in s && !jsonEqual(s["const"], value2)) {
    fail(`${show(s["const"])} was expected`);
  }
  if (typeof value2 === "string") {
    const length = [...value2].length;
    if (typeof s["minLength"] === "number" && length < s["minLength"]) {
      fail(`${show(value2)} is shorter than ${s["minLength"]} character${s["minLength"] === 1 ? "" : "s"}`);
    }
    if (typeof s["maxLength"] === "number" && length > s["maxLength"]) {
      fail(`${show(value2)} is longer than ${s["maxLength"]} character${s["maxLength"] === 1 ? "" : "s"}`);
    }
    if (typeof s["pattern"] === "string" && !new RegExp(s["pattern"], "u").test(value2)) {
      fail(`${show(value2)} does not match ${JSON.stringify(s["pattern"])}`);
    }
    if (typeof s["format"] === "string" && !formatHolds(s["format"], value2)) {
      fail(`${show(value2)} is not a ${JSON.stringify(s["format"])}`);
    }
  }
  if (typeof value2 === "number") {
    if (typeof s["minimum"] === "number" && value2 < s["minimum"]) {
      fail(`${show(value2)} is less than the minimum of ${s["minimum"]}`);
    }
    if (typeof s["maximum"] === "number" && value2 > s["maximum"]) {
      fail(`${show(value2)} is greater than the maximum of ${s["maximum"]}`);
    }
    if (typeof s["exclusiveMinimum"] === "number" && value2 <= s["exclusiveMinimum"]) {
      fail(`${show(value2)} is less than or equal to the minimum of ${s["exclusiveMinimum"]}`);
    }
    if (typeof s["exclusiveMaximum"] === "number" && value2 >= s["exclusiveMaximum"]) {
      fail(`${show(value2)} is greater than or equal to the maximum of ${s["exclusiveMaximum"]}`);
    }
    if (typeof s["multipleOf"] === "number" && s["multipleOf"] > 0) {
      const ratio = value2 / s["multipleOf"];
      if (!Number.isFinite(ratio) || Math.abs(ratio - Math.round(ratio)) > 1e-9) {
        fail(`${show(value2)} is not a multiple of ${s["multipleOf"]}`);
      }
    }
  }
  if (Array.isArray(value2)) {
    const prefix = Array.isArray(s["prefixItems"]) ? s["prefixItems"] : [];
    prefix.forEach((item, i) => {
      if (i < value2.length) jsonSchemaCheck(item, value2[i], `${path}/${i}`, root, issues);
    });
    if ("items" in s) {
      if (s["items"] === false && value2.length > prefix.length) {
        fail(`Additional items are not allowed (${value2.slice(prefix.length).map(show).join(", ")} ${value2.length - prefix.length === 1 ? "was" : "were"} unexpected)`);
      } else {
        for (let i = prefix.length; i < value2.length; i++) {
          jsonSchemaCheck(s["items"], value2[i], `${path}/${i}`, root, issues);
        }
      }
    }
    if (typeof s["minItems"] === "number" && value2.length < s["minItems"]) {
      fail(`${show(value2)} has less than ${s["minItems"]} item${s["minItems"] === 1 ? "" : "s"}`);
    }
    if (typeof s["maxItems"] === "number" && value2.length > s["maxItems"]) {
      fail(`${show(value2)} has more than ${s["maxItems"]} item${s["maxItems"] === 1 ? "" : "s"}`);
    }
    if (s["uniqueItems"] === true && value2.some((a, i) => value2.some((b, j) => j > i && jsonEqual(a, b)))) {
      fail(`${show(value2)} has non-unique elements`);
    }
    if ("contains" in s && !value2.some((item) => valid(s["contains"], item))) {
      fail(`None of ${show(value2)} are valid under the given schema`);
    }
  }
  if (value2 !== null && typeof value2 === "object" && !Array.isArray(value2)) {
    const object = value2;
    const keys = Object.keys(object);
    const properties = isObject2(s["properties"]) ? s["properties"] : {};
    const patterns = isObject2(s["patternProperties"]) ? s["patternProperties"] : {};
    const pointer = (name) => `${path}/${name.replace(/~/g, "~0").replace(/\//g, "~1")}`;
    if (Array.isArray(s["required"])) {
      for (const name of s["required"]) {
        if (!Object.prototype.hasOwnProperty.call(object, name)) fail(`${JSON.stringify(name)} is a required property`, pointer(name));
      }
    }
    const extra = [];
    for (const key of keys) {
      const at = pointer(key);
      let matched = false;
      if (Object.prototype.hasOwnProperty.call(properties, key)) {
        matched = true;
        jsonSchemaCheck(properties[key], object[key], at, root, issues);
      }
      for (const [pattern, sub] of Object.entries(patterns)) {
        if (new RegExp(pattern, "u").test(key)) {
          matched = true;
          jsonSchemaCheck(sub, object[key], at, root, issues);
        }
      }
      if (!matched && "additionalProperties" in s) {
        if (s["additionalProperties"] === false) extra.push(key);
        else jsonSchemaCheck(s["additionalProperties"], object[key], at, root, issues);
      }
      if ("propertyNames" in s) jsonSchemaCheck(s["propertyNames"], key, at, root, issues);
    }
    if (extra.length > 0) {
      fail(`Additional properties are not allowed (${extra.map((k) => `'${k}'`).join(", ")} ${extra.length === 1 ? "was" : "were"} unexpected)`);
    }
    if (typeof s["minProperties"] === "number" && keys.length < s["minProperties"]) {
      fail(`${show(value2)} has less than ${s["minProperties"]} propert${s["minProperties"] === 1 ? "y" : "ies"}`);
    }
    if (typeof s["maxProperties"] === "number" && keys.length > s["maxProperties"]) {
      fail(`${show(value2)} has more than ${s["maxProperties"]} propert${s["maxProperties"] === 1 ? "y" : "ies"}`);
    }
    if (isObject2(s["dependentRequired"])) {
      for (const [key, needed] of Object.entries(s["dependentRequired"])) {
        if (!Object.prototype.hasOwnProperty.call(object, key)) continue;
        for (const name of needed) {
          if (!Object.prototype.hasOwnProperty.call(object, name)) fail(`${JSON.stringify(name)} is a required property`, pointer(name));
        }
      }
    }
  }
  if (Array.isArray(s["allOf"])) {
    for (const sub of s["allOf"]) jsonSchemaCheck(sub, value2, path, root, issues);
  }
  if (Array.isArray(s["anyOf"]) && !s["anyOf"].some((sub) => valid(sub))) {
    fail(`${show(value2)} is not valid under any of the schemas listed in the 'anyOf' keyword`);
  }
  if (Array.isArray(s["oneOf"])) {
    const matching = s["oneOf"].filter((sub) => valid(sub)).length;
    if (matching === 0) fail(`${show(value2)} is not valid under any of the schemas listed in the 'oneOf' keyword`);
    if (matching > 1) fail(`${show(value2)} is valid under more than one of the schemas listed in the 'oneOf' keyword`);
  }
  if ("not" in s && valid(s["not"])) {
    fail(`${show(value2)} should not be valid under ${show(s["not"])}`);
  }
  if ("if" in s) {
    const branch = valid(s["if"]) ? s["then"] : s["else"];
    if (branch !== void 0) jsonSchemaCheck(branch, value2, path, root, issues);
  }
}
function resolveRef(root, ref) {
  if (ref === "#") return root;
  if (!ref.startsWith("#/")) return void 0;
  let at = root;
  for (const raw of ref.slice(2).split("/")) {
    const key = decodeURIComponent(raw).replace(/~1/g, "/").replace(/~0/g, "~");
    if (!isObject2(at) && !Array.isArray(at)) return void 0;
    at = at[key];
  }
  return at === true || at === false || isObject2(at) ? at : void 0;
}
function isObject2(value2) {
  return value2 !== null && typeof value2 === "object" && !Array.isArray(value2);
}
function hasType(value2, type) {
  switch (type) {
    case "null":
      return value2 === null;
    case "boolean":
      return typeof value2 === "boolean";
    case "string":
      return typeof value2 === "string";
    case "number":
      return typeof value2 === "number";
    case "integer":
      return typeof value2 === "number" && Number.isInteger(value2);
    case "array":
      return Array.isArray(value2);
    case "object":
      return isObject2(value2);
    default:
      return false;
  }
}
function jsonEqual(a, b) {
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => jsonEqual(x, b[i]));
  }
  if (isObject2(a) && isObject2(b)) {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((k) => Object.prototype.hasOwnProperty.call(b, k) && jsonEqual(a[k], b[k]));
  }
  return false;
}
function show(value2) {
  const text = JSON.stringify(value2) ?? "null";
  return text.length > 80 ? `${text.slice(0, 80)}…` : text;
}
function formatHolds(format, value2) {
  switch (format) {
    case "email":
      return emailHolds(value2);
    case "uri":
      return uriHolds(value2);
    case "hostname":
      return hostnameHolds(value2);
    case "ipv4":
      return ipv4Holds(value2);
    case "uuid":
      return /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/.test(value2);
    case "date":
      return dateHolds(value2);
    case "date-time": {
      const match = /^(\d{4}-\d{2}-\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-](\d{2}):(\d{2}))$/.exec(value2);
      if (match === null || !dateHolds(match[1])) return false;
      const [h, m, sec] = [Number(match[2]), Number(match[3]), Number(match[4])];
      const offsetOk = match[7] === void 0 || Number(match[7]) < 24 && Number(match[8]) < 60;
      return h < 24 && m < 60 && sec <= 60 && offsetOk;
    }
    default:
      return true;
  }
}
function dateHolds(value2) {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value2);
  if (match === null) return false;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  if (month < 1 || month > 12 || day < 1) return false;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1];
  return day <= days;
}
function ipv4Holds(value2) {
  const parts2 = value2.split(".");
  return parts2.length === 4 && parts2.every((part) => /^(0|[1-9]\d{0,2})$/.test(part) && Number(part) <= 255);
}
function hostnameHolds(value2) {
  const name = value2.endsWith(".") ? value2.slice(0, -1) : value2;
  if (name.length === 0 || name.length > 253) return false;
  return name.split(".").every((label) => /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/.test(label));
}
function emailHolds(value2) {
  const at = value2.lastIndexOf("@");
  if (at <= 0 || at === value2.length - 1) return false;
  const local = value2.slice(0, at);
  const domain = value2.slice(at + 1);
  const atom = "[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+";
  const localOk = local.length <= 64 && (new RegExp(`^${atom}(?:\\.${atom})*$`).test(local) || /^"(?:[\x20\x21\x23-\x5b\x5d-\x7e]|\\[\x20-\x7e])*"$/.test(local));
  if (!localOk) return false;
  if (domain.startsWith("[") && domain.endsWith("]")) return ipv4Holds(domain.slice(1, -1));
  return hostnameHolds(domain) && !domain.endsWith(".");
}
function uriHolds(value2) {
  const match = /^([A-Za-z][A-Za-z0-9+.-]*):([^#]*)(?:#(.*))?$/.exec(value2);
  if (match === null) return false;
  const chars2 = /^(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/?]|%[0-9A-Fa-f]{2})*$/;
  const rest = match[2];
  if (!chars2.test(rest) || !chars2.test(match[3] ?? "")) return false;
  if (rest.startsWith("//")) {
    const authority = rest.slice(2).split(/[/?]/, 1)[0];
    const host = authority.slice(authority.lastIndexOf("@") + 1).replace(/:\d*$/, "");
    if (host.includes(":") || host.includes("@")) return false;
  }
  return true;
}

// src/main.ts
var ROOM = "general";
var MAX_LENGTH = 500;
var TYPING_TIMEOUT_MS = 4e3;
var TYPING_IDLE_MS = 2e3;
var TYPING_REPEAT_MS = 2e3;
function element(id) {
  const found = document.getElementById(id);
  if (!found) throw new Error(`the page has no #${id}`);
  return found;
}
var view = {
  state: element("state"),
  login: element("login"),
  name: element("name"),
  loginError: element("login-error"),
  chat: element("chat"),
  messages: element("messages"),
  typing: element("typing"),
  composer: element("composer"),
  input: element("message-input"),
  counter: element("counter"),
  send: element("send"),
  sendError: element("send-error"),
  online: element("online"),
  onlineCount: element("online-count")
};
function showState(state) {
  view.state.textContent = state;
  view.state.dataset.state = state;
}
function showError(target, text) {
  target.textContent = text ?? "";
  target.hidden = text === null;
}
var timeFormat = new Intl.DateTimeFormat(void 0, { hour: "2-digit", minute: "2-digit" });
var shown = /* @__PURE__ */ new Set();
function addMessage(message, me) {
  const key = `${message.from}${message.timestamp}${message.data.text}`;
  if (shown.has(key)) return;
  shown.add(key);
  const item = document.createElement("li");
  item.className = message.from === me ? "message mine" : "message";
  item.dataset.timestamp = String(message.timestamp);
  const meta = document.createElement("div");
  meta.className = "meta";
  const from = document.createElement("span");
  from.className = "from";
  from.textContent = message.from;
  const time = document.createElement("time");
  time.dateTime = new Date(message.timestamp).toISOString();
  time.textContent = timeFormat.format(message.timestamp);
  meta.append(from, time);
  const text = document.createElement("div");
  text.className = "text";
  text.textContent = message.data.text;
  item.append(meta, text);
  const after = [...view.messages.children].find(
    (other) => Number(other.dataset.timestamp) > message.timestamp
  );
  view.messages.insertBefore(item, after ?? null);
  view.messages.scrollTop = view.messages.scrollHeight;
}
function addNotice(text, timestamp) {
  const item = document.createElement("li");
  item.className = "notice";
  item.dataset.timestamp = String(timestamp);
  item.textContent = text;
  view.messages.append(item);
  view.messages.scrollTop = view.messages.scrollHeight;
}
function showOnline(users) {
  view.online.replaceChildren(
    ...users.map((user) => {
      const item = document.createElement("li");
      item.textContent = user;
      return item;
    })
  );
  view.onlineCount.textContent = String(users.length);
}
var typing = /* @__PURE__ */ new Map();
function showTyping() {
  const names = [...typing.keys()].sort();
  view.typing.textContent = names.length === 0 ? "" : names.length === 1 ? `${names[0]} is typing…` : `${names.slice(0, -1).join(", ")} and ${names[names.length - 1]} are typing…`;
}
function explain(issues, text) {
  const length = [...text].length;
  if (text.length === 0) return "Write something first: a message cannot be empty.";
  if (length > MAX_LENGTH) {
    return `Too long: at most ${MAX_LENGTH} characters, this one has ${length}.`;
  }
  return issues.map((issue) => issue.message).join("; ") || "The server refused this message.";
}
async function enter(name) {
  localStorage.setItem("dialogue-chat-name", name);
  view.login.hidden = true;
  view.chat.hidden = false;
  showState("connecting");
  const client = createDialogueClient({
    url: window.location.origin,
    auth: { userId: name }
  });
  client.onStateChange((state) => {
    showState(state);
    setComposer(state !== "disconnected");
  });
  client.onError((error) => console.warn("dialogue error", error.code, error.message));
  try {
    await client.connect();
  } catch (error) {
    showState("disconnected");
    view.login.hidden = false;
    view.chat.hidden = true;
    showError(view.loginError, `Cannot connect: ${error.message}`);
    return;
  }
  showState("connected");
  client.onHistory((roomId, events) => {
    if (roomId !== ROOM) return;
    for (const event of events) {
      if (event.event === "message") addMessage(event, name);
    }
  });
  let general;
  try {
    general = await joinGeneral(client);
  } catch (error) {
    setComposer(false);
    showError(view.sendError, `Cannot join the chat: ${error.message}. Reload to try again.`);
    return;
  }
  wire(general, client, name);
  general.onRecovered(async ({ recovered }) => {
    if (recovered) return;
    const latest = await general.getHistory("message", 0, 50);
    for (const message of latest) addMessage(message, name);
  });
  setComposer(true);
}
function setComposer(enabled) {
  view.input.disabled = !enabled;
  view.send.disabled = !enabled;
}
function joinGeneral(client) {
  return client.join(ROOM);
}
function wire(general, client, me) {
  general.on("message", (message) => {
    addMessage(message, me);
    const timer = typing.get(message.from);
    if (timer !== void 0) {
      clearTimeout(timer);
      typing.delete(message.from);
      showTyping();
    }
  });
  const online = /* @__PURE__ */ new Set();
  const showPresent = () => showOnline([...online].sort());
  general.onPresence((change) => {
    const now = Date.now();
    for (const member of change.joined) {
      online.add(member.userId);
      if (member.userId !== me) addNotice(`${member.userId} joined`, now);
    }
    for (const member of change.left) {
      online.delete(member.userId);
      addNotice(`${member.userId} left`, now);
      const timer = typing.get(member.userId);
      if (timer !== void 0) {
        clearTimeout(timer);
        typing.delete(member.userId);
        showTyping();
      }
    }
    showPresent();
  });
  const reloadPresence = async () => {
    const present = await general.presence();
    online.clear();
    for (const member of present.members) online.add(member.userId);
    showPresent();
  };
  reloadPresence().catch((error) => console.warn("presence", error));
  general.onRecovered(() => {
    reloadPresence().catch((error) => console.warn("presence", error));
  });
  general.on("typing", (event) => {
    if (event.from === me) return;
    const previous = typing.get(event.from);
    if (previous !== void 0) clearTimeout(previous);
    if (event.data.isTyping) {
      typing.set(
        event.from,
        setTimeout(() => {
          typing.delete(event.from);
          showTyping();
        }, TYPING_TIMEOUT_MS)
      );
    } else {
      typing.delete(event.from);
    }
    showTyping();
  });
  let typingSentAt;
  let idle;
  const stopTyping = () => {
    if (idle !== void 0) clearTimeout(idle);
    if (typingSentAt !== void 0) general.trigger("typing", { isTyping: false });
    typingSentAt = void 0;
  };
  view.input.addEventListener("input", () => {
    const length = [...view.input.value].length;
    view.counter.textContent = `${length}/${MAX_LENGTH}`;
    view.counter.classList.toggle("over", length > MAX_LENGTH);
    view.input.removeAttribute("aria-invalid");
    showError(view.sendError, null);
    const now = Date.now();
    if (view.input.value.length > 0 && (typingSentAt === void 0 || now - typingSentAt >= TYPING_REPEAT_MS)) {
      general.trigger("typing", { isTyping: true });
      typingSentAt = now;
    }
    if (idle !== void 0) clearTimeout(idle);
    idle = setTimeout(stopTyping, TYPING_IDLE_MS);
  });
  view.composer.addEventListener("submit", async (submit) => {
    submit.preventDefault();
    const text = view.input.value;
    setComposer(false);
    try {
      const sent = await general.send("message", { text });
      addMessage(sent, me);
      if (view.input.value === text) {
        view.input.value = "";
        view.counter.textContent = `0/${MAX_LENGTH}`;
        stopTyping();
      }
    } catch (error) {
      const message = error instanceof DialogueError ? error.code === "VALIDATION_FAILED" ? explain(error.details ?? [], text) : error.message : String(error);
      view.input.setAttribute("aria-invalid", "true");
      showError(view.sendError, message);
    } finally {
      setComposer(client.state !== "disconnected");
      view.input.focus();
    }
  });
  view.input.focus();
}
view.login.addEventListener("submit", (submit) => {
  submit.preventDefault();
  const name = view.name.value.trim();
  if (name.length === 0) {
    showError(view.loginError, "Pick a name first.");
    return;
  }
  showError(view.loginError, null);
  void enter(name);
});
var remembered = new URLSearchParams(window.location.search).get("name") ?? localStorage.getItem("dialogue-chat-name");
if (remembered) {
  view.name.value = remembered;
  if (new URLSearchParams(window.location.search).has("name")) void enter(remembered);
}
