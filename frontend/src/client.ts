// A minimal typed client of the contract service: operations over HTTP (with automatic
// persisted queries), the live feed over graphql-ws, resumed from the last event id after any
// disconnection (a restart of the service, an expired token, a slow-subscriber drop).
import type { TypedDocumentNode } from "@graphql-typed-document-node/core";
import {
  Kind,
  OperationTypeNode,
  print,
  type FormattedExecutionResult,
  type GraphQLFormattedError,
} from "graphql";
import { createClient, type Client, type Sink } from "graphql-ws";

import {
  ContractEventsDocument,
  type ContractEventsSubscription,
  type ContractEventsSubscriptionVariables,
} from "./generated/graphql.js";

/** A token for the next request or connection: refresh it here when it is about to expire. */
export type TokenSource = () => Promise<string>;

export type ContractEvent = ContractEventsSubscription["contractEvents"];

export interface ContractClientOptions {
  /** `https://host/graphql` */
  readonly httpUrl: string;
  /** `wss://host/graphql` */
  readonly wsUrl: string;
  /** Asked for every HTTP request and every (re)connection of the WebSocket. */
  readonly token: TokenSource;
  /** Browsers and Node 22+ have a global WebSocket; on Node 20 pass `ws`'s. */
  readonly webSocketImpl?: unknown;
  /** Longest wait between two attempts, in milliseconds (30 s by default). */
  readonly maxRetryWaitMs?: number;
}

/** A refusal of the service, with its `extensions.code` (docs/errors.md). */
export class ServiceError extends Error {
  readonly code: string | undefined;
  readonly errors: readonly GraphQLFormattedError[];
  /** How long the service asks to wait before trying again (RATE_LIMITED), if it says. */
  readonly retryAfterMs: number | undefined;

  constructor(errors: readonly GraphQLFormattedError[], retryAfterHeader: string | null = null) {
    super(errors.map((error) => error.message).join("; "));
    this.errors = errors;
    const code = errors[0]?.extensions?.["code"];
    this.code = typeof code === "string" ? code : undefined;
    this.retryAfterMs = retryAfterMs(errors, retryAfterHeader);
  }
}

/**
 * The wait RATE_LIMITED asks for, in milliseconds: its `extensions.retryAfter` (seconds), else
 * the `Retry-After` header (seconds); undefined when neither says. Sooner is only refused
 * again: a request wasted, on a service that asked for fewer.
 */
export function retryAfterMs(
  errors: readonly GraphQLFormattedError[],
  header: string | null = null,
): number | undefined {
  for (const error of errors) {
    const seconds = error.extensions?.["retryAfter"];
    if (typeof seconds === "number" && Number.isFinite(seconds) && seconds >= 0) {
      return seconds * 1000;
    }
  }
  const seconds = header === null || header.trim() === "" ? Number.NaN : Number(header);
  return Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : undefined;
}

// Refused before anything ran: the same request may pass later, mutations included.
const REFUSED_FOR_NOW = new Set(["RATE_LIMITED"]);
// Codes that end a subscription which the next one, with `after`, continues.
const RESUMABLE = new Set(["UNAUTHENTICATED", "SUBSCRIBER_TOO_SLOW", "RATE_LIMITED"]);
// Close codes that retrying cannot cure (a bug of the client, not a passing state).
const FATAL_CLOSE = new Set([4400, 4406, 4409, 4429]);

/** Exponential backoff with full jitter: up to 0.5 s, 1 s, 2 s … then `maxMs`. */
export function backoff(attempt: number, maxMs: number, random: () => number = Math.random): number {
  return Math.round(random() * Math.min(maxMs, 500 * 2 ** attempt));
}

/**
 * The wait before the next attempt: what the service asked for, when it did, plus up to
 * 0.5 s so that the clients it refused together do not all come back at the same instant;
 * else `backoff`.
 */
