// React bindings of the generated client: a provider and hooks, typed by the
// application's declarations through the client's types. The same for every
// application: compiled once (dialogue-codegen/src/package/compiled/) and
// shipped in each generated package as `<package>/react`.

import {
  createContext,
  createElement,
  useCallback,
  useContext,
  useEffect,
  useRef,
  useState,
  useSyncExternalStore,
  type ReactNode,
} from "react";
import {
  DialogueError,
  type ConnectionState,
  type DialogueClient,
  type EventMessage,
  type JoinOptions,
  type JoinedRoom,
  type PresenceChange,
  type PresenceMember,
  type RoomContext,
  type RoomId,
} from "./client.js";
import type { RequestTypes } from "./app.js";

const DialogueContext = createContext<DialogueClient | null>(null);

/** The props of [`DialogueProvider`]. */
export interface DialogueProviderProps {
  /** The client the hooks below use, from `createDialogueClient`. */
  client: DialogueClient;
  children?: ReactNode;
}

/** Makes `client` available to the hooks of the components below it. */
export function DialogueProvider({ client, children }: DialogueProviderProps): ReactNode {
  return createElement(DialogueContext.Provider, { value: client }, children);
}

/** The client of the nearest `DialogueProvider`; throws outside of one. */
export function useDialogue(): DialogueClient {
  const client = useContext(DialogueContext);
  if (client === null) {
    throw new Error("useDialogue: no <DialogueProvider client={...}> above this component");
  }
  return client;
}

/** How the client stands with the server; the component renders again on each change. */
export function useConnectionState(): ConnectionState {
  const client = useDialogue();
  const subscribe = useCallback((changed: () => void) => client.onStateChange(changed), [client]);
  const read = (): ConnectionState => client.state;
  return useSyncExternalStore(subscribe, read, read);
}

/** What [`useRoom`] gives: the room once joined, or why it could not be. */
export interface RoomState<R extends RoomId> {
  /** The joined room; `undefined` while joining, after a failure, or with no room asked for. */
  room: JoinedRoom<R> | undefined;
  /** Why the join failed (e.g. `ROOM_FULL`, `UNAUTHORIZED`). */
  error: DialogueError | undefined;
}

/**
 * A room joined by a client on behalf of the components using it: joined
 * for the first, left once the last is gone. Several components may show
 * one room (a message list and a member list), and React's strict mode
 * mounts each twice: leaving waits a moment, so that a component that comes
 * straight back keeps the room rather than leaving and joining again.
 */
interface Lease {
  users: number;
  joining: Promise<RoomContext>;
  leaving: ReturnType<typeof setTimeout> | undefined;
}

const leases = new WeakMap<DialogueClient, Map<string, Lease>>();

/** How long a room nobody uses stays joined, in ms. */
const LEAVE_AFTER = 100;

function acquire(client: DialogueClient, roomId: string, options: JoinOptions | undefined): Promise<RoomContext> {
  let rooms = leases.get(client);
  if (rooms === undefined) {
    rooms = new Map();
    leases.set(client, rooms);
  }
  const lease = rooms.get(roomId);
  if (lease !== undefined) {
    lease.users += 1;
    if (lease.leaving !== undefined) clearTimeout(lease.leaving);
    lease.leaving = undefined;
    return lease.joining;
  }
  const joining = (client.join as (id: string, options?: JoinOptions) => Promise<RoomContext>)(roomId, options);
  const fresh: Lease = { users: 1, joining, leaving: undefined };
  rooms.set(roomId, fresh);
  // A failed join holds nothing: the next user tries again.
  joining.catch(() => {
    if (rooms.get(roomId) === fresh) rooms.delete(roomId);
  });
  return joining;
}

function release(client: DialogueClient, roomId: string): void {
  const rooms = leases.get(client);
  const lease = rooms?.get(roomId);
  if (rooms === undefined || lease === undefined) return;
  lease.users -= 1;
  if (lease.users > 0) return;
  lease.leaving = setTimeout(() => {
    if (rooms.get(roomId) !== lease || lease.users > 0) return;
    rooms.delete(roomId);
    lease.joining.then(
      (room) => room.leave().catch(() => undefined),
      () => undefined,
    );
  }, LEAVE_AFTER);
}

function asDialogueError(error: unknown): DialogueError {
  return error instanceof DialogueError ? error : new DialogueError("UNAVAILABLE", String(error));
}

/**
 * Joins `roomId` while the component is mounted, and leaves it after (again
 * when `roomId` changes; `undefined` joins nothing). Components that use one
 * room share one membership.
 */
