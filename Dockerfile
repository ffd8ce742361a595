# The Trainyard service image (API, worker, CLI). The trainer images live in infra/trainer/.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
COPY packages ./packages
COPY apps ./apps
COPY prisma ./prisma
COPY prisma.config.ts tsconfig.base.json tsconfig.build.json ./
RUN npm ci --no-audit --no-fund && npm run build

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production HOST=0.0.0.0 PORT=8080 ARTIFACT_DIR=/artifacts
COPY --from=build /app /app
RUN ln -s /app/apps/cli/bin/trainyard.js /usr/local/bin/trainyard
EXPOSE 8080
CMD ["trainyard", "serve"]
