#!/usr/bin/env bash
# The image's health probe (/usr/local/bin/signet-healthcheck): GET PATH on 127.0.0.1:PORT over
# bash's /dev/tcp (the image has no curl); exit 0 on a 200 answer within 3 seconds, else 1.
#   signet-healthcheck [PATH] [PORT] [HOST]    default: /health/ready 8080 127.0.0.1
# Without arguments (the image's HEALTHCHECK) in a container that runs another command than the
# gateway (signet-signer, signet-csc-sim ...), there is no gateway to ask: healthy while it runs.
set -euo pipefail
if (($# == 0)) && [[ $(cat /proc/1/comm 2>/dev/null) != signet-gateway ]]; then
    exit 0
fi
path=${1:-/health/ready} port=${2:-8080} host=${3:-127.0.0.1}
exec 3<>"/dev/tcp/$host/$port"
printf 'GET %s HTTP/1.1\r\nHost: %s:%s\r\nConnection: close\r\n\r\n' "$path" "$host" "$port" >&3
status=""
read -r -t 3 _ status _ <&3 || true
exec 3<&-
if [[ $status == 200 ]]; then exit 0; fi
echo "GET $path on $host:$port: ${status:-no answer}" >&2
exit 1
