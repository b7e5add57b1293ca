"""contrail-f5-reconciler: makes F5 BIG-IP devices match Contrail's LBaaS v2 configuration."""

__version__ = "0.1.0"
