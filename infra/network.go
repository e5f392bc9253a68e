package infra

import (
	"fmt"
	"net/netip"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Subnet tags the AWS Load Balancer Controller uses to discover subnets
// (docs/deploy/subnet_discovery.md): public subnets for internet-facing
// ALBs, private ones for internal ALBs, and the cluster tag.
const (
	tagRoleELB         = "kubernetes.io/role/elb"
	tagRoleInternalELB = "kubernetes.io/role/internal-elb"
	tagClusterPrefix   = "kubernetes.io/cluster/"
)

// Network is the VPC the cluster and its ALBs live in.
type Network struct {
	VpcID            pulumi.StringOutput
	PublicSubnetIDs  pulumi.StringArrayOutput
	PrivateSubnetIDs pulumi.StringArrayOutput
	// Ready lists the resources that must exist before nodes can reach the
	// internet (NAT gateways and private routes); empty for an existing VPC.
	Ready []pulumi.Resource
}

// newNetwork returns the existing VPC from config, or creates one: a public
// and a private subnet per availability zone, an internet gateway, and one
// NAT gateway (or one per zone with natGatewayPerAz).
func newNetwork(ctx *pulumi.Context, cfg Config) (*Network, error) {
	if cfg.UsesExistingVPC() {
		return &Network{
			VpcID:            pulumi.String(cfg.VpcID).ToStringOutput(),
			PublicSubnetIDs:  pulumi.ToStringArray(cfg.PublicSubnetIDs).ToStringArrayOutput(),
			PrivateSubnetIDs: pulumi.ToStringArray(cfg.PrivateSubnetIDs).ToStringArrayOutput(),
		}, nil
	}
	wrap := func(what string, err error) error { return fmt.Errorf("network: %s: %w", what, err) }

	vpcPrefix := netip.MustParsePrefix(cfg.VpcCidr) // validated in LoadConfig
	tags := func(name string, extra map[string]string) pulumi.StringMap {
		m := pulumi.StringMap{"Name": pulumi.String(cfg.ClusterName + "-" + name)}
		for k, v := range extra {
			m[k] = pulumi.String(v)
		}
		return m
	}
	clusterTag := tagClusterPrefix + cfg.ClusterName

	vpc, err := ec2.NewVpc(ctx, "vpc", &ec2.VpcArgs{
		CidrBlock:          pulumi.String(cfg.VpcCidr),
		EnableDnsHostnames: pulumi.Bool(true), // EKS nodes and the private endpoint need DNS
		EnableDnsSupport:   pulumi.Bool(true),
		Tags:               tags("vpc", nil),
	})
	if err != nil {
		return nil, wrap("vpc", err)
	}
	igw, err := ec2.NewInternetGateway(ctx, "igw", &ec2.InternetGatewayArgs{VpcId: vpc.ID(), Tags: tags("igw", nil)})
	if err != nil {
		return nil, wrap("internet gateway", err)
	}
	publicRT, err := ec2.NewRouteTable(ctx, "public", &ec2.RouteTableArgs{
		VpcId:  vpc.ID(),
		Routes: ec2.RouteTableRouteArray{&ec2.RouteTableRouteArgs{CidrBlock: pulumi.String("0.0.0.0/0"), GatewayId: igw.ID()}},
		Tags:   tags("public", nil),
	})
	if err != nil {
		return nil, wrap("public route table", err)
	}

	net := &Network{VpcID: vpc.ID().ToStringOutput()}
	var public, private pulumi.StringArray
	var nats []*ec2.NatGateway
	for i, az := range cfg.AvailabilityZones {
		pub, err := ec2.NewSubnet(ctx, fmt.Sprintf("public-%s", az), &ec2.SubnetArgs{
			VpcId:               vpc.ID(),
			AvailabilityZone:    pulumi.String(az),
			CidrBlock:           pulumi.String(publicSubnetCIDR(vpcPrefix, i)),
			MapPublicIpOnLaunch: pulumi.Bool(true),
			Tags:                tags("public-"+az, map[string]string{tagRoleELB: "1", clusterTag: "shared"}),
		})
		if err != nil {
			return nil, wrap("public subnet "+az, err)
		}
		public = append(public, pub.ID())
		if _, err := ec2.NewRouteTableAssociation(ctx, fmt.Sprintf("public-%s", az), &ec2.RouteTableAssociationArgs{
			SubnetId: pub.ID(), RouteTableId: publicRT.ID(),
		}); err != nil {
			return nil, wrap("public route association "+az, err)
		}
		if i == 0 || cfg.NatGatewayPerAz {
			eip, err := ec2.NewEip(ctx, fmt.Sprintf("nat-%s", az), &ec2.EipArgs{Domain: pulumi.String("vpc"), Tags: tags("nat-"+az, nil)})
			if err != nil {
				return nil, wrap("NAT address "+az, err)
			}
			nat, err := ec2.NewNatGateway(ctx, fmt.Sprintf("nat-%s", az), &ec2.NatGatewayArgs{
				AllocationId: eip.ID(),
				SubnetId:     pub.ID(),
				Tags:         tags("nat-"+az, nil),
			}, pulumi.DependsOn([]pulumi.Resource{igw})) // a NAT gateway needs the IGW attached
			if err != nil {
				return nil, wrap("NAT gateway "+az, err)
			}
			nats = append(nats, nat)
			net.Ready = append(net.Ready, nat)
		}
	}
	for i, az := range cfg.AvailabilityZones {
		priv, err := ec2.NewSubnet(ctx, fmt.Sprintf("private-%s", az), &ec2.SubnetArgs{
			VpcId:            vpc.ID(),
			AvailabilityZone: pulumi.String(az),
			CidrBlock:        pulumi.String(privateSubnetCIDR(vpcPrefix, i)),
			Tags:             tags("private-"+az, map[string]string{tagRoleInternalELB: "1", clusterTag: "shared"}),
		})
		if err != nil {
			return nil, wrap("private subnet "+az, err)
		}
		private = append(private, priv.ID())
		nat := nats[0]
		if cfg.NatGatewayPerAz {
			nat = nats[i]
		}
		rt, err := ec2.NewRouteTable(ctx, fmt.Sprintf("private-%s", az), &ec2.RouteTableArgs{
			VpcId:  vpc.ID(),
			Routes: ec2.RouteTableRouteArray{&ec2.RouteTableRouteArgs{CidrBlock: pulumi.String("0.0.0.0/0"), NatGatewayId: nat.ID()}},
			Tags:   tags("private-"+az, nil),
		})
		if err != nil {
			return nil, wrap("private route table "+az, err)
		}
		assoc, err := ec2.NewRouteTableAssociation(ctx, fmt.Sprintf("private-%s", az), &ec2.RouteTableAssociationArgs{
			SubnetId: priv.ID(), RouteTableId: rt.ID(),
		})
		if err != nil {
			return nil, wrap("private route association "+az, err)
		}
		net.Ready = append(net.Ready, assoc)
	}
	net.PublicSubnetIDs = public.ToStringArrayOutput()
	net.PrivateSubnetIDs = private.ToStringArrayOutput()
	return net, nil
}

// Limits of the VPC the program creates (zdt:vpcCidr, zdt:availabilityZones).
const (
	minVPCBits           = 16
	maxVPCBits           = 20
	maxAvailabilityZones = 4
	// albMinSubnetBits and albMinFreeAddresses: an ALB needs subnets of
	// at least /27 with at least 8 free addresses in each (ELB user guide,
	// "Subnets for your load balancer"), to scale its nodes.
	albMinSubnetBits    = 27
	albMinFreeAddresses = 8
	// awsReservedAddresses are the addresses AWS reserves in every subnet.
	awsReservedAddresses = 5
	// privateSubnetNewBits: a private subnet is 1/8 of the VPC (the VPC CNI
	// gives every pod an address of its node's subnet).
	privateSubnetNewBits = 3
	// publicSubnetNewBits: a public subnet is 1/256 of the VPC, no smaller
	// than a /27.
	publicSubnetNewBits = 8
)

// privateSubnetCIDR is the i-th eighth of the VPC: large, because with the
// VPC CNI every pod takes an address of its node's subnet.
func privateSubnetCIDR(vpc netip.Prefix, i int) string {
	return subnetCIDR(vpc, privateSubnetNewBits, i)
}

// publicSubnetCIDR is the i-th subnet of the second half of the VPC, above
// the at most four private subnets: 1/256 of the VPC (public subnets hold
// only the ALB and NAT gateway interfaces), but never smaller than the /27
// an ALB needs, so that every VPC size zdt:vpcCidr accepts fits an ALB.
func publicSubnetCIDR(vpc netip.Prefix, i int) string {
	newBits := min(publicSubnetNewBits, albMinSubnetBits-vpc.Bits())
	return subnetCIDR(vpc, newBits, 1<<(newBits-1)+i)
}

// checkSubnetLayout verifies that, for a VPC with azs zones, every subnet
// of the layout lies in the VPC, overlaps no other, and can hold an ALB.
func checkSubnetLayout(vpc netip.Prefix, azs int) error {
	var all []netip.Prefix
	for i := 0; i < azs; i++ {
		all = append(all, netip.MustParsePrefix(publicSubnetCIDR(vpc, i)), netip.MustParsePrefix(privateSubnetCIDR(vpc, i)))
	}
	for i, p := range all {
		free := 1<<(32-p.Bits()) - awsReservedAddresses
		switch {
		case !vpc.Contains(p.Addr()) || p.Bits() < vpc.Bits():
			return fmt.Errorf("subnet %s lies outside the VPC %s", p, vpc)
		case p.Bits() > albMinSubnetBits || free < albMinFreeAddresses:
			return fmt.Errorf("subnet %s (%d free addresses) is smaller than the /%d with %d free addresses an ALB needs", p, free, albMinSubnetBits, albMinFreeAddresses)
		}
		for _, q := range all[i+1:] {
			if p.Overlaps(q) {
				return fmt.Errorf("subnets %s and %s overlap", p, q)
			}
		}
	}
	return nil
}

// subnetCIDR is the index-th subnet of prefix with newBits more bits of
// mask (like Terraform's cidrsubnet), for IPv4 prefixes.
func subnetCIDR(prefix netip.Prefix, newBits, index int) string {
	bits := prefix.Bits() + newBits
	base := prefix.Masked().Addr().As4()
	n := uint32(base[0])<<24 | uint32(base[1])<<16 | uint32(base[2])<<8 | uint32(base[3])
	n |= uint32(index) << (32 - bits)
	addr := netip.AddrFrom4([4]byte{byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)})
	return netip.PrefixFrom(addr, bits).String()
}
