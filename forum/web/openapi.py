"""The OpenAPI 3.1 description of the JSON API in forum.web.api, written out by hand.

Written by hand (no framework derives it from our plain Starlette views): the pieces every
operation shares are here, with the first operations; the API's other modules, and
moderation's (which the forum may not import), `describe` theirs beside their views.
tests/forum/test_api.py validates it and checks that it names exactly the routes served.
"""

from __future__ import annotations

from typing import Any

from forum import __version__
from forum.services.threads import BODY_MAX, CONTENT_NOTE_MAX, TITLE_MAX
from forum.web.cookies import CSRF_COOKIE, SESSION_COOKIE

Schema = dict[str, Any]


def ref(kind: str, name: str) -> Schema:
    return {"$ref": f"#/components/{kind}/{name}"}


def obj(properties: Schema, *, optional: tuple[str, ...] = ()) -> Schema:
    return {
        "type": "object",
        "required": [name for name in properties if name not in optional],
        "properties": properties,
        "additionalProperties": False,
    }


STRING: Schema = {"type": "string"}
HTML: Schema = {"type": "string", "description": "Sanitised HTML rendered from Markdown."}
COUNT: Schema = {"type": "integer", "minimum": 0}
ID: Schema = {"type": "integer", "minimum": 1}
FLAG: Schema = {"type": "boolean"}
TIME: Schema = {"type": "string", "format": "date-time", "description": "UTC."}
URL: Schema = {"type": "string", "format": "uri", "description": "The HTML page."}

BOARD = {
    "slug": STRING,
    "title": STRING,
    "description_html": HTML,
    "visibility": {"enum": ["public", "members", "private"]},
    "posting_policy": {"enum": ["members", "moderators"]},
    "thread_count": COUNT,
    "post_count": COUNT,
    "url": URL,
}

SCHEMAS: dict[str, Schema] = {
    "Error": obj({"error": {"type": "string", "description": "A sentence for people."}}),
    "Board": obj(BOARD),
    "BoardList": obj({"items": {"type": "array", "items": ref("schemas", "Board")}}),
    "BoardDetail": obj(
        {
            **BOARD,
            "rules_html": HTML,
            "viewer": obj(
                {
                    "is_member": FLAG,
                    "persona": {
                        "type": ["string", "null"],
                        "description": "Your pseudonym in this board, when a member.",
                    },
                    "can_read": {**FLAG, "description": "False: the thread list is a 404."},
                    "can_start_thread": FLAG,
                }
            ),
        }
    ),
    "Thread": obj(
        {
            "id": ID,
            "board": {**STRING, "description": "The board's slug."},
            "title": STRING,
            "content_note": {**STRING, "description": "Empty, or a warning to show first."},
            "author": {**STRING, "description": "The author's display name in this board."},
            "author_one_off": {
                **FLAG,
                "description": "The thread was opened under a one-off name (used for it only).",
            },
            "muted": {**FLAG, "description": "The title holds one of your mute words."},
            "pinned": FLAG,
            "locked": FLAG,
            "post_count": COUNT,
            "new_posts": {
                "type": ["integer", "null"],
                "minimum": 0,
                "description": (
                    "In a board's thread list, for a member: visible posts by others since "
                    "your persona last read the thread (null: never opened it, or elsewhere)."
                ),
            },
            "last_activity_at": TIME,
            "created_at": TIME,
            "url": URL,
        }
    ),
    "ThreadList": obj(
        {
            "items": {
                "type": "array",
                "items": ref("schemas", "Thread"),
                "description": "Pinned threads (first page only), then by last activity.",
            },
            "next": {
                "type": ["string", "null"],
                "description": "Pass as `after` for the next page; null on the last.",
            },
        }
    ),
    "Post": obj(
        {
            "seq": {**ID, "description": "The post's number in its thread; 1 opens it."},
            "author": STRING,
            "content_note": {
                **STRING,
                "description": "Empty, or a warning to show first (your preferences say how).",
            },
            "body_html": {**HTML, "description": "Empty unless the post is visible."},
            "state": {
                "enum": ["visible", "held", "deleted", "removed"],
                "description": "held: waiting for the moderators (shown to its author only).",
            },
            "created_at": TIME,
            "edited_at": {**TIME, "type": ["string", "null"]},
            "reply_to": {"type": ["integer", "null"], "description": "The seq replied to."},
            "reaction_counts": {"type": "object", "additionalProperties": COUNT},
            "my_reactions": {
                "type": "array",
                "items": STRING,
                "description": "The kinds of reaction your persona gave this post.",
            },
            "muted": {
                **FLAG,
                "description": (
                    "The text holds one of your mute words. Nothing is hidden for you: "
                    "fold or hide it as your preferences say (mute_action)."
                ),
            },
        }
    ),
    "ThreadPage": obj(
        {
            "thread": ref("schemas", "Thread"),
            "posts": {"type": "array", "items": ref("schemas", "Post")},
            "page": ID,
            "page_count": ID,
            "first_unread": {
                "type": ["integer", "null"],
                "description": "The seq of the first post you had not read before this call.",
            },
            "watch": {
                "enum": ["follow", "mute", "normal", None],
                "description": "Whether you follow or muted the thread (null: never opened).",
            },
        }
    ),
    "NewThread": obj(
        {
            "title": {**STRING, "maxLength": TITLE_MAX},
            "body": {**STRING, "maxLength": BODY_MAX, "description": "Markdown."},
            "content_note": {
                **STRING,
                "maxLength": CONTENT_NOTE_MAX,
                "description": "Required when the board says so (400 otherwise).",
            },
            "one_off": {
                **FLAG,
                "description": (
                    "Open it under a new one-off name (where the board allows it): a random "
                    "name used for this thread only, that replies here for the board's days."
                ),
            },
        },
        optional=("content_note", "one_off"),
    ),
    "NewReply": obj(
        {
            "body": {**STRING, "maxLength": BODY_MAX, "description": "Markdown."},
            "content_note": {
                **STRING,
                "maxLength": CONTENT_NOTE_MAX,
                "description": "Required when the board says so (400 otherwise).",
            },
            "reply_to": {"type": ["integer", "null"], "minimum": 1},
        },
        optional=("content_note", "reply_to"),
    ),
}


