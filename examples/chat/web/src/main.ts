// The chat page. Everything it says to the server goes through the client
// generated from the Rust declaration (./generated/dialogue.ts), so a wrong
// room, event or payload here is a compile error, and a message the server
// would refuse (empty, too long) is refused before it is sent.

import {
  createDialogueClient,
  DialogueError,
  type DialogueClient,
  type EventMessage,
  type Message,
  type ValidationIssue,
} from "./generated/dialogue";

const ROOM = "general";
const MAX_LENGTH = 500;
/** How long "x is typing" stays up without news from x. */
const TYPING_TIMEOUT_MS = 4000;
/** How long after the last key press we say we stopped typing. */
const TYPING_IDLE_MS = 2000;
/** How often we repeat "typing" while it lasts. */
const TYPING_REPEAT_MS = 2000;

function element<T extends HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (!found) throw new Error(`the page has no #${id}`);
  return found as T;
}

const view = {
  state: element<HTMLSpanElement>("state"),
  login: element<HTMLFormElement>("login"),
  name: element<HTMLInputElement>("name"),
  loginError: element<HTMLParagraphElement>("login-error"),
  chat: element<HTMLElement>("chat"),
  messages: element<HTMLOListElement>("messages"),
  typing: element<HTMLParagraphElement>("typing"),
  composer: element<HTMLFormElement>("composer"),
  input: element<HTMLInputElement>("message-input"),
  counter: element<HTMLSpanElement>("counter"),
  send: element<HTMLButtonElement>("send"),
  sendError: element<HTMLParagraphElement>("send-error"),
  online: element<HTMLUListElement>("online"),
  onlineCount: element<HTMLSpanElement>("online-count"),
};

function showState(state: string): void {
  view.state.textContent = state;
  view.state.dataset.state = state;
}

function showError(target: HTMLParagraphElement, text: string | null): void {
  target.textContent = text ?? "";
  target.hidden = text === null;
}

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" });

/** Messages shown, by sender, time and text, so history and live never repeat. */
const shown = new Set<string>();

function addMessage(message: EventMessage<Message>, me: string): void {
  const key = `${message.from}\u001f${message.timestamp}\u001f${message.data.text}`;
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

  // Keep the list in time order, whatever order things arrive in.
  const after = [...view.messages.children].find(
    (other) => Number((other as HTMLElement).dataset.timestamp) > message.timestamp,
  );
  view.messages.insertBefore(item, after ?? null);
  view.messages.scrollTop = view.messages.scrollHeight;
}

function addNotice(text: string, timestamp: number): void {
  const item = document.createElement("li");
  item.className = "notice";
  item.dataset.timestamp = String(timestamp);
  item.textContent = text;
  view.messages.append(item);
  view.messages.scrollTop = view.messages.scrollHeight;
}

function showOnline(users: readonly string[]): void {
  view.online.replaceChildren(
    ...users.map((user) => {
      const item = document.createElement("li");
      item.textContent = user;
      return item;
    }),
  );
  view.onlineCount.textContent = String(users.length);
}

/** Who is typing, with the timer that forgets them. */
const typing = new Map<string, ReturnType<typeof setTimeout>>();

function showTyping(): void {
  const names = [...typing.keys()].sort();
  view.typing.textContent =
    names.length === 0
      ? ""
      : names.length === 1
        ? `${names[0]} is typing…`
        : `${names.slice(0, -1).join(", ")} and ${names[names.length - 1]} are typing…`;
}

/** A readable sentence for a refused message. */
function explain(issues: readonly ValidationIssue[], text: string): string {
  const length = [...text].length;
  if (text.length === 0) return "Write something first: a message cannot be empty.";
  if (length > MAX_LENGTH) {
    return `Too long: at most ${MAX_LENGTH} characters, this one has ${length}.`;
  }
  return issues.map((issue) => issue.message).join("; ") || "The server refused this message.";
}

async function enter(name: string): Promise<void> {
  localStorage.setItem("dialogue-chat-name", name);
  view.login.hidden = true;
  view.chat.hidden = false;
  showState("connecting");

  const client: DialogueClient = createDialogueClient({
    url: window.location.origin,
    auth: { userId: name },
  });
  // "reconnecting" while the connection is lost: the client tries again by
  // itself, and what is sent meanwhile waits and goes once it is back.
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
    showError(view.loginError, `Cannot connect: ${(error as Error).message}`);
    return;
  }
  showState("connected");

  // The last 50 messages come with the join: listen before joining. What is
  // said while the connection is lost reaches the handlers when it is back.
  client.onHistory((roomId, events) => {
    if (roomId !== ROOM) return;
    for (const event of events) {
      if (event.event === "message") addMessage(event as EventMessage<Message>, name);
    }
  });
  let general: General;
  try {
    general = await joinGeneral(client);
  } catch (error) {
    setComposer(false);
    showError(view.sendError, `Cannot join the chat: ${(error as Error).message}. Reload to try again.`);
    return;
  }
  wire(general, client, name);
  // Back after a cut that lasted too long for the server to keep everything:
  // reload the latest messages (those already shown are not repeated).
  general.onRecovered(async ({ recovered }) => {
    if (recovered) return;
    const latest = await general.getHistory("message", 0, 50);
    for (const message of latest) addMessage(message, name);
  });
  setComposer(true);
}

