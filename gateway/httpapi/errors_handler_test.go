package httpapi

import (
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net/http/httptest"
	"syscall"
	"testing"

	"github.com/gofiber/fiber/v2"
)

// A write refused by a full disk is a 503 with Retry-After, not a 500.
func TestFullDiskIsServiceUnavailable(t *testing.T) {
	app := fiber.New(fiber.Config{ErrorHandler: NewErrorHandler(nil)})
	app.Post("/full", func(*fiber.Ctx) error {
		return fmt.Errorf("commit ticket: %w", &fs.PathError{Op: "write", Path: "hallgate.db", Err: syscall.ENOSPC})
	})
	app.Post("/other", func(*fiber.Ctx) error { return fmt.Errorf("something else: %w", syscall.EIO) })
	resp, err := app.Test(httptest.NewRequest("POST", "/full", nil))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	var p map[string]any
	if err := json.Unmarshal(body, &p); err != nil {
		t.Fatalf("%s: %v", body, err)
	}
	if resp.StatusCode != 503 || p["status"] != 503.0 || resp.Header.Get("Retry-After") != "30" || p["retry_after"] != 30.0 {
		t.Fatalf("full disk: %d Retry-After %q %s", resp.StatusCode, resp.Header.Get("Retry-After"), body)
	}
	resp, err = app.Test(httptest.NewRequest("POST", "/other", nil))
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 500 || resp.Header.Get("Retry-After") != "" {
		t.Fatalf("another I/O error: %d Retry-After %q, want a plain 500", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
}