def _error(description: str, headers: Schema | None = None) -> Schema:
    response: Schema = {
        "description": description,
        "content": {"application/json": {"schema": ref("schemas", "Error")}},
    }
    if headers:
        response["headers"] = headers
    return response


RESPONSES: dict[str, Schema] = {
    "BadRequest": _error("Not JSON, not an object, or a field missing or wrong."),
    "Unauthorized": _error("Not logged in (writes), or a personal token that is not valid."),
    "Forbidden": _error("Not allowed here, or a session request without X-CSRF-Token."),
    "NotFound": _error("Missing, or hidden from you: the two look the same."),
    "Conflict": _error("The thread was busy; send the same request again."),
    "TooLarge": _error("The request body is over the size limit (1 MiB by default)."),
    "TooManyRequests": _error(
        "Slow down.",
        {"Retry-After": {"description": "Seconds to wait.", "schema": {"type": "integer"}}},
    ),
}

PARAMETERS: dict[str, Schema] = {
    "slug": {"name": "slug", "in": "path", "required": True, "schema": STRING},
    "thread_id": {"name": "thread_id", "in": "path", "required": True, "schema": ID},
    "after": {
        "name": "after",
        "in": "query",
        "description": "The `next` cursor of the previous page.",
        "schema": STRING,
    },
    "seq": {
        "name": "seq",
        "in": "path",
        "required": True,
        "description": "The post's number in its thread (1 is the opener).",
        "schema": ID,
    },
    "page": {
        "name": "page",
        "in": "query",
        "description": "1 (the default) to page_count; past the end is a 404.",
        "schema": {**ID, "default": 1},
    },
}

SECURITY_SCHEMES: dict[str, Schema] = {
    "personalToken": {
        "type": "http",
        "scheme": "bearer",
        "description": "A personal token made on the account page; needs no CSRF header.",
    },
    "sessionCookie": {
        "type": "apiKey",
        "in": "cookie",
        "name": SESSION_COOKIE,
        "description": "The browser's login session.",
    },
    "csrfHeader": {
        "type": "apiKey",
        "in": "header",
        "name": "X-CSRF-Token",
        "description": (
            "With the session cookie, writes also need this header: the csrf_token the "
            f"site's forms carry (it matches the {CSRF_COOKIE} cookie)."
        ),
    },
}

# Reads work for anyone; a login only shows more (members-only and private boards).
READ: list[Schema] = [{}, {"personalToken": []}, {"sessionCookie": []}]
WRITE: list[Schema] = [{"personalToken": []}, {"sessionCookie": [], "csrfHeader": []}]


def ok(schema: str, description: str, status: str = "200") -> Schema:
    return {
        status: {
            "description": description,
            "content": {"application/json": {"schema": ref("schemas", schema)}},
        }
    }


