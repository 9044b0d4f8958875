"""Container runtimes behind `base.Runtime`: simulated and process."""
