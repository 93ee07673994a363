// The GraphiQL page of the contract service, bundled with every dependency into
// api/static/graphiql/ by build.mjs: the page loads nothing from any other origin.
import { getOperationAST, parse } from "graphql";
import { GraphiQL } from "graphiql";
import "graphiql/style.css";
import { createClient } from "graphql-ws";
import { createElement } from "react";
import { createRoot } from "react-dom/client";

const root = document.getElementById("graphiql");
const assets = new URL(root.dataset.assets, window.location.href);
const endpoint = new URL(root.dataset.endpoint, window.location.href);

// Monaco runs its language services in workers; they are bundled beside this file (the
// setup-workers modules of graphiql would load them from a CDN or need a bundler's loader).
globalThis.MonacoEnvironment = {
  getWorker(_workerId, label) {
    const file =
      label === "json" ? "json.worker.js" : label === "graphql" ? "graphql.worker.js" : "editor.worker.js";
    return new Worker(new URL(file, assets));
  },
};

const socketUrl = new URL(endpoint);
socketUrl.protocol = endpoint.protocol === "https:" ? "wss:" : "ws:";

function header(headers, name) {
  for (const [key, value] of Object.entries(headers ?? {})) {
    if (key.toLowerCase() === name && typeof value === "string") return value;
  }
  return undefined;
}

// The service reads the token from `connection_init`'s payload, not from headers (a browser
// cannot set headers on a WebSocket): one client per token typed in the headers editor.
const sockets = new Map();

function socketFor(token) {
  let client = sockets.get(token);
  if (client === undefined) {
    client = createClient({
      url: socketUrl.href,
      connectionParams: token === undefined ? {} : { token },
      lazy: true,
    });
    sockets.set(token, client);
  }
  return client;
}

function isSubscription(params, documentAST) {
  try {
    const operation = getOperationAST(documentAST ?? parse(params.query), params.operationName);
    return operation?.operation === "subscription";
  } catch {
    return false;
  }
}

async function* subscribe(params, headers) {
  const authorization = header(headers, "authorization");
  const token = authorization?.replace(/^Bearer\s+/i, "").trim() || undefined;
  yield* socketFor(token).iterate({
    query: params.query,
    variables: params.variables ?? undefined,
    operationName: params.operationName ?? undefined,
  });
}

async function post(params, headers) {
  const response = await fetch(endpoint, {
    method: "POST",
    headers: {
      Accept: "application/graphql-response+json, application/json;q=0.9",
      "Content-Type": "application/json",
      ...headers,
    },
    body: JSON.stringify(params),
  });
  return response.json();
}

function fetcher(params, options) {
  const headers = options?.headers ?? {};
  return isSubscription(params, options?.documentAST)
    ? subscribe(params, headers)
    : post(params, headers);
}

createRoot(root).render(
  createElement(GraphiQL, {
    fetcher,
    defaultEditorToolsVisibility: "headers",
    isHeadersEditorEnabled: true,
    shouldPersistHeaders: true,
    defaultHeaders: root.dataset.defaultHeaders,
    defaultQuery: root.dataset.defaultQuery,
  }),
);
