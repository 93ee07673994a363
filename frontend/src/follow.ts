// Follows the live feed from the command line (Node 20+), printing one event per line as JSON:
//
//   CONTRACTS_WS_URL=ws://127.0.0.1:8000/graphql CONTRACTS_TOKEN_FILE=token.txt \
//     node build/src/follow.js
//
// The token is read from its file at every connection, so whatever refreshes the file (a
// cron job, `contracts token … > token.txt`) refreshes the client. The last event id goes to
// CONTRACTS_CURSOR_FILE after each event, and a new run starts after it: stopping and starting
// this program, or the service, loses no event and repeats none.
import { readFileSync, writeFileSync } from "node:fs";

import WebSocket from "ws";

import { ContractClient } from "./client.js";
import { ViewerDocument } from "./generated/graphql.js";

function setting(name: string, fallback?: string): string {
  const value = process.env[name] ?? fallback;
  if (value === undefined) {
    throw new Error(`${name} is not set`);
  }
  return value;
}

const wsUrl = setting("CONTRACTS_WS_URL", "ws://127.0.0.1:8000/graphql");
const tokenFile = setting("CONTRACTS_TOKEN_FILE");
const cursorFile = setting("CONTRACTS_CURSOR_FILE", ".last-event-id");

function lastEventId(): string | null {
  try {
    return readFileSync(cursorFile, "utf8").trim() || null;
  } catch {
    return null; // the first run: live events only
  }
}

const client = new ContractClient({
  httpUrl: wsUrl.replace(/^ws/, "http"),
  wsUrl,
  token: async () => {
    console.error("token read");
    return readFileSync(tokenFile, "utf8").trim();
  },
  webSocketImpl: WebSocket,
  maxRetryWaitMs: Number(setting("CONTRACTS_MAX_RETRY_WAIT_MS", "30000")),
});
// By HTTP, as a persisted query: the service registers it the first time.
console.error("viewer", JSON.stringify((await client.request(ViewerDocument, {})).viewer));
client.ws.on("connected", () => console.error("connected"));
client.ws.on("closed", () => console.error("closed"));

const stop = client.subscribeToEvents(
  {},
  lastEventId(),
  (event) => {
    writeFileSync(cursorFile, event.id);
    console.log(JSON.stringify(event));
  },
  (error) => {
    console.error("stopped:", error);
    process.exitCode = 1;
    void client.dispose();
  },
);

// Every event printed is in the cursor file already, so the process can go at once. It
// must: graphql-ws's dispose waits for a connection being opened, and while the service
// restarts its address accepts connections that nobody answers, so that wait has no end.
const DISPOSE_MS = 1000;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    stop();
    const exit = (): never => process.exit();
    setTimeout(exit, DISPOSE_MS).unref();
    client.dispose().then(exit, exit);
  });
}
