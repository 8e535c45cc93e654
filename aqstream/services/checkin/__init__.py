"""Check-in at the door (issue 16): signed tickets a scanner verifies with the event's public key alone."""
