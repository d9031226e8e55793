"""The device trust registry: reported and approved device keys, anchored checkpoint heads, and the
signed exports ``archive verify`` uses offline (issue 11, findings 6 and 7; enrolment is issue 15)."""
