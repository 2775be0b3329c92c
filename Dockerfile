# One image for every nearcast component; the component is the argument:
#   docker build -t nearcast .
#   docker run nearcast gateway | matcher | dispatcher | dashboard
#
# The code runs as TypeScript through tsx (a production dependency), exactly as in
# development and tests: imports name `.ts` files, schemas are read next to the code,
# and there is no second, compiled artifact that could behave differently.
ARG NODE_VERSION=20.20

FROM node:${NODE_VERSION}-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# Production dependencies only. Install scripts stay off, as in development (no dependency
# needs one; esbuild's binary for this platform comes as an optional dependency).
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force

FROM node:${NODE_VERSION}-bookworm-slim AS runtime
ENV NODE_ENV=production \
    NEARCAST_GATEWAY_HOST=0.0.0.0 \
    NEARCAST_HEALTH_HOST=0.0.0.0 \
    NEARCAST_DASHBOARD_HOST=0.0.0.0
WORKDIR /app
# Owned by root, run as `node`: the process cannot rewrite its own code.
COPY --from=deps /app/node_modules ./node_modules
COPY package.json tsconfig.json ./
COPY schemas ./schemas
COPY pipeline ./pipeline
COPY users ./users
COPY gateway ./gateway
COPY coupons ./coupons
COPY migrations ./migrations
COPY processors ./processors
COPY dashboard ./dashboard
COPY cli ./cli
USER node
# gateway HTTP, dashboard HTTP, health/metrics of the processors
EXPOSE 8080 8090 9464
STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "--import", "tsx", "cli/run-component.ts"]
CMD ["gateway"]
