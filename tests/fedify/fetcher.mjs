// A Fedify server that fetches Kindred's documents, for the authorized-fetch interop test.
//
// Usage: node fetcher.mjs PORT
//
// Serves one Person, "alice", at http://127.0.0.1:PORT/users/alice (so Kindred can fetch
// the key that signs alice's GETs), and a control API:
//
//   POST /control/get {url, how}   GET url as Fedify would, answering {status, id, requests}
//     how = "unsigned"     plain fetch, no signature
//           "rfc9421"      signed by Fedify's signRequest with RFC 9421
//           "cavage"       signed by Fedify's signRequest with draft-cavage
//           "loader"       alice's authenticated document loader (Fedify's own signed
//                          fetch, which double-knocks on its own)
//           "anonymous"    Fedify's unauthenticated document loader
//
// `requests` lists each HTTP request the call made, with its signature scheme and status.
// It prints "fedify fetcher listening on URL" once ready and stops on SIGTERM or SIGINT.

import { createServer } from "node:http";
import {
  createFederation,
  generateCryptoKeyPair,
  MemoryKvStore,
  signRequest,
} from "@fedify/fedify";
import { Person } from "@fedify/vocab";

const port = Number.parseInt(process.argv[2] ?? "", 10);
if (!Number.isInteger(port) || port <= 0 || port > 65535) {
  console.error("usage: node fetcher.mjs PORT");
  process.exit(2);
}
const origin = `http://127.0.0.1:${port}`;
const ALICE = "alice";
const ACCEPT = "application/activity+json";

function schemeOf(headers) {
  if (headers.get("signature-input")) return "rfc9421";
  if (headers.get("signature")) return "draft-cavage";
  return "none";
}

// Every request Fedify makes is recorded in the current call's list.
let requests = [];
const realFetch = globalThis.fetch;
globalThis.fetch = async (input, init) => {
  const request = new Request(input, init);
  const entry = { url: request.url, scheme: schemeOf(request.headers), status: null };
  requests.push(entry);
  const response = await realFetch(request);
  entry.status = response.status;
  return response;
};

const keyPairs = [await generateCryptoKeyPair("RSASSA-PKCS1-v1_5")];
const federation = createFederation({
  kv: new MemoryKvStore(),
  origin,
  allowPrivateAddress: true, // Kindred runs on 127.0.0.1
});

federation
  .setActorDispatcher("/users/{identifier}", async (ctx, identifier) => {
    if (identifier !== ALICE) return null;
    const [key] = await ctx.getActorKeyPairs(identifier);
    return new Person({
      id: ctx.getActorUri(identifier),
      preferredUsername: identifier,
      name: "Alice (Fedify fetcher)",
      inbox: ctx.getInboxUri(identifier),
      publicKey: key.cryptographicKey,
    });
  })
  .setKeyPairsDispatcher((_ctx, identifier) => (identifier === ALICE ? keyPairs : []));
federation.setInboxListeners("/users/{identifier}/inbox", "/inbox");

async function signedFetch(ctx, url, spec) {
  const [key] = await ctx.getActorKeyPairs(ALICE);
  const request = await signRequest(
    new Request(url, { headers: { Accept: ACCEPT } }),
    key.privateKey,
    key.keyId,
    { spec },
  );
  return await globalThis.fetch(request);
}

async function get(ctx, { url, how }) {
  let response;
  if (how === "unsigned") {
    response = await globalThis.fetch(url, { headers: { Accept: ACCEPT } });
  } else if (how === "rfc9421") {
    response = await signedFetch(ctx, url, "rfc9421");
  } else if (how === "cavage") {
    response = await signedFetch(ctx, url, "draft-cavage-http-signatures-12");
  } else if (how === "loader" || how === "anonymous") {
    const loader =
      how === "loader" ? await ctx.getDocumentLoader({ identifier: ALICE }) : ctx.documentLoader;
    try {
      const { document } = await loader(url);
      return { status: 200, id: document.id ?? null };
    } catch (error) {
      return { status: error.response?.status ?? null, id: null, error: String(error) };
    }
  } else {
    throw new Error(`unknown way to fetch: ${how}`);
  }
  const body = response.ok ? await response.json() : null;
  return { status: response.status, id: body?.id ?? null };
}

function json(status, doc) {
  return new Response(JSON.stringify(doc), {
    status,
    headers: { "Content-Type": "application/json" },
  });
}

async function handle(request) {
  const path = new URL(request.url).pathname;
  if (request.method === "GET" && path === "/control/ready") return json(200, { ready: true });
  if (request.method === "POST" && path === "/control/get") {
    const ctx = federation.createContext(new URL(origin));
    requests = [];
    try {
      const result = await get(ctx, await request.json());
      return json(200, { ...result, requests });
    } catch (error) {
      return json(502, { error: String(error), requests });
    }
  }
  return await federation.fetch(request, { contextData: undefined });
}

function toRequest(req, body) {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (Array.isArray(value)) value.forEach((v) => headers.append(name, v));
    else if (value !== undefined) headers.set(name, value);
  }
  const hasBody = req.method !== "GET" && req.method !== "HEAD";
  return new Request(new URL(req.url, origin), {
    method: req.method,
    headers,
    body: hasBody ? body : undefined,
  });
}

const server = createServer(async (req, res) => {
  try {
    const chunks = [];
    for await (const chunk of req) chunks.push(chunk);
    const response = await handle(toRequest(req, Buffer.concat(chunks)));
    res.writeHead(response.status, Object.fromEntries(response.headers));
    res.end(Buffer.from(await response.arrayBuffer()));
  } catch (error) {
    if (!res.headersSent) res.writeHead(500, { "Content-Type": "text/plain" });
    res.end(`fetcher error: ${error}\n`);
  }
});

function stop() {
  server.close(() => process.exit(0));
  server.closeAllConnections();
  setTimeout(() => process.exit(0), 2000).unref();
}
process.on("SIGTERM", stop);
process.on("SIGINT", stop);

server.listen(port, "127.0.0.1", () => {
  console.log(`fedify fetcher listening on ${origin}`);
});
