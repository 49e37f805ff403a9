# syntax=docker/dockerfile:1
# Pong Arena: build the client and the server in one stage, run them from a slim stage that holds
# production dependencies and dist/ only. tests/deploy/docker-runtime.test.ts replays the runtime
# stage outside Docker (copies, install, CMD, health check), so keep its instructions simple.

FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci
COPY tsconfig.base.json tsconfig.json tsconfig.server.json vite.config.ts ./
COPY shared ./shared
COPY server ./server
COPY client ./client
RUN npm run build

FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev && npm cache clean --force
COPY --from=build /app/dist ./dist
# Files stay owned by root: the server only reads them. The one folder it writes is the embedded
# store's DATA_DIR (./data by default): mount a volume there to keep profiles, ratings and replays.
RUN mkdir -p /app/data && chown node:node /app/data
VOLUME /app/data
USER node
ENV PORT=3000
EXPOSE 3000
# Slim images have no curl; Node 20 has fetch.
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "dist/server/main.js"]
