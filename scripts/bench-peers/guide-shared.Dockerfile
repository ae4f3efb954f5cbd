# Peer fixture for npm run bench -- --only peers: the Nephoran guide's shared Go Dockerfile (one
# Dockerfile, the service chosen by the build arg SERVICE), Dockerfile of
# thc1006/nephoran-intent-operator at commit 2d3bf845b3e2 (2025-08-05, the commit that added
# MULTI_ARCH_BUILD_GUIDE.md). The case branches name that repository's three services; for another
# repository the bench renames them to its own (llm-processor, nephio-bridge, oran-adaptor -> its
# first, second and third service), as a user adopting the file would.
# Changed for the lab (each marked "bench:" below):
# - image names: golang:1.24-alpine, alpine:3.20 and gcr.io/distroless/static:nonroot -> the lab's
#   stand-ins (scripts/bench-peers/standins: Debian-based, with what the stages install with apk
#   preinstalled, so `apk add` and `apk update && apk upgrade` are free here);
# - `go mod tidy` dropped from the download step: run with only go.mod and go.sum in the image it
#   empties the requirements and the compile fails in any repository with dependencies (fleet); in
#   one without (nephoran) it does nothing;
# - the RUN in the distroless runtime stage dropped: that stage has no shell, so it cannot run
#   (and its `export`s would not outlive the RUN anyway).
# The HEALTHCHECK is kept as written (it is only read when a container starts).

# Multi-service Dockerfile for Nephoran Intent Operator
# This Dockerfile can build all services with security optimizations and production readiness
# Supports multi-architecture builds (amd64 + arm64) with cross-compilation

# Build stage with security hardening and multi-arch support
# bench: image name
FROM --platform=$BUILDPLATFORM 127.0.0.1:5000/bench-peers/golang:1.24-alpine AS builder

# Build arguments for multi-arch and traceability
ARG BUILDPLATFORM
ARG TARGETPLATFORM
ARG TARGETOS
ARG TARGETARCH
ARG BUILD_DATE
ARG VCS_REF
ARG VERSION=v2.0.0
ARG SERVICE

# Display build information for debugging
RUN printf "* Building on: %s\n* Building for: %s\n* Target OS: %s\n* Target Arch: %s\n" \
    "$BUILDPLATFORM" "$TARGETPLATFORM" "$TARGETOS" "$TARGETARCH"

