// The chat page in a real browser: Debian's chromium, headless, driven by
// playwright-core. Two people join, one writes, the other reads it; an empty
// and a too-long message are refused on the page; a reload shows history;
// the server drops a connection and nothing said meanwhile is lost.
//
// Run by `cargo test --test chat the_page_works_in_chromium` (which starts the
// chat server and sets CHAT_URL); alone: `CHAT_URL=http://127.0.0.1:3000 npm run test:browser`
// with `cargo run --example chat` running. Screenshots go to SCREENSHOTS
// (default ../../../target/screenshots/chat).

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { chromium } from "playwright-core";

const URL = process.env.CHAT_URL ?? "http://127.0.0.1:3000";
const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
const SHOTS = resolve(process.env.SCREENSHOTS ?? "../../../target/screenshots/chat");
const WAIT = { timeout: 10_000 };

let browser;

before(async () => {
  mkdirSync(SHOTS, { recursive: true });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--headless", "--no-sandbox", "--disable-gpu"],
  });
});

after(async () => {
  await browser?.close();
});

/** A page in its own browser context (its own storage), entered as `name`. */
async function person(name) {
  const context = await browser.newContext({ viewport: { width: 1000, height: 700 } });
  const page = await context.newPage();
  const problems = [];
  page.on("pageerror", (error) => problems.push(error.message));
  await page.goto(`${URL}/?name=${encodeURIComponent(name)}`);
  await page.locator("#state[data-state='connected']").waitFor(WAIT);
  // Joined once the server has listed us as online.
  await page.locator("#online li", { hasText: name }).waitFor(WAIT);
  return { page, context, problems };
}

async function send(page, text) {
  await page.fill("#message-input", text);
  await page.click("#send");
}

test("two people talk, invalid messages are refused, history survives a reload", async () => {
  const alice = await person("alice");
  const bob = await person("bob");

  // Both see each other online, and alice saw bob arrive.
  await alice.page.locator("#online li", { hasText: "bob" }).waitFor(WAIT);
  await bob.page.locator("#online li", { hasText: "alice" }).waitFor(WAIT);
  await alice.page.locator(".notice", { hasText: "bob joined" }).waitFor(WAIT);
  assert.equal(await alice.page.locator("#online-count").textContent(), "2");

  // bob types: alice sees the indicator.
  await bob.page.fill("#message-input", "hel");
  await bob.page.locator("#message-input").dispatchEvent("input");
  await alice.page.locator("#typing", { hasText: "bob is typing" }).waitFor(WAIT);

  // alice writes; bob reads it, with sender and time.
  await send(alice.page, "Hello from alice!");
  const received = bob.page.locator(".message", { hasText: "Hello from alice!" });
  await received.waitFor(WAIT);
  assert.equal(await received.locator(".from").textContent(), "alice");
  assert.match((await received.locator("time").textContent()) ?? "", /\d/);
  await alice.page.waitForFunction(
    () => document.getElementById("message-input")?.value === "",
    undefined,
    WAIT,
  );
  await bob.page.screenshot({ path: join(SHOTS, "1-bob-reads-alice.png") });

  // An empty message: refused on the page, nothing sent.
  await send(alice.page, "");
  const error = alice.page.locator("#send-error");
  await error.waitFor({ state: "visible", ...WAIT });
  assert.match(await error.textContent(), /empty/i);
  assert.equal(await alice.page.getAttribute("#message-input", "aria-invalid"), "true");

  // Too long: 501 characters.
  await send(alice.page, "x".repeat(501));
  await alice.page.locator("#send-error", { hasText: /too long/i }).waitFor(WAIT);
  assert.match(await alice.page.locator("#counter").getAttribute("class"), /over/);
  await alice.page.screenshot({ path: join(SHOTS, "2-alice-too-long.png") });

  // Typing again clears the error; a valid message goes through.
  await send(alice.page, "Second message");
  await bob.page.locator(".message", { hasText: "Second message" }).waitFor(WAIT);
  assert.equal(await alice.page.locator("#send-error").isVisible(), false);
  assert.equal(await bob.page.locator(".message", { hasText: "x".repeat(501) }).count(), 0);
  assert.equal(await bob.page.locator(".message .text", { hasText: /^$/ }).count(), 0);

  // The server drops bob's connection (the test harness's route); alice
  // goes on talking. bob's page shows it is reconnecting, then gets every
  // message once, in order; what bob writes meanwhile goes once he is back.
  const dropped = await fetch(`${URL}/test/drop/bob`, { method: "POST" });
  if (dropped.status === 404) {
    console.log("skipping the server-side drop: run under `cargo test --test chat` for the route it needs");
  } else {
    assert.equal(await dropped.text(), "1", "bob's one connection dropped");
    await bob.page.locator("#state[data-state='reconnecting']").waitFor(WAIT);
    await bob.page.screenshot({ path: join(SHOTS, "3-bob-reconnecting.png") });
    await send(bob.page, "bob, written while away");
    for (const n of [1, 2, 3]) await send(alice.page, `While bob was away ${n}`);
    await bob.page.locator("#state[data-state='connected']").waitFor(WAIT);
    await bob.page.locator(".message", { hasText: "While bob was away 3" }).waitFor(WAIT);
    await alice.page.locator(".message", { hasText: "bob, written while away" }).waitFor(WAIT);
    const away = await bob.page.locator(".message .text", { hasText: /^While bob was away/ }).allTextContents();
    assert.deepEqual(away, ["While bob was away 1", "While bob was away 2", "While bob was away 3"], "each once, in order");
    assert.equal(await alice.page.locator(".message", { hasText: "bob, written while away" }).count(), 1);
  }

  // bob reloads: history on join brings the messages back, in order.
  await bob.page.reload();
  await bob.page.locator("#state[data-state='connected']").waitFor(WAIT);
  await bob.page.locator(".message", { hasText: "Second message" }).waitFor(WAIT);
  const texts = await bob.page.locator(".message .text").allTextContents();
  assert.ok(texts.indexOf("Second message") > texts.indexOf("Hello from alice!"), `in order: ${texts.join(" | ")}`);
  await bob.page.screenshot({ path: join(SHOTS, "4-bob-after-reload.png") });

  // alice leaves: bob sees her go.
  await alice.context.close();
  await bob.page.locator(".notice", { hasText: "alice left" }).waitFor(WAIT);
  await bob.page.waitForFunction(
    () => document.getElementById("online-count")?.textContent === "1",
    undefined,
    WAIT,
  );

  assert.deepEqual(alice.problems, [], "no script errors on alice's page");
  assert.deepEqual(bob.problems, [], "no script errors on bob's page");
  await bob.context.close();
});
