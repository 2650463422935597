// An EventSource in a real browser (Debian's chromium, headless, driven by
// playwright-core) against a Dialogue server's event stream: it receives
// events, the connection is cut under it, the browser reconnects by itself
// (with Last-Event-ID) and misses nothing, receiving nothing twice.
//
// Run by `cargo test --test serve sse::an_event_source` (which starts the
// server behind a fault proxy and sets PAGE_URL, SERVER_URL, API_KEY).

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { chromium } from "playwright-core";

const PAGE_URL = process.env.PAGE_URL; // through the fault proxy
const SERVER_URL = process.env.SERVER_URL; // direct
const API_KEY = process.env.API_KEY;
const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
const WAIT = 10_000;

let browser;
before(async () => {
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--headless", "--no-sandbox", "--disable-gpu"] });
});
after(async () => {
  await browser?.close();
});

async function publish(text) {
  const response = await fetch(`${SERVER_URL}/api/rooms/chat/events`, {
    method: "POST",
    headers: { authorization: `Bearer ${API_KEY}`, "content-type": "application/json" },
    body: JSON.stringify({ event: "message", data: { text, senderId: "backend" } }),
  });
  assert.equal(response.status, 201, await response.text());
}

async function received(page) {
  return page.evaluate(() => window.received.slice());
}

test("an EventSource reconnects by itself and misses nothing", async () => {
  const page = await browser.newPage();
  const problems = [];
  page.on("pageerror", (error) => problems.push(error.message));
  await page.goto(`${PAGE_URL}/sse.html`);
  await page.waitForFunction(() => window.opens >= 1, undefined, { timeout: WAIT });

  for (const text of ["m1", "m2", "m3"]) await publish(text);
  await page.waitForFunction(() => window.received.length >= 3, undefined, { timeout: WAIT });

  // The server side drops the stream (the proxy cuts every connection);
  // what is published meanwhile must arrive once the browser is back.
  const cut = await fetch(`${SERVER_URL}/test/cut`, { method: "POST" });
  assert.equal(cut.status, 200);
  await page.waitForFunction(() => window.errors >= 1, undefined, { timeout: WAIT });
  for (const text of ["m4", "m5"]) await publish(text);
  await page.waitForFunction(() => window.opens >= 2 && window.received.length >= 5, undefined, { timeout: WAIT });
  await publish("m6");
  await page.waitForFunction(() => window.received.length >= 6, undefined, { timeout: WAIT });

  const got = await received(page);
  assert.deepEqual(got.map((m) => m.text), ["m1", "m2", "m3", "m4", "m5", "m6"], "every event once, in order");
  const seqs = got.map((m) => m.seq);
  for (let i = 1; i < seqs.length; i++) assert.equal(seqs[i], seqs[i - 1] + 1, `seqs follow: ${seqs}`);
  assert.ok(got.every((m) => m.id.endsWith(`:${m.seq}`)), "ids are epoch:seq");
  assert.equal(await page.evaluate(() => window.resets), 0, "recovered, not reset");
  assert.deepEqual(problems, []);
});
