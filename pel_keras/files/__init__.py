"""Files: written so that a kill, a full disk or a second process never leaves a half-written one, and
read with the true reason when they cannot be."""
