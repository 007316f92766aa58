"""Commendations (表扬): outstanding units, individuals and practices proposed by districts and departments,
decided by the commission and published."""
