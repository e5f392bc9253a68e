package infra

import (
	"net/netip"
	"testing"
)

func TestSubnetCIDRs(t *testing.T) {
	tests := []struct {
		vpc             string
		i               int
		private, public string
	}{
		{"10.0.0.0/16", 0, "10.0.0.0/19", "10.0.128.0/24"},
		{"10.0.0.0/16", 1, "10.0.32.0/19", "10.0.129.0/24"},
		{"10.0.0.0/16", 3, "10.0.96.0/19", "10.0.131.0/24"},
		{"172.20.0.0/20", 2, "172.20.4.0/23", "172.20.8.32/28"},
	}
	for _, tc := range tests {
		p := netip.MustParsePrefix(tc.vpc)
		if got := privateSubnetCIDR(p, tc.i); got != tc.private {
			t.Errorf("private %s #%d = %s, want %s", tc.vpc, tc.i, got, tc.private)
		}
		if got := publicSubnetCIDR(p, tc.i); got != tc.public {
			t.Errorf("public %s #%d = %s, want %s", tc.vpc, tc.i, got, tc.public)
		}
	}
}

// TestSubnetsDoNotOverlap checks the layout for the largest AZ count.
func TestSubnetsDoNotOverlap(t *testing.T) {
	vpc := netip.MustParsePrefix("10.0.0.0/16")
	var all []netip.Prefix
	for i := 0; i < 4; i++ {
		all = append(all, netip.MustParsePrefix(privateSubnetCIDR(vpc, i)), netip.MustParsePrefix(publicSubnetCIDR(vpc, i)))
	}
	for i, a := range all {
		if !vpc.Contains(a.Addr()) {
			t.Errorf("%s outside the VPC", a)
		}
		for _, b := range all[i+1:] {
			if a.Overlaps(b) {
				t.Errorf("%s overlaps %s", a, b)
			}
		}
	}
}
