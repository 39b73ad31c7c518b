# syntax=docker/dockerfile:1.7
# One image for the five services and the hfp CLI. It runs the JavaScript that `tsc -b`
# compiles into each package's dist/, with plain node on a current LTS: no tsx, no
# TypeScript, no development dependency. Pick the program with the arguments:
#   docker run hackathon-file-processor services/extractor/dist/src/main.js
#   docker run hackathon-file-processor tools/hfp/dist/src/main.js provision
# Non-root (uid 10001), read-only-root friendly: scratch goes to $TMPDIR (/tmp), which
# Kubernetes mounts as an emptyDir.
ARG NODE_IMAGE=node:24.22-bookworm-slim
# The web page's image (`docker build --target web`): its static bundle behind nginx, non-root
# (uid 101), listening on 8080. Pinned like the Node image.
ARG WEB_IMAGE=nginxinc/nginx-unprivileged:1.28.0-alpine

# --- compile, then lay out /app: manifests, dist/, production dependencies ----------
FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json tsconfig.base.json tsconfig.json ./
COPY libs ./libs
COPY services ./services
COPY tools ./tools
COPY docs/openapi.json ./docs/openapi.json
COPY infra/docker/assemble.sh /usr/local/bin/hfp-assemble
# --ignore-scripts: the compiler needs no install step, and ffmpeg-static's would
# download a binary. The context holds no tests (.dockerignore), so the build compiles
# src/ only. assemble.sh is what infra/test/image.e2e.test.ts runs too.
RUN npm ci --ignore-scripts --no-audit --no-fund \
 && npm run build \
 && hfp-assemble /src /app
# Fail the build, not the pod, if the compiled code cannot load its dependencies: the
# CLI imports most libraries and the projector's status API.
RUN cd /app && node tools/hfp/dist/src/main.js help > /dev/null

# --- the web page's bundle: apps/web's Vite build over the compiled libraries -----------
FROM build AS webbuild
COPY apps/web ./apps/web
# Again with apps/web in the tree, so its dependencies (Vite, Swagger UI) are installed.
RUN npm ci --ignore-scripts --no-audit --no-fund \
 && npm run build -w @hfp/web

# --- web: the bundle and its server; /config.json comes from a ConfigMap at run time ---
FROM ${WEB_IMAGE} AS web
COPY --from=webbuild /src/apps/web/dist /usr/share/nginx/html
COPY infra/docker/web-nginx.conf /etc/nginx/conf.d/default.conf
USER 101:101
EXPOSE 8080

# --- runtime (the default target: last) ------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime
ARG VERSION=0.0.0-dev
ARG REVISION=unknown
ARG CREATED=unknown
LABEL org.opencontainers.image.title="hackathon-file-processor" \
      org.opencontainers.image.description="Video frame extraction pipeline: ingest-bridge, extractor, packager, notifier, projector" \
      org.opencontainers.image.source="https://github.com/hackathon-file-processor/hackathon-file-processor" \
      org.opencontainers.image.licenses="UNLICENSED" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${CREATED}"
# ffmpeg/ffprobe for the extractor (fonts-dejavu-core: the contact sheet's font, named so it
# does not depend on what fontconfig happens to pull in); tini as PID 1 reaps ffmpeg children and forwards
# SIGTERM so the services shut down gracefully. The base image's package managers (npm,
# corepack, yarn where present) are removed: nothing at run time uses them.
RUN apt-get update \
 && apt-get install -y --no-install-recommends ffmpeg fonts-dejavu-core tini ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && rm -rf /usr/local/lib/node_modules/npm /usr/local/lib/node_modules/corepack \
           /usr/local/bin/npm /usr/local/bin/npx /usr/local/bin/corepack \
           /opt/yarn-* /usr/local/bin/yarn /usr/local/bin/yarnpkg \
 && groupadd --system --gid 10001 hfp \
 && useradd --system --uid 10001 --gid hfp --home-dir /nonexistent --no-create-home --shell /usr/sbin/nologin hfp
WORKDIR /app
# Owned by root and not writable by the service user: the code cannot be changed at run time.
COPY --from=build /app /app
ENV NODE_ENV=production \
    TMPDIR=/tmp \
    NODE_OPTIONS=--enable-source-maps
USER 10001:10001
EXPOSE 8080 8081 9101 9102 9103
# Docker and Compose use this; Kubernetes uses the Deployment's probes instead.
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.HTTP_PORT || 8080) + '/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["/usr/bin/tini", "--", "node"]
CMD ["services/ingest-bridge/dist/src/main.js"]
