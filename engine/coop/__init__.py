"""Cooperation (samverkan): bodies, members, meetings, protocols, MBL, and changes."""
