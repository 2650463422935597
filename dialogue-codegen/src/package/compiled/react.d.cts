import { type ReactNode } from "react";
import { DialogueError, type ConnectionState, type DialogueClient, type EventMessage, type JoinOptions, type JoinedRoom, type PresenceMember, type RoomContext, type RoomId } from "./client.cjs";
import type { RequestTypes } from "./app.cjs";
/** The props of [`DialogueProvider`]. */
export interface DialogueProviderProps {
    /** The client the hooks below use, from `createDialogueClient`. */
    client: DialogueClient;
    children?: ReactNode;
}
/** Makes `client` available to the hooks of the components below it. */
export declare function DialogueProvider({ client, children }: DialogueProviderProps): ReactNode;
/** The client of the nearest `DialogueProvider`; throws outside of one. */
export declare function useDialogue(): DialogueClient;
/** How the client stands with the server; the component renders again on each change. */
export declare function useConnectionState(): ConnectionState;
/** What [`useRoom`] gives: the room once joined, or why it could not be. */
export interface RoomState<R extends RoomId> {
    /** The joined room; `undefined` while joining, after a failure, or with no room asked for. */
    room: JoinedRoom<R> | undefined;
    /** Why the join failed (e.g. `ROOM_FULL`, `UNAUTHORIZED`). */
    error: DialogueError | undefined;
}
/**
 * Joins `roomId` while the component is mounted, and leaves it after (again
 * when `roomId` changes; `undefined` joins nothing). Components that use one
 * room share one membership.
 */
export declare function useRoom<R extends RoomId>(roomId: R | undefined, options?: JoinOptions): RoomState<R>;
/**
 * Calls `handler` with each `event` received in `room` while the component
 * is mounted. The latest `handler` is called: it need not be memoized.
 */
export declare function useEvent<T extends object, R extends object, E extends keyof R & string>(room: RoomContext<T, R> | undefined, event: E, handler: (message: EventMessage<R[E], E>) => void): void;
/**
 * Who is present in `room` (a room with presence), one entry per user,
 * earliest arrival first; kept up to date, and read again after a
 * reconnection. Empty until the server has answered.
 */
export declare function usePresence(room: RoomContext | undefined): PresenceMember[];
/** What [`useRequest`] gives: the call, and the state of the latest one. */
export interface RequestState<N extends keyof RequestTypes & string> {
    /** Asks the server; resolves with the handler's response, rejects with a `DialogueError`. */
    call: (data: RequestTypes[N]["request"], options?: {
        roomId?: string;
    }) => Promise<RequestTypes[N]["response"]>;
    /** Whether the latest call waits for its answer. */
    pending: boolean;
    /** The latest call's response. */
    data: RequestTypes[N]["response"] | undefined;
    /** Why the latest call failed. */
    error: DialogueError | undefined;
}
/** One of the application's requests, typed by its declaration, with the state of its latest call. */
export declare function useRequest<N extends keyof RequestTypes & string>(name: N): RequestState<N>;
