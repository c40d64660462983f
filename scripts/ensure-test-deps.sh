#!/usr/bin/env bash
# Makes sure the system programs that the test suites start for real are present.
# Run by `npm test` before anything else. On Debian as root it installs what is missing
# with apt-get; otherwise it stops at once and prints the single command to run.
# Set SCYLLA_CP_NO_APT=1 to forbid installing (it then only checks).
set -euo pipefail

# program to look for | Debian package that provides it
checks=(
  "prometheus|prometheus"
  "prometheus-alertmanager|prometheus-alertmanager"
  "sshd|openssh-server"
  "ssh|openssh-client"
  "ssh-keygen|openssh-client"
  "initdb|postgresql"
  "chromium|chromium"
  "sqlite3|sqlite3"
  "tmux|tmux"
)

have() {
  local prog="$1"
  command -v "$prog" >/dev/null 2>&1 && return 0
  case "$prog" in
    sshd) [ -x /usr/sbin/sshd ] ;;
    initdb) compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null ;;
    *) return 1 ;;
  esac
}

missing=()
for entry in "${checks[@]}"; do
  prog="${entry%%|*}"; pkg="${entry##*|}"
  if ! have "$prog"; then
    case " ${missing[*]-} " in *" $pkg "*) ;; *) missing+=("$pkg") ;; esac
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

cmd="apt-get update && apt-get install -y --no-install-recommends ${missing[*]}"
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1 && [ "${SCYLLA_CP_NO_APT:-}" != "1" ]; then
  echo "test setup: installing ${missing[*]} (Debian packages the tests start for real)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  exit 0
fi

echo "test setup: missing system programs for the tests: ${missing[*]}" >&2
echo "install them with:" >&2
if [ "$(id -u)" = "0" ]; then echo "  $cmd" >&2; else echo "  sudo sh -c '$cmd'" >&2; fi
exit 1
