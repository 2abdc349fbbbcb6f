# Build stage: compile the release binary.
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock build.rs ./
# Every file the binary embeds at compile time must be copied here: the migrations
# (`sqlx::migrate!`), the demo data (`include_str!`) and the dashboard (`include_bytes!`).
# tests/api/docker.rs checks this list against the sources.
COPY src src
COPY migrations migrations
COPY seed seed
COPY assets assets
RUN cargo build --release --locked && strip target/release/talentflow

# Runtime stage: the binary alone on a slim Debian, as an unprivileged user.
FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates && rm -rf /var/lib/apt/lists/* \
    && useradd --system --user-group talentflow
COPY --from=build /src/target/release/talentflow /usr/local/bin/talentflow
USER talentflow
ENV TALENTFLOW_BIND=0.0.0.0:8080
EXPOSE 8080
# `talentflow healthcheck` asks the server's /readyz: ready only while the database answers.
HEALTHCHECK --interval=5s --timeout=5s --start-period=30s --retries=3 CMD ["talentflow", "healthcheck"]
ENTRYPOINT ["talentflow"]
CMD ["serve"]
