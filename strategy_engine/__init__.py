"""Warehouse-native strategy engine: a thin runner around a dbt project."""

__version__ = "0.1.0"
