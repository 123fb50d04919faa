"""Minimal Django project standing in for Docs / Drive in the real-client tests."""
