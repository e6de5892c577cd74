"""The runtime: every cloud service and node agent, served from one package."""
