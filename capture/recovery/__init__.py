"""Picking a recording up after a stop or a crash: salvage torn segments, recover the journal, collect
leftovers.
"""
