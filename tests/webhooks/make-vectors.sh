#!/usr/bin/env bash
# Makes tests/webhooks/vectors.tsv: webhook signatures computed by OpenSSL,
# independently of the crate, for tests/tests/it/webhooks.rs. Each line:
# name, secret, timestamp header, body file, expected hex HMAC-SHA256 of
# the body followed by the timestamp. Run from anywhere:
#   bash tests/webhooks/make-vectors.sh
set -euo pipefail
cd "$(dirname "$0")"

sign() { # secret timestamp body-file
  { cat "$3"; printf '%s' "$2"; } | openssl dgst -sha256 -hmac "$1" -r | cut -d' ' -f1
}

{
  printf 'name\tsecret\ttimestamp\tbody\tsignature\n'
  while IFS=$'\t' read -r name secret timestamp body; do
    printf '%s\t%s\t%s\t%s\t%s\n' "$name" "$secret" "$timestamp" "$body" "$(sign "$secret" "$timestamp" "$body")"
  done <<'CASES'
call-started	whsec_test_0123456789	2026-12-04T18:00:00.123456Z	call-started.json
call-created-naive	batch secret with spaces	2026-12-04T18:00:00.123456	call-created.json
rotated	new-secret	2026-12-04T18:00:05+00:00	call-started.json
CASES
} > vectors.tsv
