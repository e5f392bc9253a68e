package verify

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"
	"testing"
)

func TestClassifyError(t *testing.T) {
	opErr := func(op string, errno syscall.Errno) error {
		return &net.OpError{Op: op, Net: "tcp", Err: os.NewSyscallError(op, errno)}
	}
	tests := []struct {
		name        string
		err         error
		deadlineHit bool
		want        Class
	}{
		{"nil", nil, false, ClassOK},
		{"context deadline", fmt.Errorf("get: %w", context.DeadlineExceeded), false, ClassTimeout},
		{"net timeout", &net.DNSError{Err: "i/o timeout", IsTimeout: true}, false, ClassTimeout},
		{"our deadline fired, transport said cancelled", context.Canceled, true, ClassTimeout},
		{"our deadline fired wins over EOF", io.EOF, true, ClassTimeout},
		{"refused", opErr("dial", syscall.ECONNREFUSED), false, ClassRefused},
		{"reset", opErr("read", syscall.ECONNRESET), false, ClassReset},
		{"aborted", opErr("read", syscall.ECONNABORTED), false, ClassReset},
		{"broken pipe", opErr("write", syscall.EPIPE), false, ClassReset},
		{"EOF wrapped", fmt.Errorf("net/http: HTTP/1.x transport connection broken: %w", io.EOF), false, ClassReset},
		{"unexpected EOF", io.ErrUnexpectedEOF, false, ClassReset},
		{"unreachable", opErr("dial", syscall.EHOSTUNREACH), false, ClassOther},
		{"dns not found", &net.DNSError{Err: "no such host", IsNotFound: true}, false, ClassOther},
		{"plain", errors.New("malformed HTTP response"), false, ClassOther},
		{"cancelled without deadline", context.Canceled, false, ClassOther},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ClassifyError(tt.err, tt.deadlineHit); got != tt.want {
				t.Errorf("ClassifyError(%v, %v) = %q, want %q", tt.err, tt.deadlineHit, got, tt.want)
			}
		})
	}
}

func TestStatusClass(t *testing.T) {
	tests := []struct {
		code   int
		want   Class
		failed bool
	}{
		{200, ClassOK, false},
		{204, ClassOK, false},
		{299, ClassOK, false},
		{301, "301", true},
		{404, "404", true},
		{502, "502", true},
		{503, "503", true},
		{504, "504", true},
	}
	for _, tt := range tests {
		got := StatusClass(tt.code)
		if got != tt.want || got.Failed() != tt.failed {
			t.Errorf("StatusClass(%d) = %q (failed %v), want %q (failed %v)", tt.code, got, got.Failed(), tt.want, tt.failed)
		}
	}
}
