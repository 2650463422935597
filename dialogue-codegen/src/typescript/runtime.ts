// ---- Client runtime (placeholder: being written) ----

/** A JSON Schema (draft 2020-12), as the server validates with. */
export type JsonSchema = boolean | { readonly [keyword: string]: unknown };
/** The events of a room that takes any event. */
export type AnyEvents = Record<string, unknown>;
/** The events of a room that takes none from clients. */
export type NoEvents = Record<never, never>;
