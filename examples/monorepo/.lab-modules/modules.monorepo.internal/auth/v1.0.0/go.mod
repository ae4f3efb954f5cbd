module modules.monorepo.internal/auth

go 1.22
