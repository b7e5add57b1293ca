"""contrail-f5-reconciler: makes F5 BIG-IP devices match Contrail's LBaaS v2 configuration."""

__version__ = "0.1.0"


def user_agent(replica: str = "") -> str:
    """What every device request says it is (the daemon adds its replica), so a device's
    audit log and the emulators' write log tell our writes from anybody else's."""
    return f"contrail-f5-reconciler/{__version__}" + (f" replica/{replica}" if replica else "")
