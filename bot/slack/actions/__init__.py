"""Listeners for buttons the app's messages carry."""
