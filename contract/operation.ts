// What one operation of the API is: its method and path, who may call it, the schemas of its
// parameters, query and body, and the type of its answer. The server registers its routes from
// these (server/http/contract-routes.ts), both HTTP clients send requests from them
// (contract/http-client.ts), and the desktop's main process checks IPC arguments against the
// same schemas (main/ipc-contract.ts). Modelled on ts-rest's contract: plain data and phantom
// answer types, so each client needs no code per operation.
import { Type, type Static, type TObject, type TSchema } from 'typebox';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/**
 * Who may call an operation, by name (the server's server/http/access.ts says what each name
 * needs: session state, role, a recent second factor). Published on every operation of the
 * OpenAPI document as `x-agentdesk-access`.
 */
export type AccessName = 'public' | 'anySession' | 'secondStep' | 'enrollment' | 'enrollmentSensitive' | 'user' | 'userSensitive' | 'admin' | 'adminSensitive' | 'scim';

/** The operations whose access needs a second factor passed in the last 10 minutes. */
export const sensitiveAccess: ReadonlySet<AccessName> = new Set(['enrollmentSensitive', 'userSensitive', 'adminSensitive']);

export type AnswerKind = 'json' | 'csv' | 'xml' | 'none' | 'events' | 'redirect';

/** How an answer travels. `T` exists only for the type checker (a phantom, as in ts-rest). */
export interface Answer<T, K extends AnswerKind = AnswerKind> {
  readonly kind: K;
  readonly __answer?: T;
}

/** A JSON answer of type T. */
export const json = <T>(): Answer<T, 'json'> => ({ kind: 'json' });
/** A CSV file (text/csv), read as text. */
export const csv: Answer<string, 'csv'> = { kind: 'csv' };
/** An XML document (SAML metadata), read as text. */
export const xml: Answer<string, 'xml'> = { kind: 'xml' };
/** 204 No Content. */
export const none: Answer<void, 'none'> = { kind: 'none' };
/** A server-sent event stream (text/event-stream). */
export const events: Answer<never, 'events'> = { kind: 'events' };
/** A redirect (303) a browser follows: the single sign-on callback. */
export const redirect: Answer<never, 'redirect'> = { kind: 'redirect' };

/** A request body that is a CSV file, sent as text/csv. */
export const CsvBody = Type.String({ maxLength: 4 * 1024 * 1024, description: 'A CSV file (text/csv).' });

export interface Operation {
  readonly method: HttpMethod;
  /** Under /api/v1, Fastify's style: `/account/users/:id`. */
  readonly path: string;
  readonly access: AccessName;
  readonly tags: readonly string[];
  readonly summary: string;
  readonly params?: TObject;
  readonly query?: TObject;
  readonly body?: TSchema;
  /** The body is sent as text/csv rather than JSON. */
  readonly csvBody?: boolean;
  /** The body is a form (application/x-www-form-urlencoded) a browser posts: the SAML assertion consumer service. */
  readonly formBody?: boolean;
  /** The success status when not 200 (204 for `none`). */
  readonly status?: 201 | 202;
  readonly answer: Answer<unknown>;
  /**
   * The answer carries a new session token and the old one ends (the second step, a first
   * method, re-authentication): the desktop keeps the token, the web console its new cookie, and
   * the token never reaches the renderer.
   */
  readonly rotatesToken?: boolean;
  /**
   * Not on the renderer's bridge as is: main (or the web console's client) drives it as part of
   * something larger — a sign-in whose token only main may hold, a security-key ceremony.
   */
  readonly internal?: boolean;
}

/** Declares an operation, keeping its literal types. */
export const operation = <const O extends Operation>(o: O): O => o;

type StaticOf<S> = S extends TSchema ? Static<S> : undefined;

export type ParamsOf<O extends Operation> = StaticOf<O['params']>;
export type QueryOf<O extends Operation> = StaticOf<O['query']>;
export type BodyOf<O extends Operation> = StaticOf<O['body']>;
/** The answer as it travels (for rotating operations, with the new token). */
export type WireAnswerOf<O extends Operation> = O['answer'] extends Answer<infer T, AnswerKind> ? T : never;
/** The answer a caller gets: never the token. */
export type AnswerOf<O extends Operation> = O['rotatesToken'] extends true ? Omit<WireAnswerOf<O>, 'token'> : WireAnswerOf<O>;

// A part of the input is required when its schema has a required field, optional when every
// field is optional, absent when the operation declares none.
type Part<K extends string, T> = [T] extends [undefined] ? unknown : object extends T ? { [P in K]?: T } : { [P in K]: T };

/** What a call of the operation takes: `{ params, query, body }` as it declares them. */
export type InputOf<O extends Operation> = Part<'params', ParamsOf<O>> & Part<'query', QueryOf<O>> & Part<'body', BodyOf<O>>;

/** One typed function per operation: the input left out when nothing in it is required. */
export type CallOf<O extends Operation> = object extends InputOf<O> ? (input?: InputOf<O>) => Promise<AnswerOf<O>> : (input: InputOf<O>) => Promise<AnswerOf<O>>;

/** The input as plain data, whatever the operation. */
export interface AnyInput {
  params?: Record<string, string>;
  query?: Record<string, string | undefined>;
  body?: unknown;
}

/** The schema of an operation's whole input, `{ params, query, body }`: main checks IPC arguments with it. */
export function inputSchema(op: Operation): TObject {
  const strict = { additionalProperties: false } as const;
  const bodyRequired = op.body !== undefined && (op.csvBody || ((op.body as { required?: unknown[] }).required?.length ?? 0) > 0 || (op.body as { anyOf?: unknown }).anyOf !== undefined);
  return Type.Object(
    {
      ...(op.params && { params: op.params }),
      ...(op.query && { query: Type.Optional(op.query) }),
      ...(op.body && { body: bodyRequired ? op.body : Type.Optional(op.body) }),
    },
    strict,
  );
}

/** The path with its parameters filled in, each encoded. */
export function pathOf(op: Operation, params: Record<string, string> = {}): string {
  return op.path.replace(/:([A-Za-z]+)/g, (_, name: string) => {
    const value = params[name];
    if (value === undefined) throw new TypeError(`${op.path}: missing ${name}`);
    return encodeURIComponent(value);
  });
}

/** The query string (with its `?`), without the values left out or empty. */
export function queryOf(query: Record<string, string | undefined> = {}): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value !== undefined && value !== '') search.set(key, value);
  return search.size ? `?${search}` : '';
}

/** A query's values as they travel: numbers and booleans as text, the rest as they are. */
export type QueryValues<T> = { [K in keyof T]: Exclude<T[K], undefined> extends string ? T[K] : `${Exclude<T[K], string | undefined> & (number | boolean)}` | undefined };

/** Turns a screen's filters (numbers, booleans) into query values; empty ones are left out when sent. */
export function queryValues<T extends Record<string, string | number | boolean | undefined>>(values: T): QueryValues<T> {
  return Object.fromEntries(Object.entries(values).map(([key, value]) => [key, value === undefined ? undefined : String(value)])) as QueryValues<T>;
}
