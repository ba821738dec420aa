# syntax=docker/dockerfile:1
# cress-api: a release build in a Rust image, then only the binary in a small runtime image
# (distroless: glibc and CA certificates, no shell, no package manager), run as a non-root user.
#   docker build -t cress-api .
#   docker run -p 127.0.0.1:8080:8080 -e DATABASE_URL=postgres://… -e JWT_SECRET=… cress-api

ARG RUST_VERSION=1.95

FROM rust:${RUST_VERSION}-slim-bookworm AS build
WORKDIR /src
# Only what the build needs (see .dockerignore); migrations are embedded in the binary.
COPY Cargo.toml Cargo.lock build.rs ./
COPY src ./src
COPY migrations ./migrations
# The registry and target caches survive between builds (BuildKit); the binary is copied out
# of the cache mount so that the next stage can take it.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked --bin cress-api \
    && cp target/release/cress-api /usr/local/bin/cress-api \
    && mkdir -p /out/data

FROM gcr.io/distroless/cc-debian12:nonroot AS runtime
COPY --from=build /usr/local/bin/cress-api /usr/local/bin/cress-api
# data/ is writable by the service user: the SQLite file when DATABASE_URL is unset, and the
# generated token secret when neither JWT_SECRET nor key files are given.
COPY --from=build --chown=65532:65532 /out/data /app/data
WORKDIR /app
# 65532 is distroless's "nonroot" user.
USER 65532:65532
ENV BIND_ADDRESS=0.0.0.0:8080 \
    LOG_FORMAT=json
EXPOSE 8080
# `cress-api healthcheck` asks /health/ready on BIND_ADDRESS: the image has no curl.
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
    CMD ["/usr/local/bin/cress-api", "healthcheck"]
# Exec form: the server is PID 1 and receives SIGTERM itself (graceful shutdown).
ENTRYPOINT ["/usr/local/bin/cress-api"]
CMD ["serve"]
