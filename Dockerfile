# mrd-tools: the MRD streaming server, client and tools on Node.js 20.
#
#   docker build -t mrd-tools .
#   docker run --rm -p 9002:9002 -p 9003:9003 mrd-tools        # mrd-server on 0.0.0.0:9002, HTTP (health, metrics) on 9003
#   docker run --rm --user "$(id -u):$(id -g)" -v "$PWD:/data" -w /data mrd-tools mrd-phantom -o phantom_raw.h5
#   docker run --rm --user "$(id -u):$(id -g)" --network host -v "$PWD:/data" -w /data mrd-tools mrd-client -o phantom_img.h5 phantom_raw.h5
#
# The tools run as the unprivileged user `node` (uid 1000); give `--user` your own ids when they
# write into a folder of yours. The server's health (HEALTHCHECK) is GET /healthz on its HTTP port
# 9003 (packages/mrd-server/scripts/healthcheck.mjs; MRD_HEALTHCHECK_PORT if you move it). Every
# server option is also an environment variable (MRD_SERVER_MAX_SESSIONS=16, ...; a flag wins).
# `docker stop` sends SIGTERM: the server drains (sessions finish, up to --drain-timeout, 60 s),
# so give it time: docker stop -t 90. Scale-out with HAProxy: deploy/compose.yaml.
# `.dockerignore` keeps node_modules, build output, .git, tests and local data out of the build.
#
# User recon modules: mount a folder on /opt/code/mrd-tools/modules (it is passed as
# --modules-dir), or on /tmp/share/code and start with the sync script
# (packages/mrd-server/scripts/sync-code-and-start-mrd-server.sh).
FROM node:20-bookworm-slim AS build
WORKDIR /opt/code/mrd-tools
COPY . .
# install builds every tool (the root "prepare" script); then drop the development packages
# (a failed prune only costs image size, so it does not fail the build).
RUN npx --yes pnpm@9.15.9 install --frozen-lockfile \
 && node scripts/build.mjs \
 && test -f packages/mrd-server/dist/cli.js && test -f packages/mrd-client/dist/cli.js \
 && (npx --yes pnpm@9.15.9 prune --prod --config.ignore-scripts=true || echo "prune skipped")

FROM node:20-bookworm-slim
WORKDIR /opt/code/mrd-tools
COPY --from=build /opt/code/mrd-tools /opt/code/mrd-tools
RUN for tool in mrd-server mrd-client mrd-phantom mrd2gif dicom2mrd mrd2dicom; do \
      for pkg in packages/*; do \
        if [ -f "$pkg/package.json" ] && grep -q "\"$tool\"" "$pkg/package.json" && [ -f "$pkg/dist/cli.js" ]; then \
          printf '#!/bin/sh\nexec node /opt/code/mrd-tools/%s/dist/cli.js "$@"\n' "$pkg" > /usr/local/bin/$tool; \
          chmod +x /usr/local/bin/$tool; \
        fi; \
      done; \
    done \
 && mkdir -p /opt/code/mrd-tools/modules /tmp/share/saved_data /tmp/share/debug /tmp/share/configs \
 && chown -R node:node /tmp/share
# Everything below runs unprivileged: the code is root's and read-only to the server.
USER node
EXPOSE 9002 9003
HEALTHCHECK --interval=30s --timeout=10s --start-period=20s --retries=3 \
  CMD ["node", "/opt/code/mrd-tools/packages/mrd-server/scripts/healthcheck.mjs"]
# Listen on all interfaces (the container's ports are what is published); default config invertcontrast.
CMD ["mrd-server", "-v", "-H", "0.0.0.0", "-p", "9002", "--http-port", "9003", "--modules-dir", "/opt/code/mrd-tools/modules"]
