#!/bin/sh
# guard.sh CMD [ARGS...]: runs CMD for the desktop end-to-end harness so that it can never
# outlive the test process. The harness starts this script as the leader of a new process
# group, with a pipe on stdin that only the harness holds. When that pipe closes — the
# harness stopping it, or the harness ending in any way (exit, exception, signal, even
# SIGKILL) — the whole group is ended: CMD and everything it started (tauri-driver,
# WebKitWebDriver, sift-desktop and its WebKit processes; or Xvfb), SIGTERM first, then
# SIGKILL. File descriptors other than stdin (the log, Xvfb's -displayfd) pass through to CMD.

"$@" </dev/null &
# Set after CMD started, so CMD keeps the default actions; this shell, and the `cat` and
# `sleep` it runs, outlive the SIGTERM sent to the group below.
trap '' TERM INT HUP QUIT PIPE
cat >/dev/null
kill -TERM 0 2>/dev/null
sleep 1
kill -KILL 0
