module github.com/thc1006/nephoran-intent-operator

go 1.24
