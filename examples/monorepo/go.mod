module monorepo.example/platform

go 1.24

require (
	modules.monorepo.internal/auth v1.0.0
	monorepo.example/shared v0.0.0
)

replace monorepo.example/shared => ./shared
