// A third-party ActivityPub server built on Fedify, for Kindred's interop test.
//
// Usage: node peer.mjs PORT
//
// Serves one Person, "alice", at http://127.0.0.1:PORT/users/alice (WebFinger, actor,
// personal and shared inboxes), and a small control API the test drives:
//
//   POST /control/follow {target}                    look the Group up by URL, send Follow
//   POST /control/reply  {group, inReplyTo, content} send Create(Note) to the group's inbox
//   POST /control/thread {group, name, content}      send Create(Page), a new thread there
//   GET  /control/log                                what arrived and what was sent
//
// Fedify verifies every inbox request itself: its listeners only run for activities
// whose signature it verified, so a logged activity is a verified one. The log also
// keeps each inbox request's signature scheme and answer, Fedify's own
// verifyRequestDetailed() result for it, and every outbound request with the scheme it
// was signed with, the object proofs its body carried and the status it got (Fedify
// double-knocks: RFC 9421 first, then draft-cavage after a 400/401/5xx).
//
// Fedify 2.3.6 declares Node >= 22 (npm warns EBADENGINE) but runs on Node 20; it is
// pinned exactly because later releases need packages the npm registry here lacks.
//
// It prints "fedify peer listening on URL" once ready and stops on SIGTERM or SIGINT.

import { createServer } from "node:http";
import { randomUUID } from "node:crypto";
import {
  createFederation,
  generateCryptoKeyPair,
  MemoryKvStore,
  verifyRequestDetailed,
} from "@fedify/fedify";
import {
  Accept,
  Announce,
  Create,
  Delete,
  Endpoints,
  Follow,
  Group,
  Note,
  Page,
  Person,
  PUBLIC_COLLECTION,
  Undo,
} from "@fedify/vocab";
import { Temporal } from "@js-temporal/polyfill";

const port = Number.parseInt(process.argv[2] ?? "", 10);
if (!Number.isInteger(port) || port <= 0 || port > 65535) {
  console.error("usage: node peer.mjs PORT");
  process.exit(2);
}
const origin = `http://127.0.0.1:${port}`;
const ALICE = "alice";
const MAX_BODY = 1024 * 1024;

// Everything the test may want to see, in arrival order.
const log = { inboxRequests: [], received: [], unverified: [], outbound: [], errors: [] };

function schemeOf(headers) {
  if (headers.get("signature-input")) return "rfc9421";
  if (headers.get("signature")) return "draft-cavage";
  return "none";
}

// Record every request Fedify makes (deliveries and lookups) with the scheme it signed
// it with and the answer, so the test sees the double-knock rather than guessing it.
const realFetch = globalThis.fetch;
globalThis.fetch = async (input, init) => {
  const request = new Request(input, init);
  const entry = {
    method: request.method,
    url: request.url,
    scheme: schemeOf(request.headers),
    status: null,
  };
  if (request.method === "POST") {
    // Fedify attaches an Ed25519 integrity proof and an RsaSignature2017 to what it
    // sends; the receiver is free to ignore both and rely on the HTTP signature.
    const body = JSON.parse(await request.clone().text());
    entry.activity = body.id ?? null;
    entry.proof = body.proof?.cryptosuite ?? null;
    entry.ldSignature = body.signature?.type ?? null;
  }
  log.outbound.push(entry);
  try {
    const response = await realFetch(request);
    entry.status = response.status;
    return response;
  } catch (error) {
    entry.error = String(error);
    throw error;
  }
};

// Generated once per run: the peer's identity lives only as long as the process.
const keyPairs = [
  await generateCryptoKeyPair("RSASSA-PKCS1-v1_5"),
  await generateCryptoKeyPair("Ed25519"),
];

const federation = createFederation({
  kv: new MemoryKvStore(),
  origin,
  // Kindred runs on 127.0.0.1: Fedify refuses private addresses unless told otherwise.
  allowPrivateAddress: true,
});