# Install essential build dependencies with platform-specific optimizations
RUN apk add --no-cache \
    git \
    ca-certificates \
    tzdata \
    make \
    binutils \
    && rm -rf /var/cache/apk/* \
    && apk update && apk upgrade

# Create dedicated build user for security
RUN addgroup -g 10001 -S builduser && \
    adduser -u 10001 -S builduser -G builduser

WORKDIR /workspace

# Set secure permissions
RUN chown -R builduser:builduser /workspace
USER builduser:builduser

# Copy and verify dependencies
COPY --chown=builduser:builduser go.mod go.sum ./
# bench: "&& go mod tidy" dropped (see the header)
RUN go mod download && \
    go mod verify

# Copy source code with proper ownership
COPY --chown=builduser:builduser . .

# Build service based on SERVICE argument with cross-compilation support
RUN case "$SERVICE" in \
    "llm-processor") \
        CGO_ENABLED=0 GOOS=${TARGETOS:-linux} GOARCH=${TARGETARCH:-amd64} \
        go build -buildmode=exe \
        -ldflags="-w -s -extldflags '-static' -X main.version=${VERSION} -X main.buildDate=${BUILD_DATE} -X main.gitCommit=${VCS_REF}" \
        -a -installsuffix cgo -trimpath -mod=readonly \
        -o service-binary cmd/llm-processor/main.go \
        ;; \
    "nephio-bridge") \
        CGO_ENABLED=0 GOOS=${TARGETOS:-linux} GOARCH=${TARGETARCH:-amd64} \
        go build -buildmode=exe \
        -ldflags="-w -s -extldflags '-static' -X main.version=${VERSION} -X main.buildDate=${BUILD_DATE} -X main.gitCommit=${VCS_REF}" \
        -a -installsuffix cgo -trimpath -mod=readonly \
        -o service-binary cmd/nephio-bridge/main.go \
        ;; \
    "oran-adaptor") \
        CGO_ENABLED=0 GOOS=${TARGETOS:-linux} GOARCH=${TARGETARCH:-amd64} \
        go build -buildmode=exe \
        -ldflags="-w -s -extldflags '-static' -X main.version=${VERSION} -X main.buildDate=${BUILD_DATE} -X main.gitCommit=${VCS_REF}" \
        -a -installsuffix cgo -trimpath -mod=readonly \
        -o service-binary cmd/oran-adaptor/main.go \
        ;; \
    *) \
        echo "Unknown service: $SERVICE" && exit 1 \
        ;; \
    esac

# Verify binary integrity
RUN file service-binary && \
    ls -la service-binary && \
    # Ensure static linking
    ldd service-binary 2>&1 | grep -q "not a dynamic executable" || \
    (echo "Binary is not statically linked!" && exit 1)

# Binary optimization stage with multi-arch support
# bench: image name
FROM --platform=$TARGETPLATFORM 127.0.0.1:5000/bench-peers/alpine:3.20 AS optimizer
ARG TARGETARCH
# Install platform-specific optimization tools
RUN apk add --no-cache binutils && \
    if [ "$TARGETARCH" = "amd64" ]; then \
        apk add --no-cache upx; \
    fi
COPY --from=builder /workspace/service-binary /tmp/service-binary
# Apply optimizations based on target architecture
RUN strip --strip-unneeded /tmp/service-binary && \
    if [ "$TARGETARCH" = "amd64" ] && command -v upx >/dev/null 2>&1; then \
        upx --best --lzma /tmp/service-binary; \
    fi

# Production runtime stage using distroless with platform selection
# bench: image name
FROM 127.0.0.1:5000/bench-peers/distroless-static:nonroot AS runtime-base

# Build arguments for labels and platform info
ARG TARGETPLATFORM
ARG TARGETARCH
ARG BUILD_DATE
ARG VCS_REF
ARG VERSION=v2.0.0
ARG SERVICE

# Enhanced OCI-compliant labels
LABEL maintainer="Nephoran Intent Operator Team <team@nephoran.com>" \
      version="${VERSION}" \
      service="${SERVICE}" \
      description="Production-ready ${SERVICE} for Nephoran Intent Operator" \
      org.opencontainers.image.created="${BUILD_DATE}" \
      org.opencontainers.image.revision="${VCS_REF}" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.source="https://github.com/thc1006/nephoran-intent-operator" \
      org.opencontainers.image.title="Nephoran ${SERVICE}" \
      org.opencontainers.image.description="${SERVICE} service for cloud-native 5G/O-RAN network intent processing" \
      org.opencontainers.image.vendor="Nephoran" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.documentation="https://github.com/thc1006/nephoran-intent-operator/docs" \
      org.opencontainers.image.url="https://github.com/thc1006/nephoran-intent-operator" \
      security.scan="enabled" \
      security.policy="minimal-attack-surface" \
      build.architecture="${TARGETARCH:-amd64}" \
      build.platform="${TARGETPLATFORM}" \
      build.multi-arch="true"

# Copy essential system files for TLS and timezone support
COPY --from=builder /usr/share/zoneinfo /usr/share/zoneinfo
COPY --from=builder /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/

# Copy optimized binary
COPY --from=optimizer /tmp/service-binary /service

# Set secure runtime environment
ENV GOGC=100 \
    GOMEMLIMIT=512MiB \
    TZ=UTC

# Use non-root user for security
USER nonroot:nonroot

# bench: the RUN that stood here dropped (no shell in a distroless stage; see the header)

# Health check configuration (service-specific)
HEALTHCHECK --interval=30s \
            --timeout=5s \
            --start-period=15s \
            --retries=3 \
            CMD ["/service", "--health-check"] || exit 1

# Expose service-specific ports
# LLM Processor: 8080, Nephio Bridge: 8081, ORAN Adaptor: 8082
EXPOSE 8080/tcp 8081/tcp 8082/tcp

# Entry point with signal handling
ENTRYPOINT ["/service"]

# Default command
CMD ["--help"]
