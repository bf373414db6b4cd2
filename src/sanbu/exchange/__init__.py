"""Sharing and exchange: consumer apps and their keys (demands, grants and the gateway come later)."""
