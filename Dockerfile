# Build stage: compile the release binary.
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY src src
COPY migrations migrations
# The demo data is built into the binary.
COPY seed seed
RUN cargo build --release --locked && strip target/release/talentflow

# Runtime stage: the binary alone on a slim Debian.
FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates && rm -rf /var/lib/apt/lists/* \
    && useradd --system --user-group talentflow
COPY --from=build /src/target/release/talentflow /usr/local/bin/talentflow
USER talentflow
ENV TALENTFLOW_BIND=0.0.0.0:8080
EXPOSE 8080
ENTRYPOINT ["talentflow"]
CMD ["serve"]
