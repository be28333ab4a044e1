"""Stripe, behind one gateway module. It imports none of our apps: it is told what to do."""
