#!/usr/bin/env bash
# Installs what building and testing qilin need on Debian 12, as root.
# Skips apt entirely when everything is already there.
set -euo pipefail
packages=(
  g++ make cmake             # the build
  python3.11-dev             # the embedded CPython (Debian's, named explicitly)
  libgtest-dev               # unit tests
  python3-pytest python3-requests  # black-box tests
  python3-django             # the Django app-loading test
  python3-pastedeploy        # --paste (PasteDeploy ini files)
  gunicorn                   # the oracle some tests compare with (test_hooks.py)
  curl                       # tests and the README's example
  strace                     # the sendfile tests watch the worker's syscalls
  wrk                        # test_reload.py: load through HUPs (and bench/)
  systemd                    # test_upgrade.py: socket activation through systemd-socket-activate
  libssl-dev openssl         # TLS (OpenSSL), and the CLI the TLS tests make certificates with
  clang libclang-rt-14-dev   # the fuzz build: clang++ and its libFuzzer/ASan/UBSan runtimes
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${missing[@]}"
fi
