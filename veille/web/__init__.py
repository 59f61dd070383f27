"""Veille's web application: timeline, statements, alerts, feeds, JSON API and Atom feeds.

Kept import-light: ``veille.web.app.create_app`` builds the app, ``veille.web.server`` serves it.
"""
