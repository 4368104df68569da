#!/usr/bin/env bash
# Run once by the compose `certs` service (Elasticsearch image, as root): a private CA and
# the Elasticsearch node certificate. Idempotent: existing certificates are kept.
#   es-certs volume -> /usr/share/elasticsearch/config/certs (node key: Elasticsearch only)
#   ca-cert volume  -> /ca (public CA certificate: Kibana, Logstash, elkctl)
set -euo pipefail

certs=/usr/share/elasticsearch/config/certs
node=elasticsearch

if [[ -f "$certs/ca/ca.crt" && -f "$certs/$node/$node.crt" ]]; then
  echo "certs: certificates exist, kept"
else
  work=$(mktemp -d)
  bin/elasticsearch-certutil ca --silent --pem --out "$work/ca.zip"
  unzip -q -o "$work/ca.zip" -d "$certs"
  cat > "$work/instances.yml" <<YAML
instances:
  - name: $node
    dns: [$node, localhost]
    ip: [127.0.0.1]
YAML
  bin/elasticsearch-certutil cert --silent --pem --in "$work/instances.yml" \
    --out "$work/node.zip" --ca-cert "$certs/ca/ca.crt" --ca-key "$certs/ca/ca.key"
  unzip -q -o "$work/node.zip" -d "$certs"
  # Without the CA key nobody can mint more certificates trusted by the stack.
  rm -f "$certs/ca/ca.key"
  rm -rf "$work"
  echo "certs: created a CA and the $node certificate"
fi

# Elasticsearch runs as uid 1000; the node key is readable by it only.
chown -R 1000:0 "$certs"
find "$certs" -type d -exec chmod 750 {} +
find "$certs" -type f -exec chmod 640 {} +
install -m 644 "$certs/ca/ca.crt" /ca/ca.crt
