package service

import (
	"runtime"
	"strings"
	"testing"
)

func TestReport(t *testing.T) {
	got := Report("svc", "1.2.3")
	want := "svc version=1.2.3 platform=" + runtime.GOOS + "/" + runtime.GOARCH
	if got != want {
		t.Fatalf("Report() = %q, want %q", got, want)
	}
	if !strings.HasPrefix(got, "svc ") {
		t.Fatal("report must start with the service name")
	}
}
