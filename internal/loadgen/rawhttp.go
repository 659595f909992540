package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"time"
)

// rawConn is one worker's keep-alive HTTP/1.1 connection, its requests
// written and its responses read by hand. net/http's client cost about
// 120 µs of CPU per introspection request on the benchmark machine
// (goroutine hand-offs between the caller and the connection's read and
// write loops), which would keep one core of load generator under ~8,000
// requests a second and takes CPU from the server when they share cores;
// this costs 40-70 µs. It sends only POSTs of forms and reads
// Content-Length or chunked bodies.
type rawConn struct {
	addr string // host:port of a loopback address
	c    net.Conn
	r    *bufio.Reader
	req  bytes.Buffer
}

func newRawConn(addr string) *rawConn { return &rawConn{addr: addr} }

func (k *rawConn) close() {
	if k.c != nil {
		k.c.Close()
		k.c = nil
	}
}

// post sends a form with the given extra header lines (each ending in
// CRLF) and returns the status and body. Any error closes the connection;
// the next request dials again.
func (k *rawConn) post(ctx context.Context, path, header, form string) (int, []byte, error) {
	if k.c == nil {
		d := net.Dialer{Timeout: 5 * time.Second, Control: dialLoopbackOnly}
		c, err := d.DialContext(ctx, "tcp", k.addr)
		if err != nil {
			return 0, nil, err
		}
		k.c, k.r = c, bufio.NewReaderSize(c, 16<<10)
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = k.c.SetDeadline(dl)
	}
	k.req.Reset()
	k.req.WriteString("POST " + path + " HTTP/1.1\r\nHost: " + k.addr +
		"\r\nContent-Type: application/x-www-form-urlencoded\r\nAccept: application/json\r\n")
	k.req.WriteString(header)
	k.req.WriteString("Content-Length: " + strconv.Itoa(len(form)) + "\r\n\r\n")
	k.req.WriteString(form)
	if _, err := k.c.Write(k.req.Bytes()); err != nil {
		k.close()
		return 0, nil, err
	}
	status, body, keep, err := k.read()
	if err != nil || !keep {
		k.close()
	}
	return status, body, err
}

// read parses one response.
func (k *rawConn) read() (status int, body []byte, keep bool, err error) {
	line, err := k.r.ReadSlice('\n')
	if err != nil {
		return 0, nil, false, err
	}
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.")) {
		return 0, nil, false, fmt.Errorf("not an HTTP/1.x status line: %q", line)
	}
	if status, err = strconv.Atoi(string(line[9:12])); err != nil {
		return 0, nil, false, fmt.Errorf("status line %q", line)
	}
	length, chunked, keep := -1, false, true
	for {
		h, err := k.r.ReadSlice('\n')
		if err != nil {
			return 0, nil, false, err
		}
		h = bytes.TrimRight(h, "\r\n")
		if len(h) == 0 {
			break
		}
		name, value, _ := bytes.Cut(h, []byte(":"))
		value = bytes.TrimSpace(value)
		switch {
		case bytes.EqualFold(name, []byte("Content-Length")):
			if length, err = strconv.Atoi(string(value)); err != nil {
				return 0, nil, false, fmt.Errorf("Content-Length %q", value)
			}
		case bytes.EqualFold(name, []byte("Transfer-Encoding")):
			chunked = bytes.EqualFold(value, []byte("chunked"))
		case bytes.EqualFold(name, []byte("Connection")):
			keep = !bytes.EqualFold(value, []byte("close"))
		}
	}
	switch {
	case chunked:
		body, err = k.readChunked()
	case length >= 0:
		body = make([]byte, length)
		_, err = io.ReadFull(k.r, body)
	default:
		body, err = io.ReadAll(io.LimitReader(k.r, 1<<20))
		keep = false
	}
	return status, body, keep && err == nil, err
}

func (k *rawConn) readChunked() ([]byte, error) {
	var body []byte
	for {
		line, err := k.r.ReadSlice('\n')
		if err != nil {
			return nil, err
		}
		size, _, _ := bytes.Cut(bytes.TrimRight(line, "\r\n"), []byte(";"))
		n, err := strconv.ParseInt(string(size), 16, 32)
		if err != nil || n < 0 || len(body)+int(n) > 1<<20 {
			return nil, errors.New("bad chunk size")
		}
		if n == 0 {
			// Trailers, if any, end with an empty line.
			for {
				t, err := k.r.ReadSlice('\n')
				if err != nil {
					return nil, err
				}
				if len(bytes.TrimRight(t, "\r\n")) == 0 {
					return body, nil
				}
			}
		}
		start := len(body)
		body = append(body, make([]byte, n+2)...)
		if _, err := io.ReadFull(k.r, body[start:]); err != nil {
			return nil, err
		}
		body = body[:len(body)-2] // the chunk's CRLF
	}
}
