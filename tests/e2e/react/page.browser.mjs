// The React page (page.mjs) in a real browser: bundled with esbuild, loaded
// in Debian's chromium (headless, driven by playwright-core), talking to the
// conformance server while a Node client in the same room speaks to it.
// Run by `cargo test --test codegen_react` from a directory where
// `conformance-client` is the generated package.
//
//   node page.browser.mjs http://127.0.0.1:PORT

import assert from "node:assert/strict";
import { build } from "esbuild";
import { chromium } from "playwright-core";
import { createDialogueClient } from "conformance-client";

const url = process.argv[2];
assert.ok(url, "usage: node page.browser.mjs URL");
const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
const WAIT = { timeout: 15_000 };

const bundle = await build({
  entryPoints: ["page.mjs"],
  bundle: true,
  write: false,
  format: "iife",
  target: "es2020",
  define: { "process.env.NODE_ENV": '"production"' },
  logLevel: "warning",
});
const script = bundle.outputFiles[0].text;

const browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--headless", "--no-sandbox", "--disable-gpu"] });
const dave = createDialogueClient({ url, auth: { userId: "dave" }, transports: ["websocket"] });
try {
  const page = await browser.newPage();
  const problems = [];
  page.on("pageerror", (error) => problems.push(error.message));
  await page.setContent(`<!doctype html><html><body><div id="app"></div></body></html>`);
  await page.evaluate((server) => {
    window.SERVER_URL = server;
  }, url);
  await page.addScriptTag({ content: script });
  await page.waitForFunction(() => document.getElementById("room")?.textContent === "joined", undefined, WAIT);
  await page.waitForFunction(() => document.getElementById("state")?.textContent === "connected", undefined, WAIT);

  await dave.connect();
  const lobby = await dave.join("lobby");
  await page.waitForFunction(() => document.getElementById("members")?.textContent === "carol,dave", undefined, WAIT);
  await lobby.send("message", { text: "hi carol", senderId: "dave" });
  await page.waitForFunction(() => document.querySelector("#messages li")?.textContent === "dave: hi carol", undefined, WAIT);

  const heard = new Promise((resolve) => lobby.on("message", (message) => resolve(message)));
  await page.click("#send");
  const message = await heard;
  assert.equal(message.from, "carol");
  assert.equal(message.data.text, "hello from Chromium");
  assert.deepEqual(problems, []);
  process.stdout.write(JSON.stringify({ ok: true, bundleBytes: script.length }));
} finally {
  dave.disconnect();
  await browser.close();
}
process.exit(0);
