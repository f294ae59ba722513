#!/usr/bin/env bash
# Prepares what compose/single.yml and compose/scaled.yml read, with the image's own tools; what
# exists is kept (run it again after deleting a file to make that one anew):
#   compose/secrets/gateway-curve.key, .pub   the gateways' CURVE key pair (--signer-curve-key;
#                                             signers: --gateway-public-key)
#   compose/secrets/signer-curve.key, .pub    the signers' key pair (--curve-key; the gateways
#                                             authorize the public key)
#   compose/work/client-services-config.json  a client service `demo` with a random secret whose
#                                             remote account is the simulator's default client
#   compose/work/demo.netrc                   its credentials for curl
# Secret key files and the client configuration are owned by uid 10001 (the image's user), mode
# 0600: compose mounts file secrets and the work folder as they are on disk.
# Environment: IMAGE (default signet:latest), ENGINE (docker when its engine answers, else podman).
set -euo pipefail
cd "$(dirname "$0")"

IMAGE=${IMAGE:-signet:latest}
if [[ -z ${ENGINE:-} ]]; then
    if command -v docker >/dev/null && docker info >/dev/null 2>&1; then ENGINE=docker; else ENGINE=podman; fi
fi
engine=("$ENGINE")
[[ $ENGINE == podman ]] && command -v runc >/dev/null && engine+=(--runtime runc)

mkdir -p secrets work
chmod 0700 secrets
for pair in gateway signer; do
    [[ -f secrets/$pair-curve.key && -f secrets/$pair-curve.pub ]] && continue
    rm -f "secrets/$pair-curve.key" "secrets/$pair-curve.pub"
    # As root in the container, so that it can hand the key file to uid 10001.
    # shellcheck disable=SC2016 # the script is expanded by the container's bash
    "${engine[@]}" run --rm --user 0 --mount "type=bind,source=$PWD/secrets,target=/keys" "$IMAGE" bash -c '
        set -euo pipefail
        public=$(signet-signer --generate-curve-key "/keys/$1-curve.key")
        printf "# Signet %s CURVE public key\n%s\n" "$1" "$public" >"/keys/$1-curve.pub"
        chown 10001:10001 "/keys/$1-curve.key" && chmod 0600 "/keys/$1-curve.key"
        chmod 0644 "/keys/$1-curve.pub"' _ "$pair"
    echo "made secrets/$pair-curve.key and .pub (public key $(grep -v '^#' "secrets/$pair-curve.pub"))"
done

if [[ ! -f work/client-services-config.json ]]; then
    secret=$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')
    # The simulator's default client (`signet`, secret `signet-secret`, credential `signet-rsa`):
    # a test double's well-known account, not a secret.
    cat >work/client-services-config.json <<EOF
{
  "demo": {
    "secret": "$secret",
    "remote": { "clientId": "signet", "clientSecret": "signet-secret", "credentialID": "signet-rsa" }
  }
}
EOF
    printf 'machine localhost login demo password %s\n' "$secret" >work/demo.netrc
    chmod 0600 work/client-services-config.json work/demo.netrc
    "${engine[@]}" run --rm --user 0 --mount "type=bind,source=$PWD/work,target=/work" "$IMAGE" \
        chown 10001:10001 /work/client-services-config.json
    echo "made work/client-services-config.json with client service 'demo' (credentials in work/demo.netrc)"
fi
