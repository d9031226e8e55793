"""The room's schedule: fetched from the portal, cached on disk, kept fresh, and the planner's pure
decision of what to record now.
"""
