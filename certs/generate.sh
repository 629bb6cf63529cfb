#!/usr/bin/env bash
# certs/generate.sh — (re)generate the test PKI in this directory with the openssl CLI.
#
# Everything here is for tests on 127.0.0.1 only: the private keys are committed on
# purpose and must never protect anything real. See README.md for what each file is.
#
# Usage: certs/generate.sh [OUTDIR]      (default: the directory of this script)
#
# Keys are RSA 2048 (PKCS#8 PEM, unencrypted). The root CA lives 20 years, the
# intermediate and the leaves 10 years; expired.pem and not-yet-valid.pem have fixed
# dates (2020 and 2040) set through `openssl ca -startdate/-enddate`, because
# OpenSSL 3.0's `x509 -req` cannot set notBefore/notAfter explicitly.
# shellcheck disable=SC2317  # cleanup runs from a trap
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
OUT=${1:-$HERE}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)

CA_DAYS=7300
LEAF_DAYS=3650
SERVER_SAN="DNS:localhost,IP:127.0.0.1,DNS:mail.example.test"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/smtp-certs.XXXXXX")
cleanup() { rm -rf "$WORK"; }
trap cleanup EXIT

log() { printf 'generate.sh: %s\n' "$*" >&2; }

# A minimal config so the host's /etc/ssl/openssl.cnf cannot change the result.
export OPENSSL_CONF="$WORK/openssl.cnf"
cat >"$OPENSSL_CONF" <<'CNF'
[ req ]
distinguished_name = dn
prompt = no
[ dn ]
CN = placeholder
CNF

newkey() { # FILE
    openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$1" 2>/dev/null
    chmod 600 "$1"
}

csr() { # KEY SUBJECT CSR
    openssl req -new -key "$1" -subj "$2" -out "$3"
}

# sign CSR ISSUER_CERT ISSUER_KEY EXTFILE OUTCERT [DAYS]
sign() {
    openssl x509 -req -in "$1" -CA "$2" -CAkey "$3" -CAcreateserial -CAserial "$WORK/serial" \
        -sha256 -days "${6:-$LEAF_DAYS}" -extfile "$4" -out "$5" 2>/dev/null
}

ext_server() { # SAN -> extfile path
    local f
    f=$(mktemp "$WORK/ext.XXXXXX")
    cat >"$f" <<EXT
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid, issuer
subjectAltName = $1
EXT
    printf '%s\n' "$f"
}

# --- root CA ------------------------------------------------------------------
log "root CA"
newkey "$OUT/ca.key"
openssl req -x509 -new -key "$OUT/ca.key" -sha256 -days "$CA_DAYS" \
    -subj "/O=smtp-conversation tests/CN=smtp-conversation Test Root CA" \
    -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -addext "subjectKeyIdentifier=hash" \
    -out "$OUT/ca.pem"

# --- intermediate CA (signed by root) -----------------------------------------
log "intermediate CA"
newkey "$OUT/intermediate.key"
csr "$OUT/intermediate.key" "/O=smtp-conversation tests/CN=smtp-conversation Test Intermediate CA" "$WORK/intermediate.csr"
cat >"$WORK/ext-intermediate" <<'EXT'
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid, issuer
EXT
sign "$WORK/intermediate.csr" "$OUT/ca.pem" "$OUT/ca.key" "$WORK/ext-intermediate" "$OUT/intermediate.pem" "$CA_DAYS"

# --- server.pem: localhost, 127.0.0.1, mail.example.test, signed by root ------
log "server"
newkey "$OUT/server.key"
csr "$OUT/server.key" "/O=smtp-conversation tests/CN=localhost" "$WORK/server.csr"
sign "$WORK/server.csr" "$OUT/ca.pem" "$OUT/ca.key" "$(ext_server "$SERVER_SAN")" "$OUT/server.pem"

# --- chain-server.pem: same names, signed by the intermediate, leaf + intermediate
log "chain-server"
newkey "$OUT/chain-server.key"
csr "$OUT/chain-server.key" "/O=smtp-conversation tests/CN=localhost" "$WORK/chain-server.csr"
sign "$WORK/chain-server.csr" "$OUT/intermediate.pem" "$OUT/intermediate.key" \
    "$(ext_server "$SERVER_SAN")" "$WORK/chain-leaf.pem"
cat "$WORK/chain-leaf.pem" "$OUT/intermediate.pem" >"$OUT/chain-server.pem"

# --- wildcard.pem: *.example.test, for secure_host wildcard matching -----------
log "wildcard"
newkey "$OUT/wildcard.key"
csr "$OUT/wildcard.key" "/O=smtp-conversation tests/CN=*.example.test" "$WORK/wildcard.csr"
sign "$WORK/wildcard.csr" "$OUT/ca.pem" "$OUT/ca.key" "$(ext_server "DNS:*.example.test")" "$OUT/wildcard.pem"

# --- wrong-host.pem: valid chain, but only for wrong.example.test -------------
log "wrong-host"
newkey "$OUT/wrong-host.key"
csr "$OUT/wrong-host.key" "/O=smtp-conversation tests/CN=wrong.example.test" "$WORK/wrong-host.csr"
sign "$WORK/wrong-host.csr" "$OUT/ca.pem" "$OUT/ca.key" "$(ext_server "DNS:wrong.example.test")" "$OUT/wrong-host.pem"

