#!/usr/bin/env bash
# Validate the deployment configuration with the real tools.
#
#   bash deploy/check.sh
#
# Needs (Debian/Ubuntu): apt-get install -y prometheus nginx
#   prometheus -> promtool (config, rules, rule unit tests)
#   nginx      -> nginx -t on the rendered nginx template
# Nothing is started: promtool and `nginx -t` only read files.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
failures=0

step() {
    local what="$1"
    shift
    echo "==> ${what}"
    echo "    \$ $*"
    if "$@"; then
        echo "    ok"
    else
        echo "    FAILED: ${what}" >&2
        failures=$((failures + 1))
    fi
}

for tool in promtool nginx; do
    if ! command -v "${tool}" > /dev/null 2>&1; then
        echo "missing ${tool}: apt-get install -y prometheus nginx" >&2
        exit 2
    fi
done

step "prometheus config (and the rule files it loads)" \
    promtool check config "${here}/prometheus/prometheus.yml"
step "prometheus alerting and recording rules" \
    promtool check rules "${here}"/prometheus/rules/*.yml
step "prometheus rule unit tests" \
    promtool test rules "${here}"/prometheus/tests/*.yml

# Render the template as the nginx image does at start (envsubst of
# MAX_UPLOAD_MB only), then test it. The config resolves "api" per request
# through a resolver, so `nginx -t` needs no compose host names here.
# `nginx -t` also binds the listen socket: the copy listens on a unix socket
# in ${work} instead of port 80, so the check runs without root and beside a
# running web server.
work="$(mktemp -d)"
trap 'rm -rf "${work}"' EXIT
max_upload_mb="${MAX_UPLOAD_MB:-25}"
sed -e "s/\${MAX_UPLOAD_MB}/${max_upload_mb}/g" \
    -e "s|^\( *\)listen 80;|\1listen unix:${work}/nginx.sock;|" \
    "${here}/nginx/nginx.conf.template" > "${work}/nginx.conf"
if ! grep -q "listen unix:${work}/nginx.sock;" "${work}/nginx.conf"; then
    echo "    FAILED: no 'listen 80;' line to redirect in the nginx template" >&2
    failures=$((failures + 1))
fi
if grep -n '\${' "${work}/nginx.conf"; then
    echo "    FAILED: unrendered template variables above" >&2
    failures=$((failures + 1))
fi
# -e: the error log, -g pid: nothing written outside ${work}.
step "nginx configuration (MAX_UPLOAD_MB=${max_upload_mb})" \
    nginx -t -q -p "${work}" -e /dev/stderr -g "pid ${work}/nginx.pid;" -c "${work}/nginx.conf"

if [ "${failures}" -ne 0 ]; then
    echo "deploy/check.sh: ${failures} check(s) failed" >&2
    exit 1
fi
echo "deploy/check.sh: all checks passed"
