"""bench/network: the network service's API and its agent's dataplane, on namespaces."""
