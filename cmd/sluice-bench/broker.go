package main

import (
	"fmt"
	"io"

	"github.com/twmb/franz-go/pkg/kfake"
)

// startExternalBroker starts a single-node, memory-only kfake cluster in
// this process on a free 127.0.0.1 port, for -external-broker: the server
// then gets --brokers and runs no broker of its own, so its CPU and GC
// figures no longer include serving the fetches. The caller must Close
// the cluster on every path.
//
// Goroutines: kfake's accept loop, one per connection, and its cluster
// loop; Close stops them.
func startExternalBroker(progress io.Writer) (*kfake.Cluster, string, error) {
	c, err := kfake.NewCluster(
		kfake.NumBrokers(1),
		kfake.Ports(0),
		kfake.ClusterID("sluice-bench"),
	)
	if err != nil {
		return nil, "", fmt.Errorf("start external broker: %w", err)
	}
	addrs := c.ListenAddrs()
	if len(addrs) != 1 {
		c.Close()
		return nil, "", fmt.Errorf("external broker listens on %d addresses, want 1", len(addrs))
	}
	fmt.Fprintln(progress, "external broker (in the bench process):", addrs[0])
	return c, addrs[0], nil
}