# --- self-signed.pem: localhost, no CA -----------------------------------------
log "self-signed"
newkey "$OUT/self-signed.key"
openssl req -x509 -new -key "$OUT/self-signed.key" -sha256 -days "$LEAF_DAYS" \
    -subj "/O=smtp-conversation tests/CN=localhost" \
    -addext "basicConstraints=critical,CA:FALSE" \
    -addext "keyUsage=critical,digitalSignature,keyEncipherment" \
    -addext "extendedKeyUsage=serverAuth" \
    -addext "subjectKeyIdentifier=hash" \
    -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
    -out "$OUT/self-signed.pem"

# --- client.pem: for mutual TLS, signed by root ---------------------------------
log "client"
newkey "$OUT/client.key"
csr "$OUT/client.key" "/O=smtp-conversation tests/CN=alice" "$WORK/client.csr"
cat >"$WORK/ext-client" <<'EXT'
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid, issuer
subjectAltName = email:alice@example.test
EXT
sign "$WORK/client.csr" "$OUT/ca.pem" "$OUT/ca.key" "$WORK/ext-client" "$OUT/client.pem"

# --- expired.pem / not-yet-valid.pem: fixed dates through `openssl ca` --------
# ca_sign NAME STARTDATE ENDDATE: same names as server.pem, signed by root.
ca_sign() {
    local name=$1 start=$2 end=$3 dir="$WORK/ca-$1"
    mkdir -p "$dir/new"
    : >"$dir/index.txt"
    openssl rand -hex 16 >"$dir/serial"
    cat >"$dir/ca.cnf" <<CNF
[ ca ]
default_ca = test_ca
[ test_ca ]
dir = $dir
database = \$dir/index.txt
new_certs_dir = \$dir/new
serial = \$dir/serial
default_md = sha256
policy = policy_any
unique_subject = no
copy_extensions = none
x509_extensions = leaf
[ policy_any ]
organizationName = optional
commonName = supplied
[ leaf ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid, issuer
subjectAltName = $SERVER_SAN
CNF
    newkey "$OUT/$name.key"
    csr "$OUT/$name.key" "/O=smtp-conversation tests/CN=localhost" "$dir/req.csr"
    openssl ca -batch -notext -config "$dir/ca.cnf" -cert "$OUT/ca.pem" -keyfile "$OUT/ca.key" \
        -startdate "$start" -enddate "$end" -in "$dir/req.csr" -out "$OUT/$name.pem" 2>/dev/null
}
log "expired (2020-01-01 .. 2021-01-01)"
ca_sign expired 20200101000000Z 20210101000000Z
log "not-yet-valid (2040-01-01 .. 2045-01-01)"
ca_sign not-yet-valid 20400101000000Z 20450101000000Z

chmod 644 "$OUT"/*.pem

# --- self-check ----------------------------------------------------------------
unset OPENSSL_CONF
fail=0
expect_ok() { # DESCRIPTION openssl-verify-args...
    local what=$1
    shift
    if openssl verify "$@" >/dev/null 2>&1; then log "ok: $what"; else log "FAIL: $what"; fail=1; fi
}
expect_err() { # DESCRIPTION PATTERN openssl-verify-args...
    local what=$1 pattern=$2 out
    shift 2
    if out=$(openssl verify "$@" 2>&1); then
        log "FAIL: $what verified but should not"; fail=1
    elif grep -q "$pattern" <<<"$out"; then
        log "ok: $what ($pattern)"
    else
        log "FAIL: $what: unexpected error: $out"; fail=1
    fi
}
expect_ok "server.pem for localhost" -CAfile "$OUT/ca.pem" -verify_hostname localhost "$OUT/server.pem"
expect_ok "server.pem for 127.0.0.1" -CAfile "$OUT/ca.pem" -verify_ip 127.0.0.1 "$OUT/server.pem"
expect_ok "server.pem for mail.example.test" -CAfile "$OUT/ca.pem" -verify_hostname mail.example.test "$OUT/server.pem"
expect_ok "intermediate.pem" -CAfile "$OUT/ca.pem" "$OUT/intermediate.pem"
expect_ok "chain-server.pem leaf via its bundled intermediate" -CAfile "$OUT/ca.pem" \
    -untrusted "$OUT/chain-server.pem" -verify_hostname localhost "$OUT/chain-server.pem"
expect_err "chain-server.pem leaf without the intermediate" "unable to get local issuer" \
    -CAfile "$OUT/ca.pem" "$WORK/chain-leaf.pem"
expect_ok "client.pem (sslclient)" -CAfile "$OUT/ca.pem" -purpose sslclient "$OUT/client.pem"
expect_ok "wrong-host.pem chain" -CAfile "$OUT/ca.pem" "$OUT/wrong-host.pem"
expect_err "wrong-host.pem for localhost" "hostname mismatch" \
    -CAfile "$OUT/ca.pem" -verify_hostname localhost "$OUT/wrong-host.pem"
expect_err "self-signed.pem against ca.pem" "self-signed certificate" -CAfile "$OUT/ca.pem" "$OUT/self-signed.pem"
expect_ok "self-signed.pem trusted explicitly" -CAfile "$OUT/self-signed.pem" "$OUT/self-signed.pem"
expect_err "expired.pem" "certificate has expired" -CAfile "$OUT/ca.pem" "$OUT/expired.pem"
expect_err "not-yet-valid.pem" "certificate is not yet valid" -CAfile "$OUT/ca.pem" "$OUT/not-yet-valid.pem"
exit "$fail"
