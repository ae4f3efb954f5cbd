module monorepo.example/shared

go 1.24
