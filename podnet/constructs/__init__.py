"""Building blocks, one per file: planned subnet CIDRs, pod subnets, cluster, custom networking, spot nodes."""
