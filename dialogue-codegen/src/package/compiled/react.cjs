"use strict";
// React bindings of the generated client: a provider and hooks, typed by the
// application's declarations through the client's types. The same for every
// application: compiled once (dialogue-codegen/src/package/compiled/) and
// shipped in each generated package as `<package>/react`.
Object.defineProperty(exports, "__esModule", { value: true });
exports.DialogueProvider = DialogueProvider;
exports.useDialogue = useDialogue;
exports.useConnectionState = useConnectionState;
exports.useRoom = useRoom;
exports.useEvent = useEvent;
exports.usePresence = usePresence;
exports.useRequest = useRequest;
const react_1 = require("react");
const client_cjs_1 = require("./client.cjs");
const DialogueContext = (0, react_1.createContext)(null);
/** Makes `client` available to the hooks of the components below it. */
function DialogueProvider({ client, children }) {
    return (0, react_1.createElement)(DialogueContext.Provider, { value: client }, children);
}
/** The client of the nearest `DialogueProvider`; throws outside of one. */
function useDialogue() {
    const client = (0, react_1.useContext)(DialogueContext);
    if (client === null) {
        throw new Error("useDialogue: no <DialogueProvider client={...}> above this component");
    }
    return client;
}
/** How the client stands with the server; the component renders again on each change. */
function useConnectionState() {
    const client = useDialogue();
    const subscribe = (0, react_1.useCallback)((changed) => client.onStateChange(changed), [client]);
    const read = () => client.state;
    return (0, react_1.useSyncExternalStore)(subscribe, read, read);
}
const leases = new WeakMap();
/** How long a room nobody uses stays joined, in ms. */
const LEAVE_AFTER = 100;
function acquire(client, roomId, options) {
    let rooms = leases.get(client);
    if (rooms === undefined) {
        rooms = new Map();
        leases.set(client, rooms);
    }
    const lease = rooms.get(roomId);
    if (lease !== undefined) {
        lease.users += 1;
        if (lease.leaving !== undefined)
            clearTimeout(lease.leaving);
        lease.leaving = undefined;
        return lease.joining;
    }
    const joining = client.join(roomId, options);
    const fresh = { users: 1, joining, leaving: undefined };
    rooms.set(roomId, fresh);
    // A failed join holds nothing: the next user tries again.
    joining.catch(() => {
        if (rooms.get(roomId) === fresh)
            rooms.delete(roomId);
    });
    return joining;
}
function release(client, roomId) {
    const rooms = leases.get(client);
    const lease = rooms?.get(roomId);
    if (rooms === undefined || lease === undefined)
        return;
    lease.users -= 1;
    if (lease.users > 0)
        return;
    lease.leaving = setTimeout(() => {
        if (rooms.get(roomId) !== lease || lease.users > 0)
            return;
        rooms.delete(roomId);
        lease.joining.then((room) => room.leave().catch(() => undefined), () => undefined);
    }, LEAVE_AFTER);
}
function asDialogueError(error) {
    return error instanceof client_cjs_1.DialogueError ? error : new client_cjs_1.DialogueError("UNAVAILABLE", String(error));
}
/**
 * Joins `roomId` while the component is mounted, and leaves it after (again
 * when `roomId` changes; `undefined` joins nothing). Components that use one
 * room share one membership.
 */
function useRoom(roomId, options) {
    const client = useDialogue();
    const [state, setState] = (0, react_1.useState)({ room: undefined, error: undefined });
    const secret = options?.secret;
    (0, react_1.useEffect)(() => {
        if (roomId === undefined) {
            setState({ room: undefined, error: undefined });
            return;
        }
        let active = true;
        setState((now) => (now.room === undefined && now.error === undefined ? now : { room: undefined, error: undefined }));
        acquire(client, roomId, secret === undefined ? undefined : { secret }).then((room) => {
            if (active)
                setState({ room: room, error: undefined });
        }, (error) => {
            if (active)
                setState({ room: undefined, error: asDialogueError(error) });
        });
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
function useEvent(room, event, handler) {
    const latest = (0, react_1.useRef)(handler);
    latest.current = handler;
    (0, react_1.useEffect)(() => {
        if (room === undefined)
            return;
        return room.on(event, (message) => latest.current(message));
    }, [room, event]);
}
/** `list` with `change` applied: departures removed, updates replaced, arrivals added once. */
function applyPresence(list, change) {
    const gone = new Set(change.left.map((member) => member.userId));
    const updated = new Map(change.updated.map((member) => [member.userId, member]));
    const next = list.filter((member) => !gone.has(member.userId)).map((member) => updated.get(member.userId) ?? member);
    for (const member of change.joined) {
        if (!next.some((present) => present.userId === member.userId))
            next.push(member);
    }
    return next;
}
/**
 * Who is present in `room` (a room with presence), one entry per user,
 * earliest arrival first; kept up to date, and read again after a
 * reconnection. Empty until the server has answered.
 */
function usePresence(room) {
    const [members, setMembers] = (0, react_1.useState)([]);
    (0, react_1.useEffect)(() => {
        setMembers([]);
        if (room === undefined)
            return;
        let active = true;
        // Changes that arrive before an answer are in it already: one
        // connection carries both, in order.
        let loaded = false;
        const load = () => {
            loaded = false;
            room.presence().then((page) => {
                if (!active)
                    return;
                loaded = true;
                setMembers(page.members);
            }, () => undefined);
        };
        const stopChanges = room.onPresence((change) => {
            if (active && loaded)
                setMembers((list) => applyPresence(list, change));
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
/** One of the application's requests, typed by its declaration, with the state of its latest call. */
function useRequest(name) {
    const client = useDialogue();
    const [state, setState] = (0, react_1.useState)({ pending: false, data: undefined, error: undefined });
    const latest = (0, react_1.useRef)(0);
    const mounted = (0, react_1.useRef)(true);
    (0, react_1.useEffect)(() => {
        mounted.current = true;
        return () => {
            mounted.current = false;
        };
    }, []);
    const call = (0, react_1.useCallback)(async (data, options) => {
        const mine = ++latest.current;
        setState((now) => ({ ...now, pending: true }));
        try {
            const response = await client.request(name, data, options);
            if (mounted.current && mine === latest.current)
                setState({ pending: false, data: response, error: undefined });
            return response;
        }
        catch (error) {
            const failed = asDialogueError(error);
            if (mounted.current && mine === latest.current)
                setState({ pending: false, data: undefined, error: failed });
            throw failed;
        }
    }, [client, name]);
    return { call, ...state };
}
