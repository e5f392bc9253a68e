package main

import (
	"testing"

	"github.com/zdt-eks/zdt/lab/emulator"
)

func TestParseHealthChecks(t *testing.T) {
	for _, tc := range []struct {
		in      string
		perNode bool
		how     emulator.HealthAggregation
		ok      bool
	}{
		{"per-node/any", true, emulator.AggregateAny, true},
		{"per-node/all", true, emulator.AggregateAll, true},
		{"shared", false, emulator.AggregateAny, true},
		{"per-node", false, "", false},
		{"", false, "", false},
	} {
		perNode, how, ok := parseHealthChecks(tc.in)
		if perNode != tc.perNode || how != tc.how || ok != tc.ok {
			t.Errorf("parseHealthChecks(%q) = %v, %q, %v; want %v, %q, %v", tc.in, perNode, how, ok, tc.perNode, tc.how, tc.ok)
		}
	}
}