federation
  .setActorDispatcher("/users/{identifier}", async (ctx, identifier) => {
    if (identifier !== ALICE) return null;
    const keys = await ctx.getActorKeyPairs(identifier);
    return new Person({
      id: ctx.getActorUri(identifier),
      preferredUsername: identifier,
      name: "Alice (Fedify peer)",
      url: ctx.getActorUri(identifier),
      inbox: ctx.getInboxUri(identifier),
      endpoints: new Endpoints({ sharedInbox: ctx.getInboxUri() }),
      // The RSA key is the one HTTP signatures use; Ed25519 signs object integrity proofs.
      publicKey: keys[0].cryptographicKey,
      assertionMethods: keys.map((key) => key.multikey),
    });
  })
  .setKeyPairsDispatcher((_ctx, identifier) => (identifier === ALICE ? keyPairs : []));

async function record(type, activity, extra = {}) {
  log.received.push({
    type,
    verified: true, // Fedify calls listeners only after verifying the signature
    id: activity.id?.href ?? null,
    actor: activity.actorId?.href ?? null,
    object: activity.objectId?.href ?? null,
    json: await activity.toJsonLd({ format: "compact" }),
    ...extra,
  });
}

async function embeddedObject(activity) {
  // Kindred embeds what it announces; "trust" reads the embedded copy instead of
  // fetching it again from its origin (the peer's own Create would come back here).
  return await activity.getObject({ crossOrigin: "trust" });
}

federation
  .setInboxListeners("/users/{identifier}/inbox", "/inbox")
  .on(Accept, async (_ctx, accept) => {
    const follow = await embeddedObject(accept);
    await record("Accept", accept, {
      acceptedType: follow ? follow.constructor.name : null,
    });
  })
  .on(Announce, async (_ctx, announce) => {
    const inner = await embeddedObject(announce);
    const extra = { innerType: null, innerActor: null, innerObject: null };
    if (inner instanceof Create) {
      const obj = await embeddedObject(inner);
      extra.innerType = "Create";
      extra.innerActor = inner.actorId?.href ?? null;
      extra.innerObject = obj && {
        type: obj.constructor.name,
        id: obj.id?.href ?? null,
        name: obj.name?.toString() ?? null,
        content: obj.content?.toString() ?? null,
        inReplyTo: obj.replyTargetId?.href ?? null,
      };
    } else if (inner) {
      extra.innerType = inner.constructor.name;
      extra.innerActor = inner.actorId?.href ?? null;
    }
    await record("Announce", announce, extra);
  })
  .on(Create, async (_ctx, create) => await record("Create", create))
  .on(Follow, async (_ctx, follow) => await record("Follow", follow))
  .on(Undo, async (_ctx, undo) => await record("Undo", undo))
  .on(Delete, async (_ctx, del) => await record("Delete", del))
  .onUnverifiedActivity((_ctx, activity, reason) => {
    log.unverified.push({ id: activity.id?.href ?? null, reason: reason.type });
  })
  .onError((_ctx, error) => {
    log.errors.push(String(error));
  });

async function lookupGroup(ctx, url) {
  const group = await ctx.lookupObject(url);
  if (!(group instanceof Group)) {
    throw new Error(`${url} is not a Group (got ${group?.constructor.name ?? "nothing"})`);
  }
  return group;
}

