"""Shared Care Planner: delegation of healthcare tasks under the LLR Framework."""

__version__ = "0.1.0"