export function retryWait(
  asked: number | undefined,
  attempt: number,
  maxMs: number,
  random: () => number = Math.random,
): number {
  return asked === undefined ? backoff(attempt, maxMs, random) : asked + backoff(0, 500, random);
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

const codesOf = (errors: readonly GraphQLFormattedError[]): string[] =>
  errors.map((error) => String(error.extensions?.["code"]));

async function sha256(text: string): Promise<string> {
  const digest = await globalThis.crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (byte) => byte.toString(16).padStart(2, "0")).join("");
}

/** The wait a close reason asks for (`… retryAfter=N: …`, seconds), in milliseconds. */
export function closeRetryAfterMs(reason: string): number | undefined {
  const match = /\bretryAfter=(\d+)/.exec(reason);
  return match === null ? undefined : Number(match[1]) * 1000;
}

export class ContractClient {
  readonly ws: Client;
  private readonly options: ContractClientOptions;
  private readonly maxWaitMs: number;
  private askedOnClose: number | undefined;

  constructor(options: ContractClientOptions) {
    this.options = options;
    this.maxWaitMs = options.maxRetryWaitMs ?? 30_000;
    this.ws = createClient({
      url: options.wsUrl,
      ...(options.webSocketImpl === undefined ? {} : { webSocketImpl: options.webSocketImpl }),
      // A function: every (re)connection sends a token fresh from the source.
      connectionParams: async () => ({ token: await options.token() }),
      lazy: true,
      // Reconnect for as long as it takes (1012 when the service restarts, 1006 when the
      // network drops), waiting longer each time.
      retryAttempts: Number.POSITIVE_INFINITY,
      retryWait: (retries) => {
        const asked = this.askedOnClose;
        this.askedOnClose = undefined;
        return sleep(retryWait(asked, retries, this.maxWaitMs));
      },
      // Called on each close before `retryWait`: a 4403 for a spent rate budget or a full
      // cap names its wait in the reason (`RATE_LIMITED retryAfter=30: …`).
      shouldRetry: (event) => {
        this.askedOnClose = isCloseEvent(event) ? closeRetryAfterMs(event.reason) : undefined;
        return !(isCloseEvent(event) && FATAL_CLOSE.has(event.code));
      },
    });
  }

  /**
   * Runs a query or mutation by POST, as a persisted query first (its SHA-256 only), with the
   * whole document when the service does not know it yet. Retries what may pass later: a
   * refusal made before anything ran (RATE_LIMITED, after the `retryAfter` it names), and for
   * a query, which changes nothing, a failure of the network too (a mutation may have been
   * applied before the answer was lost: the caller decides, e.g. by reading the document
   * again).
   */
  async request<Result, Variables extends Record<string, unknown>>(
    document: TypedDocumentNode<Result, Variables>,
    variables: Variables,
  ): Promise<Result> {
    const query = print(document);
    const persistedQuery = { version: 1, sha256Hash: await sha256(query) };
    const readOnly = document.definitions.every(
      (definition) =>
        definition.kind !== Kind.OPERATION_DEFINITION ||
        definition.operation === OperationTypeNode.QUERY,
    );
    // Once the service has said it does not know the hash, every attempt sends the document:
    // a retry that asked by hash again would spend a request of the rate budget on it, and
    // with the budget refilled by one request per wait, the document would never go.
    let withQuery = false;
    for (let attempt = 0; ; attempt += 1) {
      try {
        const extensions = { persistedQuery };
        let answer = await this.post<Result>(
          withQuery ? { query, variables, extensions } : { variables, extensions },
        );
        if (answer.result.errors?.[0]?.extensions?.["code"] === "PERSISTED_QUERY_NOT_FOUND") {
          withQuery = true;
          answer = await this.post<Result>({ query, variables, extensions });
        }
        const result = answer.result;
        if (result.errors?.length) {
          throw new ServiceError(result.errors, answer.retryAfter);
        }
        if (result.data === undefined || result.data === null) {
          throw new ServiceError([{ message: "no data" }]);
        }
        return result.data;
      } catch (error) {
        const transient =
          (readOnly && error instanceof TypeError) || // fetch: the network failed
          (error instanceof ServiceError &&
            error.code !== undefined &&
            REFUSED_FOR_NOW.has(error.code));
        if (!transient) {
          throw error;
        }
        const asked = error instanceof ServiceError ? error.retryAfterMs : undefined;
        await sleep(retryWait(asked, attempt, this.maxWaitMs));
      }
    }
  }

