#!/usr/bin/env bash
# Two Kotwal nodes on loopback: a source (punjab-1) and a replica
# (punjab-dr, `serve --replica-of`), three officials' keys, a 2-of-3
# policy, a transfer of field-assets/devices approved with the CLI,
# executed, and checked on both sides. Run from the repository root.
# Needs curl and jq. Ports 8081/8082 must be free.
set -euo pipefail
K="node packages/server/bin/kotwal.mjs"
D=$(mktemp -d)
S=http://127.0.0.1:8081
R=http://127.0.0.1:8082
export LOG_LEVEL=warn OSMAND_PORT=0 MQTT_PORT=0

# 1. The two nodes, each with its own data directory (PGlite; with
#    PostgreSQL give each its own DATABASE_URL).
KOTWAL_DATA_DIR=$D/src KOTWAL_NODE_NAME=punjab-1 KOTWAL_JURISDICTION=PK-PB PORT=8081 $K serve >"$D/src.log" 2>&1 &
SRC=$!
KOTWAL_DATA_DIR=$D/dr KOTWAL_NODE_NAME=punjab-dr KOTWAL_JURISDICTION=PK-PB PORT=8082 $K serve --replica-of $S >"$D/dr.log" 2>&1 &
DR=$!
trap 'kill $SRC $DR 2>/dev/null; wait 2>/dev/null; rm -rf "$D"' EXIT
until grep -q 'serving on' "$D/src.log" && grep -q 'serving on' "$D/dr.log"; do sleep 1; done

# Sign in through the API: one-time password, new password, MFA enrolment.
# signin BASE USER OTP JAR -> prints the CSRF token
signin() {
  local base=$1 user=$2 otp=$3 jar=$4 csrf secret
  csrf=$(curl -sf -c "$jar" -H 'content-type: application/json' -d "{\"username\":\"$user\",\"password\":\"$otp\"}" "$base/api/v1/auth/login" | jq -r .csrfToken)
  curl -sf -b "$jar" -c "$jar" -H 'content-type: application/json' -H "x-csrf-token: $csrf" \
    -d "{\"currentPassword\":\"$otp\",\"newPassword\":\"Correct-Horse-Battery-9\"}" "$base/api/v1/auth/password" >/dev/null
  csrf=$(curl -sf -b "$jar" "$base/api/v1/auth/session" | jq -r .csrfToken)
  if [ "$(curl -sf -b "$jar" "$base/api/v1/auth/session" | jq -r .user.state)" = mfa-enrollment-required ]; then
    secret=$(curl -sf -b "$jar" -X POST -H "x-csrf-token: $csrf" "$base/api/v1/auth/mfa/enroll" | jq -r .secret)
    code=$(node -e "const O=require('otpauth');console.log(new O.TOTP({secret:O.Secret.fromBase32(process.argv[1])}).generate())" "$secret")
    curl -sf -b "$jar" -c "$jar" -H 'content-type: application/json' -H "x-csrf-token: $csrf" -d "{\"code\":\"$code\"}" "$base/api/v1/auth/mfa/verify" >/dev/null
    csrf=$(curl -sf -b "$jar" "$base/api/v1/auth/session" | jq -r .csrfToken)
  fi
  echo "$csrf"
}
otp() { grep -o 'one-time password: [^ ]*' "$1" | head -1 | cut -d' ' -f3; }
A=$(signin $S admin "$(otp "$D/src.log")" "$D/a.jar")
api() { curl -sS -b "$D/a.jar" -H 'content-type: application/json' -H "x-csrf-token: $A" "$@"; }

# 2. Some data on the source: devices, registered by a supervisor.
SUP=$(api -d '{"username":"fleet","roles":["supervisor"]}' $S/api/v1/users | jq -r .oneTimePassword)
F=$(signin $S fleet "$SUP" "$D/f.jar")
for i in $(seq 1 25); do
  curl -sf -b "$D/f.jar" -H 'content-type: application/json' -H "x-csrf-token: $F" \
    -d "{\"uniqueId\":\"35$((100000000000 + i))\",\"name\":\"PRU-$i\",\"kind\":\"patrol-vehicle\",\"unit\":\"Lahore $((i % 3))\"}" \
    $S/api/v1/field-assets/devices >/dev/null
done

# 3. The replica proves its identity; the source registers it as a peer.
curl -s $R/api/v1/node | jq '{name, jurisdiction, mode, replicaOf, keyId}'
PEER=$(curl -s $R/api/v1/node | jq '{name, publicKey, jurisdiction, address: "http://127.0.0.1:8082"}')
api -d "$PEER" $S/api/v1/transfers/peers | jq '{name, jurisdiction, lastVerifiedAt}'

# 4. Three officials generate their keys; they are designated; 2 of 3.
for i in 1 2 3; do
  PUB=$($K keys generate --out "$D/official-$i.pem")
  api -d "{\"dataset\":\"field-assets/devices\",\"publicKey\":\"$PUB\",\"name\":\"Official $i\"}" $S/api/v1/transfers/approvers | jq -c '{name, keyId}'
done
api -X PUT -d '{"dataset":"field-assets/devices","threshold":2}' $S/api/v1/transfers/policy | jq -c .

# 5. The transfer, approved by two officials with the CLI, executed.
ID=$(api -d "{\"dataset\":\"field-assets/devices\",\"destinationNode\":\"punjab-dr\",\"destinationJurisdiction\":\"PK-PB\",
  \"purpose\":\"disaster-recovery replica\",\"legalBasis\":\"PSCA standing order 12/2026\",
  \"expiresAt\":\"$(date -u -d '+1 hour' +%Y-%m-%dT%H:%M:%SZ)\"}" $S/api/v1/transfers | jq -r .id)
$K transfers approve --key "$D/official-1.pem" --url $S "$ID"
$K transfers approve --key "$D/official-3.pem" --url $S "$ID"
api -d "{}" $S/api/v1/transfers/$ID/execute | jq -c '{status}'
until [ "$(api $S/api/v1/transfers/$ID | jq -r .status)" != executing ]; do sleep 0.5; done
api $S/api/v1/transfers/$ID | jq -c '{status, progress, receipts: (.receipts | length)}'

# 6. What the replica holds, and the receipts in both ledgers.
RA=$(signin $R admin "$(otp "$D/dr.log")" "$D/r.jar")
OPW=$(curl -sS -b "$D/r.jar" -H 'content-type: application/json' -H "x-csrf-token: $RA" -d '{"username":"dr-operator","roles":["operator"]}' $R/api/v1/users | jq -r .oneTimePassword)
signin $R dr-operator "$OPW" "$D/o.jar" >/dev/null
echo "devices on the source: $(curl -s -b "$D/f.jar" $S/api/v1/field-assets/devices | jq .total), on the replica: $(curl -s -b "$D/o.jar" $R/api/v1/field-assets/devices | jq .total)"
Q="resource=transfer:$ID/*&limit=1000"
echo "source ledger, transfers.receipt.recorded: $(api "$S/api/v1/ledger/entries?action=transfers.receipt.recorded&$Q" | jq '.items | length')"
echo "replica ledger, replication.batch.received: $(curl -s -b "$D/r.jar" "$R/api/v1/ledger/entries?action=replication.batch.received&$Q" | jq '.items | length')"
