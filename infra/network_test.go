package infra

import (
	"net/netip"
	"strings"
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
		{"10.0.0.0/19", 1, "10.0.4.0/22", "10.0.16.32/27"},
		{"172.20.0.0/20", 2, "172.20.4.0/23", "172.20.8.64/27"},
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

// TestSubnetLayoutFitsAnALB checks every VPC size zdt:vpcCidr accepts, at
// the largest AZ count: no overlap, inside the VPC, each subnet at least a
// /27 with 8 free addresses.
func TestSubnetLayoutFitsAnALB(t *testing.T) {
	for bits := minVPCBits; bits <= maxVPCBits; bits++ {
		vpc := netip.PrefixFrom(netip.MustParseAddr("10.0.0.0"), bits)
		if err := checkSubnetLayout(vpc, maxAvailabilityZones); err != nil {
			t.Errorf("VPC %s: %v", vpc, err)
		}
		for i := 0; i < maxAvailabilityZones; i++ {
			if p := netip.MustParsePrefix(publicSubnetCIDR(vpc, i)); p.Bits() > 27 {
				t.Errorf("VPC %s: public subnet %s is smaller than a /27", vpc, p)
			}
		}
	}
}

// TestCheckSubnetLayoutRejects shows the check can fail: a VPC too small
// for the layout (a /25 is refused by config validation before this).
func TestCheckSubnetLayoutRejects(t *testing.T) {
	err := checkSubnetLayout(netip.MustParsePrefix("10.0.0.0/25"), maxAvailabilityZones)
	if err == nil || !strings.Contains(err.Error(), "an ALB needs") {
		t.Errorf("checkSubnetLayout(/25) = %v, want a too-small subnet", err)
	}
}
