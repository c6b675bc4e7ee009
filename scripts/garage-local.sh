#!/usr/bin/env bash
# A local single-node Garage S3 server on 127.0.0.1 for benchmarks and manual checks.
#
#   scripts/garage-local.sh start DIR   config, data and log in DIR; bucket `sift-bench` and a key
#                                       that owns it; writes DIR/env.sh (source it for AWS_* and
#                                       SIFT_S3_BUCKET). Starting again reuses DIR's data and ports.
#   scripts/garage-local.sh stop DIR    stops that server
#   scripts/garage-local.sh status DIR  says whether it runs
#
# Garage: $SIFT_GARAGE, else ~/.cargo/bin/garage, else `garage` on PATH (`make setup` installs it).
# Ports: free ones are picked on first start (or $GARAGE_S3_PORT / $GARAGE_RPC_PORT).
set -euo pipefail

usage() { echo "usage: $0 start|stop|status DIR" >&2; exit 2; }
[ $# -eq 2 ] || usage
cmd="$1"; mkdir -p "$2"; dir="$(cd "$2" && pwd)"
cfg="$dir/garage.toml"; pidfile="$dir/garage.pid"; log="$dir/garage.log"
bucket="sift-bench"

garage_bin() {
  if [ -n "${SIFT_GARAGE:-}" ]; then echo "$SIFT_GARAGE"
  elif [ -x "${CARGO_HOME:-$HOME/.cargo}/bin/garage" ]; then echo "${CARGO_HOME:-$HOME/.cargo}/bin/garage"
  elif command -v garage >/dev/null; then command -v garage
  else echo "error: Garage is not installed; run \`make setup\` (or set SIFT_GARAGE)" >&2; exit 1
  fi
}

running() { [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

case "$cmd" in
start)
  bin="$(garage_bin)"
  g() { env -u GARAGE_RPC_HOST -u GARAGE_RPC_SECRET -u GARAGE_RPC_SECRET_FILE "$bin" -c "$cfg" "$@"; }
  if running; then
    echo "Garage already runs in $dir (pid $(cat "$pidfile"))"
  else
    if [ ! -f "$cfg" ]; then
      s3_port="${GARAGE_S3_PORT:-$(free_port)}"
      rpc_port="${GARAGE_RPC_PORT:-$(free_port)}"
      while [ "$rpc_port" = "$s3_port" ]; do rpc_port="$(free_port)"; done
      secret="$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')"
      mkdir -p "$dir/meta" "$dir/data"
      cat > "$cfg" <<EOF
metadata_dir = "$dir/meta"
data_dir = "$dir/data"
db_engine = "sqlite"
replication_factor = 1

rpc_bind_addr = "127.0.0.1:$rpc_port"
rpc_public_addr = "127.0.0.1:$rpc_port"
rpc_secret = "$secret"

[s3_api]
s3_region = "garage"
api_bind_addr = "127.0.0.1:$s3_port"
root_domain = ".s3.garage.localhost"
EOF
      chmod 600 "$cfg"
    fi
    RUST_LOG="${RUST_LOG:-garage=info}" nohup env -u GARAGE_RPC_HOST "$bin" -c "$cfg" server >>"$log" 2>&1 &
    echo $! > "$pidfile"
    for _ in $(seq 300); do
      running || { echo "error: garage exited; last log lines:" >&2; tail -n 30 "$log" >&2; rm -f "$pidfile"; exit 1; }
      g status >/dev/null 2>&1 && break
      sleep 0.1
    done
    g status >/dev/null 2>&1 || { echo "error: garage did not answer in 30 s; see $log" >&2; exit 1; }
  fi
  s3_port="$(sed -n 's/^api_bind_addr = "127.0.0.1:\([0-9]*\)"$/\1/p' "$cfg")"
  if [ ! -f "$dir/env.sh" ]; then
    node="$(g node id -q)"; node="${node%%@*}"
    g layout assign -z dc1 -c 1G "$node" >/dev/null
    g layout apply --version 1 >/dev/null
    g bucket create "$bucket" >/dev/null
    key_out="$(g key create sift-bench-key)"
    key_id="$(sed -n 's/^Key ID:[[:space:]]*//p' <<<"$key_out")"
    key_secret="$(sed -n 's/^Secret key:[[:space:]]*//p' <<<"$key_out")"
    [ -n "$key_id" ] && [ -n "$key_secret" ] || { echo "error: unexpected \`garage key create\` output:" >&2; echo "$key_out" >&2; exit 1; }
    g bucket allow --read --write --owner "$bucket" --key "$key_id" >/dev/null
    umask 077
    cat > "$dir/env.sh" <<EOF
# Source this file: the local Garage server in $dir (scripts/garage-local.sh).
export AWS_ACCESS_KEY_ID=$key_id
export AWS_SECRET_ACCESS_KEY=$key_secret
export AWS_REGION=garage
export AWS_DEFAULT_REGION=garage
export AWS_ENDPOINT_URL=http://127.0.0.1:$s3_port
export AWS_EC2_METADATA_DISABLED=true
export SIFT_S3_BUCKET=$bucket
EOF
  fi
  # Wait until the S3 API accepts connections before handing over.
  for _ in $(seq 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$s3_port") 2>/dev/null && break
    sleep 0.1
  done
  echo "Garage runs on http://127.0.0.1:$s3_port (bucket $bucket); environment: source $dir/env.sh"
  ;;
stop)
  if running; then
    pid="$(cat "$pidfile")"
    kill "$pid"
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
    echo "Garage in $dir stopped"
  else
    echo "Garage in $dir is not running"
  fi
  rm -f "$pidfile"
  ;;
status)
  if running; then echo "Garage in $dir runs (pid $(cat "$pidfile"))"; else echo "Garage in $dir is not running"; exit 1; fi
  ;;
*) usage ;;
esac
