"""The demo world: a realistic, confounded history of an agency's ASN, with ground truth."""

from recsys.simulation.world import SimulationError, WorldSummary, simulate

__all__ = ["SimulationError", "WorldSummary", "simulate"]
