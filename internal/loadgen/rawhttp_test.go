package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// The hand-written client reads what net/http's server writes: a
// Content-Length body, a chunked body, and a response that closes the
// connection, on one connection in turn.
func TestRawConnReadsWhatTheServerWrites(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		switch r.URL.Path {
		case "/length":
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"form":"` + string(body) + `","auth":"` + r.Header.Get("Authorization") + `"}`))
		case "/chunked":
			_, _ = w.Write([]byte("first,"))
			w.(http.Flusher).Flush()
			_, _ = w.Write([]byte("second"))
		case "/close":
			w.Header().Set("Connection", "close")
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte("bye"))
		}
	}))
	defer srv.Close()
	k := newRawConn(strings.TrimPrefix(srv.URL, "http://"))
	defer k.close()
	ctx := context.Background()
	for _, c := range []struct {
		path, header, form string
		status             int
		body               string
		open               bool
	}{
		{"/length", "Authorization: Basic eDp5\r\n", "a=1&b=2", 200, `{"form":"a=1&b=2","auth":"Basic eDp5"}`, true},
		{"/chunked", "", "", 200, "first,second", true},
		{"/close", "", "x=1", 401, "bye", false},
		{"/length", "", "again", 200, `{"form":"again","auth":""}`, true}, // dials again
	} {
		status, body, err := k.post(ctx, c.path, c.header, c.form)
		if err != nil || status != c.status || string(body) != c.body || (k.c != nil) != c.open {
			t.Fatalf("%s: %d %q %v, open %v", c.path, status, body, err, k.c != nil)
		}
	}
}
