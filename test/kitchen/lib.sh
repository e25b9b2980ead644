# Shared by docker-up and docker-down (sourced): where the cache, the daemon's pid file and the
# generated data live, and the names of what they create.
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# Outside the repository: CI runs from a fresh clone on the same machine and keeps the image.
cache=${EDGE_KITCHEN_CACHE:-/var/cache/ipv6-edge-kitchen}
site_file=${EDGE_SITE:-site/kitchen.yml}
network=${EDGE_DOCKER_NETWORK:-ipv6-edge-kitchen}
image_repo=ipv6-edge-kitchen
# Generated per clone (ignored by git): the site, the PKI and secrets the fixture cookbook
# installs, and the zone the DNS companion serves.
data_dir=$top/.kitchen/data
pid_file=$cache/dockerd.pid
label=ipv6-edge-kitchen

say() { printf '%s: %s\n' "$(basename "$0")" "$*"; }
die() { say "$*" >&2; exit 1; }
docker_up() { docker info >/dev/null 2>&1; }
pid_alive() { [ -n "$1" ] && kill -0 "$1" 2>/dev/null; }
# Our daemon's pid, when the pid file names a running dockerd.
our_dockerd() {
  local pid
  pid=$(cat "$pid_file" 2>/dev/null || true)
  pid_alive "$pid" && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = dockerd ] && echo "$pid"
}