/** The send box works only while connected and in the room. */
function setComposer(enabled: boolean): void {
  view.input.disabled = !enabled;
  view.send.disabled = !enabled;
}

function joinGeneral(client: DialogueClient) {
  return client.join(ROOM);
}

/** The general room as the generated client types it. */
type General = Awaited<ReturnType<typeof joinGeneral>>;

/** Live messages, presence and typing. */
function wire(general: General, client: DialogueClient, me: string): void {
  general.on("message", (message) => {
    addMessage(message, me);
    const timer = typing.get(message.from);
    if (timer !== undefined) {
      clearTimeout(timer);
      typing.delete(message.from);
      showTyping();
    }
  });
  // Who is here: the room's presence, one entry per person however many
  // tabs they have open. Arrivals and departures come as changes; the list
  // is asked for once joined (and again after a long cut).
  const online = new Set<string>();
  const showPresent = (): void => showOnline([...online].sort());
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
      if (timer !== undefined) {
        clearTimeout(timer);
        typing.delete(member.userId);
        showTyping();
      }
    }
    showPresent();
  });
  const reloadPresence = async (): Promise<void> => {
    const present = await general.presence();
    online.clear();
    for (const member of present.members) online.add(member.userId);
    showPresent();
  };
  reloadPresence().catch((error) => console.warn("presence", error));
  // Changes are live only: after any reconnection, ask again.
  general.onRecovered(() => {
    reloadPresence().catch((error) => console.warn("presence", error));
  });
  general.on("typing", (event) => {
    if (event.from === me) return;
    const previous = typing.get(event.from);
    if (previous !== undefined) clearTimeout(previous);
    if (event.data.isTyping) {
      typing.set(
        event.from,
        setTimeout(() => {
          typing.delete(event.from);
          showTyping();
        }, TYPING_TIMEOUT_MS),
      );
    } else {
      typing.delete(event.from);
    }
    showTyping();
  });

  // While typing, say so again every TYPING_REPEAT_MS (others forget after
  // TYPING_TIMEOUT_MS, in case our "stopped" never comes).
  let typingSentAt: number | undefined;
  let idle: ReturnType<typeof setTimeout> | undefined;
  const stopTyping = (): void => {
    if (idle !== undefined) clearTimeout(idle);
    if (typingSentAt !== undefined) general.trigger("typing", { isTyping: false });
    typingSentAt = undefined;
  };

  view.input.addEventListener("input", () => {
    const length = [...view.input.value].length;
    view.counter.textContent = `${length}/${MAX_LENGTH}`;
    view.counter.classList.toggle("over", length > MAX_LENGTH);
    view.input.removeAttribute("aria-invalid");
    showError(view.sendError, null);
    const now = Date.now();
    if (view.input.value.length > 0 && (typingSentAt === undefined || now - typingSentAt >= TYPING_REPEAT_MS)) {
      general.trigger("typing", { isTyping: true });
      typingSentAt = now;
    }
    if (idle !== undefined) clearTimeout(idle);
    idle = setTimeout(stopTyping, TYPING_IDLE_MS);
  });

  view.composer.addEventListener("submit", async (submit) => {
    submit.preventDefault();
    const text = view.input.value;
    setComposer(false);
    try {
      const sent = await general.send("message", { text });
      addMessage(sent, me);
      // Keep whatever was typed while the message was on its way.
      if (view.input.value === text) {
        view.input.value = "";
        view.counter.textContent = `0/${MAX_LENGTH}`;
        stopTyping();
      }
    } catch (error) {
      const message =
        error instanceof DialogueError
          ? error.code === "VALIDATION_FAILED"
            ? explain(error.details ?? [], text)
            : error.message
          : String(error);
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

// `?name=alice` (or the name used last time) enters directly.
const remembered =
  new URLSearchParams(window.location.search).get("name") ?? localStorage.getItem("dialogue-chat-name");
if (remembered) {
  view.name.value = remembered;
  if (new URLSearchParams(window.location.search).has("name")) void enter(remembered);
}