def errors(*names: str) -> Schema:
    codes = {
        "BadRequest": "400",
        "Unauthorized": "401",
        "Forbidden": "403",
        "NotFound": "404",
        "Conflict": "409",
        "TooLarge": "413",
        "TooManyRequests": "429",
    }
    return {codes[name]: ref("responses", name) for name in names}


def request_body(schema: str) -> Schema:
    return {
        "required": True,
        "content": {"application/json": {"schema": ref("schemas", schema)}},
    }


WRITE_ERRORS = ("BadRequest", "Unauthorized", "Forbidden", "NotFound", "TooLarge")

PATHS: dict[str, Schema] = {
    "/boards": {
        "get": {
            "operationId": "listBoards",
            "summary": "The boards you may know of",
            "security": READ,
            "responses": {
                **ok("BoardList", "Public and members-only boards, and your private ones."),
                **errors("Unauthorized"),
            },
        }
    },
    "/boards/{slug}": {
        "parameters": [ref("parameters", "slug")],
        "get": {
            "operationId": "getBoard",
            "summary": "One board, and what you may do in it",
            "security": READ,
            "responses": {
                **ok("BoardDetail", "The board."),
                **errors("Unauthorized", "NotFound"),
            },
        },
    },
    "/boards/{slug}/threads": {
        "parameters": [ref("parameters", "slug")],
        "get": {
            "operationId": "listThreads",
            "summary": "A page of the board's threads",
            "security": READ,
            "parameters": [ref("parameters", "after")],
            "responses": {
                **ok("ThreadList", "Up to 30 threads."),
                **errors("BadRequest", "Unauthorized", "NotFound"),
            },
        },
        "post": {
            "operationId": "createThread",
            "summary": "Start a thread (as your persona in the board)",
            "security": WRITE,
            "requestBody": request_body("NewThread"),
            "responses": {
                **ok("Thread", "The new thread.", "201"),
                **errors(*WRITE_ERRORS, "TooManyRequests"),
            },
        },
    },
    "/threads/{thread_id}": {
        "parameters": [ref("parameters", "thread_id")],
        "get": {
            "operationId": "getThread",
            "summary": "A thread and one page (50) of its posts",
            "description": "For a member, your place in the thread moves to this page's end.",
            "security": READ,
            "parameters": [ref("parameters", "page")],
            "responses": {
                **ok("ThreadPage", "The thread and the page's posts."),
                **errors("BadRequest", "Unauthorized", "NotFound"),
            },
        },
    },
    "/threads/{thread_id}/posts": {
        "parameters": [ref("parameters", "thread_id")],
        "post": {
            "operationId": "createReply",
            "summary": "Reply in a thread (403 once it is locked)",
            "security": WRITE,
            "requestBody": request_body("NewReply"),
            "responses": {
                **ok("Post", "The new post.", "201"),
                **errors(*WRITE_ERRORS, "Conflict", "TooManyRequests"),
            },
        },
    },
    "/openapi.json": {
        "get": {
            "operationId": "getOpenapi",
            "summary": "This document",
            "security": [{}],
            "responses": {
                "200": {
                    "description": "OpenAPI 3.1.",
                    "content": {"application/json": {"schema": {"type": "object"}}},
                }
            },
        }
    },
}


def describe(paths: dict[str, Schema], schemas: dict[str, Schema] | None = None) -> None:
    """Add operations (and the schemas they name) to the document; each module of the API
    calls this once, on import, for the routes it serves."""
    for path, item in paths.items():
        PATHS.setdefault(path, {}).update(item)
    SCHEMAS.update(schemas or {})


def openapi_document(server_url: str) -> Schema:
    """The whole document, with `server_url` (this instance's /api) as its one server."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Kindred JSON API",
            "version": __version__,
            "description": (
                "Read boards and threads; start threads, reply, edit, delete, react and "
                "report; search; your preferences, notices and unread posts. Every error is "
                'JSON: {"error": "a sentence"}. Ids are integers; times are ISO-8601 UTC. '
                "You appear in each board as that board's persona only: no answer names "
                "your account or links your personas."
            ),
        },
        "servers": [{"url": server_url}],
        "security": READ,
        "paths": PATHS,
        "components": {
            "schemas": SCHEMAS,
            "responses": RESPONSES,
            "parameters": PARAMETERS,
            "securitySchemes": SECURITY_SCHEMES,
        },
    }