  /**
   * The live feed from `after` on (null: live events only), for as long as the returned
   * function is not called. Every event reaches `onEvent` once and in order: after any
   * interruption the subscription starts again after the last event received. `onEvent` is
   * the place to store `event.id` (e.g. in localStorage), so that a reload resumes too.
   */
  subscribeToEvents(
    variables: Omit<ContractEventsSubscriptionVariables, "after">,
    after: string | null,
    onEvent: (event: ContractEvent) => void,
    onFatal: (error: unknown) => void = () => {},
  ): () => void {
    const query = print(ContractEventsDocument);
    let last = after;
    let stopped = false;
    let attempt = 0;
    let unsubscribe = (): void => {};

    const start = (): void => {
      if (stopped) {
        return;
      }
      let resumable = false;
      // What RATE_LIMITED asked to wait before subscribing again, if it ended the operation.
      let asked: number | undefined;
      const sink: Sink<FormattedExecutionResult<ContractEventsSubscription>> = {
        next: (result) => {
          const codes = codesOf(result.errors ?? []);
          if (codes.length) {
            // Ends the operation; `complete` follows. Resumable: continue from `last`.
            resumable = codes.every((code) => RESUMABLE.has(code));
            asked = retryAfterMs(result.errors ?? []);
            if (!resumable) {
              onFatal(new ServiceError(result.errors ?? []));
            }
            return;
          }
          if (result.data) {
            last = result.data.contractEvents.id;
            onEvent(result.data.contractEvents);
          }
        },
        error: (error) => {
          // A close graphql-ws does not retry (4401 when the token expired), or the
          // operation's refusal (an `error` message: RATE_LIMITED, NOT_FOUND, ...).
          if (isCloseEvent(error)) {
            resumable = !FATAL_CLOSE.has(error.code);
          } else if (Array.isArray(error)) {
            const errors = error as GraphQLFormattedError[];
            const codes = codesOf(errors);
            resumable = codes.length > 0 && codes.every((code) => RESUMABLE.has(code));
            asked = retryAfterMs(errors);
          }
          if (!resumable) {
            onFatal(error);
          }
          restart(resumable, asked);
        },
        complete: () => restart(resumable, asked),
      };
      unsubscribe = this.ws.subscribe(
        {
          query,
          // A getter: graphql-ws sends the payload again on each reconnection it makes by
          // itself, and each time it must carry the last event id received so far.
          get variables(): ContractEventsSubscriptionVariables {
            return { ...variables, after: last };
          },
        },
        sink,
      );
    };

    const restart = (resumable: boolean, asked: number | undefined): void => {
      if (stopped || !resumable) {
        return;
      }
      const wait = retryWait(asked, attempt, this.maxWaitMs);
      attempt += 1;
      setTimeout(start, wait);
    };

    // Waits start short again once a connection is up.
    const unlisten = this.ws.on("connected", () => {
      attempt = 0;
    });
    start();
    return () => {
      stopped = true;
      unlisten();
      unsubscribe();
    };
  }

  async dispose(): Promise<void> {
    await this.ws.dispose();
  }

  private async post<Result>(body: Record<string, unknown>): Promise<Answer<Result>> {
    const response = await fetch(this.options.httpUrl, {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        Accept: "application/graphql-response+json, application/json;q=0.9",
        Authorization: `Bearer ${await this.options.token()}`,
      },
      body: JSON.stringify(body),
    });
    // Every answer of the service is GraphQL JSON, refusals (4xx) included.
    const result = (await response.json()) as FormattedExecutionResult<Result>;
    return { result, retryAfter: response.headers.get("retry-after") };
  }
}

/** A result and the `Retry-After` header it came with (a 429's). */
interface Answer<Result> {
  readonly result: FormattedExecutionResult<Result>;
  readonly retryAfter: string | null;
}

function isCloseEvent(value: unknown): value is { code: number; reason: string } {
  return typeof value === "object" && value !== null && "code" in value && typeof value.code === "number";
}
