package main

import (
	"fmt"
	"os"

	buildinfo "example.com/fleet/internal/version"
	"golang.org/x/tools/go/analysis/passes/printf"
	"golang.org/x/tools/go/analysis/passes/structtag"
	"golang.org/x/tools/go/analysis/passes/unusedresult"
	"golang.org/x/tools/go/analysis/unitchecker"
)

var version = "dev"

func main() {
	fmt.Println(buildinfo.Line("vet", version))
	if len(os.Args) > 1 {
		unitchecker.Main(printf.Analyzer, structtag.Analyzer, unusedresult.Analyzer)
	}
}
