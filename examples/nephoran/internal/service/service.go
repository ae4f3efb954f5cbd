// Package service is the small shared core of the example services: it reports what was built
// (name, version, platform) and optionally serves that report over HTTP.
package service

import (
	"flag"
	"fmt"
	"log"
	"net/http"
	"os"
	"runtime"
)

// Report is the line every service prints at start: the end-to-end test reads it from each image.
func Report(name, version string) string {
	return fmt.Sprintf("%s version=%s platform=%s/%s", name, version, runtime.GOOS, runtime.GOARCH)
}

// Main prints the report and, with -serve, answers it on the given address until stopped.
func Main(name, version, defaultAddr string) {
	serve := flag.Bool("serve", false, "serve the report over HTTP instead of exiting")
	addr := flag.String("addr", defaultAddr, "listen address for -serve")
	flag.Parse()
	fmt.Println(Report(name, version))
	if !*serve {
		return
	}
	http.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, Report(name, version))
	})
	log.Printf("%s listening on %s", name, *addr)
	if err := http.ListenAndServe(*addr, nil); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
