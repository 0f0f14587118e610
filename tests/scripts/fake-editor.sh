#!/bin/sh
# A scriptable stand-in for a text editor, for tests of `shroud edit`. The file to edit is the
# last argument. Driven by environment variables, applied in this order:
#   FAKE_EDITOR_RECORD=path   append "<file path> <octal mode> <dir mode>" to path
#   FAKE_EDITOR_SLEEP=n       sleep n seconds (to deliver a signal meanwhile)
#   FAKE_EDITOR_FIRST=text    on the first run only (no file $FAKE_EDITOR_STATE yet): write
#                             text as the whole content and stop; later runs go on below
#   FAKE_EDITOR_SED=expr      edit the file with `sed -i expr`
#   FAKE_EDITOR_CONTENT=text  replace the whole content with text (no newline added)
#   FAKE_EDITOR_APPEND=text   append text
#   FAKE_EDITOR_EXIT=n        exit with status n (default 0)
set -eu
for f; do :; done
if [ -n "${FAKE_EDITOR_RECORD:-}" ]; then
    printf '%s %s %s\n' "$f" "$(stat -c %a "$f")" "$(stat -c %a "$(dirname "$f")")" >>"$FAKE_EDITOR_RECORD"
fi
if [ -n "${FAKE_EDITOR_SLEEP:-}" ]; then
    sleep "$FAKE_EDITOR_SLEEP"
fi
if [ -n "${FAKE_EDITOR_FIRST+x}" ] && [ ! -e "$FAKE_EDITOR_STATE" ]; then
    : >"$FAKE_EDITOR_STATE"
    printf '%s' "$FAKE_EDITOR_FIRST" >"$f"
    exit 0
fi
if [ -n "${FAKE_EDITOR_SED:-}" ]; then
    sed -i "$FAKE_EDITOR_SED" "$f"
fi
if [ -n "${FAKE_EDITOR_CONTENT+x}" ]; then
    printf '%s' "$FAKE_EDITOR_CONTENT" >"$f"
fi
if [ -n "${FAKE_EDITOR_APPEND:-}" ]; then
    printf '%s' "$FAKE_EDITOR_APPEND" >>"$f"
fi
exit "${FAKE_EDITOR_EXIT:-0}"
