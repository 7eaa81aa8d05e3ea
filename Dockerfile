# syntax=docker/dockerfile:1
# Multi-stage build on the official Node 24 image; the runtime image runs as the
# unprivileged `node` user and holds only production dependencies and the build.
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# The lockfile may lack other platforms' optional binaries (see README); then install from it.
RUN npm ci --no-audit --no-fund || npm install --no-audit --no-fund --no-save
COPY tsconfig.json tsconfig.build.json nest-cli.json ./
COPY src ./src
COPY migrations ./migrations
# nest build: type-check, then swc emits dist/src and dist/migrations (see nest-cli.json).
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

FROM node:24-bookworm-slim AS runtime
ENV NODE_ENV=production \
    PORT=3000 \
    UPLOAD_DIR=/app/var/uploads
WORKDIR /app
COPY --from=build --chown=node:node /app/package.json ./package.json
COPY --from=build --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/dist ./dist
RUN mkdir -p /app/var/uploads && chown -R node:node /app/var
USER node
EXPOSE 3000
# Kubernetes uses /health/*; this is for plain Docker.
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/health/ready').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
# exec form: node is PID 1's child of nothing, so SIGTERM reaches the app directly.
# --max-semi-space-size: as scripts/run.sh's SERVICE_NODE_FLAGS (why: there).
CMD ["node", "--max-semi-space-size=8", "dist/src/main.js"]
