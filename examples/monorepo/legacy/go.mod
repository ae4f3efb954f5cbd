module monorepo.example/legacy

go 1.24

require modules.monorepo.internal/auth v1.0.0
