#!/bin/sh
# Kindred container entrypoint.
#
# With no arguments (or the image's default CMD) this applies pending database
# migrations with `kindred migrate` and then replaces itself with
# `kindred serve --host 0.0.0.0 --port 8000`, so the server is PID 1 and gets
# SIGTERM directly from `docker stop`.
#
# `kindred init ...` also migrates first, so it works on a fresh volume/database.
# Any other command (e.g. `kindred migrate`, `sh`) is run as given.
set -eu

if [ "$#" -eq 0 ]; then
    set -- kindred serve --host 0.0.0.0 --port 8000
fi

if [ "$1" = "kindred" ] && [ "$#" -ge 2 ]; then
    case "$2" in
        serve | init)
            echo "kindred-entrypoint: applying database migrations" >&2
            kindred migrate
            ;;
    esac
fi

exec "$@"
