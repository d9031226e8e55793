"""The agents' APIs (bearer token): recordings reports, the courtroom schedule, the device fleet, the trust
list.
"""
