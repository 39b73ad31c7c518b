# syntax=docker/dockerfile:1.7
# One image for the five services and the hfp CLI. The container runs the TypeScript
# sources through tsx; pick the program with the arguments:
#   docker run hackathon-file-processor services/extractor/src/main.ts
#   docker run hackathon-file-processor tools/hfp/src/main.ts provision
# Non-root (uid 10001), read-only-root friendly: scratch goes to $TMPDIR (/tmp), which
# Kubernetes mounts as an emptyDir.
ARG NODE_IMAGE=node:20.19-bookworm-slim

# --- every dependency, to take tsx (a development dependency) from ------------------
FROM ${NODE_IMAGE} AS tooling
WORKDIR /app
COPY package.json package-lock.json ./
COPY libs ./libs
COPY services ./services
COPY tools ./tools
COPY infra/docker/package-closure.mjs /usr/local/lib/package-closure.mjs
# --ignore-scripts: nothing here runs; only the files of tsx and esbuild are wanted.
RUN npm ci --ignore-scripts --no-audit --no-fund \
 && mkdir /tsx \
 && for p in $(node /usr/local/lib/package-closure.mjs tsx); do \
      if [ -d "$p" ]; then cp -a --parents "$p" /tsx/; fi; \
    done

# --- production dependencies and the sources ---------------------------------------
FROM ${NODE_IMAGE} AS app
WORKDIR /app
COPY package.json package-lock.json ./
COPY libs ./libs
COPY services ./services
COPY tools ./tools
COPY docs/openapi.json ./docs/openapi.json
# ffmpeg comes from Debian in the runtime stage, so the optional ffmpeg-static download
# is skipped (--omit=optional).
RUN npm ci --omit=dev --omit=optional --no-audit --no-fund \
 && npm cache clean --force
COPY --from=tooling /tsx/ /app/
COPY tsconfig.base.json tsconfig.json ./
# Fail the build, not the pod, if tsx cannot start.
RUN node --import tsx -e "process.exit(0)"

# --- runtime ------------------------------------------------------------------------
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
# ffmpeg/ffprobe for the extractor; tini as PID 1 reaps ffmpeg children and forwards
# SIGTERM so the services shut down gracefully.
RUN apt-get update \
 && apt-get install -y --no-install-recommends ffmpeg tini ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 hfp \
 && useradd --system --uid 10001 --gid hfp --home-dir /nonexistent --no-create-home --shell /usr/sbin/nologin hfp
WORKDIR /app
# Owned by root and not writable by the service user: the code cannot be changed at run time.
COPY --from=app /app /app
ENV NODE_ENV=production \
    TMPDIR=/tmp \
    NODE_OPTIONS=--enable-source-maps
USER 10001:10001
EXPOSE 8080 8081 9101 9102 9103
# Docker and Compose use this; Kubernetes uses the Deployment's probes instead.
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.HTTP_PORT || 8080) + '/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["/usr/bin/tini", "--", "node", "--import", "tsx"]
CMD ["services/ingest-bridge/src/main.ts"]
