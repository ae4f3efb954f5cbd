# Peer fixture for npm run bench -- --only peers: the Nephoran guide's per-service Go Dockerfile,
# cmd/nephio-bridge/Dockerfile of thc1006/nephoran-intent-operator at commit 2d3bf845b3e2 (2025-08-05,
# "feat: Add comprehensive setup script for Enhanced CI/CD Pipeline", the commit that added
# MULTI_ARCH_BUILD_GUIDE.md). oran-adaptor's differs only in the service's name and port; llm-processor's
# also ran `go get github.com/prometheus/client_golang/...` before `go mod tidy`, which needs the
# network for a module none of these services imports, so the bench uses this one for every service,
# with {{SERVICE}}, {{TITLE}} and {{PORT}} filled in.
# Changed for the lab (each marked "bench:" below):
# - image names: golang:1.24-alpine, alpine:3.20 and gcr.io/distroless/static:nonroot -> the lab's
#   stand-ins (scripts/bench-peers/standins: Debian-based, with what the stages install with apk
#   preinstalled, so `apk add` is free here);
# - `go mod tidy` dropped from the download step: run with only go.mod and go.sum in the image it
#   empties the requirements and the compile fails in any repository with dependencies (fleet); in
#   one without (nephoran) it does nothing;
# - the source directories copied are the repository's (cmd/, internal/) instead of the Nephoran
#   repository's of the time (pkg/, api/), which these repositories do not have.
# The HEALTHCHECK is kept as written (it is only read when a container starts).

# Multi-stage build for production-ready {{TITLE}} with enhanced security
# Supports multi-architecture builds (amd64 + arm64) with cross-compilation

# Build stage with security optimizations and multi-arch support
# bench: image name
FROM --platform=$BUILDPLATFORM 127.0.0.1:5000/bench-peers/golang:1.24-alpine AS builder

# Set build arguments for flexibility and multi-arch support
ARG BUILDPLATFORM
ARG TARGETPLATFORM
ARG TARGETOS
ARG TARGETARCH
ARG BUILD_DATE
ARG VCS_REF
ARG VERSION=v2.0.0

# Display build information for debugging
RUN printf "* Building {{TITLE}} on: %s\n* Building for: %s\n* Target OS: %s\n* Target Arch: %s\n" \
    "$BUILDPLATFORM" "$TARGETPLATFORM" "$TARGETOS" "$TARGETARCH"

# Install only essential build dependencies with platform optimizations
RUN apk add --no-cache \
    git \
    ca-certificates \
    tzdata \
    binutils \
    && rm -rf /var/cache/apk/*

# Create dedicated build user with minimal privileges
RUN addgroup -g 10001 -S builduser && \
    adduser -u 10001 -S builduser -G builduser

WORKDIR /workspace

# Set secure permissions on workspace
RUN chown builduser:builduser /workspace

# Switch to build user for security
USER builduser:builduser

# Copy dependency files and download modules with integrity verification
COPY --chown=builduser:builduser go.mod go.sum ./
# bench: "&& go mod tidy" dropped (see the header)
RUN go mod download && \
    go mod verify

# Copy source code with proper ownership
COPY --chown=builduser:builduser cmd/{{SERVICE}}/ cmd/{{SERVICE}}/
# bench: the repository's source directories (the guide's repository had pkg/ and api/)
COPY --chown=builduser:builduser internal/ internal/

# Build the binary with enhanced security, optimization flags, and cross-compilation
RUN CGO_ENABLED=0 \
    GOOS=${TARGETOS:-linux} \
    GOARCH=${TARGETARCH:-amd64} \
    GOFLAGS="-buildvcs=false" \
    go build \
    -buildmode=exe \
    -ldflags="-w -s -extldflags '-static' -X main.version=${VERSION} -X main.buildDate=${BUILD_DATE} -X main.gitCommit=${VCS_REF}" \
    -a \
    -installsuffix cgo \
    -trimpath \
    -o {{SERVICE}} \
    cmd/{{SERVICE}}/main.go

# List the binary
RUN ls -la {{SERVICE}}

# Intermediate stage for binary optimization with multi-arch support
# bench: image name
FROM --platform=$TARGETPLATFORM 127.0.0.1:5000/bench-peers/alpine:3.20 AS optimizer
ARG TARGETARCH
# Install platform-specific optimization tools
RUN apk add --no-cache binutils && \
    if [ "$TARGETARCH" = "amd64" ]; then \
        apk add --no-cache upx; \
    fi
COPY --from=builder /workspace/{{SERVICE}} /tmp/{{SERVICE}}
# Apply optimizations based on target architecture
RUN strip --strip-unneeded /tmp/{{SERVICE}} && \
    if [ "$TARGETARCH" = "amd64" ] && command -v upx >/dev/null 2>&1; then \
        upx --best --lzma /tmp/{{SERVICE}}; \
    fi

# Runtime stage using distroless for maximum security with platform selection
# bench: image name
FROM 127.0.0.1:5000/bench-peers/distroless-static:nonroot AS runtime-base

# Build arguments for labels and platform info
ARG TARGETPLATFORM
ARG TARGETARCH
ARG BUILD_DATE
ARG VCS_REF
ARG VERSION=v2.0.0

# Set build-time labels with dynamic values and multi-arch info
LABEL maintainer="Nephoran Intent Operator Team <team@nephoran.com>" \
      version="${VERSION}" \
      description="Production-ready {{TITLE}} Service for GitOps Integration" \
      org.opencontainers.image.created="${BUILD_DATE}" \
      org.opencontainers.image.revision="${VCS_REF}" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.source="https://github.com/thc1006/nephoran-intent-operator" \
      org.opencontainers.image.title="{{TITLE}}" \
      org.opencontainers.image.description="GitOps bridge service for Kubernetes resource orchestration" \
      org.opencontainers.image.vendor="Nephoran" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.documentation="https://github.com/thc1006/nephoran-intent-operator/docs" \
      security.scan="enabled" \
      security.policy="minimal-attack-surface" \
      build.architecture="${TARGETARCH:-amd64}" \
      build.platform="${TARGETPLATFORM}" \
      build.multi-arch="true"

# Copy essential system files from builder
COPY --from=builder /usr/share/zoneinfo /usr/share/zoneinfo
COPY --from=builder /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/

# Copy the optimized binary with strict permissions
COPY --from=optimizer /tmp/{{SERVICE}} /{{SERVICE}}

# Ensure binary has correct permissions (read and execute only)
USER nonroot:nonroot

# Set secure environment variables with production defaults
ENV PORT={{PORT}} \
    LOG_LEVEL=info \
    METRICS_ENABLED=true \
    REQUEST_TIMEOUT=30s \
    GRACEFUL_SHUTDOWN_TIMEOUT=30s \
    READ_HEADER_TIMEOUT=10s \
    WRITE_TIMEOUT=30s \
    IDLE_TIMEOUT=120s \
    MAX_HEADER_BYTES=1048576 \
    GOGC=100 \
    GOMEMLIMIT=512MiB

# Health check with optimized parameters
HEALTHCHECK --interval=30s \
            --timeout=5s \
            --start-period=15s \
            --retries=3 \
            CMD ["/{{SERVICE}}", "--health-check"] || exit 1

# Expose only the required port
EXPOSE {{PORT}}/tcp

# Use exec form for better signal handling
ENTRYPOINT ["/{{SERVICE}}"]

# Default command arguments for production
CMD ["--port={{PORT}}", "--log-level=info"]
