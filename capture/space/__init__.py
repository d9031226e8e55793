"""The spool's space: free-space alarms, riding out a full disk, the bodycam's quota, and the alarm paths
that need no disk.
"""
