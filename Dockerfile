# syntax=docker/dockerfile:1
# Build: a static, pure-Go binary (the SQLite driver needs no cgo).
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/nudgebot ./cmd/nudgebot \
 && mkdir -p /out/data

# Run: distroless static, non-root. The default SQLite file lives in /data;
# mount a volume there, or set NUDGE_STORE to a PostgreSQL URL.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/nudgebot /usr/local/bin/nudgebot
COPY --from=build --chown=65532:65532 /out/data /data
USER 65532:65532
WORKDIR /data
ENV NUDGE_STORE=/data/nudgebot.db \
    NUDGE_HTTP_ADDR=:8080
EXPOSE 8080
VOLUME ["/data"]
# distroless has no shell or curl: the binary probes itself.
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s --retries=3 \
  CMD ["/usr/local/bin/nudgebot", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/nudgebot"]
CMD ["run"]
