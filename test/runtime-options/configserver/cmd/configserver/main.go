// configserver is the lab's server that needs a config file and an argument to start
// (scripts/e2e-runtime-options.sh): `configserver serve <config.json>` listens on the file's port
// and answers with the file's message, the GREETING environment variable and what it runs on;
// `configserver health <config.json>` is its own probe, for a runtime without a shell or curl.
package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"runtime"
	"time"
)

// version is set by the build (-X main.version).
var version = "dev"

type config struct {
	Port    int    `json:"port"`
	Message string `json:"message"`
}

func main() {
	if len(os.Args) != 3 || (os.Args[1] != "serve" && os.Args[1] != "health") {
		fmt.Fprintln(os.Stderr, "usage: configserver serve|health <config.json>")
		os.Exit(2)
	}
	cfg, err := load(os.Args[2])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if os.Args[1] == "health" {
		os.Exit(health(cfg))
	}
	serve(cfg, os.Args[2])
}

func load(path string) (config, error) {
	var cfg config
	data, err := os.ReadFile(path)
	if err != nil {
		return cfg, fmt.Errorf("reading the config: %w", err)
	}
	if err := json.Unmarshal(data, &cfg); err != nil {
		return cfg, fmt.Errorf("parsing %s: %w", path, err)
	}
	if cfg.Port == 0 || cfg.Message == "" {
		return cfg, fmt.Errorf("%s: port and message are required", path)
	}
	return cfg, nil
}

// writable says whether the service user could change the file (it must not).
func writable(path string) string {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return "no"
	}
	f.Close()
	return "yes"
}

func serve(cfg config, path string) {
	info, err := os.Stat(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	answer := fmt.Sprintf("message=%s greeting=%s version=%s arch=%s uid=%d config=%s mode=%s writable=%s mtime=%d\n",
		cfg.Message, os.Getenv("GREETING"), version, runtime.GOARCH, os.Getuid(), path, info.Mode(), writable(path), info.ModTime().Unix())
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, answer) })
	http.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "ok") })
	addr := fmt.Sprintf(":%d", cfg.Port)
	fmt.Printf("configserver %s listening on %s\n", version, addr)
	if err := http.ListenAndServe(addr, nil); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func health(cfg config) int {
	client := http.Client{Timeout: 2 * time.Second}
	resp, err := client.Get(fmt.Sprintf("http://127.0.0.1:%d/healthz", cfg.Port))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 1
	}
	return 0
}