export function useRoom<R extends RoomId>(roomId: R | undefined, options?: JoinOptions): RoomState<R> {
  const client = useDialogue();
  const [state, setState] = useState<RoomState<R>>({ room: undefined, error: undefined });
  const secret = options?.secret;
  useEffect(() => {
    if (roomId === undefined) {
      setState({ room: undefined, error: undefined });
      return;
    }
    let active = true;
    setState((now) => (now.room === undefined && now.error === undefined ? now : { room: undefined, error: undefined }));
    acquire(client, roomId, secret === undefined ? undefined : { secret }).then(
      (room) => {
        if (active) setState({ room: room as JoinedRoom<R>, error: undefined });
      },
      (error: unknown) => {
        if (active) setState({ room: undefined, error: asDialogueError(error) });
      },
    );
    return () => {
      active = false;
      release(client, roomId);
    };
  }, [client, roomId, secret]);
  return state;
}

/**
 * Calls `handler` with each `event` received in `room` while the component
 * is mounted. The latest `handler` is called: it need not be memoized.
 */
export function useEvent<T extends object, R extends object, E extends keyof R & string>(
  room: RoomContext<T, R> | undefined,
  event: E,
  handler: (message: EventMessage<R[E], E>) => void,
): void {
  const latest = useRef(handler);
  latest.current = handler;
  useEffect(() => {
    if (room === undefined) return;
    return room.on(event, (message) => latest.current(message));
  }, [room, event]);
}

/** `list` with `change` applied: departures removed, updates replaced, arrivals added once. */
function applyPresence(list: PresenceMember[], change: PresenceChange): PresenceMember[] {
  const gone = new Set(change.left.map((member) => member.userId));
  const updated = new Map(change.updated.map((member) => [member.userId, member]));
  const next = list.filter((member) => !gone.has(member.userId)).map((member) => updated.get(member.userId) ?? member);
  for (const member of change.joined) {
    if (!next.some((present) => present.userId === member.userId)) next.push(member);
  }
  return next;
}

/**
 * Who is present in `room` (a room with presence), one entry per user,
 * earliest arrival first; kept up to date, and read again after a
 * reconnection. Empty until the server has answered.
 */
export function usePresence(room: RoomContext | undefined): PresenceMember[] {
  const [members, setMembers] = useState<PresenceMember[]>([]);
  useEffect(() => {
    setMembers([]);
    if (room === undefined) return;
    let active = true;
    // Changes that arrive before an answer are in it already: one
    // connection carries both, in order.
    let loaded = false;
    const load = (): void => {
      loaded = false;
      room.presence().then(
        (page) => {
          if (!active) return;
          loaded = true;
          setMembers(page.members);
        },
        () => undefined,
      );
    };
    const stopChanges = room.onPresence((change) => {
      if (active && loaded) setMembers((list) => applyPresence(list, change));
    });
    const stopRecovered = room.onRecovered(load);
    load();
    return () => {
      active = false;
      stopChanges();
      stopRecovered();
    };
  }, [room]);
  return members;
}

/** What [`useRequest`] gives: the call, and the state of the latest one. */
export interface RequestState<N extends keyof RequestTypes & string> {
  /** Asks the server; resolves with the handler's response, rejects with a `DialogueError`. */
  call: (data: RequestTypes[N]["request"], options?: { roomId?: string }) => Promise<RequestTypes[N]["response"]>;
  /** Whether the latest call waits for its answer. */
  pending: boolean;
  /** The latest call's response. */
  data: RequestTypes[N]["response"] | undefined;
  /** Why the latest call failed. */
  error: DialogueError | undefined;
}

/** One of the application's requests, typed by its declaration, with the state of its latest call. */
export function useRequest<N extends keyof RequestTypes & string>(name: N): RequestState<N> {
  const client = useDialogue();
  const [state, setState] = useState<Omit<RequestState<N>, "call">>({ pending: false, data: undefined, error: undefined });
  const latest = useRef(0);
  const mounted = useRef(true);
  useEffect(() => {
    mounted.current = true;
    return () => {
      mounted.current = false;
    };
  }, []);
  const call = useCallback(
    async (data: RequestTypes[N]["request"], options?: { roomId?: string }): Promise<RequestTypes[N]["response"]> => {
      const mine = ++latest.current;
      setState((now) => ({ ...now, pending: true }));
      try {
        const response = await client.request(name, data, options);
        if (mounted.current && mine === latest.current) setState({ pending: false, data: response, error: undefined });
        return response;
      } catch (error) {
        const failed = asDialogueError(error);
        if (mounted.current && mine === latest.current) setState({ pending: false, data: undefined, error: failed });
        throw failed;
      }
    },
    [client, name],
  );
  return { call, ...state };
}