const control = {
  async follow(ctx, { target }) {
    const group = await lookupGroup(ctx, target);
    const follow = new Follow({
      id: new URL(`/follows/${randomUUID()}`, origin),
      actor: ctx.getActorUri(ALICE),
      object: group.id,
    });
    // No queue is configured, so this delivers now and throws if the inbox refuses.
    await ctx.sendActivity({ identifier: ALICE }, group, follow);
    return { follow: follow.id.href, group: group.id.href, inbox: group.inboxId?.href };
  },
  async reply(ctx, { group: groupUrl, inReplyTo, content }) {
    const group = await lookupGroup(ctx, groupUrl);
    const noteId = new URL(`/notes/${randomUUID()}`, origin);
    const note = new Note({
      id: noteId,
      attribution: ctx.getActorUri(ALICE),
      to: PUBLIC_COLLECTION,
      cc: group.id,
      audience: group.id,
      replyTarget: new URL(inReplyTo), // Fedify's name for inReplyTo
      content,
      published: Temporal.Now.instant(),
    });
    const create = new Create({
      id: new URL(`${noteId.href}/activity`),
      actor: ctx.getActorUri(ALICE),
      to: PUBLIC_COLLECTION,
      cc: group.id,
      audience: group.id,
      object: note,
      published: Temporal.Now.instant(),
    });
    await ctx.sendActivity({ identifier: ALICE }, group, create);
    return { note: noteId.href, create: create.id.href };
  },
  async thread(ctx, { group: groupUrl, name, content }) {
    const group = await lookupGroup(ctx, groupUrl);
    const pageId = new URL(`/pages/${randomUUID()}`, origin);
    const page = new Page({
      id: pageId,
      attribution: ctx.getActorUri(ALICE),
      to: group.id,
      cc: PUBLIC_COLLECTION,
      audience: group.id,
      name,
      content,
      published: Temporal.Now.instant(),
    });
    const create = new Create({
      id: new URL(`${pageId.href}/activity`),
      actor: ctx.getActorUri(ALICE),
      to: group.id,
      cc: PUBLIC_COLLECTION,
      audience: group.id,
      object: page,
      published: Temporal.Now.instant(),
    });
    await ctx.sendActivity({ identifier: ALICE }, group, create);
    return { page: pageId.href, create: create.id.href };
  },
};

async function readBody(req) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > MAX_BODY) throw new Error("request body too large");
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
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

function json(status, doc) {
  return new Response(JSON.stringify(doc), {
    status,
    headers: { "Content-Type": "application/json" },
  });
}

async function handleControl(request) {
  const path = new URL(request.url).pathname;
  if (request.method === "GET" && path === "/control/log") return json(200, log);
  const action = path.slice("/control/".length);
  if (request.method !== "POST" || !Object.hasOwn(control, action)) {
    return json(404, { error: "no such control" });
  }
  const ctx = federation.createContext(new URL(origin));
  try {
    return json(200, await control[action](ctx, await request.json()));
  } catch (error) {
    log.errors.push(`${action}: ${error}`);
    return json(502, { error: String(error), status: error.statusCode ?? null });
  }
}

async function handleInbox(request) {
  const entry = { path: new URL(request.url).pathname, scheme: schemeOf(request.headers) };
  try {
    entry.activity = (await request.clone().json()).id ?? null;
  } catch {
    entry.activity = null;
  }
  log.inboxRequests.push(entry);
  // Fedify's verifier, run on a copy of the request, names the key that signed it.
  const ctx = federation.createContext(new URL(origin));
  const check = await verifyRequestDetailed(request.clone(), {
    documentLoader: ctx.documentLoader,
    contextLoader: ctx.contextLoader,
  });
  entry.verified = check.verified;
  entry.keyId = check.verified ? check.key.id?.href ?? null : null;
  if (!check.verified) entry.reason = check.reason.type;
  const response = await federation.fetch(request, { contextData: undefined });
  entry.status = response.status;
  return response;
}

async function handle(request) {
  const path = new URL(request.url).pathname;
  if (path.startsWith("/control/")) return await handleControl(request);
  if (request.method === "POST" && (path === "/inbox" || path.endsWith("/inbox"))) {
    return await handleInbox(request);
  }
  return await federation.fetch(request, { contextData: undefined });
}

const server = createServer(async (req, res) => {
  try {
    const response = await handle(toRequest(req, await readBody(req)));
    res.writeHead(response.status, Object.fromEntries(response.headers));
    res.end(Buffer.from(await response.arrayBuffer()));
  } catch (error) {
    log.errors.push(`${req.method} ${req.url}: ${error}`);
    if (!res.headersSent) res.writeHead(500, { "Content-Type": "text/plain" });
    res.end("peer error\n");
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
  console.log(`fedify peer listening on ${origin}`);
});
