"""relui: a release-day console for blue/green deployments on Kubernetes."""

__version__ = "0.1.0"
